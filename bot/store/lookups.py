"""What was looked up for each paper, so nothing is fetched twice."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class LookupService(StrEnum):
    """One kind of lookup; each is tried at most once per paper until it fails."""

    ARXIV_ID = "arxiv_id"
    OPENALEX_DOI = "openalex_doi"
    OPENALEX_TITLE = "openalex_title"
    ARXIV_TITLE = "arxiv_title"


class LookupStatus(StrEnum):
    """How a lookup ended."""

    FOUND = "found"
    NOT_FOUND = "not_found"
    FAILED = "failed"


@dataclass(frozen=True)
class LookupState:
    """The last outcome of one lookup for one paper."""

    status: LookupStatus
    attempts: int
    tried_at: datetime


def lookup_states(
    conn: sqlite3.Connection, paper_ids: list[int]
) -> dict[tuple[int, LookupService], LookupState]:
    """Every recorded lookup of ``paper_ids``."""
    states: dict[tuple[int, LookupService], LookupState] = {}
    for start in range(0, len(paper_ids), 500):
        chunk = paper_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        # Only "?" placeholders are formatted in; the ids travel as parameters.
        query = f"SELECT * FROM lookups WHERE paper_id IN ({marks})"  # noqa: S608
        rows = conn.execute(query, chunk)
        for row in rows:
            key = (int(row["paper_id"]), LookupService(row["service"]))
            states[key] = LookupState(
                LookupStatus(row["status"]),
                int(row["attempts"]),
                datetime.fromisoformat(row["tried_at"]),
            )
    return states


def record_lookup(
    conn: sqlite3.Connection,
    paper_id: int,
    service: LookupService,
    status: LookupStatus,
    *,
    tried_at: datetime,
    detail: str | None = None,
) -> None:
    """Store the outcome of one lookup; a repeat counts one more attempt."""
    conn.execute(
        "INSERT INTO lookups (paper_id, service, status, attempts, tried_at, detail) "
        "VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (paper_id, service) DO UPDATE SET "
        "status = excluded.status, attempts = attempts + 1, "
        "tried_at = excluded.tried_at, detail = excluded.detail",
        (paper_id, service.value, status.value, tried_at.isoformat(), detail),
    )
