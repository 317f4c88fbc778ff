"""The outbox: each digest email's exact bytes, and what became of it.

A row is ``pending`` until a server accepts it (``sent``), refuses it for
good (``refused``, a 5yz reply) or it runs out of attempts (``failed``).
When no row of a day's mailing is pending any more, the mailing is settled.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.store.db import transaction

ERROR_MAX_CHARS = 500
PROBLEMS_SHOWN = 50


@dataclass(frozen=True)
class OutboxMessage:
    """One email waiting to be sent: its stored bytes and its attempts so far."""

    id: int
    mailing_id: int
    day: str
    recipient: str
    message_id: str
    subject: str
    raw: bytes
    attempts: int


@dataclass(frozen=True)
class OutboxProblem:
    """A row that will not be sent: refused by the server or out of attempts."""

    recipient: str
    day: str
    status: str
    attempts: int
    error: str


@dataclass(frozen=True)
class OutboxReport:
    """The outbox at a glance, for ``scholar-digest status``."""

    counts: dict[str, int]
    next_attempt_at: str | None
    problems: list[OutboxProblem]


def stamp(moment: datetime) -> str:
    """The text form of a time in this table: UTC, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def add_outbox_message(
    conn: sqlite3.Connection,
    *,
    mailing_id: int,
    recipient: str,
    message_id: str,
    subject: str,
    raw: bytes,
    now: datetime,
    digest_id: int | None = None,
) -> int:
    """Queue ``raw`` for ``recipient``, due at once; return the row id.

    ``digest_id`` is the recipient's own digest, whose papers go back to
    pending if this email is refused for good.

    Runs inside the caller's transaction. A second call for the same mailing
    and recipient keeps the first bytes: those are what a resend must repeat.
    """
    conn.execute(
        "INSERT INTO outbox (mailing_id, recipient, message_id, subject, raw, "
        "status, attempts, next_attempt_at, digest_id) "
        "VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) "
        "ON CONFLICT (mailing_id, recipient) DO NOTHING",
        (mailing_id, recipient, message_id, subject, raw, stamp(now), digest_id),
    )
    row = conn.execute(
        "SELECT id FROM outbox WHERE mailing_id = ? AND recipient = ?",
        (mailing_id, recipient),
    ).fetchone()
    return int(row["id"])


def due_messages(conn: sqlite3.Connection, now: datetime) -> list[OutboxMessage]:
    """Pending rows whose next attempt is due, oldest first.

    A row never tried is due whatever ``now`` says: a clock set back (an
    NTP step, a restart with a fixed test clock) must not hold a new digest.
    """
    rows = conn.execute(
        "SELECT o.id, o.mailing_id, m.day, o.recipient, o.message_id, o.subject, "
        "o.raw, o.attempts FROM outbox o JOIN mailings m ON m.id = o.mailing_id "
        "WHERE o.status = 'pending' AND (o.attempts = 0 OR o.next_attempt_at <= ?) "
        "ORDER BY o.id",
        (stamp(now),),
    )
    return [
        OutboxMessage(
            id=int(row["id"]),
            mailing_id=int(row["mailing_id"]),
            day=str(row["day"]),
            recipient=str(row["recipient"]),
            message_id=str(row["message_id"]),
            subject=str(row["subject"]),
            raw=bytes(row["raw"]),
            attempts=int(row["attempts"]),
        )
        for row in rows
    ]


def mark_sent(conn: sqlite3.Connection, outbox_id: int, now: datetime) -> None:
    """A server accepted the row's email."""
    with transaction(conn):
        conn.execute(
            "UPDATE outbox SET status = 'sent', attempts = attempts + 1, "
            "sent_at = ? WHERE id = ? AND status = 'pending'",
            (stamp(now), outbox_id),
        )


def mark_deferred(
    conn: sqlite3.Connection,
    outbox_id: int,
    *,
    next_attempt_at: datetime,
    error: str,
    max_attempts: int,
) -> str:
    """Count a failed attempt; return the new status.

    The row stays ``pending`` until ``next_attempt_at``, or becomes
    ``failed`` once it has had ``max_attempts`` attempts.
    """
    with transaction(conn):
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, "
            "last_error = ?, status = CASE WHEN attempts + 1 >= ? "
            "THEN 'failed' ELSE 'pending' END WHERE id = ? AND status = 'pending'",
            (stamp(next_attempt_at), error[:ERROR_MAX_CHARS], max_attempts, outbox_id),
        )
        row = conn.execute(
            "SELECT status FROM outbox WHERE id = ?", (outbox_id,)
        ).fetchone()
    return str(row["status"])


