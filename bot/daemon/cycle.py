"""One pass of the daily job: make the digest when due, then empty the outbox."""

from __future__ import annotations

import logging
import sqlite3
import time as monotonic_time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.config import PREFIX, Settings
from bot.daemon.schedule import Schedule
from bot.deliver.mailing import PreparedMailing, last_mailing_day, prepare_mailing
from bot.errors import ConfigError, RulesError
from bot.rules.bundle import RuleBundle, load_bundle
from bot.rules.files import rule_files
from bot.store import open_store
from bot.store.moments import remember_first

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def make_clock(start: datetime | None) -> Clock:
    """The real time, or time flowing on from ``start`` (SCHOLAR_DIGEST_NOW)."""
    if start is None:
        return lambda: datetime.now(UTC)
    began = monotonic_time.monotonic()
    log.warning("the clock starts at %s (SCHOLAR_DIGEST_NOW is set)", start)
    return lambda: start + timedelta(seconds=monotonic_time.monotonic() - began)


def check_mail_settings(settings: Settings, bundle: RuleBundle) -> None:
    """Fail before anything starts when ``run`` could not do its job.

    Every missing setting is named at once, so a new user fixes their
    configuration in one go rather than one error per start.
    """
    missing = []
    imap, smtp = settings.imap, settings.smtp
    for name, value in (
        ("IMAP_HOST", imap.host),
        ("IMAP_USER", imap.user),
        ("IMAP_PASSWORD", imap.password),
        ("SMTP_HOST", smtp.host),
        ("SMTP_FROM", smtp.sender),
    ):
        if not value:
            missing.append(PREFIX + name)
    if smtp.user and smtp.password is None:
        missing.append(PREFIX + "SMTP_PASSWORD")
    if not (settings.recipients or bundle.settings.recipients or bundle.subscribers):
        missing.append(PREFIX + "TO (or recipients in the rules)")
    if missing:
        others = f" (and {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise ConfigError(
            missing[0],
            f"is not set{others}: run needs it (see the README, Running the bot)",
        )


class RulesKeeper:
    """The rules in force: re-read when a file changes, the last good kept.

    A broken edit is logged once (with file and line), goes at the top of
    the next digest, and the previous rules stay in force until it is fixed.
    """

    def __init__(self, rules_dir: Path, *, required: bool) -> None:
        self._rules_dir = rules_dir
        self._required = required
        self._good = load_bundle(rules_dir, required=required)
        self._read_as = self._fingerprint()
        self.problem: str | None = None

    def current(self) -> RuleBundle:
        """The newest rules that load, re-read when a rule file changed."""
        seen = self._fingerprint()
        if seen == self._read_as and self.problem is None:
            return self._good
        self._read_as = seen
        try:
            self._good = load_bundle(self._rules_dir, required=self._required)
        except RulesError as exc:
            if str(exc) != self.problem:
                log.error("rules not reloaded, the last good ones stay: %s", exc)
            self.problem = str(exc)
            return replace(self._good, notes=(broken_rules_note(str(exc)),))
        if self.problem is not None:
            log.info("rules reloaded: the problem is fixed")
        self.problem = None
        return self._good

    def _fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        # Name, size and modification time of every rule file, subscribers'
        # own included: reading them again every cycle would recompile
        # every rule for nothing.
        folders = [self._rules_dir] + [
            subscriber.rules_dir
            for subscriber in self._good.subscribers
            if subscriber.rules_dir is not None
        ]
        found = []
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in rule_files(folder):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                found.append((str(path), stat.st_size, stat.st_mtime_ns))
        return tuple(found)


def broken_rules_note(problem: str) -> str:
    """The notice at the top of a digest made while a rule file is broken."""
    return (
        f"A rule file has a problem, so the last rules that worked were used: "
        f"{problem}. Run `scholar-digest rules check` to see every problem."
    )


@dataclass(frozen=True)
class DueCheck:
    """What the schedule said this pass."""

    prepared: PreparedMailing | None
    next_send: datetime


def prepare_if_due(
    settings: Settings,
    bundle: RuleBundle,
    now: datetime,
    *,
    force_today: bool = False,
) -> DueCheck:
    """Make the due day's digest (or today's, when forced) with its own connection.

    Runs in a worker thread: summarizers drive their own event loop.
    """
    schedule = Schedule(bundle.settings.send_time, bundle.settings.zone)
    conn = open_store(settings.store_path)
    try:
        last = last_mailing_day(conn)
        if last is None:
            # A new bot counts from its first check: a send time passed since
            # then is due, even when cron next runs it after midnight.
            started = remember_first(conn, "schedule_started", now)
            last = schedule.today(started) - timedelta(days=1)
        day: date | None = schedule.due_day(now, last)
        if force_today:
            today = schedule.today(now)
            day = today if last is None or today > last else None
        prepared = None
        if day is not None:
            prepared = _prepare(conn, settings, bundle, day, now)
        next_send = schedule.next_send(now, last_mailing_day(conn) or last)
    finally:
        conn.close()
    return DueCheck(prepared, next_send)


def _prepare(
    conn: sqlite3.Connection,
    settings: Settings,
    bundle: RuleBundle,
    day: date,
    now: datetime,
) -> PreparedMailing | None:
    # Imported here: the model summarizer is only needed when a digest is due.
    from bot.summarize.llm import summarizer_for

    with ExitStack() as stack:
        enricher = None
        if not settings.offline:
            from bot.enrich.setup import open_enricher

            enricher = stack.enter_context(open_enricher(conn, settings))
        return prepare_mailing(
            conn,
            settings,
            bundle,
            day,
            now=now,
            summarizer=summarizer_for(conn, settings, bundle.settings),
            enricher=enricher,
        )
