"""Enrichment benchmark: 200 pending papers against local arXiv and OpenAlex stand-ins.

150 papers carry an arXiv id, 50 do not (25 with a publisher DOI, 25 known
only by a title, some cut). The stand-ins run on 127.0.0.1; the arXiv
interval is 0.2 s. Prints requests per paper, wall time against the minimum
the intervals impose, and the share of papers that end with a full abstract,
as medians over several runs:

    .venv/bin/python bench/enrich.py [--runs 3]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import load_settings
from bot.enrich.setup import OPENALEX_MIN_INTERVAL, open_enricher
from bot.models import AbstractSource, PaperRecord, paper_key
from bot.store import open_store
from bot.store.db import transaction
from bot.store.papers import pending_papers, upsert_paper
from bot.text import normalize_title
from tests.stubs.arxiv_stub import ArxivStub, StubEntry
from tests.stubs.openalex_stub import OpenAlexStub, make_work

ARXIV_INTERVAL = 0.2
PUBLISHED = "2026-11-30T18:00:00Z"
WORDS = [
    "adaptive",
    "learned",
    "sparse",
    "streaming",
    "elastic",
    "vectorized",
    "incremental",
    "robust",
    "cache",
    "join",
    "index",
    "planner",
    "kernel",
    "shard",
    "replica",
    "tensor",
    "graph",
    "query",
]


def title_for(n: int) -> str:
    picked = [WORDS[(n * 7 + k * 3) % len(WORDS)] for k in range(5)]
    return f"Study {n} of " + " ".join(word.capitalize() for word in picked)


def alert_record(title: str, *, arxiv_id: str | None, doi: str | None) -> PaperRecord:
    cut = len(title) > 30 and arxiv_id is None and doi is None
    shown = title[:30] if cut else title
    norm = normalize_title(shown)
    return PaperRecord(
        key=paper_key(arxiv_id, doi, norm, 2026),
        title=shown,
        title_norm=norm,
        title_truncated=cut,
        authors=["A Author"],
        year=2026,
        arxiv_id=arxiv_id,
        doi=doi,
        abstract="Three lines of snippet",
        abstract_source=AbstractSource.SNIPPET,
        snippet="Three lines of snippet",
    )


def build() -> tuple[list[PaperRecord], ArxivStub, OpenAlexStub]:
    papers: list[PaperRecord] = []
    arxiv_entries, works = [], []
    for n in range(150):
        arxiv_id = f"2612.{10000 + n}"
        papers.append(alert_record(title_for(n), arxiv_id=arxiv_id, doi=None))
        arxiv_entries.append(
            StubEntry(
                arxiv_id,
                title_for(n),
                summary=f"Abstract {n}.",
                published=PUBLISHED,
            )
        )
    for n in range(150, 175):
        doi = f"10.1234/bench.{n}"
        papers.append(alert_record(title_for(n), arxiv_id=None, doi=doi))
        if n < 170:
            works.append(
                make_work(
                    f"W{n}",
                    title_for(n),
                    doi=doi,
                    year=2026,
                    authors=("Ann Author",),
                    abstract=f"Abstract {n}.",
                )
            )
    for n in range(175, 200):
        papers.append(alert_record(title_for(n), arxiv_id=None, doi=None))
        if n < 190:
            works.append(
                make_work(
                    f"W{n}",
                    title_for(n),
                    year=2026,
                    authors=("Ann Author",),
                    abstract=f"Abstract {n}.",
                )
            )
        elif n < 195:
            arxiv_entries.append(
                StubEntry(
                    f"2611.{20000 + n}",
                    title_for(n),
                    summary=f"Abstract {n}.",
                    published=PUBLISHED,
                )
            )
    return papers, ArxivStub(arxiv_entries), OpenAlexStub(works)


def one_run() -> tuple[float, float, int, int, float]:
    papers, arxiv, openalex = build()
    with tempfile.TemporaryDirectory(prefix="bench-enrich-") as temp:
        conn = open_store(Path(temp) / "bench.sqlite3")
        with transaction(conn):
            for record in papers:
                upsert_paper(conn, record)
        with arxiv, openalex:
            settings = load_settings(
                {
                    "SCHOLAR_DIGEST_ARXIV_API_URL": arxiv.url,
                    "SCHOLAR_DIGEST_OPENALEX_URL": openalex.url,
                    "SCHOLAR_DIGEST_ARXIV_MIN_INTERVAL": str(ARXIV_INTERVAL),
                },
                env_file=Path(temp) / "none.env",
            )
            started = time.perf_counter()
            with open_enricher(conn, settings) as enricher:
                enricher.enrich(pending_papers(conn))
            wall = time.perf_counter() - started
        full = sum(
            1
            for paper in pending_papers(conn)
            if paper.record.abstract_source
            in (AbstractSource.ARXIV, AbstractSource.OPENALEX)
        )
        conn.close()
    arxiv_requests, openalex_requests = len(arxiv.requests), len(openalex.requests)
    id_requests = sum(1 for r in arxiv.requests if "id_list" in r.query)
    # Each service has its own connection and interval, so the lower bound
    # is the longer of the two services' request trains.
    minimum = max(
        max(0, arxiv_requests - 1) * ARXIV_INTERVAL,
        max(0, openalex_requests - 1) * OPENALEX_MIN_INTERVAL,
    )
    requests = arxiv_requests + openalex_requests
    return wall, minimum, requests, id_requests, full / len(papers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    results = [one_run() for _ in range(args.runs)]
    for number, (wall, minimum, requests, id_requests, share) in enumerate(results):
        print(
            f"run {number + 1}: {wall:.2f} s (interval minimum {minimum:.2f} s), "
            f"{requests} requests, {id_requests} id_list, {share:.0%} full"
        )
    wall = statistics.median(r[0] for r in results)
    minimum = statistics.median(r[1] for r in results)
    requests = statistics.median(r[2] for r in results)
    id_requests = statistics.median(r[3] for r in results)
    share = statistics.median(r[4] for r in results)
    print(f"median wall time: {wall:.2f} s")
    print(f"minimum imposed by the intervals: {minimum:.2f} s")
    print(f"wall / minimum: {wall / minimum:.2f} (target at most 1.5)")
    print(f"requests per paper: {requests / 200:.3f} ({requests:.0f} for 200)")
    print(f"id_list requests for the 150 arXiv ids: {id_requests:.0f} (target <= 2)")
    print(f"papers ending with a full abstract: {share:.0%}")


if __name__ == "__main__":
    main()
