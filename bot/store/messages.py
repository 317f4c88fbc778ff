"""Messages seen, keyed by Message-ID and content hash, with their outcome."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class MessageStatus(StrEnum):
    """What became of a message."""

    PARSED = "parsed"
    SKIPPED = "skipped"
    FAILED = "failed"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class SeenMessage:
    """A message the store already knows."""

    row_id: int
    status: MessageStatus
    attempts: int


def content_hash(raw: bytes) -> str:
    """A hash of the message that ignores CRLF vs LF line ends.

    IMAP hands out CRLF, files on disk usually hold LF: the same message read
    both ways must count as one.
    """
    return hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()


def find_seen(conn: sqlite3.Connection, digest: str) -> SeenMessage | None:
    """The stored message with exactly this content (CRLF or LF), if any.

    The Message-ID alone does not make a duplicate: a cut copy of an alert
    and the whole one share it, and so do senders that leave it empty. A
    second copy is read again; its papers merge into the ones already stored.
    """
    row = conn.execute(
        "SELECT id, status, attempts FROM messages WHERE content_hash = ?", (digest,)
    ).fetchone()
    if row is None:
        return None
    return SeenMessage(int(row["id"]), MessageStatus(row["status"]), row["attempts"])


def record_outcome(
    conn: sqlite3.Connection,
    *,
    digest: str,
    message_id: str | None,
    origin: str,
    sender: str | None,
    subject: str | None,
    status: MessageStatus,
    papers_found: int = 0,
    error: str | None = None,
) -> int:
    """Insert or update the message row; a retry counts one more attempt."""
    now = datetime.now(UTC).isoformat()
    row = conn.execute(
        "SELECT id FROM messages WHERE content_hash = ?", (digest,)
    ).fetchone()
    if row is None:
        cursor = conn.execute(
            "INSERT INTO messages (message_id, content_hash, origin, sender, subject, "
            "status, attempts, error, papers_found, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            (
                message_id,
                digest,
                origin,
                sender,
                subject,
                status.value,
                error,
                papers_found,
                now,
                now,
            ),
        )
        return int(cursor.lastrowid or 0)
    conn.execute(
        "UPDATE messages SET status = ?, attempts = attempts + 1, error = ?, "
        "papers_found = ?, last_seen = ?, origin = ?, "
        "sender = COALESCE(?, sender), subject = COALESCE(?, subject) WHERE id = ?",
        (status.value, error, papers_found, now, origin, sender, subject, row["id"]),
    )
    return int(row["id"])


def release_quarantined(conn: sqlite3.Connection, row_id: int) -> None:
    """Let a quarantined message be tried again from its first attempt."""
    conn.execute(
        "UPDATE messages SET status = 'failed', attempts = 0 "
        "WHERE id = ? AND status = 'quarantined'",
        (row_id,),
    )
