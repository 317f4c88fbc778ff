"""The bot's jobs, shared by the CLI and the daemon: ingest messages, make a digest."""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
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
from bot.rules.apply import rule_papers
from bot.rules.model import Decision, RuleSet
from bot.rules.plan import plan_of
from bot.rules.settings import DigestSettings
from bot.store.db import transaction
from bot.store.digests import DigestPlacement, record_digest
from bot.store.papers import (
    StoredPaper,
    newest_source,
    pending_papers,
    resurfaced_papers,
)
from bot.summarize.base import Summarizer
from bot.summarize.by_language import summaries_for
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
    """A digest rendered to files, with where each paper sits in it.

    ``placements`` include the papers rules dropped (number 0), so they are
    not looked at again.
    """

    digest: Digest
    written: WrittenDigest
    placements: tuple[DigestPlacement, ...]


def enrich_pending(
    enricher: Enricher | None, papers: Sequence[StoredPaper]
) -> dict[int, list[str]]:
    """Complete ``papers`` from arXiv and OpenAlex; notes for those that failed."""
    paper_notes: dict[int, list[str]] = {}
    if enricher is None or not papers:
        return paper_notes
    from bot.enrich.enricher import UNAVAILABLE_NOTE

    report = enricher.enrich(list({paper.row_id: paper for paper in papers}.values()))
    for row_id in report.unavailable:
        paper_notes.setdefault(row_id, []).append(UNAVAILABLE_NOTE)
    return paper_notes


def compose_digest(
    out_dir: Path,
    digest_settings: DigestSettings,
    papers: Sequence[StoredPaper],
    *,
    rules: RuleSet | None = None,
    language: str | None = None,
    summarizer: Summarizer | None = None,
    paper_notes: Mapping[int, Sequence[str]] | None = None,
    notes: Sequence[str] = (),
    empty_note: str | None = None,
    earlier: Sequence[tuple[StoredPaper, str]] = (),
    now: datetime | None = None,
) -> ComposedDigest:
    """Apply the rules to ``papers``, summarize and render them; record nothing.

    ``earlier`` are papers sent on an earlier day that a new alert carried
    again, with that day; ``earlier_papers`` in the settings says whether
    they are hidden, listed one line each, or shown in full again.
    """
    language = language or digest_settings.language
    mode = digest_settings.earlier_papers
    entry_notes: dict[int, list[str]] = {
        row_id: list(lines) for row_id, lines in (paper_notes or {}).items()
    }
    notes = list(notes)
    if mode == "full":
        papers = [*papers, *(paper for paper, _ in earlier)]
        for paper, day in earlier:
            entry_notes.setdefault(paper.row_id, []).append(again_note(day))
    elif mode == "line":
        # The rules still apply: a paper they drop is not listed again.
        kept = rule_papers(rules or RuleSet(), [paper for paper, _ in earlier]).kept
        kept_ids = {paper.row_id for paper in kept}
        notes += again_lines([item for item in earlier if item[0].row_id in kept_ids])
    ruled = rule_papers(rules or RuleSet(), papers)
    decisions = ruled.decisions
    summaries = summaries_for(
        summarizer or default_summarizer(),
        [paper.record for paper in ruled.kept],
        language,
        languages={k: d.language for k, d in decisions.items() if d.language},
        skipped=frozenset(k for k, d in decisions.items() if not d.summary),
    )
    all_notes = list(notes)
    if not ruled.kept and not (mode == "line" and earlier):
        all_notes.append(empty_note or "No new papers arrived since the last digest.")
    digest = build_digest(
        ruled.kept,
        summaries,
        title=digest_settings.title,
        generated_at=now or datetime.now(UTC),
        language=language,
        notes=all_notes,
        paper_notes=entry_notes,
        plans={key: plan_of(decision) for key, decision in decisions.items()},
        max_per_section=digest_settings.max_per_section,
        max_total=digest_settings.max_total,
    )
    written = write_digest_files(
        digest, out_dir, html_max_bytes=digest_settings.html_max_bytes
    )
    row_ids = {paper.record.key: paper.row_id for paper in papers}
    placements = [
        DigestPlacement(row_ids[entry.paper.key], section.name, entry.number)
        for section in digest.sections
        for entry in section.entries
    ]
    placements += [
        DigestPlacement(paper.row_id, f"(dropped by {_dropper(decision)})", 0)
        for paper, decision in ruled.dropped
    ]
    if mode == "line":
        placements += [
            DigestPlacement(paper.row_id, "(listed again on one line)", 0)
            for paper, _ in earlier
        ]
    return ComposedDigest(digest, written, tuple(placements))


def again_note(day: str) -> str:
    """The note on a paper shown in full again."""
    return f"Already in the digest of {day}; a new alert carried it again."


def again_lines(
    earlier: Sequence[tuple[StoredPaper, str]], *, most: int = 20
) -> list[str]:
    """One digest note per paper carried again (``earlier_papers = "line"``)."""
    lines = [
        f"Again in a new alert, already sent on {day}: {paper.record.title}"
        for paper, day in earlier[:most]
    ]
    if len(earlier) > most:
        lines.append(f"... and {len(earlier) - most} more papers sent before.")
    return lines


def _dropper(decision: Decision) -> str:
    return ", ".join(decision.dropped_by) or "a rule"


def make_digest(
    conn: sqlite3.Connection,
    out_dir: Path,
    digest_settings: DigestSettings,
    *,
    summarizer: Summarizer | None = None,
    enricher: Enricher | None = None,
    rules: RuleSet | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> DigestRun:
    """Write the digest of every pending paper and, unless a dry run, record it.

    The files are written before the digest is recorded: a crash in between
    leaves the papers pending, so they go out again rather than never.
    """
    notes = ["Preview: these papers are not marked as delivered."] if dry_run else []
    paper_notes = enrich_pending(enricher, pending_papers(conn))
    # Read again: enrichment completes records and can fold two into one.
    seen_upto = newest_source(conn)
    papers = pending_papers(conn)
    composed = compose_digest(
        out_dir,
        digest_settings,
        papers,
        rules=rules,
        summarizer=summarizer,
        paper_notes=paper_notes,
        notes=notes,
        empty_note=_empty_note(conn),
        earlier=resurfaced_papers(conn),
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
            sources_upto=seen_upto,
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
