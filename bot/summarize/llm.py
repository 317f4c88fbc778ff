"""Summaries written by a model through litellm, cached, capped, never blocking."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.config import Settings
from bot.errors import StoreError
from bot.models import PaperRecord
from bot.rules.settings import DigestSettings
from bot.store.db import transaction
from bot.store.summaries import SummaryKey, cached_summary, store_summary, usage_since
from bot.summarize.answer import (
    TLDR_LIMIT,
    WRONG_LANGUAGE,
    ParsedAnswer,
    clean_field,
    language_problem,
    parse_answer,
    summary_from_fields,
)
from bot.summarize.base import Summarizer, Summary
from bot.summarize.errors import (
    ModelAuthFailedError,
    ModelCallFailedError,
    ModelError,
    ModelRateLimitedError,
    ModelRefusedJsonModeError,
    ModelUnusableError,
)
from bot.summarize.extractive import ExtractiveSummarizer, trim_at_word
from bot.summarize.llm_client import ModelAnswer, ModelClient
from bot.summarize.prompt import (
    PROMPT_VERSION,
    SummaryInput,
    build_messages,
    corrective_messages,
    language_name,
    summary_input,
    text_hash,
)

log = logging.getLogger(__name__)

# The one retry policy: attempts per model call, and the most one paper may
# spend waiting out rate limits. litellm's own retries are off.
MAX_ATTEMPTS = 4
MAX_WAIT_SECONDS = 60.0
FIRST_BACKOFF_SECONDS = 1.0

# Failed calls in a row (timeouts, 5xx, unknown model) that stop the run's
# calls, as an unreachable model does at once.
FAILURES_BEFORE_STOP = 3
FALLBACK_MALFORMED = "fallback after a malformed model answer"
FALLBACK_WRONG_LANGUAGE = "fallback after a model answer in the wrong language"
FALLBACK_FAILED = "fallback after a failed model call"
FALLBACK_OVER_CAP = "fallback: daily model cap reached"
FALLBACK_UNREACHABLE = "fallback: model unreachable"
FALLBACK_AUTH = "fallback: model refused the API key"
FALLBACK_RATE_LIMITED = "fallback: model kept rate-limiting"


def with_fallback_note(summary: Summary, note: str) -> Summary:
    """``summary`` with ``note`` first in its source's parentheses.

    ``extractive (from the abstract)`` becomes ``extractive (NOTE; from the
    abstract)``, so every output says why no model wrote it.
    """
    head, bracket, rest = summary.source.partition(" (")
    if bracket and rest.endswith(")"):
        return replace(summary, source=f"{head} ({note}; {rest}")
    return replace(summary, source=f"{summary.source} ({note})")


@dataclass(frozen=True)
class _Job:
    """One paper to send to the model, with what its cache entry depends on."""

    paper: PaperRecord
    row_id: int | None
    shown: SummaryInput
    text_hash: str


class _CallingStoppedError(Exception):
    """Raised inside a run once the breaker has tripped: make no more calls."""


@dataclass
class _Run:
    """What one ``summarize_all`` learns while it runs."""

    key: SummaryKey
    semaphore: asyncio.Semaphore
    spent_usd: float
    unfinished: int
    json_mode: bool = True
    # Set once by the first failure that no later call could get past.
    stop_note: str | None = None
    spend_cap_logged: bool = False
    failed_in_a_row: int = 0


class LlmSummarizer:
    """Summarizes each paper with one model call; never fails the digest.

    A cached summary (same paper, model, language, prompt version and text)
    is used as is. Otherwise the model is asked for JSON; an unusable answer
    gets one corrective call; then ``fallback`` writes that paper's summary,
    marked as a fallback. Unreachable models, refused keys and lasting rate
    limits stop all calls for the rest of the run; the daily caps stop them
    for the rest of the day (UTC).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        model: str,
        api_base: str | None,
        api_key: str | None,
        concurrency: int,
        timeout: float,
        daily_papers: int,
        daily_spend_usd: float,
        fallback: Summarizer,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = f"llm {model}"
        self.model = model
        self._conn = conn
        self._client = ModelClient(
            model, api_base=api_base, api_key=api_key, timeout=timeout
        )
        self._concurrency = max(1, concurrency)
        self._daily_papers = daily_papers
        self._daily_spend_usd = daily_spend_usd
        self._fallback = fallback
        self._now = now

    def summarize_all(
        self, papers: Sequence[PaperRecord], language: str
    ) -> dict[str, Summary]:
        """One summary per paper, keyed by the paper's store key."""
        key = SummaryKey(self.model, language, PROMPT_VERSION)
        found: dict[str, Summary] = {}
        jobs: list[_Job] = []
        for paper in papers:
            job = self._job(paper)
            cached = None
            if job.row_id is not None:
                cached = cached_summary(self._conn, job.row_id, key, job.text_hash)
            if cached is not None:
                found[paper.key] = _cleaned(cached)
            else:
                jobs.append(job)

        sent, over_cap, spent_today = self._within_caps(jobs)
        # Nothing to send: litellm is not even imported.
        if sent:
            found.update(asyncio.run(self._summarize_jobs(sent, key, spent_today)))
        for job in over_cap:
            found[job.paper.key] = self._fallback_for(job, key, FALLBACK_OVER_CAP)
        return {paper.key: found[paper.key] for paper in papers}

    def _job(self, paper: PaperRecord) -> _Job:
        row = self._conn.execute(
            "SELECT id FROM papers WHERE key = ?", (paper.key,)
        ).fetchone()
        shown = summary_input(paper)
        return _Job(
            paper, None if row is None else int(row[0]), shown, text_hash(shown)
        )

    def _within_caps(self, jobs: list[_Job]) -> tuple[list[_Job], list[_Job], float]:
        """The jobs today's caps (UTC) leave room for, those over, and today's spend."""
        today = self._now().astimezone(UTC)
        midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
        papers_today, spent_today = usage_since(self._conn, midnight)
        slots = max(0, self._daily_papers - papers_today)
        if spent_today >= self._daily_spend_usd:
            slots = 0
        if slots < len(jobs):
            log.warning(
                "daily model cap reached (%d of %d papers, $%.4f of $%.2f); "
                "using %s summaries for %d paper(s)",
                papers_today,
                self._daily_papers,
                spent_today,
                self._daily_spend_usd,
                self._fallback.name,
                len(jobs) - slots,
            )
        return jobs[:slots], jobs[slots:], spent_today

    async def _summarize_jobs(
        self, jobs: Sequence[_Job], key: SummaryKey, spent_today: float
    ) -> dict[str, Summary]:
        run = _Run(
            key=key,
            semaphore=asyncio.Semaphore(self._concurrency),
            spent_usd=spent_today,
            unfinished=len(jobs),
        )
        try:
            written = await asyncio.gather(*(self._summarize(run, job) for job in jobs))
        finally:
            await self._client.close()

        # gather keeps the order of its arguments, whatever order answers came in.
        return {
            job.paper.key: summary for job, summary in zip(jobs, written, strict=True)
        }

    async def _summarize(self, run: _Run, job: _Job) -> Summary:
        try:
            async with run.semaphore:
                return await self._model_summary(run, job)
        except Exception:
            # A bug met by one paper must not cost the others their summaries.
            log.exception("paper %s: summarizing failed", job.paper.key)
            return self._fallback_for(job, run.key, FALLBACK_FAILED)
        finally:
            run.unfinished -= 1

    async def _model_summary(self, run: _Run, job: _Job) -> Summary:
        if run.stop_note is not None:
            return self._fallback_for(job, run.key, run.stop_note)
        if run.spent_usd >= self._daily_spend_usd:
            self._log_spend_cap(run)
            return self._fallback_for(job, run.key, FALLBACK_OVER_CAP)

        messages = build_messages(job.shown, run.key.language)
        cost: float | None = None
        try:
            answer = await self._ask(run, messages)
            cost = answer.cost_usd
            parsed = self._parse(answer, job, run.key.language)
            if parsed.problem is not None:
                log.debug(
                    "paper %s: model answer unusable (%s); asking once more",
                    job.paper.key,
                    parsed.problem,
                )
                retry = corrective_messages(messages, answer.content, parsed.problem)
                answer = await self._ask(run, retry)
                cost = _total(cost, answer.cost_usd)
                parsed = self._parse(answer, job, run.key.language)
        except _CallingStoppedError:
            return self._fallback_for(job, run.key, run.stop_note or FALLBACK_FAILED)
        except ModelUnusableError as exc:
            auth = isinstance(exc, ModelAuthFailedError)
            self._stop(run, str(exc), FALLBACK_AUTH if auth else FALLBACK_UNREACHABLE)
            return self._fallback_for(job, run.key, run.stop_note or FALLBACK_FAILED)
        except ModelRateLimitedError as exc:
            # A provider still refusing after the whole retry policy (a spent
            # quota, say) would make every other paper wait as long.
            self._stop(run, f"{exc} after every retry", FALLBACK_RATE_LIMITED)
            return self._fallback_for(job, run.key, FALLBACK_RATE_LIMITED)
        except ModelError as exc:
            log.warning(
                "paper %s: %s; using the %s summary",
                job.paper.key,
                exc,
                self._fallback.name,
            )
            run.failed_in_a_row += 1
            if run.failed_in_a_row >= FAILURES_BEFORE_STOP:
                # A model that times out or errs on call after call (hung,
                # overloaded, wrong name) would cost every paper its timeout.
                self._stop(
                    run,
                    f"model {self.model} failed {run.failed_in_a_row} calls in a "
                    f"row (last: {exc})",
                    FALLBACK_FAILED,
                )
            return self._fallback_for(job, run.key, FALLBACK_FAILED)

        run.failed_in_a_row = 0
        return self._accept(run, job, parsed, cost)

    @staticmethod
    def _parse(answer: ModelAnswer, job: _Job, language: str) -> ParsedAnswer:
        """The answer's fields, refused when written in another script."""
        parsed = parse_answer(answer.content, answer.reasoning)
        if parsed.fields is None:
            return parsed
        problem = language_problem(
            parsed.fields, language, language_name(language), quoted=job.shown.title
        )
        return parsed if problem is None else ParsedAnswer(None, problem)

    def _accept(
        self, run: _Run, job: _Job, parsed: ParsedAnswer, cost: float | None
    ) -> Summary:
        if parsed.fields is None:
            log.warning(
                "paper %s: model answer still unusable (%s); using the %s summary",
                job.paper.key,
                parsed.problem,
                self._fallback.name,
            )
            wrong_language = (parsed.problem or "").startswith(WRONG_LANGUAGE)
            note = FALLBACK_WRONG_LANGUAGE if wrong_language else FALLBACK_MALFORMED
            fallback = self._fallback_for(job, run.key, note)
            # Cached with what the calls cost: the caps count them, and the
            # next digest does not pay twice for the same unusable answers.
            if job.row_id is not None:
                self._store(job.row_id, run.key, job.text_hash, fallback, cost)
            return fallback
        summary = summary_from_fields(
            parsed.fields, model=self.model, text_kind=job.shown.text_kind
        )
        if job.row_id is not None:
            self._store(job.row_id, run.key, job.text_hash, summary, cost)
        return summary

    async def _ask(self, run: _Run, messages: list[dict[str, str]]) -> ModelAnswer:
        """One model call under the retry policy: rate limits and JSON refusals."""
        waited = 0.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if run.stop_note is not None:
                raise _CallingStoppedError
            try:
                answer = await self._client.complete(messages, json_mode=run.json_mode)
            except ModelRefusedJsonModeError:
                if run.json_mode:
                    run.json_mode = False
                    log.info(
                        "model %s refuses JSON mode; asking without it for the "
                        "rest of this run",
                        self.model,
                    )
                continue
            except ModelRateLimitedError as exc:
                delay = exc.retry_after
                if delay is None:
                    delay = FIRST_BACKOFF_SECONDS * 2 ** (attempt - 1)
                if attempt == MAX_ATTEMPTS or waited + delay > MAX_WAIT_SECONDS:
                    raise
                await asyncio.sleep(delay)
                waited += delay
                continue
            run.spent_usd += answer.cost_usd or 0.0
            return answer
        raise ModelCallFailedError(
            f"no answer after {MAX_ATTEMPTS} attempts",
            model=self.model,
            host=self._client.endpoint,
        )

    def _stop(self, run: _Run, why: str, note: str) -> None:
        """Trip the breaker: one warning, no further calls in this run."""
        if run.stop_note is not None:
            return
        run.stop_note = note
        log.warning(
            "%s; using %s summaries for the remaining %d paper(s)",
            why,
            self._fallback.name,
            run.unfinished,
        )

    def _log_spend_cap(self, run: _Run) -> None:
        if run.spend_cap_logged:
            return
        run.spend_cap_logged = True
        log.warning(
            "daily model spend cap of $%.2f reached ($%.4f spent); using %s "
            "summaries for the papers left",
            self._daily_spend_usd,
            run.spent_usd,
            self._fallback.name,
        )

    def _fallback_for(self, job: _Job, key: SummaryKey, note: str) -> Summary:
        written = self._fallback.summarize_all([job.paper], key.language)
        return with_fallback_note(written[job.paper.key], note)

    def _store(
        self,
        row_id: int,
        key: SummaryKey,
        text_hash: str,
        summary: Summary,
        cost: float | None,
    ) -> None:
        try:
            with transaction(self._conn):
                store_summary(
                    self._conn,
                    row_id,
                    key,
                    text_hash,
                    summary,
                    cost_usd=cost,
                    # Stored as text and compared as text with midnight UTC.
                    created_at=self._now().astimezone(UTC),
                )
        except StoreError:
            # The summary still goes into this digest; only the cache misses it.
            log.exception("paper row %d: summary not cached", row_id)


