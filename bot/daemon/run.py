"""``scholar-digest run``: the listener thread plus the schedule on an event loop.

imapclient blocks (IDLE above all), so the listener lives in a worker thread
with its own store connection; the event loop keeps the schedule and sends
mail with aiosmtplib. Both stop on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.daemon.cycle import (
    Clock,
    DueCheck,
    RulesKeeper,
    check_mail_settings,
    prepare_if_due,
)
from bot.daemon.lock import run_lock
from bot.deliver.outbox import FlushReport, flush_outbox
from bot.errors import (
    ConfigError,
    FolderNotFoundError,
    MailboxError,
    MailboxLoginError,
    ScholarDigestError,
)
from bot.intake.listener import MailboxListener
from bot.jobs import limits_from
from bot.rules.bundle import load_bundle
from bot.store import open_store

log = logging.getLogger(__name__)

# How often the loop looks at the clock and the outbox.
TICK_SECONDS = 30.0
# The longest a digest due at start waits for the mailbox's first catch-up.
CATCH_UP_GRACE = 300.0


@dataclass(frozen=True)
class OnceReport:
    """What ``run --once`` did."""

    messages_read: int
    due: DueCheck
    flush: FlushReport
    mailbox_error: str | None = None


def run_once(settings: Settings, clock: Clock) -> OnceReport:
    """Catch up, make the digest if due, send what is in the outbox; then return."""
    keeper = RulesKeeper(settings.rules_dir, required=settings.rules_dir_given)
    check_mail_settings(settings, keeper.current())
    with run_lock(settings.lock_path):
        conn = open_store(settings.store_path)
        try:
            listener = MailboxListener(settings, conn, limits_from(settings))
            read, mailbox_error = 0, None
            try:
                read = listener.run_once()
            except MailboxError as exc:
                # What is stored still goes out; the caller reports the error.
                log.error("%s; the digest goes out with what is stored", exc)
                mailbox_error = str(exc)
            due = prepare_if_due(settings, keeper.current(), clock())
            flush = asyncio.run(
                flush_outbox(conn, settings, now=clock, retries_now=2, lock_wait=120.0)
            )
        finally:
            conn.close()
    return OnceReport(read, due, flush, mailbox_error)


def run_daemon(
    settings: Settings,
    clock: Clock,
    *,
    stop: threading.Event | None = None,
    tick: float = TICK_SECONDS,
) -> None:
    """Run until SIGTERM/SIGINT (or ``stop``): listen, and send once a day."""
    bundle = load_bundle(settings.rules_dir, required=settings.rules_dir_given)
    check_mail_settings(settings, bundle)
    with run_lock(settings.lock_path):
        asyncio.run(_serve(settings, clock, stop or threading.Event(), tick))


async def _serve(
    settings: Settings, clock: Clock, stop: threading.Event, tick: float
) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread
            log.debug("cannot handle signal %s here", signum)
    keeper = RulesKeeper(settings.rules_dir, required=settings.rules_dir_given)
    listener_stop = threading.Event()
    caught_up = threading.Event()
    failures: list[BaseException] = []
    thread = threading.Thread(
        target=_listen,
        args=(settings, listener_stop, caught_up, failures),
        name="imap-listener",
        daemon=True,
    )
    # Opened (and migrated) before the listener opens its own connection.
    conn = open_store(settings.store_path)
    thread.start()
    announced: datetime | None = None
    started = loop.time()
    try:
        while not stop.is_set():
            if failures:
                raise failures[0]
            # A digest missed during downtime waits for the mail that
            # arrived meanwhile, unless the catch-up takes unusually long.
            ready = caught_up.is_set() or loop.time() - started > CATCH_UP_GRACE
            announced = await _tick(
                settings, keeper, clock, conn, announced, may_prepare=ready
            )
            await _pause(stop, tick)
    finally:
        log.info("stopping")
        listener_stop.set()
        await asyncio.to_thread(thread.join, 10.0)
        conn.close()
    if failures:
        raise failures[0]


async def _tick(
    settings: Settings,
    keeper: RulesKeeper,
    clock: Clock,
    conn: sqlite3.Connection,
    announced: datetime | None,
    *,
    may_prepare: bool,
) -> datetime | None:
    try:
        due = None
        if may_prepare:
            due = await asyncio.to_thread(
                prepare_if_due, settings, keeper.current(), clock()
            )
        await flush_outbox(conn, settings, now=clock)
    except ConfigError:
        raise
    except ScholarDigestError as exc:
        # A busy store, a broken model call: the next tick tries again.
        log.error("digest cycle failed, trying again shortly: %s", exc)
        return announced
    if due is None:
        return announced
    if due.next_send != announced:
        log.info("next digest due at %s", due.next_send.isoformat(timespec="minutes"))
    return due.next_send


async def _pause(stop: threading.Event, seconds: float) -> None:
    # Short sleeps: a stop (signal or another thread) is seen within 0.2 s.
    deadline = asyncio.get_running_loop().time() + seconds
    while not stop.is_set() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(min(0.2, seconds))


def _listen(
    settings: Settings,
    stop: threading.Event,
    caught_up: threading.Event,
    failures: list[BaseException],
) -> None:
    conn = open_store(settings.store_path)
    try:
        MailboxListener(
            settings, conn, limits_from(settings), stop=stop, caught_up=caught_up
        ).run_forever()
    except (ConfigError, FolderNotFoundError, MailboxLoginError) as exc:
        failures.append(exc)
    except Exception as exc:  # the thread must report, not die silently
        log.exception("the IMAP listener stopped")
        failures.append(exc)
    finally:
        conn.close()
