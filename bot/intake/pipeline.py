"""The one entry point for raw messages: files and the IMAP listener both feed it."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bot.errors import MessageError, MessageParseError, MessageTooLargeError
from bot.models import LinkKind, ParsedMessage
from bot.parse.message import parse_message
from bot.parse.mime import peek_message_id
from bot.resolve import resolve_link
from bot.resolve.records import record_from_ref
from bot.resolve.unwrap import holds_reader_data
from bot.store.db import transaction
from bot.store.messages import (
    MessageStatus,
    content_hash,
    find_seen,
    record_outcome,
    release_quarantined,
)
from bot.store.papers import PaperSource, add_source, upsert_paper
from bot.text import clean_text

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What ingesting one message did."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    FAILED = "failed"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class IngestResult:
    """The outcome for one message, for progress and summaries."""

    outcome: Outcome
    message_id: str | None
    papers_found: int = 0
    papers_new: int = 0
    detail: str | None = None


@dataclass(frozen=True)
class IngestLimits:
    """How much the intake accepts before giving up on a message."""

    max_message_bytes: int = 25_000_000
    max_attempts: int = 3
    quarantine_dir: Path | None = None
    retry_quarantined: bool = False


def ingest_message(
    conn: sqlite3.Connection, raw: bytes, *, origin: str, limits: IngestLimits
) -> IngestResult:
    """Parse one raw message and commit its papers; safe to call twice.

    A message already stored changes nothing. A message that fails is
    recorded with its error and retried on the next call, up to
    ``limits.max_attempts``; then its bytes are quarantined and it is not
    read again. One bad message never stops the caller's loop.
    """
    digest = content_hash(raw)
    message_id = peek_message_id(raw)
    seen = find_seen(conn, digest)
    if (
        seen is not None
        and seen.status is MessageStatus.QUARANTINED
        and limits.retry_quarantined
    ):
        # The user asked for another go (a fixed bug, a raised size cap):
        # the message starts over with a full set of attempts.
        with transaction(conn):
            release_quarantined(conn, seen.row_id)
        seen = find_seen(conn, digest)
    if seen is not None and seen.status is not MessageStatus.FAILED:
        outcome = (
            Outcome.QUARANTINED
            if seen.status is MessageStatus.QUARANTINED
            else Outcome.DUPLICATE
        )
        log.debug("message %s already %s", message_id, seen.status.value)
        return IngestResult(outcome, message_id, detail="already seen")

    try:
        parsed = parse_message(raw, max_bytes=limits.max_message_bytes)
    except MessageTooLargeError as exc:
        # It will not get smaller: no point trying again.
        return _fail(conn, raw, digest, message_id, origin, limits, exc, final=True)
    except MessageError as exc:
        return _fail(conn, raw, digest, message_id, origin, limits, exc)
    except Exception as exc:  # the parser must never take the loop down
        log.exception("parser crashed on message %s from %s", message_id, origin)
        return _fail(conn, raw, digest, message_id, origin, limits, exc)

    if not parsed.alerts:
        with transaction(conn):
            record_outcome(
                conn,
                digest=digest,
                message_id=parsed.message_id,
                origin=origin,
                sender=parsed.sender,
                subject=parsed.subject,
                status=MessageStatus.SKIPPED,
                error=parsed.skip_reason,
            )
        log.info("skipped message %s: %s", parsed.message_id, parsed.skip_reason)
        return IngestResult(
            Outcome.SKIPPED, parsed.message_id, detail=parsed.skip_reason
        )

    found = sum(len(alert.papers) for alert in parsed.alerts)
    problems = [problem for alert in parsed.alerts for problem in alert.problems]
    if found == 0 and problems:
        # An alert that yields nothing but problems is damaged, not empty:
        # keep it visible (failed, retried, then quarantined) instead of
        # filing it as done with no papers.
        damaged = MessageParseError(parsed.message_id, "; ".join(problems))
        return _fail(conn, raw, digest, parsed.message_id, origin, limits, damaged)

    try:
        return _store(conn, parsed, digest, origin)
    except Exception as exc:  # a store or resolve bug costs this message only
        log.exception("storing message %s from %s failed", parsed.message_id, origin)
        return _fail(conn, raw, digest, parsed.message_id, origin, limits, exc)


def _store(
    conn: sqlite3.Connection, parsed: ParsedMessage, digest: str, origin: str
) -> IngestResult:
    found = new = 0
    with transaction(conn):
        message_row = record_outcome(
            conn,
            digest=digest,
            message_id=parsed.message_id,
            origin=origin,
            sender=parsed.sender,
            subject=parsed.subject,
            status=MessageStatus.PARSED,
            papers_found=sum(len(alert.papers) for alert in parsed.alerts),
        )
        for index, parsed_alert in enumerate(parsed.alerts):
            alert = parsed_alert.alert
            alert_key = alert.message_id or f"{parsed.message_id or digest}#{index}"
            if parsed.forwarder:
                # The same alert forwarded by two readers feeds two digests:
                # each forward is a source of its own.
                alert_key += f" via {parsed.forwarder.lower()}"
            for problem in parsed_alert.problems:
                log.warning(
                    "message %s, alert %r: %s", parsed.message_id, alert.name, problem
                )
            for ref in parsed_alert.papers:
                link = resolve_link(ref.link)
                record = record_from_ref(ref, link, alert)
                paper_id, created = upsert_paper(conn, record)
                source = PaperSource(
                    alert_key=alert_key,
                    alert=alert,
                    position=ref.position,
                    marker=ref.marker,
                    link=_loggable_link(ref.link, link.kind),
                    link_kind=link.kind,
                    title_seen=ref.title,
                    forwarder=parsed.forwarder,
                )
                add_source(conn, paper_id, message_row, source)
                found += 1
                new += int(created)
    log.info(
        "stored message %s from %s: %d alert(s), %d paper(s), %d new",
        parsed.message_id,
        origin,
        len(parsed.alerts),
        found,
        new,
    )
    return IngestResult(Outcome.STORED, parsed.message_id, found, new)


def _loggable_link(link: str | None, kind: LinkKind) -> str | None:
    # Rewritten links (SafeLinks, Proofpoint) carry the reader's address in
    # their parameters; the store keeps the link only when it is not one.
    if link is None or kind is LinkKind.OPAQUE or holds_reader_data(link):
        return None
    return link


def _fail(
    conn: sqlite3.Connection,
    raw: bytes,
    digest: str,
    message_id: str | None,
    origin: str,
    limits: IngestLimits,
    exc: Exception,
    *,
    final: bool = False,
) -> IngestResult:
    # A MessageError already names the message; the log line adds the id.
    text = exc.problem if isinstance(exc, MessageError) else str(exc)
    problem = clean_text(text)[:500] or type(exc).__name__
    seen = find_seen(conn, digest)
    attempts = (seen.attempts if seen else 0) + 1
    quarantine = final or attempts >= limits.max_attempts
    status = MessageStatus.QUARANTINED if quarantine else MessageStatus.FAILED

    if quarantine and limits.quarantine_dir is not None:
        _write_quarantine(limits.quarantine_dir, digest, raw)
    with transaction(conn):
        record_outcome(
            conn,
            digest=digest,
            message_id=message_id,
            origin=origin,
            sender=None,
            subject=None,
            status=status,
            error=problem,
        )
    log.warning(
        "message %s from %s failed (attempt %d of %d%s): %s",
        message_id or "(no Message-ID)",
        origin,
        attempts,
        limits.max_attempts,
        ", quarantined" if quarantine else "",
        problem,
    )
    outcome = Outcome.QUARANTINED if quarantine else Outcome.FAILED
    return IngestResult(outcome, message_id, detail=problem)


def _write_quarantine(folder: Path, digest: str, raw: bytes) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{digest}.eml").write_bytes(raw)
    except OSError as exc:
        log.error("cannot write quarantined message %s: %s", digest, exc)
