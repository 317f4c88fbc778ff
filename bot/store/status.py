"""Counts for ``scholar-digest status``."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class FailedMessage:
    """A message that could not be processed, for the status report."""

    message_id: str | None
    origin: str
    status: str
    attempts: int
    error: str | None


@dataclass(frozen=True)
class StoreStatus:
    """What the store holds, in a few numbers."""

    messages_by_status: dict[str, int]
    papers_total: int
    papers_pending: int
    papers_unsent: int
    last_digest_at: str | None
    last_digest_id: int | None
    last_digest_papers: int
    failures: tuple[FailedMessage, ...]


def read_status(conn: sqlite3.Connection, *, failures_shown: int = 10) -> StoreStatus:
    """Summarise the store without changing it."""
    by_status = {
        row["status"]: int(row["n"])
        for row in conn.execute(
            "SELECT status, COUNT(*) AS n FROM messages GROUP BY status"
        )
    }
    total = int(conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0])
    pending = int(
        conn.execute(
            "SELECT COUNT(*) FROM papers "
            "WHERE id NOT IN (SELECT paper_id FROM digest_papers)"
        ).fetchone()[0]
    )
    # In a digest already queued for mail, not yet accepted by the server.
    unsent = int(
        conn.execute(
            "SELECT COUNT(DISTINCT dp.paper_id) FROM digest_papers dp "
            "JOIN outbox o ON o.digest_id = dp.digest_id "
            "WHERE o.status = 'pending' AND dp.number > 0"
        ).fetchone()[0]
    )
    last = conn.execute(
        "SELECT id, created_at, paper_count FROM digests ORDER BY id DESC LIMIT 1"
    ).fetchone()
    failures = tuple(
        FailedMessage(
            row["message_id"],
            row["origin"],
            row["status"],
            row["attempts"],
            row["error"],
        )
        for row in conn.execute(
            "SELECT message_id, origin, status, attempts, error FROM messages "
            "WHERE status IN ('failed', 'quarantined') ORDER BY last_seen DESC LIMIT ?",
            (failures_shown,),
        )
    )
    return StoreStatus(
        messages_by_status=by_status,
        papers_total=total,
        papers_pending=pending,
        papers_unsent=unsent,
        last_digest_at=last["created_at"] if last else None,
        last_digest_id=int(last["id"]) if last else None,
        last_digest_papers=int(last["paper_count"]) if last else 0,
        failures=failures,
    )
