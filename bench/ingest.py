"""Ingest benchmark: 1,000 generated alert emails read from files into a new store.

Prints emails/s, papers/s and peak memory as medians over several runs, and
the ratio to the target of 100 emails/s. Run from the repository root:

    .venv/bin/python bench/ingest.py [--emails 1000] [--runs 5]

Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from bot.intake.files import iter_raw_messages
from bot.intake.pipeline import IngestLimits
from bot.jobs import ingest_all
from bot.samples.bulk import iter_bulk_alerts
from bot.store import open_store

TARGET_EMAILS_PER_SECOND = 100.0


def write_alerts(folder: Path, count: int) -> int:
    """Write ``count`` alert emails as .eml files; return their total size."""
    total = 0
    for index, raw in enumerate(iter_bulk_alerts(count, seed=7)):
        (folder / f"{index:05d}.eml").write_bytes(raw)
        total += len(raw)
    return total


def one_run(
    inbox: Path, store_dir: Path, *, trace: bool
) -> tuple[float, int, int, int]:
    """Ingest every file of ``inbox`` into a new store; time it (or trace memory)."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    conn = open_store(store_dir / "bench.sqlite3")
    try:
        tally = ingest_all(conn, iter_raw_messages(inbox), IngestLimits())
    finally:
        conn.close()
    elapsed = time.perf_counter() - started
    peak = 0
    if trace:
        # Tracing slows Python down several times: its run is not timed.
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return elapsed, tally.messages, tally.papers_found, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as temp:
        inbox = Path(temp) / "inbox"
        inbox.mkdir()
        size = write_alerts(inbox, args.emails)
        print(f"{args.emails} alert emails, {size / 1e6:.1f} MB on disk")

        timings, emails, papers = [], 0, 0
        for run in range(args.runs):
            store_dir = Path(temp) / f"store-{run}"
            store_dir.mkdir()
            elapsed, emails, papers, _ = one_run(inbox, store_dir, trace=False)
            timings.append(elapsed)
            print(f"run {run + 1}: {elapsed:.2f} s, {emails / elapsed:.0f} emails/s")
        traced = Path(temp) / "store-traced"
        traced.mkdir()
        _, _, _, peak = one_run(inbox, traced, trace=True)

    median = statistics.median(timings)
    rate = emails / median
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"median over {args.runs} runs: {median:.2f} s")
    print(
        f"emails/s: {rate:.0f} (target {TARGET_EMAILS_PER_SECOND:.0f}: "
        f"{rate / TARGET_EMAILS_PER_SECOND:.1f}x)"
    )
    print(f"papers/s: {papers / median:.0f} ({papers} paper mentions per run)")
    print(f"peak traced Python memory during one ingest: {peak / 1e6:.1f} MB")
    print(f"peak resident set size of the process: {max_rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
