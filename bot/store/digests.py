"""Digests written or sent, and which papers went out in each."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DigestPlacement:
    """Where one paper appeared in a digest."""

    paper_id: int
    section: str
    number: int


def record_digest(
    conn: sqlite3.Connection,
    *,
    created_at: datetime,
    status: str,
    out_dir: str | None,
    placements: Sequence[DigestPlacement],
    audience: str | None = None,
    sources_upto: int | None = None,
) -> int:
    """Store a delivered digest; its papers stop being pending for ``audience``.

    ``sources_upto`` is the newest paper source the digest was made from: a
    later one means a new alert carried one of its papers again.
    """
    cursor = conn.execute(
        "INSERT INTO digests (created_at, status, out_dir, paper_count, audience, "
        "sources_upto) VALUES (?, ?, ?, ?, ?, ?)",
        (
            created_at.isoformat(),
            status,
            out_dir,
            sum(1 for placement in placements if placement.number > 0),
            audience,
            sources_upto,
        ),
    )
    digest_id = int(cursor.lastrowid or 0)
    conn.executemany(
        "INSERT INTO digest_papers (digest_id, paper_id, section, number) "
        "VALUES (?, ?, ?, ?)",
        [(digest_id, p.paper_id, p.section, p.number) for p in placements],
    )
    return digest_id