def mark_refused(conn: sqlite3.Connection, outbox_id: int, *, error: str) -> None:
    """The server refused the row's recipient for good (a 5yz reply)."""
    with transaction(conn):
        conn.execute(
            "UPDATE outbox SET status = 'refused', attempts = attempts + 1, "
            "last_error = ? WHERE id = ? AND status = 'pending'",
            (error[:ERROR_MAX_CHARS], outbox_id),
        )


def settle_mailing(
    conn: sqlite3.Connection, mailing_id: int, now: datetime
) -> str | None:
    """Close a mailing none of whose emails is pending; return its new status.

    ``sent`` when a server accepted at least one of its emails. Otherwise
    ``failed``, and its papers are released into the next digest: a paper
    counts as delivered only once a digest holding it was accepted.
    Returns None while an email is still pending or if already settled.
    """
    with transaction(conn):
        mailing = conn.execute(
            "SELECT status, digest_id FROM mailings WHERE id = ?", (mailing_id,)
        ).fetchone()
        if mailing is None or mailing["status"] != "pending":
            return None
        counts = dict(
            conn.execute(
                "SELECT status, COUNT(*) FROM outbox WHERE mailing_id = ? "
                "GROUP BY status",
                (mailing_id,),
            ).fetchall()
        )
        if counts.get("pending"):
            return None

        status = "sent" if counts.get("sent") else "failed"
        conn.execute(
            "UPDATE mailings SET status = ?, finished_at = ? WHERE id = ?",
            (status, stamp(now), mailing_id),
        )
        _settle_digests(conn, mailing_id, mailing["digest_id"])
    return status


def _settle_digests(
    conn: sqlite3.Connection, mailing_id: int, shared_digest: int | None
) -> None:
    # Each digest counts as sent once a server accepted an email holding it;
    # a digest no server accepted gives its papers back to its recipient's
    # pending pile, so they go out in the next one.
    rows = conn.execute(
        "SELECT COALESCE(digest_id, ?) AS digest, "
        "MAX(status = 'sent') AS accepted FROM outbox WHERE mailing_id = ? "
        "GROUP BY COALESCE(digest_id, ?)",
        (shared_digest, mailing_id, shared_digest),
    ).fetchall()
    for row in rows:
        if row["digest"] is None:
            continue
        if row["accepted"]:
            conn.execute(
                "UPDATE digests SET status = 'sent' WHERE id = ?", (row["digest"],)
            )
        else:
            conn.execute(
                "DELETE FROM digest_papers WHERE digest_id = ?", (row["digest"],)
            )


def settle_open_mailings(conn: sqlite3.Connection, now: datetime) -> None:
    """Settle pending mailings whose last email was finished by a process that died.

    Marking an email sent and settling its mailing are two commits; a crash
    between them leaves a finished mailing pending with nothing due to
    settle it, so every flush starts here.
    """
    open_ids = [
        int(row[0])
        for row in conn.execute("SELECT id FROM mailings WHERE status = 'pending'")
    ]
    for mailing_id in open_ids:
        settle_mailing(conn, mailing_id, now)


def outbox_report(conn: sqlite3.Connection) -> OutboxReport:
    """Rows by status, the next retry, and the latest rows that will not go out."""
    counts = {
        str(row[0]): int(row[1])
        for row in conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status")
    }
    upcoming = conn.execute(
        "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'"
    ).fetchone()[0]
    problems = [
        OutboxProblem(
            recipient=str(row["recipient"]),
            day=str(row["day"]),
            status=str(row["status"]),
            attempts=int(row["attempts"]),
            error=str(row["last_error"] or ""),
        )
        for row in conn.execute(
            "SELECT o.recipient, m.day, o.status, o.attempts, o.last_error "
            "FROM outbox o JOIN mailings m ON m.id = o.mailing_id "
            "WHERE o.status IN ('refused', 'failed') "
            "ORDER BY o.id DESC LIMIT ?",
            (PROBLEMS_SHOWN,),
        )
    ]
    return OutboxReport(counts, upcoming, problems)
