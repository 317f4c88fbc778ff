"""Enrichment inside the digest job, against stand-ins for arXiv and OpenAlex."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.enrich.arxiv_client import ArxivClient
from bot.enrich.enricher import UNAVAILABLE_NOTE, Enricher, RetryPolicy
from bot.enrich.http import PoliteClient
from bot.enrich.openalex_client import OpenAlexClient
from bot.intake.pipeline import IngestLimits, ingest_message
from bot.jobs import make_digest
from bot.rules.settings import DigestSettings
from tests.mail_builders import Result, scholar_alert, scholar_html, scholar_text
from tests.stubs.arxiv_stub import ArxivStub, Canned, StubEntry
from tests.stubs.openalex_stub import OpenAlexStub, make_work
from tests.support import run_cli

ARXIV_TITLE = "Speculative Prefetching for Disaggregated Key-Value Caches at Scale"
ARXIV_ABSTRACT = "Long-context serving spills the cache to remote memory. We prefetch."
ACM_TITLE = "Adaptive Histograms for Streaming Cardinality Estimation"
ACM_ABSTRACT = "Histograms go stale. We re-split only buckets whose bound fails."
COPY_TITLE = "Learned Join Orders Under Uncertainty"
COPY_ABSTRACT = "Join ordering relies on estimates. We attach calibrated uncertainty."
CLUSTER_TITLE = "A Benchmark for Hybrid Retrieval over Tables and Free Text"
CLUSTER_ABSTRACT = "Hybrid retrieval mixes tables and text. We release a benchmark."


def alert_bytes(results: tuple[Result, ...], number: int = 1) -> bytes:
    return scholar_alert(
        "Ada Lovelace - new related research",
        html_body=scholar_html(results),
        text_body=scholar_text(results),
        message_id=f"<enrich-{number}@google.com>",
    ).as_bytes()


RESULTS = (
    Result(
        ARXIV_TITLE[:48] + " …",
        "J Lindqvist, P Achterberg - arXiv preprint arXiv:2612.04417, 2026",
        "https://arxiv.org/pdf/2612.04417",
        "Long-context serving spills the cache to remote memory. We",
    ),
    Result(
        ACM_TITLE,
        "E Varga, S Pillai - Proceedings of the ACM on Management of Data, 2026",
        "https://dl.acm.org/doi/10.1145/3786154.3786171",
        "Histograms go stale. We re-split only",
    ),
    Result(
        COPY_TITLE,
        "D Chen, E Novak - Information Systems, 2026",
        "https://www.sciencedirect.com/science/article/pii/S0306437926000123",
        "Join ordering relies on estimates. We",
    ),
    Result(
        CLUSTER_TITLE,
        "P Silva, Q Li - 2026",
        "https://www.example-publisher.org/papers/hybrid-benchmark",
        "Hybrid retrieval mixes tables and text",
    ),
)


def stand_ins() -> tuple[ArxivStub, OpenAlexStub]:
    arxiv = ArxivStub(
        [
            StubEntry(
                "2612.04417",
                ARXIV_TITLE,
                summary=ARXIV_ABSTRACT,
                version=2,
                authors=("Johan Lindqvist", "Petra Achterberg"),
                primary_category="cs.DC",
                categories=("cs.DC", "cs.LG"),
                published="2026-12-01T18:00:00Z",
            ),
            StubEntry(
                "2612.07777",
                COPY_TITLE,
                summary=COPY_ABSTRACT,
                authors=("David Chen", "Eva Novak"),
                primary_category="cs.DB",
                categories=("cs.DB",),
                published="2026-11-20T18:00:00Z",
            ),
        ]
    )
    openalex = OpenAlexStub(
        [
            make_work(
                "W1",
                ACM_TITLE,
                doi="10.1145/3786154.3786171",
                year=2026,
                authors=("Eszter Varga", "Sanjay Pillai"),
                abstract=ACM_ABSTRACT,
                venue="Proceedings of the ACM on Management of Data",
            ),
            make_work(
                "W2",
                COPY_TITLE,
                doi="10.1016/j.is.2026.102345",
                year=2026,
                authors=("David Chen", "Eva Novak"),
                abstract=None,
                locations=[{"landing_page_url": "https://arxiv.org/abs/2612.07777v1"}],
            ),
            make_work(
                "W3",
                CLUSTER_TITLE,
                year=2026,
                authors=("Paula Silva", "Qing Li"),
                abstract=CLUSTER_ABSTRACT,
            ),
        ]
    )
    return arxiv, openalex


@contextmanager
def enricher_for(
    conn: sqlite3.Connection,
    arxiv: ArxivStub,
    openalex: OpenAlexStub,
    *,
    retry_after: timedelta = timedelta(hours=6),
) -> Iterator[Enricher]:
    def client() -> PoliteClient:
        return PoliteClient(
            user_agent="scholar-digest tests",
            min_interval=0.0,
            timeout=5.0,
            max_attempts=3,
            backoff_base=0.01,
            backoff_cap=0.05,
        )

    with client() as arxiv_http, client() as openalex_http:
        yield Enricher(
            conn,
            arxiv=ArxivClient(arxiv_http, arxiv.url),
            openalex=OpenAlexClient(openalex_http, openalex.url, mailto=None),
            policy=RetryPolicy(retry_after=retry_after),
        )


def digest_papers(folder: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((folder / "digest.json").read_text(encoding="utf-8"))
    return {
        paper["title"]: paper
        for section in data["sections"]
        for paper in section["papers"]
    }


def ingest_results(conn: sqlite3.Connection) -> None:
    outcome = ingest_message(
        conn, alert_bytes(RESULTS), origin="test", limits=IngestLimits()
    )
    assert outcome.papers_found == 4


def test_every_paper_gets_its_full_record_and_a_rerun_asks_nothing(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    ingest_results(conn)
    arxiv, openalex = stand_ins()
    with arxiv, openalex:
        with enricher_for(conn, arxiv, openalex) as enricher:
            make_digest(
                conn,
                tmp_path / "one",
                DigestSettings(),
                enricher=enricher,
                dry_run=True,
            )
        asked = (len(arxiv.requests), len(openalex.requests))
        with enricher_for(conn, arxiv, openalex) as enricher:
            make_digest(
                conn,
                tmp_path / "two",
                DigestSettings(),
                enricher=enricher,
                dry_run=True,
            )
        assert (len(arxiv.requests), len(openalex.requests)) == asked

    papers = digest_papers(tmp_path / "one")
    assert set(papers) == {ARXIV_TITLE, ACM_TITLE, COPY_TITLE, CLUSTER_TITLE}

    cut = papers[ARXIV_TITLE]  # K07: the cut title replaced by the whole one
    assert cut["truncated_title"] is False
    assert (cut["abstract"], cut["abstract_source"]) == (ARXIV_ABSTRACT, "arxiv")
    assert cut["authors"] == ["Johan Lindqvist", "Petra Achterberg"]
    assert cut["categories"] == ["cs.DC", "cs.LG"]
    assert cut["summary_source"] == "extractive (from the abstract)"

    acm = papers[ACM_TITLE]
    assert (acm["abstract"], acm["abstract_source"]) == (ACM_ABSTRACT, "openalex")
    assert acm["doi"] == "10.1145/3786154.3786171"

    # A publisher page whose OpenAlex record lists an arXiv copy: the copy's
    # id is found and its arXiv record fetched in the same run.
    copy = papers[COPY_TITLE]
    assert copy["arxiv_id"] == "2612.07777"
    assert copy["url"] == "https://arxiv.org/abs/2612.07777"
    assert (copy["abstract"], copy["abstract_source"]) == (COPY_ABSTRACT, "arxiv")

    found_by_title = papers[CLUSTER_TITLE]
    assert found_by_title["abstract_source"] == "openalex"
    assert all(paper["notes"] == [] for paper in papers.values())

    # One id_list request asked for both arXiv ids it needed, with max_results.
    id_requests = [r for r in arxiv.requests if "id_list" in r.query]
    assert sorted(",".join(r.query["id_list"] for r in id_requests).split(",")) == [
        "2612.04417",
        "2612.07777",
    ]
    assert all(r.query["max_results"] for r in id_requests)


def test_arxiv_down_sends_the_alert_text_with_a_note_and_retries_later(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    ingest_message(conn, alert_bytes(RESULTS[:1]), origin="test", limits=IngestLimits())
    arxiv, openalex = stand_ins()
    with arxiv, openalex:
        arxiv.queue(*[Canned(status=503) for _ in range(3)])
        with enricher_for(conn, arxiv, openalex, retry_after=timedelta(0)) as enricher:
            make_digest(
                conn,
                tmp_path / "down",
                DigestSettings(),
                enricher=enricher,
                dry_run=True,
            )
        down = digest_papers(tmp_path / "down")
        (paper,) = down.values()
        assert paper["abstract_source"] == "alert_snippet"
        assert paper["notes"] == [UNAVAILABLE_NOTE]
        assert UNAVAILABLE_NOTE in (tmp_path / "down" / "digest.md").read_text()

        with enricher_for(conn, arxiv, openalex, retry_after=timedelta(0)) as enricher:
            make_digest(conn, tmp_path / "up", DigestSettings(), enricher=enricher)
    (paper,) = digest_papers(tmp_path / "up").values()
    assert paper["abstract_source"] == "arxiv"
    assert paper["notes"] == []


def test_title_search_hit_sharing_only_common_words_is_rejected(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    ours = Result(
        "Learned Cardinality Estimation Under Data Drift",
        "A Novak, S Iyer - 2026",
        "https://www.example-publisher.org/papers/drift",
        "Learned estimators degrade silently when data changes",
    )
    ingest_message(conn, alert_bytes((ours,)), origin="t", limits=IngestLimits())
    arxiv = ArxivStub(
        [StubEntry("2601.00001", "Learned Cardinality Estimation: A Survey")]
    )
    openalex = OpenAlexStub(
        [
            make_work(
                "W9",
                "Learned Cardinality Estimation: A Survey",
                year=2026,
                authors=("Someone Else",),
                abstract="A survey of everything.",
            )
        ]
    )
    with arxiv, openalex, enricher_for(conn, arxiv, openalex) as enricher:
        make_digest(conn, tmp_path / "out", DigestSettings(), enricher=enricher)
        assert openalex.requests and arxiv.requests  # both searches were made

    (paper,) = digest_papers(tmp_path / "out").values()
    assert paper["title"] == ours.title
    assert paper["abstract_source"] == "alert_snippet"
    assert "survey" not in (paper["abstract"] or "").lower()


@pytest.mark.parametrize("offline", ["1", "0"])
def test_cli_digest_asks_the_configured_services_unless_offline(
    tmp_path: Path, offline: str
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "alert.eml").write_bytes(alert_bytes(RESULTS[:1]))
    arxiv, openalex = stand_ins()
    with arxiv, openalex:
        env = {
            "SCHOLAR_DIGEST_DATA_DIR": str(tmp_path / "data"),
            "SCHOLAR_DIGEST_OFFLINE": offline,
            "SCHOLAR_DIGEST_ARXIV_API_URL": arxiv.url,
            "SCHOLAR_DIGEST_ARXIV_MIN_INTERVAL": "0",
            "SCHOLAR_DIGEST_OPENALEX_URL": openalex.url,
            "SCHOLAR_DIGEST_CONTACT_EMAIL": "owner@example.org",
        }
        ingest = run_cli("ingest", "--from", str(inbox), cwd=tmp_path, env=env)
        assert ingest.returncode == 0, ingest.stderr
        digest = run_cli("digest", "--out", "out", cwd=tmp_path, env=env)
        assert digest.returncode == 0, digest.stderr
        requests = len(arxiv.requests) + len(openalex.requests)

    (paper,) = digest_papers(tmp_path / "out").values()
    if offline == "1":
        assert requests == 0
        assert paper["abstract_source"] == "alert_snippet"
    else:
        assert requests == 1
        assert paper["abstract_source"] == "arxiv"
        assert "scholar-digest" in arxiv.requests[0].headers.get("User-Agent", "")
        assert "owner@example.org" not in digest.stderr  # mailto never logged


def test_a_service_found_down_is_not_asked_again_for_every_paper(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    titles_only = tuple(
        Result(
            f"Title-only study number {n} of hybrid retrieval",
            "P Silva - 2026",
            f"https://www.example-publisher.org/papers/{n}",
            "A snippet",
        )
        for n in range(5)
    )
    ingest_message(conn, alert_bytes(titles_only), origin="t", limits=IngestLimits())
    arxiv, openalex = stand_ins()
    with arxiv, openalex:
        for _ in range(20):
            openalex.misbehave(status=503)
        arxiv.queue(*[Canned(status=503) for _ in range(20)])
        with enricher_for(conn, arxiv, openalex) as enricher:
            make_digest(
                conn,
                tmp_path / "out",
                DigestSettings(),
                enricher=enricher,
                dry_run=True,
            )
        # Three attempts each (the client's retries), then the run moves on.
        assert (len(openalex.requests), len(arxiv.requests)) == (3, 3)

        # The next run, within the retry delay, asks nobody: the papers the
        # outage left unasked were recorded as failed too.
        with enricher_for(conn, arxiv, openalex) as enricher:
            make_digest(
                conn,
                tmp_path / "again",
                DigestSettings(),
                enricher=enricher,
                dry_run=True,
            )
        assert (len(openalex.requests), len(arxiv.requests)) == (3, 3)

    papers = digest_papers(tmp_path / "out")
    assert len(papers) == 5
    assert all(paper["notes"] == [UNAVAILABLE_NOTE] for paper in papers.values())
