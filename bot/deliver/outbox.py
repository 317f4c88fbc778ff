"""Sending what the outbox holds: stored bytes, capped backoff, mailings settled."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.deliver.smtp import send_email, smtp_endpoint
from bot.errors import DeliveryError, SendDeferredError, SendRefusedError
from bot.store.locks import file_lock
from bot.store.outbox import (
    OutboxMessage,
    due_messages,
    mark_deferred,
    mark_refused,
    mark_sent,
    settle_mailing,
    settle_open_mailings,
)

log = logging.getLogger(__name__)

BACKOFF_MAX = timedelta(hours=6)
LATEST = datetime.max.replace(tzinfo=UTC)
# RFC 5321 §3.8: 421 means the server is closing the channel, not that
# this recipient has a problem; the next row would meet the same answer.
SERVER_UNAVAILABLE = 421


@dataclass(frozen=True)
class Undelivered:
    """An email not (yet) accepted, and why."""

    recipient: str
    day: str
    error: str


@dataclass(frozen=True)
class FlushReport:
    """What one :func:`flush_outbox` call did, each email counted once."""

    sent: tuple[tuple[str, str], ...] = ()
    deferred: tuple[Undelivered, ...] = ()
    refused: tuple[Undelivered, ...] = ()
    failed: tuple[Undelivered, ...] = ()
    busy: bool = False

    def describe(self) -> str:
        """One line for a person, e.g. ``digest sent to 2 recipient(s); 1 refused``."""
        parts = []
        if self.sent:
            parts.append(f"digest sent to {len(self.sent)} recipient(s)")
        for word, rows in (
            ("deferred", self.deferred),
            ("refused", self.refused),
            ("failed", self.failed),
        ):
            if rows:
                why = ", ".join(f"{row.recipient}: {row.error}" for row in rows[:3])
                parts.append(f"{len(rows)} {word} ({why})")
        if self.busy:
            parts.append("another scholar-digest is sending the outbox right now")
        return "; ".join(parts) or "nothing waiting in the outbox"


async def flush_outbox(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    now: Callable[[], datetime],
    retries_now: int = 0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    lock_wait: float = 0.0,
    ignore_backoff: bool = False,
) -> FlushReport:
    """Send every due email in the outbox, byte for byte as stored.

    A deferred email is retried later with capped exponential backoff;
    ``retries_now`` extra rounds wait for those retries inside this call.
    ``ignore_backoff`` tries every pending email at once (a person asked).
    Raises :class:`~bot.errors.DeliveryError` when the session itself
    cannot be used (a refused login, no STARTTLS): the email tried stays
    pending, its attempt counted, and nothing else is tried.
    """
    smtp_endpoint(settings.smtp)  # a missing setting fails before any attempt
    # One sender at a time per data folder (`run` and a `digest --send`),
    # or both could send the same row. An flock, not a claim in the store:
    # a sender killed mid-send leaves nothing that holds the row back.
    with file_lock(settings.data_dir / "send.lock", wait=lock_wait) as held:
        if not held:
            log.info("another scholar-digest is sending the outbox; left to it")
            return FlushReport(busy=True)
        settle_open_mailings(conn, now())
        outcomes: dict[int, tuple[str, OutboxMessage, str]] = {}
        try:
            for round_number in range(retries_now + 1):
                first = ignore_backoff and round_number == 0
                retry_at = await _flush_round(
                    conn, settings, now, outcomes, every_pending=first
                )
                if retry_at is None or round_number == retries_now:
                    break
                await sleep(max((retry_at - now()).total_seconds(), 0.0))
        finally:
            report = _report(outcomes)
            for day, count in sorted(Counter(d for _, d in report.sent).items()):
                log.info("digest for %s sent to %d recipient(s)", day, count)
        return report


async def _flush_round(
    conn: sqlite3.Connection,
    settings: Settings,
    now: Callable[[], datetime],
    outcomes: dict[int, tuple[str, OutboxMessage, str]],
    *,
    every_pending: bool = False,
) -> datetime | None:
    """One pass over the due rows; when to retry the rows deferred, if any."""
    retry_at: datetime | None = None
    cutoff = LATEST if every_pending else now()
    for message in due_messages(conn, cutoff):
        try:
            await send_email(
                settings.smtp,
                ca_file=settings.ca_file,
                recipient=message.recipient,
                raw=message.raw,
            )
        except SendRefusedError as exc:
            mark_refused(conn, message.id, error=str(exc))
            outcomes[message.id] = ("refused", message, _short(exc))
        except SendDeferredError as exc:
            when = _defer(conn, settings, message, exc, now(), outcomes)
            if when is not None:
                retry_at = when if retry_at is None else min(retry_at, when)
            if exc.code is None or exc.code == SERVER_UNAVAILABLE:
                break  # the server is away: the other rows stay due
            continue
        except DeliveryError as exc:
            _defer(conn, settings, message, exc, now(), outcomes)
            raise
        else:
            mark_sent(conn, message.id, now())
            outcomes[message.id] = ("sent", message, "")
        settle_mailing(conn, message.mailing_id, now())
    return retry_at


def _defer(
    conn: sqlite3.Connection,
    settings: Settings,
    message: OutboxMessage,
    exc: DeliveryError,
    moment: datetime,
    outcomes: dict[int, tuple[str, OutboxMessage, str]],
) -> datetime | None:
    """Count the failed attempt; when to try again, or None if it was the last."""
    smtp = settings.smtp
    attempts = message.attempts + 1
    # Doubling from retry_seconds, capped: a server down for a day is
    # asked a few times an hour, not every 30 seconds.
    delay = smtp.retry_seconds * 2 ** min(attempts - 1, 20)
    when = moment + min(timedelta(seconds=delay), BACKOFF_MAX)
    status = mark_deferred(
        conn,
        message.id,
        next_attempt_at=when,
        error=str(exc),
        max_attempts=smtp.max_attempts,
    )
    if status == "failed":
        outcomes[message.id] = ("failed", message, _short(exc))
        settle_mailing(conn, message.mailing_id, moment)
        return None
    outcomes[message.id] = ("deferred", message, _short(exc))
    return when


def _short(exc: DeliveryError) -> str:
    text = f"{exc.code} {exc.problem}" if exc.code is not None else exc.problem
    return text if len(text) <= 60 else text[:59] + "\u2026"


def _report(outcomes: dict[int, tuple[str, OutboxMessage, str]]) -> FlushReport:
    def rows(kind: str) -> tuple[Undelivered, ...]:
        return tuple(
            Undelivered(message.recipient, message.day, error)
            for found, message, error in outcomes.values()
            if found == kind
        )

    sent = tuple(
        (message.recipient, message.day)
        for found, message, _ in outcomes.values()
        if found == "sent"
    )
    return FlushReport(sent, rows("deferred"), rows("refused"), rows("failed"))
