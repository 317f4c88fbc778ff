"""How far the IMAP listener got in each folder, keyed by UIDVALIDITY."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class MailboxPosition:
    """The last UID processed in one folder, valid only with its UIDVALIDITY."""

    uidvalidity: int
    last_uid: int


def read_position(
    conn: sqlite3.Connection, account: str, folder: str
) -> MailboxPosition | None:
    """Where the listener stopped in ``folder``, or None if it never read it."""
    row = conn.execute(
        "SELECT uidvalidity, last_uid FROM mailbox_positions "
        "WHERE account = ? AND folder = ?",
        (account, folder),
    ).fetchone()
    if row is None:
        return None
    return MailboxPosition(int(row["uidvalidity"]), int(row["last_uid"]))


def save_position(
    conn: sqlite3.Connection, account: str, folder: str, position: MailboxPosition
) -> None:
    """Remember ``position``; a new UIDVALIDITY simply replaces the old row."""
    conn.execute(
        "INSERT INTO mailbox_positions "
        "(account, folder, uidvalidity, last_uid, updated_at) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (account, folder) DO UPDATE SET "
        "uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, "
        "updated_at = excluded.updated_at",
        (
            account,
            folder,
            position.uidvalidity,
            position.last_uid,
            datetime.now(UTC).isoformat(),
        ),
    )


def all_positions(conn: sqlite3.Connection) -> list[tuple[str, str, MailboxPosition]]:
    """Every folder the listener has read, for ``status``."""
    return [
        (
            row["account"],
            row["folder"],
            MailboxPosition(int(row["uidvalidity"]), int(row["last_uid"])),
        )
        for row in conn.execute(
            "SELECT account, folder, uidvalidity, last_uid FROM mailbox_positions "
            "ORDER BY account, folder"
        )
    ]
