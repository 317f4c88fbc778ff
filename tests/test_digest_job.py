"""Making the digest from the store: sections, delivery marking, dry runs."""

from __future__ import annotations

import json
import sqlite3
from email.message import EmailMessage
from pathlib import Path

from bot.intake.files import iter_raw_messages
from bot.intake.pipeline import IngestLimits
from bot.jobs import ingest_all, make_digest
from bot.rules.settings import DigestSettings
from tests.mail_builders import Result, scholar_alert, scholar_html, scholar_text

SETTINGS = DigestSettings()


def ingest(conn: sqlite3.Connection, path: Path) -> None:
    ingest_all(conn, iter_raw_messages(path), IngestLimits())


def load_json(folder: Path) -> dict[str, object]:
    data = json.loads((folder / "digest.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def papers_of(data: dict[str, object]) -> list[dict[str, object]]:
    sections = data["sections"]
    assert isinstance(sections, list)
    return [paper for section in sections for paper in section["papers"]]


def test_shared_samples_make_the_sections_their_readme_lists(
    conn: sqlite3.Connection, shared_samples: Path, tmp_path: Path
) -> None:
    ingest(conn, shared_samples)
    run = make_digest(conn, tmp_path / "out", SETTINGS)
    names = [section.name.strip('"') for section in run.digest.sections]
    assert sorted(names) == sorted(
        [
            "Ada Lovelace",
            "Grace Hopper",
            "retrieval augmented generation",
            "cs.DC",
            "cs.DB",
            "cs.LG",
        ]
    )
    assert run.digest.paper_count == 12
    numbers = [p["number"] for p in papers_of(load_json(tmp_path / "out"))]
    assert numbers == list(range(1, 13))


def test_written_digest_counts_as_delivered(
    conn: sqlite3.Connection, shared_samples: Path, tmp_path: Path
) -> None:
    ingest(conn, shared_samples)
    first = make_digest(conn, tmp_path / "day1", SETTINGS)
    ingest(conn, shared_samples)  # the same alerts again, a day later
    second = make_digest(conn, tmp_path / "day2", SETTINGS)
    assert first.digest.paper_count == 12
    assert second.digest.paper_count == 0
    assert "No new papers" in (tmp_path / "day2" / "digest.md").read_text()


def test_dry_run_marks_nothing(
    conn: sqlite3.Connection, shared_samples: Path, tmp_path: Path
) -> None:
    ingest(conn, shared_samples)
    preview = make_digest(conn, tmp_path / "preview", SETTINGS, dry_run=True)
    real = make_digest(conn, tmp_path / "real", SETTINGS)
    assert preview.recorded_as is None
    assert preview.digest.paper_count == real.digest.paper_count == 12
    assert "Preview" in (tmp_path / "preview" / "digest.md").read_text()


def test_paper_without_link_or_abstract_still_appears(
    conn: sqlite3.Connection, shared_samples: Path, tmp_path: Path
) -> None:
    ingest(conn, shared_samples / "scholar-citations-zh.eml")
    make_digest(conn, tmp_path / "out", SETTINGS)
    papers = papers_of(load_json(tmp_path / "out"))
    cited = [p for p in papers if str(p["title"]).startswith("A Benchmark for Hybrid")]
    assert len(cited) == 1
    assert cited[0]["url"] is None
    assert cited[0]["abstract_source"] == "none"
    assert "A Benchmark for Hybrid" in (tmp_path / "out" / "digest.html").read_text()


LISTING = """\
\\\\
arXiv:2612.05555
Date: Thu, 3 Dec 2026 09:30:00 GMT   (512kb)

Title: Vector Search with Learned Partitions
Authors: Ana Souza, Bo Li
Categories: cs.DB cs.IR
\\\\
  Partitioned vector indexes trade recall for speed. We learn the partitions
  and show that recall at ten rises by 9% at equal latency.
\\\\ ( https://arxiv.org/abs/2612.05555 ,  512kb)
------------------------------------------------------------------------------
"""


def listing_message() -> bytes:
    message = EmailMessage()
    message["From"] = "send mail ONLY to cs <no-reply@arXiv.org>"
    message["To"] = "reader@example.org"
    message["Subject"] = "cs daily Subj-class mailing 2612 1"
    message["Message-ID"] = "<listing-1@arxiv.org>"
    message["Date"] = "Fri, 04 Dec 2026 01:00:00 +0000"
    message.set_content(LISTING)
    return message.as_bytes()


def alert_message(name: str, folt: str, target: str, number: int) -> bytes:
    result = Result(
        "Vector Search with Learned Partitions",
        "A Souza, B Li - arXiv preprint arXiv:2612.05555, 2026",
        target,
        "Partitioned vector indexes trade recall for speed. We learn",
    )
    alert = scholar_alert(
        f"{name} - new results",
        html_body=scholar_html((result,), folt=folt, followed=name),
        text_body=scholar_text((result,), folt=folt, followed=name),
        message_id=f"<alert-{number}@google.com>",
    )
    return alert.as_bytes()


def test_paper_through_three_alerts_appears_once_listing_them_all(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(
        alert_message("Ada Lovelace", "rel", "https://arxiv.org/abs/2612.05555v1", 1)
    )
    (inbox / "b.eml").write_bytes(
        alert_message('"vector search"', "kw", "https://arxiv.org/pdf/2612.05555", 2)
    )
    (inbox / "c.eml").write_bytes(listing_message())
    ingest(conn, inbox)
    make_digest(conn, tmp_path / "out", SETTINGS)

    papers = papers_of(load_json(tmp_path / "out"))
    assert len(papers) == 1
    assert papers[0]["alerts"] == ["Ada Lovelace", '"vector search"', "arXiv cs"]
    assert papers[0]["abstract_source"] == "arxiv_listing"
    assert papers[0]["authors"] == ["Ana Souza", "Bo Li"]
    assert papers[0]["url"] == "https://arxiv.org/abs/2612.05555"
    assert papers[0]["pdf_url"] == "https://arxiv.org/pdf/2612.05555"
    sources = conn.execute("SELECT COUNT(*) FROM paper_sources").fetchone()[0]
    assert sources == 3