def _cleaned(summary: Summary) -> Summary:
    """A cached model summary cleaned again: the store is no trusted source."""
    if not summary.source.startswith("llm "):
        return summary
    return replace(
        summary,
        tldr=trim_at_word(clean_field(summary.tldr), TLDR_LIMIT),
        motivation=clean_field(summary.motivation),
        method=clean_field(summary.method),
        result=clean_field(summary.result),
        conclusion=clean_field(summary.conclusion),
    )


def _total(first: float | None, second: float | None) -> float | None:
    if first is None and second is None:
        return None
    return (first or 0.0) + (second or 0.0)


def summarizer_for(
    conn: sqlite3.Connection, settings: Settings, digest_settings: DigestSettings
) -> Summarizer:
    """The model summarizer the settings ask for, else the offline extractive one.

    ``SCHOLAR_DIGEST_OFFLINE=1`` means no network at all, so no model either.
    """
    extractive = ExtractiveSummarizer()
    # llm_daily_papers = 0 is the rules' way to turn model summaries off.
    if (
        not settings.llm_model
        or settings.offline
        or not digest_settings.llm_daily_papers
    ):
        return extractive
    return LlmSummarizer(
        conn,
        model=settings.llm_model,
        api_base=settings.llm_api_base,
        api_key=settings.llm_api_key,
        concurrency=settings.llm_concurrency,
        timeout=settings.llm_timeout,
        daily_papers=digest_settings.llm_daily_papers,
        daily_spend_usd=digest_settings.llm_daily_spend_usd,
        fallback=extractive,
    )
