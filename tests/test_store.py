"""The SQLite store: pragmas, migrations, paper merging."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.errors import MigrationError
from bot.models import AbstractSource, PaperRecord, paper_key
from bot.store import open_store
from bot.store.db import transaction
from bot.store.migrations import MIGRATIONS, applied_version
from bot.store.papers import upsert_paper
from bot.text import normalize_title


def make_record(title: str, **fields: object) -> PaperRecord:
    norm = normalize_title(title)
    arxiv_id = fields.get("arxiv_id")
    doi = fields.get("doi")
    year = fields.get("year")
    key = paper_key(
        arxiv_id if isinstance(arxiv_id, str) else None,
        doi if isinstance(doi, str) else None,
        norm,
        year if isinstance(year, int) else None,
    )
    return PaperRecord(key=key, title=title, title_norm=norm, **fields)  # type: ignore[arg-type]


def test_store_uses_wal_full_sync_and_a_busy_timeout(conn: sqlite3.Connection) -> None:
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_every_migration_is_recorded_once(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    open_store(path).close()
    conn = open_store(path)  # a second open applies nothing again
    rows = conn.execute("SELECT version FROM schema_migrations").fetchall()
    assert [row[0] for row in rows] == [m.version for m in MIGRATIONS]


def test_store_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    conn = open_store(path)
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'from the future', 'now')")
    conn.close()
    with pytest.raises(MigrationError, match="newer"):
        open_store(path)


def test_failed_migration_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.store import migrations

    broken = migrations.Migration(
        MIGRATIONS[-1].version + 1,
        "broken on purpose",
        ("CREATE TABLE half_done (x)", "THIS IS NOT SQL"),
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(MigrationError, match="broken on purpose"):
        open_store(tmp_path / "store.sqlite3")
    conn = sqlite3.connect(tmp_path / "store.sqlite3")
    assert applied_version(conn) == MIGRATIONS[-1].version
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables


def test_same_arxiv_id_is_one_paper_and_the_full_title_wins(
    conn: sqlite3.Connection,
) -> None:
    cut = make_record(
        "Towards Trustworthy Evaluation of Retrieval Systems in",
        arxiv_id="2612.00001",
        title_truncated=True,
    )
    whole = make_record(
        "Towards Trustworthy Evaluation of Retrieval Systems in Science",
        arxiv_id="2612.00001",
    )
    with transaction(conn):
        first, created_first = upsert_paper(conn, cut)
        second, created_second = upsert_paper(conn, whole)
    assert first == second
    assert (created_first, created_second) == (True, False)
    row = conn.execute("SELECT title, title_truncated FROM papers").fetchone()
    assert row["title"].endswith("in Science")
    assert row["title_truncated"] == 0


def test_cut_title_without_ids_merges_into_the_arxiv_paper_by_prefix(
    conn: sqlite3.Connection,
) -> None:
    cut = make_record(
        "Learned Index Structures Under Adversarial Workloads and",
        title_truncated=True,
        year=2026,
    )
    listed = make_record(
        "Learned Index Structures Under Adversarial Workloads and Drift",
        arxiv_id="2612.04444",
        abstract="We study learned indexes.",
        abstract_source=AbstractSource.LISTING,
    )
    with transaction(conn):
        upsert_paper(conn, cut)
        upsert_paper(conn, listed)
    rows = conn.execute("SELECT key, abstract_source FROM papers").fetchall()
    assert [(r["key"], r["abstract_source"]) for r in rows] == [
        ("arxiv:2612.04444", "arxiv_listing")
    ]


def test_same_title_in_different_years_stays_two_papers(
    conn: sqlite3.Connection,
) -> None:
    with transaction(conn):
        upsert_paper(conn, make_record("Annual Survey of Query Engines", year=2025))
        upsert_paper(conn, make_record("Annual Survey of Query Engines", year=2026))
    years = [row[0] for row in conn.execute("SELECT year FROM papers ORDER BY id")]
    assert years == [2025, 2026]


def test_two_arxiv_ids_with_the_same_title_stay_two_papers(
    conn: sqlite3.Connection,
) -> None:
    with transaction(conn):
        upsert_paper(conn, make_record("A Short Note on Joins", arxiv_id="2601.00001"))
        upsert_paper(conn, make_record("A Short Note on Joins", arxiv_id="2601.00002"))
    assert conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 2


def test_snippet_is_replaced_by_a_listing_abstract_not_the_reverse(
    conn: sqlite3.Connection,
) -> None:
    listed = make_record(
        "Robust Plans",
        arxiv_id="2601.00003",
        abstract="The whole abstract.",
        abstract_source=AbstractSource.LISTING,
    )
    snippet = make_record(
        "Robust Plans",
        arxiv_id="2601.00003",
        abstract="Three lines …",
        abstract_source=AbstractSource.SNIPPET,
        snippet="Three lines …",
    )
    with transaction(conn):
        upsert_paper(conn, listed)
        upsert_paper(conn, snippet)
    row = conn.execute(
        "SELECT abstract, abstract_source, snippet FROM papers"
    ).fetchone()
    assert row["abstract"] == "The whole abstract."
    assert row["abstract_source"] == "arxiv_listing"
    assert row["snippet"] == "Three lines …"
