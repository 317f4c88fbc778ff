"""Attacks on enrichment and model summaries, against stand-ins on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from bot.enrich.arxiv_client import ArxivClient
from bot.enrich.enricher import UNAVAILABLE_NOTE, Enricher, RetryPolicy
from bot.enrich.found import FoundRecord
from bot.enrich.http import PoliteClient
from bot.enrich.matching import best_candidate
from bot.enrich.openalex_client import OpenAlexClient
from bot.enrich.openalex_works import (
    MAX_ABSTRACT_CHARS,
    abstract_from_inverted_index,
    record_from_work,
)
from bot.intake.pipeline import IngestLimits, ingest_message
from bot.jobs import make_digest
from bot.models import AbstractSource, PaperRecord
from bot.rules.settings import DigestSettings
from bot.store.db import transaction
from bot.store.papers import improve_paper, load_paper, upsert_paper
from bot.store.summaries import SummaryKey, store_summary, usage_since
from bot.summarize.base import Summary
from bot.summarize.extractive import ExtractiveSummarizer
from bot.summarize.llm import LlmSummarizer
from bot.summarize.prompt import PROMPT_VERSION, summary_input, text_hash
from bot.text import normalize_title
from tests.mail_builders import Result, scholar_alert, scholar_html, scholar_text
from tests.stubs.arxiv_stub import ArxivStub, Canned, StubEntry, build_feed
from tests.stubs.llm_stub import (
    LlmStub,
    SeenCall,
    StubReply,
    dead_api_base,
    rate_limited,
)
from tests.stubs.loopback import LoopbackServer
from tests.stubs.openalex_stub import OpenAlexStub, make_work
from tests.support import run_cli


def alert_bytes(results: tuple[Result, ...], number: int = 1) -> bytes:
    return scholar_alert(
        "Ada Lovelace - new related research",
        html_body=scholar_html(results),
        text_body=scholar_text(results),
        message_id=f"<attack-{number}@google.com>",
    ).as_bytes()


def ingest(conn: sqlite3.Connection, *results: Result, number: int = 1) -> None:
    ingest_message(
        conn, alert_bytes(results, number), origin="test", limits=IngestLimits()
    )


@contextmanager
def enricher_for(
    conn: sqlite3.Connection,
    arxiv: ArxivStub,
    openalex: OpenAlexStub,
    *,
    retry_after: timedelta = timedelta(hours=6),
    timeout: float = 5.0,
) -> Iterator[Enricher]:
    def client() -> PoliteClient:
        return PoliteClient(
            user_agent="scholar-digest tests",
            min_interval=0.0,
            timeout=timeout,
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


def digest_entries(folder: Path) -> list[dict[str, Any]]:
    data = json.loads((folder / "digest.json").read_text(encoding="utf-8"))
    return [paper for section in data["sections"] for paper in section["papers"]]


def run_digest(
    conn: sqlite3.Connection,
    out: Path,
    arxiv: ArxivStub,
    openalex: OpenAlexStub,
    **options: Any,
) -> list[dict[str, Any]]:
    with enricher_for(conn, arxiv, openalex) as enricher:
        make_digest(conn, out, DigestSettings(), enricher=enricher, **options)
    return digest_entries(out)


# --- rows folded into one ----------------------------------------------------

JOIN_TITLE = "Learned Join Orders under Uncertainty"
JOIN_VARIANT = "Learned Join Orderings under Uncertainty"
JOIN_ABSTRACT = "Join ordering relies on estimates. We attach calibrated uncertainty."


def test_two_rows_found_to_be_one_paper_fold_without_breaking_the_digest(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    # An older row found by title and a newer one found by DOI both turn out
    # to be arXiv 2612.07777: the run folds them and still writes the digest.
    ingest(
        conn,
        Result(
            JOIN_VARIANT,
            "D Chen, E Novak - 2026",
            "https://www.example-publisher.org/papers/join-orders",
            "Join ordering relies on estimates",
        ),
    )
    ingest(
        conn,
        Result(
            JOIN_TITLE,
            "D Chen, E Novak - Information Systems, 2026",
            "https://dl.acm.org/doi/10.1145/3786154.3786999",
            "Join ordering relies on estimates. We",
        ),
        number=2,
    )
    arxiv = ArxivStub(
        [
            StubEntry(
                "2612.07777",
                JOIN_TITLE,
                summary=JOIN_ABSTRACT,
                authors=("David Chen", "Eva Novak"),
                published="2026-11-20T18:00:00Z",
            )
        ]
    )
    copy = [{"landing_page_url": "https://arxiv.org/abs/2612.07777v1"}]
    openalex = OpenAlexStub(
        [
            make_work(
                "W1",
                JOIN_TITLE,
                doi="10.1145/3786154.3786999",
                year=2026,
                authors=("David Chen", "Eva Novak"),
                locations=copy,
            ),
            make_work(
                "W2",
                JOIN_VARIANT,
                year=2026,
                authors=("David Chen", "Eva Novak"),
                locations=copy,
            ),
        ]
    )
    with arxiv, openalex:
        entries = run_digest(conn, tmp_path / "out", arxiv, openalex)

    (entry,) = entries
    assert entry["arxiv_id"] == "2612.07777"
    assert entry["abstract_source"] == "arxiv"
    assert entry["alerts"] == ["Ada Lovelace"]
    assert conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 1
    sources = conn.execute("SELECT COUNT(*) FROM paper_sources").fetchone()[0]
    assert sources == 2


def test_a_wrong_arxiv_copy_named_by_openalex_folds_nothing(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    # OpenAlex lists another paper's arXiv copy under our DOI's work. Taken
    # on trust, it would give our paper that abstract and fold the other
    # paper (pending in the same digest) into ours, out of sight.
    ingest(
        conn,
        Result(
            JOIN_TITLE,
            "D Chen, E Novak - Information Systems, 2026",
            "https://dl.acm.org/doi/10.1145/3786154.3786999",
            "Join ordering relies on estimates. We",
        ),
        Result(
            "Speculative Prefetching for Disaggregated Key-Value Caches",
            "J Lindqvist, P Achterberg - arXiv preprint arXiv:2612.04417, 2026",
            "https://arxiv.org/abs/2612.04417",
            "Long-context serving spills the cache to remote memory",
        ),
    )
    arxiv = ArxivStub(
        [
            StubEntry(
                "2612.04417",
                "Speculative Prefetching for Disaggregated Key-Value Caches",
                summary="Long-context serving spills the cache. We prefetch.",
                authors=("Johan Lindqvist", "Petra Achterberg"),
                published="2026-12-01T18:00:00Z",
            )
        ]
    )
    openalex = OpenAlexStub(
        [
            make_work(
                "W1",
                JOIN_TITLE,
                doi="10.1145/3786154.3786999",
                year=2026,
                authors=("David Chen", "Eva Novak"),
                abstract=JOIN_ABSTRACT,
                locations=[{"landing_page_url": "https://arxiv.org/abs/2612.04417"}],
            )
        ]
    )
    with arxiv, openalex:
        entries = run_digest(conn, tmp_path / "out", arxiv, openalex)

    by_title = {entry["title"]: entry for entry in entries}
    assert len(by_title) == 2
    ours = by_title[JOIN_TITLE]
    assert ours["arxiv_id"] is None
    assert (ours["abstract"], ours["abstract_source"]) == (JOIN_ABSTRACT, "openalex")
    assert ours["url"] == "https://dl.acm.org/doi/10.1145/3786154.3786999"
    other = by_title["Speculative Prefetching for Disaggregated Key-Value Caches"]
    assert other["arxiv_id"] == "2612.04417"
    assert other["abstract_source"] == "arxiv"


def test_an_arxiv_copy_whose_record_is_another_paper_is_not_linked(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    ingest(
        conn,
        Result(
            JOIN_TITLE,
            "D Chen, E Novak - Information Systems, 2026",
            "https://dl.acm.org/doi/10.1145/3786154.3786999",
            "Join ordering relies on estimates. We",
        ),
    )
    arxiv = ArxivStub(
        [
            StubEntry(
                "2601.00042",
                "A Survey of Join Ordering",
                summary="Everything about joins.",
                authors=("Someone Else",),
            )
        ]
    )
    openalex = OpenAlexStub(
        [
            make_work(
                "W1",
                JOIN_TITLE,
                doi="10.1145/3786154.3786999",
                year=2026,
                authors=("David Chen", "Eva Novak"),
                locations=[{"landing_page_url": "https://arxiv.org/abs/2601.00042"}],
            )
        ]
    )
    with arxiv, openalex:
        (entry,) = run_digest(conn, tmp_path / "out", arxiv, openalex)
        assert [r.query["id_list"] for r in arxiv.requests] == ["2601.00042"]

    assert entry["title"] == JOIN_TITLE
    assert entry["arxiv_id"] is None
    assert "joins" not in (entry["abstract"] or "")


def test_a_new_row_folding_into_a_delivered_paper_is_not_sent_again(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    arxiv = ArxivStub(
        [
            StubEntry(
                "2612.07777",
                JOIN_TITLE,
                summary=JOIN_ABSTRACT,
                authors=("David Chen", "Eva Novak"),
                published="2026-11-20T18:00:00Z",
            )
        ]
    )
    openalex = OpenAlexStub(
        [
            make_work(
                "W1",
                JOIN_TITLE,
                doi="10.1145/3786154.3786999",
                year=2026,
                authors=("David Chen", "Eva Novak"),
                locations=[{"landing_page_url": "https://arxiv.org/abs/2612.07777"}],
            )
        ]
    )
    ingest(
        conn,
        Result(
            JOIN_TITLE,
            "D Chen, E Novak - arXiv preprint arXiv:2612.07777, 2026",
            "https://arxiv.org/abs/2612.07777",
            "Join ordering relies on estimates",
        ),
    )
    with arxiv, openalex:
        (first,) = run_digest(conn, tmp_path / "one", arxiv, openalex)
        # The journal version arrives later, under a title that differs.
        ingest(
            conn,
            Result(
                JOIN_VARIANT,
                "D Chen, E Novak - Information Systems, 2026",
                "https://dl.acm.org/doi/10.1145/3786154.3786999",
                "Join ordering relies on estimates. We",
            ),
            number=2,
        )
        second = run_digest(conn, tmp_path / "two", arxiv, openalex)

    assert first["arxiv_id"] == "2612.07777"
    assert second == []
    (paper_id,) = conn.execute("SELECT id FROM papers").fetchone()
    delivered = conn.execute("SELECT paper_id FROM digest_papers").fetchall()
    assert [row[0] for row in delivered] == [paper_id]
    sources = conn.execute("SELECT COUNT(*) FROM paper_sources").fetchone()[0]
    assert sources == 2


def test_a_delivered_paper_is_not_looked_up_or_sent_again(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    ingest(
        conn,
        Result(
            JOIN_TITLE,
            "D Chen, E Novak - arXiv preprint arXiv:2612.07777, 2026",
            "https://arxiv.org/abs/2612.07777",
            "Join ordering relies on estimates",
        ),
    )
    arxiv = ArxivStub([StubEntry("2612.07777", JOIN_TITLE, summary=JOIN_ABSTRACT)])
    with arxiv, OpenAlexStub() as openalex:
        arxiv.queue(*[Canned(status=503) for _ in range(3)])
        (first,) = run_digest(conn, tmp_path / "one", arxiv, openalex)
        asked = len(arxiv.requests)
        second = run_digest(conn, tmp_path / "two", arxiv, openalex)
        assert len(arxiv.requests) == asked

    assert first["abstract_source"] == "alert_snippet"
    assert second == []


def test_folding_keeps_the_absorbed_rows_listing_abstract_and_categories(
    conn: sqlite3.Connection,
) -> None:
    scholar = PaperRecord(
        key="doi:10.1145/3786154.3786999",
        title=JOIN_TITLE,
        title_norm=normalize_title(JOIN_TITLE),
        doi="10.1145/3786154.3786999",
        abstract="Join ordering relies on",
        abstract_source=AbstractSource.SNIPPET,
    )
    listing = PaperRecord(
        key="arxiv:2612.07777",
        title=JOIN_VARIANT,
        title_norm=normalize_title(JOIN_VARIANT),
        arxiv_id="2612.07777",
        abstract=JOIN_ABSTRACT,
        abstract_source=AbstractSource.LISTING,
        categories=["cs.DB"],
        comments="12 pages",
    )
    with transaction(conn):
        older, _ = upsert_paper(conn, scholar)
        upsert_paper(conn, listing)
    found = PaperRecord(
        key="",
        title=JOIN_TITLE,
        title_norm=normalize_title(JOIN_TITLE),
        arxiv_id="2612.07777",
    )
    with transaction(conn):
        kept = improve_paper(conn, older, found)

    record = load_paper(conn, kept)
    assert record is not None
    assert (record.abstract, record.abstract_source) == (
        JOIN_ABSTRACT,
        AbstractSource.LISTING,
    )
    assert (record.categories, record.comments) == (["cs.DB"], "12 pages")


# --- confident wrong matches --------------------------------------------------

SCALING = "Scaling Laws for Sparse Mixture of Experts Language Models"


def scholar_record(
    title: str,
    *,
    authors: tuple[str, ...] = (),
    year: int | None = None,
    cut: bool = False,
) -> PaperRecord:
    return PaperRecord(
        key="title:test",
        title=title,
        title_norm=normalize_title(title),
        title_truncated=cut,
        authors=list(authors),
        year=year,
        abstract="A snippet",
        abstract_source=AbstractSource.SNIPPET,
    )


def work_record(
    title: str, *, authors: tuple[str, ...] = (), year: int | None = None
) -> FoundRecord:
    return FoundRecord(
        source=AbstractSource.OPENALEX,
        title=title,
        authors=authors,
        year=year,
        abstract="Another abstract.",
    )


def test_same_title_other_authors_two_years_off_is_refused() -> None:
    ours = scholar_record(JOIN_TITLE, authors=("D Chen", "E Novak"), year=2026)
    twin = work_record(JOIN_TITLE, authors=("Maria Costa",), year=2024)

    assert best_candidate(ours, [twin]) is None


@pytest.mark.parametrize(
    ("years", "authors"),
    [
        ((2026, 2025), (("John Doe",), ("John Doe",))),
        ((2026, 2026), (("John Doe", "Ann Roe"), ("John Doe",))),
    ],
    ids=["one-has-our-year", "one-has-more-shared-authors"],
)
def test_cut_title_that_is_a_prefix_of_two_papers_is_refused(
    years: tuple[int, int], authors: tuple[tuple[str, ...], tuple[str, ...]]
) -> None:
    # The cut words are unknown: which of the two continuations is ours
    # cannot be read from the year or a shared author.
    ours = scholar_record(SCALING, authors=("J Doe", "A Roe"), year=2026, cut=True)
    edge = work_record(SCALING + " at the Edge", authors=authors[0], year=years[0])
    low = work_record(
        SCALING + " in Low-Resource Settings", authors=authors[1], year=years[1]
    )

    assert best_candidate(ours, [edge, low]) is None
    assert best_candidate(ours, [low, edge]) is None


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (scholar_record("Introduction"), work_record("Introduction", year=2020)),
        (
            scholar_record("Editorial", authors=("A Smith",), year=2026),
            work_record("Editorial", authors=("Bob Smith",), year=2025),
        ),
        (
            scholar_record("Deep Residual Learning", year=2016),
            work_record("Deep Residual Learning", authors=("Kaiming He",), year=2016),
        ),
    ],
    ids=["nothing-known", "year-off", "no-shared-author"],
)
def test_short_title_needs_a_shared_author_and_the_same_year(
    ours: PaperRecord, theirs: FoundRecord
) -> None:
    assert best_candidate(ours, [theirs]) is None


def test_short_title_with_shared_author_and_year_is_accepted() -> None:
    ours = scholar_record("Deep Residual Learning", authors=("K He",), year=2016)
    theirs = work_record("Deep Residual Learning", authors=("Kaiming He",), year=2016)

    assert best_candidate(ours, [theirs]) is theirs


def test_a_doi_whose_work_has_an_unrelated_title_is_not_trusted(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    # A DOI read from a publisher link may name the issue, the book or a
    # supplement rather than the paper: the work's title must agree.
    ingest(
        conn,
        Result(
            JOIN_TITLE,
            "D Chen, E Novak - Information Systems, 2026",
            "https://dl.acm.org/doi/10.1145/3786154.3786999",
            "Join ordering relies on estimates. We",
        ),
    )
    openalex = OpenAlexStub(
        [
            make_work(
                "W1",
                "Proceedings of the 2026 International Conference on Data",
                doi="10.1145/3786154.3786999",
                year=2026,
                authors=("David Chen",),
                abstract="This volume collects the papers of the conference.",
            )
        ]
    )
    with ArxivStub() as arxiv, openalex:
        (entry,) = run_digest(conn, tmp_path / "out", arxiv, openalex)
        assert openalex.requests

    assert entry["title"] == JOIN_TITLE
    assert entry["abstract_source"] == "alert_snippet"
    assert "volume" not in (entry["abstract"] or "")


# --- services that lie or stall --------------------------------------------------

CUT_RESULT = Result(
    "Speculative Prefetching for Disaggregated Key-Value …",
    "J Lindqvist, P Achterberg - arXiv preprint arXiv:2612.04417, 2026",
    "https://arxiv.org/abs/2612.04417",
    "Long-context serving spills the cache to remote memory",
)


def test_retry_after_of_hours_gives_up_at_once_and_sends_the_alert_text(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    ingest(conn, CUT_RESULT)
    arxiv = ArxivStub([StubEntry("2612.04417", "Speculative Prefetching")])
    with arxiv, OpenAlexStub() as openalex:
        arxiv.queue(Canned(status=429, headers={"Retry-After": "10000"}))
        started = time.monotonic()
        (entry,) = run_digest(conn, tmp_path / "out", arxiv, openalex)
        elapsed = time.monotonic() - started
        assert len(arxiv.requests) == 1

    assert elapsed < 5
    assert entry["abstract_source"] == "alert_snippet"
    assert entry["notes"] == [UNAVAILABLE_NOTE]


def test_a_proxy_error_page_with_status_200_is_no_feed(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    ingest(conn, CUT_RESULT)
    page = b"<html><body><h1>502 Bad Gateway</h1><entry>x</entry></body></html>"
    arxiv = ArxivStub([StubEntry("2612.04417", "Speculative Prefetching")])
    with arxiv, OpenAlexStub() as openalex:
        html_page = Canned(headers={"Content-Type": "text/html"}, body=page)
        arxiv.queue(html_page, html_page, html_page)
        (entry,) = run_digest(conn, tmp_path / "out", arxiv, openalex)
        assert len(arxiv.requests) == 3

    assert entry["title"] == "Speculative Prefetching for Disaggregated Key-Value"
    assert entry["abstract_source"] == "alert_snippet"
    assert entry["notes"] == [UNAVAILABLE_NOTE]


def test_entries_for_ids_not_asked_and_an_untitled_entry_change_nothing(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    ingest(conn, CUT_RESULT)
    feed = build_feed(
        [
            StubEntry("2612.04417", "", summary="Prefetching remote caches."),
            StubEntry("2601.99999", "Unasked Paper", summary="Not ours at all."),
        ]
    )
    arxiv = ArxivStub()
    with arxiv, OpenAlexStub() as openalex:
        arxiv.queue(Canned(body=feed))
        (entry,) = run_digest(conn, tmp_path / "out", arxiv, openalex)

    assert entry["title"] == "Speculative Prefetching for Disaggregated Key-Value"
    assert entry["truncated_title"] is True
    assert entry["abstract"] == "Prefetching remote caches."
    assert conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 1


def test_a_title_full_of_query_syntax_reaches_neither_service_as_syntax(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    title = r'ti:"Graph" AND (au:Smith OR abs:\Learning) NOT [x] || y -z'
    ingest(
        conn,
        Result(
            title,
            "P Silva, Q Li - 2026",
            "https://www.example-publisher.org/papers/syntax",
            "A snippet",
        ),
    )
    with ArxivStub() as arxiv, OpenAlexStub() as openalex:
        (entry,) = run_digest(conn, tmp_path / "out", arxiv, openalex)
        (searched,) = [r.value("search") for r in openalex.requests]
        (query,) = [r.query["search_query"] for r in arxiv.requests]

    assert searched is not None
    assert not set(searched) & set('":()[]|\\-')
    assert not {"AND", "OR", "NOT"} & set(searched.split())
    assert query.startswith('ti:"') and query.endswith('"')
    phrase = query[4:-1]
    assert not set(phrase) & set('":()[]|\\')
    assert not {"AND", "OR", "NOT", "ANDNOT"} & set(phrase.split())
    assert entry["title"] == title


def test_an_inverted_index_of_fifty_thousand_positions_is_cut_to_an_abstract() -> None:
    index: dict[str, list[int]] = {f"w{n}": [n] for n in range(50_000)}
    index["negative"] = [-1, -50]
    index["flag"] = [True]  # type: ignore[list-item]
    started = time.monotonic()
    abstract = abstract_from_inverted_index(index)
    assert time.monotonic() - started < 1

    assert abstract is not None
    assert abstract.startswith("w0 w1 w2")
    assert "negative" not in abstract and "flag" not in abstract
    assert len(abstract) <= MAX_ABSTRACT_CHARS + 1


def test_a_single_word_with_millions_of_positions_stays_small() -> None:
    abstract = abstract_from_inverted_index({"spam": list(range(3_000_000))})

    assert abstract is not None
    assert len(abstract) <= MAX_ABSTRACT_CHARS + 1


def test_markup_in_an_openalex_title_is_not_part_of_the_title() -> None:
    work = make_work(
        "W7",
        "Ca<sup>2+</sup> signalling in <i>Arabidopsis</i> roots",
        abstract="Roots <b>respond</b> to calcium.",
    )
    record = record_from_work(work)

    assert record is not None
    assert record.title == "Ca2+ signalling in Arabidopsis roots"
    assert record.abstract == "Roots respond to calcium."


class _TricklingHandler(BaseHTTPRequestHandler):
    """Sends a feed one byte every 0.2 s: never idle long enough to time out."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = build_feed([StubEntry("2612.04417", "Speculative Prefetching")])
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def test_a_server_trickling_its_answer_cannot_hold_up_the_digest(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    ingest(conn, CUT_RESULT)
    with LoopbackServer(_TricklingHandler) as trickle, OpenAlexStub() as openalex:
        http = PoliteClient(
            user_agent="scholar-digest tests",
            min_interval=0.0,
            timeout=1.0,
            max_attempts=2,
            backoff_base=0.01,
            backoff_cap=0.05,
        )
        with http, PoliteClient(user_agent="t", min_interval=0.0) as openalex_http:
            enricher = Enricher(
                conn,
                arxiv=ArxivClient(http, trickle.origin + "/api/query"),
                openalex=OpenAlexClient(openalex_http, openalex.url, mailto=None),
            )
            started = time.monotonic()
            make_digest(conn, tmp_path / "out", DigestSettings(), enricher=enricher)
            elapsed = time.monotonic() - started

    assert elapsed < 8
    (entry,) = digest_entries(tmp_path / "out")
    assert entry["notes"] == [UNAVAILABLE_NOTE]


# --- model summaries ------------------------------------------------------------

MODEL = "openai/stub-model"
LLM_SOURCE = f"llm {MODEL} (from the abstract)"
ABSTRACT = (
    "Existing schedulers leave accelerators idle while waiting for data. We "
    "propose a scheduler that overlaps loading with compute. It cuts training "
    "time by 23% on four benchmarks. Overlap is a cheap win for most jobs."
)
_TITLE_LINE = re.compile(r"^Title: (.+)$", re.MULTILINE)


def title_of(call: SeenCall) -> str:
    found = _TITLE_LINE.search(call.prompt)
    assert found, call.prompt
    return found.group(1)


def english(title: str) -> dict[str, str]:
    return {
        "tldr": f"The authors present a new scheduler; see {title}.",
        "motivation": "Accelerators wait for input data far too often today.",
        "method": "Loading of the next batch overlaps with the current compute.",
        "result": "Training time falls by about a quarter on four benchmarks.",
        "conclusion": "Overlapping input with compute is a cheap and useful win.",
    }


CHINESE = {
    "tldr": "本文提出一种让数据加载与计算重叠的调度器。",
    "motivation": "现有调度器在等待数据时让加速器空闲。",
    "method": "在计算当前批次的同时加载下一批数据。",
    "result": "在四个基准上训练时间缩短约百分之二十三。",
    "conclusion": "重叠加载与计算是一种低成本的改进。",
}


def model_papers(count: int, *, prefix: str = "Paper") -> list[PaperRecord]:
    papers = []
    for number in range(1, count + 1):
        title = f"{prefix} {number} on overlapping data loading"
        papers.append(
            PaperRecord(
                key=f"arxiv:2601.{number:05d}",
                title=title,
                title_norm=normalize_title(title),
                authors=["Ana Ruiz", "Bo Chen"],
                arxiv_id=f"2601.{number:05d}",
                abstract=ABSTRACT,
                abstract_source=AbstractSource.ARXIV,
            )
        )
    return papers


def store_papers(conn: sqlite3.Connection, papers: list[PaperRecord]) -> None:
    with transaction(conn):
        for paper in papers:
            upsert_paper(conn, paper)


def llm(conn: sqlite3.Connection, api_base: str, **overrides: Any) -> LlmSummarizer:
    options: dict[str, Any] = {
        "model": MODEL,
        "api_base": api_base,
        "api_key": "test-key",
        "concurrency": 4,
        "timeout": 10.0,
        "daily_papers": 300,
        "daily_spend_usd": 2.0,
        "fallback": ExtractiveSummarizer(),
    }
    options.update(overrides)
    return LlmSummarizer(conn, **options)


def output_texts(folder: Path) -> dict[str, str]:
    return {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted(folder.iterdir())
        if path.name.startswith("digest.")
    }


INJECTED = {
    "tldr": "A scheduler. <script>alert(1)</script> Visit ht\u200btps://evil.example/a",
    "motivation": "Idle accelerators. [Claim your prize](https://evil.example/b)",
    "method": "Overlap. <svg/onload=alert(1)> www\u00ad.evil.example/c",
    "result": "Faster. <a href='javascript:alert(1)'>here</a> java\u200bscript:x",
    "conclusion": "Cheap win. <scr<script>ipt>x</script> https:/\u200b/evil.example",
}


def test_links_and_markup_a_paper_talks_the_model_into_reach_no_output(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    papers = model_papers(1)
    store_papers(conn, papers)
    with LlmStub(lambda call: StubReply(content=json.dumps(INJECTED))) as stub:
        make_digest(
            conn,
            tmp_path / "out",
            DigestSettings(),
            summarizer=llm(conn, stub.api_base),
        )
        assert len(stub.requests) == 1

    outputs = output_texts(tmp_path / "out")
    assert set(outputs) >= {"digest.md", "digest.html", "digest.txt", "digest.json"}
    (entry,) = digest_entries(tmp_path / "out")
    assert entry["summary_source"] == LLM_SOURCE
    for name, text in outputs.items():
        lowered = text.casefold()
        assert "evil.example" not in lowered, name
        assert "javascript:" not in lowered, name
        for markup in ("<script", "&lt;script", "<svg", "&lt;svg", "onload"):
            assert markup not in lowered, (name, markup)
    for field in entry["summary"].values():
        assert "http" not in field and "=" not in field


def test_a_cached_summary_holding_a_link_is_cleaned_before_use(
    conn: sqlite3.Connection,
) -> None:
    [paper] = model_papers(1)
    store_papers(conn, [paper])
    row = conn.execute("SELECT id FROM papers").fetchone()[0]
    planted = Summary(
        tldr="See ht\u200btps://evil.example now.",
        motivation="m",
        method="<svg/onload=alert(1)>",
        result="r",
        conclusion="c",
        source=LLM_SOURCE,
    )
    with transaction(conn):
        store_summary(
            conn,
            row,
            SummaryKey(MODEL, "en", PROMPT_VERSION),
            text_hash(summary_input(paper)),
            planted,
            cost_usd=None,
            created_at=datetime.now(UTC),
        )

    with LlmStub() as stub:
        summary = llm(conn, stub.api_base).summarize_all([paper], "en")[paper.key]
        assert stub.requests == []
    assert "evil" not in summary.tldr and "svg" not in summary.method


def test_a_five_megabyte_answer_costs_one_bounded_corrective_call(
    conn: sqlite3.Connection,
) -> None:
    [paper] = model_papers(1)
    store_papers(conn, [paper])
    rambling = "I will now think aloud at length. " * 150_000
    with LlmStub(lambda call: StubReply(json.dumps(english(title_of(call))))) as stub:
        stub.fail_next(StubReply(content=rambling))
        started = time.monotonic()
        summary = llm(conn, stub.api_base).summarize_all([paper], "en")[paper.key]
        elapsed = time.monotonic() - started

    assert len(rambling) > 5_000_000
    assert summary.source == LLM_SOURCE
    assert len(stub.requests) == 2
    assert len(json.dumps(stub.requests[1].body)) < 20_000
    assert elapsed < 10


def test_a_five_megabyte_field_is_cut_to_size(conn: sqlite3.Connection) -> None:
    [paper] = model_papers(1)
    store_papers(conn, [paper])
    fields = english(paper.title)
    answer = json.dumps(fields) + " and then " + "more words " * 500_000
    with LlmStub(lambda call: StubReply(content=answer)) as stub:
        summary = llm(conn, stub.api_base).summarize_all([paper], "en")[paper.key]
        assert len(stub.requests) == 1

    assert summary.source == LLM_SOURCE
    assert summary.method == fields["method"]


def test_an_answer_in_the_wrong_language_is_asked_for_once_more(
    conn: sqlite3.Connection,
) -> None:
    [paper] = model_papers(1)
    store_papers(conn, [paper])
    with LlmStub(lambda call: StubReply(content=json.dumps(CHINESE))) as stub:
        stub.fail_next(StubReply(content=json.dumps(english(paper.title))))
        summary = llm(conn, stub.api_base).summarize_all([paper], "zh")[paper.key]

    assert len(stub.requests) == 2
    assert "Simplified Chinese" in stub.requests[1].body["messages"][-1]["content"]
    assert summary.source == LLM_SOURCE
    assert summary.method == CHINESE["method"]


def test_a_model_that_keeps_the_wrong_language_falls_back_once_per_paper(
    conn: sqlite3.Connection,
) -> None:
    [paper] = model_papers(1)
    store_papers(conn, [paper])
    answer = json.dumps(english(paper.title))
    with LlmStub(lambda call: StubReply(content=answer)) as stub:
        first = llm(conn, stub.api_base).summarize_all([paper], "zh")[paper.key]
        again = llm(conn, stub.api_base).summarize_all([paper], "zh")[paper.key]
        assert len(stub.requests) == 2

    assert first.source == (
        "extractive (fallback after a model answer in the wrong language; "
        "from the abstract)"
    )
    assert again == first


def test_calls_whose_answers_were_unusable_count_toward_the_daily_cap(
    conn: sqlite3.Connection,
) -> None:
    first_batch = model_papers(2)
    later = model_papers(2, prefix="Later")
    later = [
        replace(paper, key=f"arxiv:2602.{n:05d}", arxiv_id=f"2602.{n:05d}")
        for n, paper in enumerate(later, start=1)
    ]
    store_papers(conn, first_batch + later)
    with LlmStub(lambda call: StubReply(content="I cannot do JSON today.")) as stub:
        llm(conn, stub.api_base, daily_papers=2).summarize_all(first_batch, "en")
        assert len(stub.requests) == 4
        # Two papers' worth of calls were made today: the cap is reached,
        # and the unusable papers are not paid for a second time.
        llm(conn, stub.api_base, daily_papers=2).summarize_all(later, "en")
        llm(conn, stub.api_base, daily_papers=2).summarize_all(first_batch, "en")
        assert len(stub.requests) == 4


class _Clock:
    """A settable ``now`` for the summarizer."""

    def __init__(self, when: datetime) -> None:
        self.when = when

    def __call__(self) -> datetime:
        return self.when


def test_the_daily_cap_starts_afresh_at_midnight_utc(
    conn: sqlite3.Connection,
) -> None:
    papers = model_papers(6)
    store_papers(conn, papers)
    clock = _Clock(datetime(2026, 12, 4, 23, 59, 30, tzinfo=UTC))
    with LlmStub(lambda call: StubReply(json.dumps(english(title_of(call))))) as stub:
        run = llm(conn, stub.api_base, daily_papers=2, now=clock)
        run.summarize_all(papers[:2], "en")
        clock.when = datetime(2026, 12, 4, 23, 59, 59, tzinfo=UTC)
        over = llm(conn, stub.api_base, daily_papers=2, now=clock)
        capped = over.summarize_all(papers[2:4], "en")
        assert len(stub.requests) == 2
        clock.when = datetime(2026, 12, 5, 0, 0, 1, tzinfo=UTC)
        fresh = llm(conn, stub.api_base, daily_papers=2, now=clock)
        summaries = fresh.summarize_all(papers[2:4], "en")
        assert len(stub.requests) == 4

    assert all("daily model cap" in s.source for s in capped.values())
    assert all(s.source == LLM_SOURCE for s in summaries.values())


def test_the_daily_cap_follows_utc_whatever_zone_the_clock_reports(
    conn: sqlite3.Connection,
) -> None:
    # 08:30 in Tokyo on the 5th is still the 4th in UTC; 09:30 is the 5th.
    tokyo = timezone(timedelta(hours=9))
    papers = model_papers(4)
    store_papers(conn, papers)
    clock = _Clock(datetime(2026, 12, 5, 8, 30, tzinfo=tokyo))
    with LlmStub(lambda call: StubReply(json.dumps(english(title_of(call))))) as stub:
        llm(conn, stub.api_base, daily_papers=2, now=clock).summarize_all(
            papers[:2], "en"
        )
        clock.when = datetime(2026, 12, 5, 9, 30, tzinfo=tokyo)
        summaries = llm(conn, stub.api_base, daily_papers=2, now=clock).summarize_all(
            papers[2:], "en"
        )
        assert len(stub.requests) == 4

    assert all(s.source == LLM_SOURCE for s in summaries.values())


def test_spend_of_a_summary_replaced_the_same_day_still_counts(
    conn: sqlite3.Connection,
) -> None:
    [paper] = model_papers(1)
    store_papers(conn, [paper])
    model = "openai/gpt-4o-mini"  # a model litellm has prices for
    with LlmStub(lambda call: StubReply(json.dumps(english(title_of(call))))) as stub:
        llm(conn, stub.api_base, model=model).summarize_all([paper], "en")
        first = conn.execute("SELECT SUM(cost_usd) FROM summaries").fetchone()[0]
        newer = replace(paper, abstract=ABSTRACT + " A longer abstract arrived.")
        llm(conn, stub.api_base, model=model).summarize_all([newer], "en")
        assert len(stub.requests) == 2

    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    _, spent = usage_since(conn, midnight)
    assert first > 0
    assert spent == pytest.approx(2 * first)


def test_a_thousand_papers_finish_with_bounded_calls_and_no_deadlock(
    conn: sqlite3.Connection,
) -> None:
    papers = [
        replace(paper, key=f"arxiv:2603.{n:05d}", arxiv_id=f"2603.{n:05d}")
        for n, paper in enumerate(model_papers(1_000), start=1)
    ]
    store_papers(conn, papers)
    started = time.monotonic()
    with LlmStub(lambda call: StubReply(json.dumps(english(title_of(call))))) as stub:
        summaries = llm(
            conn, stub.api_base, concurrency=8, daily_papers=60
        ).summarize_all(papers, "en")
        assert len(stub.requests) == 60
        assert stub.max_in_flight <= 8
    down = llm(conn, dead_api_base(), concurrency=16, daily_papers=2_000)
    fallbacks = down.summarize_all(papers, "en")
    elapsed = time.monotonic() - started

    assert list(summaries) == [paper.key for paper in papers]
    assert sum(s.source == LLM_SOURCE for s in summaries.values()) == 60
    assert len(fallbacks) == 1_000
    assert sum("unreachable" in s.source for s in fallbacks.values()) == 940
    assert elapsed < 30


def test_a_key_litellm_reads_from_the_environment_never_reaches_a_log(
    conn: sqlite3.Connection,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    secret = "sk-from-the-environment-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    papers = model_papers(3)
    store_papers(conn, papers)
    with caplog.at_level(logging.DEBUG), LlmStub() as stub:
        stub.respond = lambda call: StubReply(
            status=500, error=f"upstream rejected key {secret} for this model"
        )
        llm(conn, stub.api_base, api_key=None, concurrency=1).summarize_all(
            papers[:2], "en"
        )
        stub.respond = lambda call: StubReply(
            status=401, error=f"Incorrect API key provided: {secret}."
        )
        llm(conn, stub.api_base, api_key=None).summarize_all(papers[2:], "en")
        assert len(stub.requests) == 3

    assert "upstream rejected key *** for this model" in caplog.text
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in str(record.exc_info or "")
    out, err = capfd.readouterr()
    assert secret not in out + err


class _TricklingModel(BaseHTTPRequestHandler):
    """Answers a chat completion one byte every 0.2 s."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content = json.dumps(english("x"))
        body = json.dumps(
            {
                "id": "chatcmpl-trickle",
                "object": "chat.completion",
                "created": 0,
                "model": "stub-model",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def test_a_model_trickling_its_answer_is_cut_off_at_the_timeout(
    conn: sqlite3.Connection,
) -> None:
    [paper] = model_papers(1)
    store_papers(conn, [paper])
    with LoopbackServer(_TricklingModel) as trickle:
        summarizer = llm(conn, trickle.origin + "/v1", timeout=1.0)
        started = time.monotonic()
        summary = summarizer.summarize_all([paper], "en")[paper.key]
        elapsed = time.monotonic() - started

    assert summary.source == (
        "extractive (fallback after a failed model call; from the abstract)"
    )
    assert elapsed < 8


def test_a_snippet_summary_is_written_again_once_the_abstract_arrives(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    ingest(conn, CUT_RESULT)
    arxiv = ArxivStub(
        [
            StubEntry(
                "2612.04417",
                "Speculative Prefetching for Disaggregated Key-Value Caches",
                summary=ABSTRACT,
                authors=("Johan Lindqvist", "Petra Achterberg"),
            )
        ]
    )
    answer = StubReply(content=json.dumps(english("the paper")))
    with arxiv, OpenAlexStub() as openalex, LlmStub(lambda call: answer) as model:
        arxiv.queue(*[Canned(status=503) for _ in range(3)])
        with enricher_for(conn, arxiv, openalex, retry_after=timedelta(0)) as enricher:
            make_digest(
                conn,
                tmp_path / "one",
                DigestSettings(),
                enricher=enricher,
                summarizer=llm(conn, model.api_base),
                dry_run=True,
            )
        with enricher_for(conn, arxiv, openalex, retry_after=timedelta(0)) as enricher:
            make_digest(
                conn,
                tmp_path / "two",
                DigestSettings(),
                enricher=enricher,
                summarizer=llm(conn, model.api_base),
            )
        prompts = [call.prompt for call in model.requests]

    assert len(prompts) == 2
    assert "Snippet: " in prompts[0] and "Abstract: " + ABSTRACT in prompts[1]
    (before,) = digest_entries(tmp_path / "one")
    (after,) = digest_entries(tmp_path / "two")
    assert before["summary_source"] == f"llm {MODEL} (from the alert snippet)"
    assert after["summary_source"] == LLM_SOURCE


def test_offline_with_a_model_configured_makes_no_call_at_all(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "alert.eml").write_bytes(alert_bytes((CUT_RESULT,)))
    with LlmStub() as model, ArxivStub() as arxiv, OpenAlexStub() as openalex:
        env = {
            "SCHOLAR_DIGEST_DATA_DIR": str(tmp_path / "data"),
            "SCHOLAR_DIGEST_OFFLINE": "1",
            "SCHOLAR_DIGEST_LLM_MODEL": MODEL,
            "SCHOLAR_DIGEST_LLM_API_BASE": model.api_base,
            "SCHOLAR_DIGEST_LLM_API_KEY": "test-key",
            "SCHOLAR_DIGEST_ARXIV_API_URL": arxiv.url,
            "SCHOLAR_DIGEST_OPENALEX_URL": openalex.url,
        }
        for command in (("ingest", "--from", str(inbox)), ("digest", "--out", "out")):
            result = run_cli(*command, cwd=tmp_path, env=env)
            assert result.returncode == 0, result.stderr
        calls = len(model.requests) + len(arxiv.requests) + len(openalex.requests)

    assert calls == 0
    (entry,) = digest_entries(tmp_path / "out")
    assert entry["summary_source"].startswith("extractive")


def test_a_model_asking_to_wait_hours_stops_the_calls_at_once(
    conn: sqlite3.Connection,
) -> None:
    papers = model_papers(5)
    store_papers(conn, papers)
    with LlmStub(lambda call: rate_limited(10_000)) as stub:
        started = time.monotonic()
        summaries = llm(conn, stub.api_base, concurrency=1).summarize_all(papers, "en")
        elapsed = time.monotonic() - started
        assert len(stub.requests) == 1

    assert elapsed < 10
    assert all("kept rate-limiting" in s.source for s in summaries.values())
