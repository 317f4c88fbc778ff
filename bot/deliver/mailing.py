"""A day's digest turned into outbox rows: one email per recipient, bytes fixed.

The digest, its papers, the day's mailing and every email's exact bytes are
committed in one transaction, before the first send. A crash before that
commit leaves everything pending and the day not done; after it, the
outbox resends the very same bytes.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.config import PREFIX, Settings
from bot.deliver.email import (
    compose_email,
    digest_subject,
    email_content,
    make_message_id,
)
from bot.errors import ConfigError, DigestError
from bot.jobs import ComposedDigest, compose_digest, enrich_pending
from bot.rules.bundle import RuleBundle
from bot.rules.settings import DigestSettings
from bot.rules.subscribers import Subscriber
from bot.store.db import transaction
from bot.store.digests import record_digest
from bot.store.outbox import add_outbox_message
from bot.store.papers import (
    StoredPaper,
    newest_source,
    pending_papers,
    resurfaced_papers,
)
from bot.store.secrets import secret
from bot.summarize.base import Summarizer

if TYPE_CHECKING:  # the enricher pulls in the HTTP stack, unused offline
    from bot.enrich.enricher import Enricher

log = logging.getLogger(__name__)

EMPTY_DAY_NOTE = (
    "Nothing new arrived since the last digest. That is normal now and then: "
    "arXiv sends no new listings on Fridays and Saturdays (US Eastern time) or "
    "on its holidays, and Scholar writes only when something matches an alert."
)


@dataclass(frozen=True)
class PreparedMailing:
    """What :func:`prepare_mailing` committed for one day."""

    day: date
    status: str
    paper_count: int
    recipients: tuple[str, ...]


def recipients_for(
    settings: Settings,
    digest_settings: DigestSettings,
    subscribers: Sequence[Subscriber] = (),
) -> tuple[Subscriber, ...]:
    """Who gets a digest: the rules' subscribers, then SCHOLAR_DIGEST_TO.

    Addresses from SCHOLAR_DIGEST_TO (else ``recipients`` in the settings)
    get every paper. Never an address from an incoming message: the bot
    only mails people its operator listed. One digest per person:
    Ada@Example.org and ada@example.org are one mailbox.
    """
    listed = {subscriber.audience: subscriber for subscriber in subscribers}
    for address in settings.recipients or digest_settings.recipients:
        listed.setdefault(address.strip().lower(), Subscriber(address.strip()))
    if not listed:
        raise ConfigError(
            PREFIX + "TO",
            "nobody to send the digest to: set SCHOLAR_DIGEST_TO or "
            'recipients = ["you@example.org"] under [settings] in a rule file',
        )
    return tuple(listed.values())


def last_mailing_day(conn: sqlite3.Connection) -> date | None:
    """The latest day a mailing was made for (sent, pending, failed or skipped)."""
    row = conn.execute("SELECT MAX(day) FROM mailings").fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


def prepare_mailing(
    conn: sqlite3.Connection,
    settings: Settings,
    bundle: RuleBundle,
    day: date,
    *,
    now: datetime,
    summarizer: Summarizer | None = None,
    enricher: Enricher | None = None,
) -> PreparedMailing | None:
    """Make ``day``'s digest for each recipient and queue one email each.

    Returns None when that day (or a later one) already has a mailing:
    another process got there first, or the clock went back.
    """
    digest_settings = bundle.settings
    recipients = recipients_for(settings, digest_settings, bundle.subscribers)
    sender = settings.smtp.sender
    if not sender:
        raise ConfigError(PREFIX + "SMTP_FROM", "set the address digests are sent from")
    if _taken(conn, day):
        return None
    key = secret(conn, "message-id")
    fed = _fed_papers(conn, recipients)
    paper_notes = enrich_pending(enricher, [p for ps in fed.values() for p in ps])
    fed = _fed_papers(conn, recipients)  # enrichment can fold two rows into one
    seen_upto = newest_source(conn)

    digests: list[_Queued] = []
    for recipient in recipients:
        composed = compose_digest(
            settings.digests_dir / day.isoformat() / _folder_name(recipient),
            digest_settings,
            fed[recipient.audience],
            rules=bundle.rules_for(recipient.audience),
            language=recipient.language,
            summarizer=summarizer,
            paper_notes=paper_notes,
            notes=bundle.notes,
            empty_note=EMPTY_DAY_NOTE,
            earlier=[
                (paper, day_sent)
                for paper, day_sent in resurfaced_papers(conn, recipient.audience)
                if recipient.is_fed_by(paper)
            ],
            now=now,
        )
        count = composed.digest.paper_count
        subject = digest_subject(
            digest_settings.title, day, count, digest_settings.subject
        )
        message_id = make_message_id(key, recipient.address, day.isoformat(), sender)
        raw = None
        if count or digest_settings.empty_days == "note":
            raw = compose_email(
                email_content(composed.written, subject),
                sender=sender,
                recipient=recipient.address,
                message_id=message_id,
                date=now,
            )
        new_ids = frozenset(p.row_id for p in fed[recipient.audience])
        digests.append(_Queued(recipient, composed, raw, subject, message_id, new_ids))

    mailed = tuple(q.recipient.address for q in digests if q.raw is not None)
    total = sum(q.composed.digest.paper_count for q in digests)
    status = "pending" if mailed else "skipped"
    with transaction(conn):
        if _taken(conn, day):
            return None
        mailing_id = _insert_mailing(conn, day, status, now)
        for queued in digests:
            _queue(conn, mailing_id, queued, seen_upto, now)
    if not mailed:
        log.info("digest for %s: nothing new, empty days are skipped", day)
    else:
        log.info(
            "digest for %s: %d paper(s) queued for %d recipient(s)",
            day,
            total,
            len(mailed),
        )
    return PreparedMailing(day, status, total, mailed)


def _fed_papers(
    conn: sqlite3.Connection, recipients: Sequence[Subscriber]
) -> dict[str, list[StoredPaper]]:
    return {
        recipient.audience: [
            paper
            for paper in pending_papers(conn, recipient.audience)
            if recipient.is_fed_by(paper)
        ]
        for recipient in recipients
    }


@dataclass(frozen=True)
class _Queued:
    recipient: Subscriber
    composed: ComposedDigest
    raw: bytes | None  # None: an empty day the rules skip
    subject: str
    message_id: str
    new_ids: frozenset[int]  # pending papers (not ones carried again)


def _queue(
    conn: sqlite3.Connection,
    mailing_id: int,
    queued: _Queued,
    seen_upto: int,
    now: datetime,
) -> None:
    recipient, composed = queued.recipient, queued.composed
    _refuse_placed_elsewhere(
        conn,
        recipient.audience,
        [p.paper_id for p in composed.placements if p.paper_id in queued.new_ids],
    )
    digest_id = record_digest(
        conn,
        created_at=composed.digest.generated_at,
        status="written",
        out_dir=str(composed.written.markdown.parent),
        placements=composed.placements,
        audience=recipient.audience,
        sources_upto=seen_upto,
    )
    if queued.raw is None:
        return
    add_outbox_message(
        conn,
        mailing_id=mailing_id,
        recipient=recipient.address,
        message_id=queued.message_id,
        subject=queued.subject,
        raw=queued.raw,
        now=now,
        digest_id=digest_id,
    )


def _folder_name(recipient: Subscriber) -> str:
    # One folder per recipient under the day's: readable, and safe on disk.
    return re.sub(r"[^A-Za-z0-9@._-]", "_", recipient.audience)


def _taken(conn: sqlite3.Connection, day: date) -> bool:
    row = conn.execute(
        "SELECT 1 FROM mailings WHERE day >= ? LIMIT 1", (day.isoformat(),)
    ).fetchone()
    return row is not None


def _refuse_placed_elsewhere(
    conn: sqlite3.Connection, audience: str, paper_ids: list[int]
) -> None:
    # Another digest for this recipient took some of these papers between
    # composing and committing; sending them again would list them twice.
    for paper_id in paper_ids:
        row = conn.execute(
            "SELECT 1 FROM digest_papers dp JOIN digests d ON d.id = dp.digest_id "
            "WHERE dp.paper_id = ? AND d.audience IN (?, '*') LIMIT 1",
            (paper_id, audience),
        ).fetchone()
        if row is not None:
            raise DigestError(
                "another digest took some of these papers while this one was "
                "being made; it will be made again on the next try"
            )


def _insert_mailing(
    conn: sqlite3.Connection, day: date, status: str, now: datetime
) -> int:
    # Each recipient's digest hangs off its outbox row; mailings.digest_id
    # only names the one digest shared by every recipient before migration 6.
    cursor = conn.execute(
        "INSERT INTO mailings (day, status, created_at, finished_at) "
        "VALUES (?, ?, ?, ?)",
        (
            day.isoformat(),
            status,
            now.isoformat(),
            now.isoformat() if status == "skipped" else None,
        ),
    )
    return int(cursor.lastrowid or 0)
