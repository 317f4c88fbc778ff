"""Completing pending papers from arXiv and OpenAlex, each lookup once."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.enrich.copies import arxiv_key, copy_matches, found_from_row, row_matches
from bot.enrich.errors import LookupFailedError, ServiceUnavailableError
from bot.enrich.found import FoundRecord
from bot.enrich.matching import best_candidate
from bot.models import AbstractSource, PaperRecord
from bot.store.db import transaction
from bot.store.lookups import (
    LookupService,
    LookupState,
    LookupStatus,
    lookup_states,
    record_lookup,
)
from bot.store.papers import StoredPaper, improve_paper, load_paper
from bot.text import normalize_title

log = logging.getLogger(__name__)

# Lookups that go to the same service share its fate when it is down.
_SERVICE_HOST = {
    LookupService.ARXIV_ID: "arxiv",
    LookupService.ARXIV_TITLE: "arxiv",
    LookupService.OPENALEX_DOI: "openalex",
    LookupService.OPENALEX_TITLE: "openalex",
}
UNAVAILABLE_NOTE = "Full record not available yet: shown as the alert gave it."


class ArxivLookup(Protocol):
    """What the enricher needs from the arXiv client."""

    def fetch(self, ids: Sequence[str]) -> dict[str, FoundRecord]: ...

    def search_title(
        self, title: str, *, max_results: int = 5
    ) -> list[FoundRecord]: ...


class OpenAlexLookup(Protocol):
    """What the enricher needs from the OpenAlex client."""

    def by_dois(self, dois: Sequence[str]) -> dict[str, FoundRecord]: ...

    def search_title(self, title: str, *, per_page: int = 5) -> list[FoundRecord]: ...


@dataclass(frozen=True)
class RetryPolicy:
    """When a lookup that failed or found nothing is tried again."""

    # arXiv's API lags its listing by about a day for new ids: not found
    # today is worth asking again tomorrow, not every few minutes.
    retry_after: timedelta = timedelta(hours=6)
    max_attempts: int = 5

    def due(self, state: LookupState | None, now: datetime) -> bool:
        """Whether the lookup should be made on this run."""
        if state is None:
            return True
        if state.status is LookupStatus.FOUND or state.attempts >= self.max_attempts:
            return False
        return now - state.tried_at >= self.retry_after


@dataclass
class EnrichReport:
    """What one enrichment run did, for logs and the digest."""

    looked_up: int = 0
    found: int = 0
    failed: int = 0
    unavailable: set[int] = field(default_factory=set)


class Enricher:
    """Looks up pending papers and merges what is found into the store."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        arxiv: ArxivLookup,
        openalex: OpenAlexLookup,
        policy: RetryPolicy | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._conn = conn
        self._arxiv = arxiv
        self._openalex = openalex
        self._policy = policy or RetryPolicy()
        self._now = now
        self._asked: set[tuple[int, LookupService]] = set()
        self._down: set[str] = set()
        # Lookups passed over because their service was down in this run.
        self._skipped: set[tuple[int, LookupService]] = set()
        # arXiv copies OpenAlex named, by row: linked only once checked.
        self._copies: dict[int, str] = {}

    def enrich(self, papers: Sequence[StoredPaper]) -> EnrichReport:
        """Complete ``papers``: arXiv by id, then OpenAlex by DOI, then titles.

        A service that is down costs only its own lookups: they are recorded
        as failed, retried on a later run, and the papers go out as the
        alert gave them.
        """
        report = EnrichReport()
        self._asked.clear()
        self._down.clear()
        self._skipped.clear()
        self._copies.clear()
        rows = {paper.row_id: paper.record for paper in papers}
        states = lookup_states(self._conn, list(rows))

        self._by_arxiv_id(rows, states, report)
        self._by_doi(rows, states, report)
        self._by_title(rows, states, report)
        # A DOI or title lookup may have named an arXiv copy: check it now.
        self._by_arxiv_copy(rows, states, report)
        self._by_arxiv_id(rows, states, report)

        self._record_skipped(rows, states)
        for row_id, record in rows.items():
            open_lookup = self._has_open_lookup(row_id, states)
            if _incomplete(record) and (open_lookup or self._down):
                report.unavailable.add(row_id)
        log.info(
            "enrichment: %d lookup(s), %d found, %d failed, %d skipped "
            "(service down), %d paper(s) incomplete",
            report.looked_up,
            report.found,
            report.failed,
            len(self._skipped),
            len(report.unavailable),
        )
        return report

    def _by_arxiv_id(
        self,
        rows: dict[int, PaperRecord],
        states: dict[tuple[int, LookupService], LookupState],
        report: EnrichReport,
    ) -> None:
        service = LookupService.ARXIV_ID
        wanted = {
            row_id: record.arxiv_id
            for row_id, record in rows.items()
            if record.arxiv_id
            # A listing's own record is already complete.
            and record.abstract_source
            not in (AbstractSource.ARXIV, AbstractSource.LISTING)
            and self._due(states, row_id, service)
        }
        # An id answered is the paper itself: the link named it.
        self._batch(rows, states, report, service, wanted, self._arxiv.fetch, _as_found)

    def _by_doi(
        self,
        rows: dict[int, PaperRecord],
        states: dict[tuple[int, LookupService], LookupState],
        report: EnrichReport,
    ) -> None:
        service = LookupService.OPENALEX_DOI
        wanted = {
            row_id: record.doi
            for row_id, record in rows.items()
            if record.doi
            and not record.arxiv_id
            and _incomplete(record)
            and self._due(states, row_id, service)
        }
        # A DOI read from a link can name the book or the issue: the answer
        # must still agree with our title, authors and year.
        self._batch(
            rows, states, report, service, wanted, self._openalex.by_dois, _checked
        )

    def _batch(
        self,
        rows: dict[int, PaperRecord],
        states: dict[tuple[int, LookupService], LookupState],
        report: EnrichReport,
        service: LookupService,
        wanted: dict[int, str],
        fetch: Callable[[Sequence[str]], dict[str, FoundRecord]],
        choose: Callable[[PaperRecord, FoundRecord | None], FoundRecord | None],
    ) -> None:
        """One batched lookup of ``wanted`` (row id to the key asked for)."""
        if not wanted:
            return
        try:
            found = fetch(sorted(set(wanted.values())))
        except LookupFailedError as exc:
            self._record_failure(wanted, service, exc, states, report)
            return
        with transaction(self._conn):
            for row_id, asked in wanted.items():
                accepted = choose(rows[row_id], found.get(asked))
                self._settle(rows, states, report, row_id, service, accepted)

    def _by_title(
        self,
        rows: dict[int, PaperRecord],
        states: dict[tuple[int, LookupService], LookupState],
        report: EnrichReport,
    ) -> None:
        searches: tuple[tuple[LookupService, Callable[[str], list[FoundRecord]]], ...]
        searches = (
            (LookupService.OPENALEX_TITLE, self._openalex.search_title),
            (LookupService.ARXIV_TITLE, self._arxiv.search_title),
        )
        for row_id in list(rows):
            for service, search in searches:
                record = rows.get(row_id)
                if record is None or not _needs_title_search(record):
                    break
                if row_id in self._copies:
                    break  # the copy OpenAlex named is checked by id instead
                if not self._due(states, row_id, service):
                    continue
                # The clients drop a last word that Scholar may have cut in
                # half; they know a title is cut by its closing ellipsis.
                query = f"{record.title} …" if record.title_truncated else record.title
                try:
                    candidates = search(query)
                except LookupFailedError as exc:
                    self._record_failure([row_id], service, exc, states, report)
                    continue
                accepted = best_candidate(record, candidates)
                with transaction(self._conn):
                    self._settle(rows, states, report, row_id, service, accepted)

    def _by_arxiv_copy(
        self,
        rows: dict[int, PaperRecord],
        states: dict[tuple[int, LookupService], LookupState],
        report: EnrichReport,
    ) -> None:
        """Link the arXiv copies OpenAlex named, where the copy is our paper.

        The copy's record comes from arXiv, else from a row already holding
        its id (arXiv's API lags its listing). A copy that cannot be checked
        now, arXiv being down, stays unlinked: the paper keeps what OpenAlex
        gave, which is whole.
        """
        service = LookupService.ARXIV_ID
        wanted = {
            row_id: arxiv_id
            for row_id, arxiv_id in self._copies.items()
            if row_id in rows
            and not rows[row_id].arxiv_id
            and self._due(states, row_id, service)
        }
        self._copies.clear()
        if not wanted:
            return
        try:
            found = self._arxiv.fetch(sorted(set(wanted.values())))
        except LookupFailedError as exc:
            if isinstance(exc, ServiceUnavailableError):
                self._down.add(_SERVICE_HOST[service])
            log.warning(
                "arXiv copies named by OpenAlex left unlinked for %d paper(s): %s",
                len(wanted),
                exc,
            )
            return
        with transaction(self._conn):
            for row_id, arxiv_id in wanted.items():
                record = rows.get(row_id)
                if record is None:  # folded into another row meanwhile
                    continue
                accepted = self._checked_copy(record, arxiv_id, found.get(arxiv_id))
                if accepted is None:
                    log.info(
                        "paper row %d: OpenAlex names arXiv %s as its copy, "
                        "but that record is another paper; not linked",
                        row_id,
                        arxiv_id,
                    )
                self._settle(rows, states, report, row_id, service, accepted)

    def _checked_copy(
        self, ours: PaperRecord, arxiv_id: str, fetched: FoundRecord | None
    ) -> FoundRecord | None:
        if fetched is not None:
            return fetched if copy_matches(ours, fetched) else None
        row = self._conn.execute(
            "SELECT id FROM papers WHERE key = ?", (arxiv_key(arxiv_id),)
        ).fetchone()
        held = load_paper(self._conn, int(row["id"])) if row is not None else None
        if held is None or not row_matches(ours, held):
            return None
        return found_from_row(held)

    def _settle(
        self,
        rows: dict[int, PaperRecord],
        states: dict[tuple[int, LookupService], LookupState],
        report: EnrichReport,
        row_id: int,
        service: LookupService,
        found: FoundRecord | None,
    ) -> None:
        """Record one lookup's outcome and merge what it found (in a transaction)."""
        now = self._now()
        self._asked.add((row_id, service))
        report.looked_up += 1
        status = LookupStatus.FOUND if found else LookupStatus.NOT_FOUND
        record_lookup(self._conn, row_id, service, status, tried_at=now)
        previous = states.get((row_id, service))
        attempts = (previous.attempts if previous else 0) + 1
        states[(row_id, service)] = LookupState(status, attempts, now)
        if found is None:
            return

        report.found += 1
        copy = None
        if found.source is AbstractSource.OPENALEX and found.arxiv_id:
            # Checked against the copy's own record before it is linked.
            copy = found.arxiv_id
            found = replace(found, arxiv_id=None, arxiv_version=None)
        kept_row = improve_paper(self._conn, row_id, paper_record_from(found))
        improved = load_paper(self._conn, kept_row)
        if improved is None:
            return
        if kept_row != row_id:
            rows.pop(row_id, None)
            self._copies.pop(row_id, None)
        self._forget_folded(rows, improved.key, kept_row)
        # A row folded into a delivered paper is not pending any more.
        if kept_row in rows:
            rows[kept_row] = improved
            if copy is not None:
                self._copies[kept_row] = copy

    def _forget_folded(
        self, rows: dict[int, PaperRecord], key: str, kept_row: int
    ) -> None:
        """Drop rows folded into ``kept_row``: they are gone from the store."""
        for other in [r for r, rec in rows.items() if rec.key == key]:
            if other != kept_row and load_paper(self._conn, other) is None:
                rows.pop(other)
                self._copies.pop(other, None)

    def _record_failure(
        self,
        wanted: Iterable[int],
        service: LookupService,
        exc: LookupFailedError,
        states: dict[tuple[int, LookupService], LookupState],
        report: EnrichReport,
    ) -> None:
        rows = list(wanted)
        if isinstance(exc, ServiceUnavailableError):
            # Down after its own retries: asking again for every other paper
            # would only hold up the digest. Later runs try again.
            self._down.add(_SERVICE_HOST[service])
        log.warning(
            "%s lookup failed for %d paper(s), retried on a later run: %s",
            service.value,
            len(rows),
            exc,
        )
        now = self._now()
        with transaction(self._conn):
            for row_id in rows:
                self._asked.add((row_id, service))
                record_lookup(
                    self._conn,
                    row_id,
                    service,
                    LookupStatus.FAILED,
                    tried_at=now,
                    detail=str(exc)[:300],
                )
                previous = states.get((row_id, service))
                attempts = (previous.attempts if previous else 0) + 1
                states[(row_id, service)] = LookupState(
                    LookupStatus.FAILED, attempts, now
                )
        report.failed += len(rows)

    def _due(
        self,
        states: dict[tuple[int, LookupService], LookupState],
        row_id: int,
        service: LookupService,
    ) -> bool:
        # Once per run at most, whatever the retry policy says, and not at
        # all once the service was found down in this run.
        if (row_id, service) in self._asked:
            return False
        due = self._policy.due(states.get((row_id, service)), self._now())
        if due and _SERVICE_HOST[service] in self._down:
            self._skipped.add((row_id, service))
            return False
        return due

    def _record_skipped(
        self,
        rows: dict[int, PaperRecord],
        states: dict[tuple[int, LookupService], LookupState],
    ) -> None:
        """Count lookups skipped for an outage as failed, so later runs wait.

        Without this, each later run would ask the service for one more
        paper, wait out its retries again, and skip the rest once more.
        """
        if not self._skipped:
            return
        now = self._now()
        with transaction(self._conn):
            for row_id, service in sorted(self._skipped):
                if row_id not in rows:
                    continue  # folded into another row during this run
                record_lookup(
                    self._conn,
                    row_id,
                    service,
                    LookupStatus.FAILED,
                    tried_at=now,
                    detail="not asked: the service was down in this run",
                )
                previous = states.get((row_id, service))
                attempts = (previous.attempts if previous else 0) + 1
                states[(row_id, service)] = LookupState(
                    LookupStatus.FAILED, attempts, now
                )

    def _has_open_lookup(
        self, row_id: int, states: dict[tuple[int, LookupService], LookupState]
    ) -> bool:
        """A lookup failed or may still succeed on a later run."""
        for (state_row, _), state in states.items():
            if state_row != row_id or state.status is LookupStatus.FOUND:
                continue
            if state.attempts < self._policy.max_attempts:
                return True
        return False


def _as_found(_: PaperRecord, found: FoundRecord | None) -> FoundRecord | None:
    return found


def _checked(record: PaperRecord, found: FoundRecord | None) -> FoundRecord | None:
    return best_candidate(record, [found] if found else [])


def _incomplete(record: PaperRecord) -> bool:
    """Only a snippet or nothing: the full abstract is still missing."""
    return record.abstract_source in (AbstractSource.SNIPPET, AbstractSource.NONE)


def _needs_title_search(record: PaperRecord) -> bool:
    return _incomplete(record) and not record.arxiv_id and bool(record.title_norm)


def paper_record_from(found: FoundRecord) -> PaperRecord:
    """A found record in the store's shape, ready to merge."""
    title_norm = normalize_title(found.title)
    return PaperRecord(
        key="",
        title=found.title,
        title_norm=title_norm,
        authors=list(found.authors),
        venue=found.venue,
        year=found.year,
        arxiv_id=found.arxiv_id,
        arxiv_version=found.arxiv_version,
        doi=found.doi,
        url=None,
        abstract=found.abstract,
        abstract_source=found.source if found.abstract else AbstractSource.NONE,
        categories=list(found.categories),
        comments=found.comments,
    )
