"""Model-written summaries, cached so a paper is summarized once per setting."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.summarize.base import Summary


@dataclass(frozen=True)
class SummaryKey:
    """What a cached summary depends on besides the paper."""

    model: str
    language: str
    prompt_version: str


def cached_summary(
    conn: sqlite3.Connection, paper_id: int, key: SummaryKey, text_hash: str
) -> Summary | None:
    """The cached summary, unless the text it was written from has changed.

    A paper whose abstract arrived after its snippet was summarized has a new
    ``text_hash``: the snippet summary is stale and written again.
    """
    row = conn.execute(
        "SELECT * FROM summaries WHERE paper_id = ? AND model = ? AND language = ? "
        "AND prompt_version = ?",
        (paper_id, key.model, key.language, key.prompt_version),
    ).fetchone()
    if row is None or row["text_hash"] != text_hash:
        return None
    return Summary(
        tldr=row["tldr"],
        motivation=row["motivation"],
        method=row["method"],
        result=row["result"],
        conclusion=row["conclusion"],
        source=row["source"],
    )


def store_summary(
    conn: sqlite3.Connection,
    paper_id: int,
    key: SummaryKey,
    text_hash: str,
    summary: Summary,
    *,
    cost_usd: float | None,
    created_at: datetime,
) -> None:
    """Keep a model-written summary, replacing a stale one for the same key.

    Replacing a summary written the same (UTC) day keeps its cost in the
    day's total: both calls were paid for today.
    """
    conn.execute(
        "INSERT INTO summaries (paper_id, model, language, "
        "prompt_version, text_hash, tldr, motivation, method, result, conclusion, "
        "source, cost_usd, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (paper_id, model, language, prompt_version) DO UPDATE SET "
        "text_hash = excluded.text_hash, tldr = excluded.tldr, "
        "motivation = excluded.motivation, method = excluded.method, "
        "result = excluded.result, conclusion = excluded.conclusion, "
        "source = excluded.source, "
        "cost_usd = CASE WHEN substr(created_at, 1, 10) = "
        "substr(excluded.created_at, 1, 10) "
        "THEN COALESCE(cost_usd, 0) + COALESCE(excluded.cost_usd, 0) "
        "ELSE excluded.cost_usd END, "
        "created_at = excluded.created_at",
        (
            paper_id,
            key.model,
            key.language,
            key.prompt_version,
            text_hash,
            summary.tldr,
            summary.motivation,
            summary.method,
            summary.result,
            summary.conclusion,
            summary.source,
            cost_usd,
            created_at.isoformat(),
        ),
    )


def usage_since(conn: sqlite3.Connection, since: datetime) -> tuple[int, float]:
    """Papers summarized by a model and dollars spent since ``since``."""
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(cost_usd), 0) FROM summaries "
        "WHERE created_at >= ?",
        (since.isoformat(),),
    ).fetchone()
    return int(row[0]), float(row[1])
