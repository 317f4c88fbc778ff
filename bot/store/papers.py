"""Papers and the alerts each came through, merged on the paper key."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.enrich.merge import merge_records, titles_agree
from bot.models import AbstractSource, Alert, LinkKind, PaperRecord, paper_key


@dataclass(frozen=True)
class PaperSource:
    """One alert a paper came through, as stored."""

    alert_key: str
    alert: Alert
    position: int
    marker: str | None
    link: str | None
    link_kind: LinkKind
    title_seen: str
    forwarder: str | None


@dataclass(frozen=True)
class AlertSeen:
    """One alert that carried a paper: what rules and subscribers look at."""

    name: str
    kind: str
    source_kind: str
    forwarder: str | None


@dataclass(frozen=True)
class StoredPaper:
    """A paper with its row id, the alerts that carried it and when it arrived."""

    row_id: int
    record: PaperRecord
    alert_names: tuple[str, ...]
    first_alert_name: str
    first_source_kind: str
    first_seen: str
    first_position: int
    alerts_seen: tuple[AlertSeen, ...] = ()


def upsert_paper(conn: sqlite3.Connection, incoming: PaperRecord) -> tuple[int, bool]:
    """Store ``incoming``, merged into the record of the same paper if known.

    Returns the paper's row id and whether the paper is new to the store.

    Same key: one paper. Otherwise a paper whose title agrees (see
    :func:`titles_agree`) is the same paper, so a cut title seen once through
    a publisher link and once with an arXiv id ends up as one record; the
    stronger key (arXiv over DOI over title) is kept.
    """
    existing_id, existing = _find_same_paper(conn, incoming)
    now = datetime.now(UTC).isoformat()
    if existing is None or existing_id is None:
        cursor = conn.execute(
            "INSERT INTO papers (key, first_seen, updated_at, title, title_norm, "
            "abstract_source) VALUES (?, ?, ?, ?, ?, ?)",
            (incoming.key, now, now, incoming.title, incoming.title_norm, "none"),
        )
        row_id = int(cursor.lastrowid or 0)
        _write(conn, row_id, incoming, now)
        return row_id, True

    merged = merge_records(existing, incoming)
    if _key_strength(incoming.key) > _key_strength(existing.key):
        merged.key = incoming.key
    _write(conn, existing_id, merged, now)
    return existing_id, False


def add_source(
    conn: sqlite3.Connection, paper_id: int, message_row: int, source: PaperSource
) -> bool:
    """Record that ``paper_id`` came through an alert; False if already known."""
    alert = source.alert
    cursor = conn.execute(
        "INSERT OR IGNORE INTO paper_sources (paper_id, message_row, alert_key, "
        "alert_name, alert_kind, source_kind, position, marker, link, link_kind, "
        "title_seen, forwarder, alert_sent_at, seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            paper_id,
            message_row,
            source.alert_key,
            alert.name,
            alert.kind.value,
            alert.source.value,
            source.position,
            source.marker,
            source.link,
            source.link_kind.value,
            source.title_seen,
            source.forwarder,
            alert.sent_at.isoformat() if alert.sent_at else None,
            datetime.now(UTC).isoformat(),
        ),
    )
    return cursor.rowcount > 0


def pending_papers(
    conn: sqlite3.Connection, audience: str | None = None
) -> list[StoredPaper]:
    """Papers not yet in a digest for ``audience``, in arrival order.

    ``None`` is the digest written to files; an address is that recipient's
    emailed digest, which also counts digests once shared by every recipient.
    """
    rows = conn.execute(
        "SELECT * FROM papers p WHERE NOT EXISTS (SELECT 1 FROM digest_papers dp "
        "JOIN digests d ON d.id = dp.digest_id WHERE dp.paper_id = p.id AND ("
        "(:audience IS NULL AND d.audience IS NULL) OR "
        "(:audience IS NOT NULL AND d.audience IN (:audience, '*')))) "
        "ORDER BY p.id",
        {"audience": audience},
    ).fetchall()
    return [_stored(conn, row) for row in rows]


def newest_source(conn: sqlite3.Connection) -> int:
    """The id of the newest paper source: what a digest made now has seen."""
    return int(
        conn.execute("SELECT COALESCE(MAX(id), 0) FROM paper_sources").fetchone()[0]
    )


def resurfaced_papers(
    conn: sqlite3.Connection, audience: str | None = None
) -> list[tuple[StoredPaper, str]]:
    """Papers already sent to ``audience`` that a newer alert carried again.

    Each comes with the date of the digest that last listed it. A paper a
    rule dropped does not come back this way.
    """
    rows = conn.execute(
        "SELECT p.*, ld.created_at AS last_sent FROM papers p JOIN ("
        " SELECT dp.paper_id, MAX(d.id) AS digest_id FROM digest_papers dp"
        " JOIN digests d ON d.id = dp.digest_id WHERE ("
        "  (:audience IS NULL AND d.audience IS NULL) OR"
        "  (:audience IS NOT NULL AND d.audience IN (:audience, '*')))"
        " GROUP BY dp.paper_id HAVING MAX(dp.number) > 0) last"
        " ON last.paper_id = p.id "
        "JOIN digests ld ON ld.id = last.digest_id "
        "WHERE EXISTS (SELECT 1 FROM paper_sources s WHERE s.paper_id = p.id "
        "AND s.id > COALESCE(ld.sources_upto, s.id)) ORDER BY p.id",
        {"audience": audience},
    ).fetchall()
    return [(_stored(conn, row), str(row["last_sent"])[:10]) for row in rows]


def placed_papers(conn: sqlite3.Connection, digest_id: int) -> list[StoredPaper]:
    """The papers of one digest (dropped ones included), in their order."""
    rows = conn.execute(
        "SELECT p.* FROM papers p JOIN digest_papers dp ON dp.paper_id = p.id "
        "WHERE dp.digest_id = ? ORDER BY dp.number = 0, dp.number, p.id",
        (digest_id,),
    ).fetchall()
    return [_stored(conn, row) for row in rows]


def _stored(conn: sqlite3.Connection, row: sqlite3.Row) -> StoredPaper:
    sources = conn.execute(
        "SELECT alert_name, alert_kind, source_kind, forwarder, seen_at, position "
        "FROM paper_sources WHERE paper_id = ? ORDER BY id",
        (row["id"],),
    ).fetchall()
    names = tuple(dict.fromkeys(source["alert_name"] for source in sources))
    first = sources[0] if sources else None
    seen = tuple(
        dict.fromkeys(
            AlertSeen(
                source["alert_name"],
                source["alert_kind"],
                source["source_kind"],
                source["forwarder"],
            )
            for source in sources
        )
    )
    return StoredPaper(
        row_id=int(row["id"]),
        record=_record(row),
        alert_names=names,
        alerts_seen=seen,
        first_alert_name=first["alert_name"] if first else "",
        first_source_kind=first["source_kind"] if first else "scholar",
        first_seen=first["seen_at"] if first else row["first_seen"],
        first_position=int(first["position"]) if first else 0,
    )


def _find_same_paper(
    conn: sqlite3.Connection, incoming: PaperRecord
) -> tuple[int | None, PaperRecord | None]:
    row = conn.execute("SELECT * FROM papers WHERE key = ?", (incoming.key,)).fetchone()
    if row is not None:
        return int(row["id"]), _record(row)
    if not incoming.title_norm:
        return None, None

    # Candidates share the first words of the title; the prefix keeps the
    # lookup on the index instead of scanning every paper.
    head = incoming.title_norm[:24]
    candidates = conn.execute(
        "SELECT * FROM papers WHERE title_norm >= ? AND title_norm < ?",
        (head, head + "\uffff"),
    ).fetchall()
    for candidate in candidates:
        record = _record(candidate)
        if _keys_conflict(record, incoming):
            continue
        if titles_agree(record, incoming):
            return int(candidate["id"]), record
    return None, None


def _keys_conflict(a: PaperRecord, b: PaperRecord) -> bool:
    """Two different arXiv ids or DOIs are two papers, whatever the titles say."""
    if a.arxiv_id and b.arxiv_id and a.arxiv_id != b.arxiv_id:
        return True
    return bool(a.doi and b.doi and a.doi.lower() != b.doi.lower())


def _key_strength(key: str) -> int:
    return {"arxiv": 3, "doi": 2}.get(key.split(":", 1)[0], 1)


def _write(
    conn: sqlite3.Connection, row_id: int, record: PaperRecord, now: str
) -> None:
    conn.execute(
        "UPDATE papers SET key = ?, arxiv_id = ?, arxiv_version = ?, doi = ?, "
        "title = ?, title_norm = ?, title_truncated = ?, authors = ?, "
        "authors_truncated = ?, venue = ?, year = ?, url = ?, abstract = ?, "
        "abstract_source = ?, snippet = ?, categories = ?, comments = ?, "
        "updated_at = ? WHERE id = ?",
        (
            record.key,
            record.arxiv_id,
            record.arxiv_version,
            record.doi,
            record.title,
            record.title_norm,
            int(record.title_truncated),
            json.dumps(record.authors, ensure_ascii=False),
            int(record.authors_truncated),
            record.venue,
            record.year,
            record.url,
            record.abstract,
            record.abstract_source.value,
            record.snippet,
            json.dumps(record.categories),
            record.comments,
            now,
            row_id,
        ),
    )


def _record(row: sqlite3.Row) -> PaperRecord:
    return PaperRecord(
        key=row["key"],
        title=row["title"],
        title_norm=row["title_norm"],
        title_truncated=bool(row["title_truncated"]),
        authors=list(json.loads(row["authors"])),
        authors_truncated=bool(row["authors_truncated"]),
        venue=row["venue"],
        year=row["year"],
        arxiv_id=row["arxiv_id"],
        arxiv_version=row["arxiv_version"],
        doi=row["doi"],
        url=row["url"],
        abstract=row["abstract"],
        abstract_source=AbstractSource(row["abstract_source"]),
        snippet=row["snippet"],
        categories=list(json.loads(row["categories"])),
        comments=row["comments"],
    )


def load_paper(conn: sqlite3.Connection, row_id: int) -> PaperRecord | None:
    """The current record of one paper."""
    row = conn.execute("SELECT * FROM papers WHERE id = ?", (row_id,)).fetchone()
    return _record(row) if row is not None else None


def improve_paper(conn: sqlite3.Connection, row_id: int, found: PaperRecord) -> int:
    """Merge a looked-up record into paper ``row_id``; return the row it lives in.

    When the lookup gives the paper a stronger key (an arXiv id found for a
    publisher link) and another row already holds that key, the two rows are
    one paper: they are folded into the older row, sources and all.
    """
    current = load_paper(conn, row_id)
    if current is None:
        raise KeyError(row_id)
    merged = merge_records(current, found)
    wanted = paper_key_of(merged)
    if _key_strength(wanted) > _key_strength(merged.key):
        merged.key = wanted

    other = conn.execute(
        "SELECT id FROM papers WHERE key = ? AND id != ?", (merged.key, row_id)
    ).fetchone()
    now = datetime.now(UTC).isoformat()
    if other is None:
        _write(conn, row_id, merged, now)
        return row_id

    other_id = int(other["id"])
    other_record = load_paper(conn, other_id)
    assert other_record is not None
    # Both records are merged whichever row survives: the older row keeps
    # its id, the newer one's richer fields (a listing's abstract) stay.
    keep, drop = sorted((other_id, row_id))
    if keep == row_id:
        folded = merge_records(merged, other_record)
    else:
        folded = merge_records(other_record, merged)
    folded.key = merged.key
    _fold_rows(conn, keep=keep, drop=drop)
    _write(conn, keep, folded, now)
    return keep


def paper_key_of(record: PaperRecord) -> str:
    """The key a record deserves from what it now knows."""
    year = record.year if record.key.startswith("title:") else None
    return paper_key(record.arxiv_id, record.doi, record.title_norm, year)


def _fold_rows(conn: sqlite3.Connection, *, keep: int, drop: int) -> None:
    # Sources move (skipping ones the kept paper already has from the same
    # alert), the dropped paper's lookups and digest placements go with it.
    conn.execute(
        "UPDATE OR IGNORE paper_sources SET paper_id = ? WHERE paper_id = ?",
        (keep, drop),
    )
    conn.execute("DELETE FROM paper_sources WHERE paper_id = ?", (drop,))
    conn.execute(
        "UPDATE OR IGNORE digest_papers SET paper_id = ? WHERE paper_id = ?",
        (keep, drop),
    )
    conn.execute("DELETE FROM digest_papers WHERE paper_id = ?", (drop,))
    conn.execute("DELETE FROM lookups WHERE paper_id = ?", (drop,))
    conn.execute("DELETE FROM summaries WHERE paper_id = ?", (drop,))
    conn.execute("DELETE FROM papers WHERE id = ?", (drop,))
