"""The bot's jobs, shared by the CLI and the daemon: ingest messages, make a digest."""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.compose.build import build_digest
from bot.compose.model import Digest
from bot.config import Settings
from bot.deliver.files import WrittenDigest, write_digest_files
from bot.intake.files import RawMessage
from bot.intake.pipeline import IngestLimits, IngestResult, Outcome, ingest_message
from bot.rules.settings import DigestSettings
from bot.store.db import transaction
from bot.store.digests import DigestPlacement, record_digest
from bot.store.papers import pending_papers
from bot.summarize.base import Summarizer
from bot.summarize.extractive import ExtractiveSummarizer

if TYPE_CHECKING:  # the enricher pulls in the HTTP stack, unused offline
    from bot.enrich.enricher import Enricher

log = logging.getLogger(__name__)


@dataclass
class IngestTally:
    """Counts over an ingest run."""

    outcomes: Counter[Outcome] = field(default_factory=Counter)
    papers_found: int = 0
    papers_new: int = 0

    def add(self, result: IngestResult) -> None:
        """Count one message's result."""
        self.outcomes[result.outcome] += 1
        self.papers_found += result.papers_found
        self.papers_new += result.papers_new

    @property
    def messages(self) -> int:
        """How many messages were looked at."""
        return sum(self.outcomes.values())


def limits_from(settings: Settings, *, retry_quarantined: bool = False) -> IngestLimits:
    """The intake limits the settings ask for."""
    return IngestLimits(
        max_message_bytes=settings.max_message_bytes,
        max_attempts=settings.max_attempts,
        quarantine_dir=settings.quarantine_dir,
        retry_quarantined=retry_quarantined,
    )


def ingest_all(
    conn: sqlite3.Connection,
    messages: Iterable[RawMessage],
    limits: IngestLimits,
    *,
    on_result: Callable[[IngestResult], None] | None = None,
) -> IngestTally:
    """Feed every message to :func:`ingest_message`; one failure stops nothing."""
    tally = IngestTally()
    for message in messages:
        result = ingest_message(conn, message.raw, origin=message.origin, limits=limits)
        tally.add(result)
        if on_result is not None:
            on_result(result)
    return tally


def default_summarizer() -> Summarizer:
    """The offline extractive summarizer: no model, no key, no network."""
    return ExtractiveSummarizer()


@dataclass(frozen=True)
class DigestRun:
    """What ``make_digest`` produced."""

    digest: Digest
    written: WrittenDigest
    recorded_as: int | None


@dataclass(frozen=True)
class ComposedDigest:
    """A digest rendered to files, with where each paper sits in it."""

    digest: Digest
    written: WrittenDigest
    placements: tuple[DigestPlacement, ...]


def compose_digest(
    conn: sqlite3.Connection,
    out_dir: Path,
    digest_settings: DigestSettings,
    *,
    summarizer: Summarizer | None = None,
    enricher: Enricher | None = None,
    notes: Sequence[str] = (),
    empty_note: str | None = None,
    now: datetime | None = None,
) -> ComposedDigest:
    """Enrich, summarize and render every pending paper; record nothing.

    With an ``enricher``, pending papers are first completed from arXiv and
    OpenAlex; a paper whose lookup failed goes out anyway, with a note.
    """
    paper_notes: dict[int, list[str]] = {}
    if enricher is not None:
        from bot.enrich.enricher import UNAVAILABLE_NOTE

        report = enricher.enrich(pending_papers(conn))
        for row_id in report.unavailable:
            paper_notes.setdefault(row_id, []).append(UNAVAILABLE_NOTE)
    # Read again: enrichment completes records and can fold two into one.
    papers = pending_papers(conn)
    summarizer = summarizer or default_summarizer()
    summaries = summarizer.summarize_all(
        [paper.record for paper in papers], digest_settings.language
    )
    all_notes = list(notes)
    if not papers:
        all_notes.append(empty_note or _empty_note(conn))
    digest = build_digest(
        papers,
        summaries,
        title=digest_settings.title,
        generated_at=now or datetime.now(UTC),
        language=digest_settings.language,
        notes=all_notes,
        paper_notes=paper_notes,
    )
    written = write_digest_files(
        digest, out_dir, html_max_bytes=digest_settings.html_max_bytes
    )
    row_ids = {paper.record.key: paper.row_id for paper in papers}
    placements = tuple(
        DigestPlacement(row_ids[entry.paper.key], section.name, entry.number)
        for section in digest.sections
        for entry in section.entries
    )
    return ComposedDigest(digest, written, placements)


def make_digest(
    conn: sqlite3.Connection,
    out_dir: Path,
    digest_settings: DigestSettings,
    *,
    summarizer: Summarizer | None = None,
    enricher: Enricher | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> DigestRun:
    """Write the digest of every pending paper and, unless a dry run, record it.

    The files are written before the digest is recorded: a crash in between
    leaves the papers pending, so they go out again rather than never.
    """
    notes = ["Preview: these papers are not marked as delivered."] if dry_run else []
    composed = compose_digest(
        conn,
        out_dir,
        digest_settings,
        summarizer=summarizer,
        enricher=enricher,
        notes=notes,
        now=now,
    )
    digest, written = composed.digest, composed.written
    if dry_run or not composed.placements:
        return DigestRun(digest, written, None)

    with transaction(conn):
        digest_id = record_digest(
            conn,
            created_at=digest.generated_at,
            status="written",
            out_dir=str(out_dir),
            placements=composed.placements,
        )
    log.info(
        "digest %d recorded: %d paper(s) delivered", digest_id, len(composed.placements)
    )
    return DigestRun(digest, written, digest_id)


def _empty_note(conn: sqlite3.Connection) -> str:
    """Why the digest is empty: nothing ingested yet, or nothing new."""
    seen = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    if not seen:
        return (
            "No alerts have been ingested yet: forward alerts to the bot, or run "
            "scholar-digest ingest --from PATH."
        )
    return "No new papers arrived since the last digest."
