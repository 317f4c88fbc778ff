"""A day's digest turned into outbox rows: one email per recipient, bytes fixed.

The digest, its papers, the day's mailing and every email's exact bytes are
committed in one transaction, before the first send. A crash before that
commit leaves everything pending and the day not done; after it, the
outbox resends the very same bytes.
"""

from __future__ import annotations

import logging
import sqlite3
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
from bot.jobs import compose_digest
from bot.rules.settings import DigestSettings
from bot.store.db import transaction
from bot.store.digests import record_digest
from bot.store.outbox import add_outbox_message
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
    settings: Settings, digest_settings: DigestSettings
) -> tuple[str, ...]:
    """Who gets the digest: SCHOLAR_DIGEST_TO, else ``recipients`` in the rules.

    Never an address from an incoming message: the bot only mails people
    its operator listed.
    """
    found = settings.recipients or digest_settings.recipients
    if not found:
        raise ConfigError(
            PREFIX + "TO",
            "nobody to send the digest to: set SCHOLAR_DIGEST_TO or "
            'recipients = ["you@example.org"] under [settings] in a rule file',
        )
    # One digest per person: Ada@Example.org and ada@example.org are one
    # mailbox (and would share a Message-ID).
    unique: dict[str, str] = {}
    for address in found:
        unique.setdefault(address.strip().lower(), address.strip())
    return tuple(unique.values())


def last_mailing_day(conn: sqlite3.Connection) -> date | None:
    """The latest day a mailing was made for (sent, pending, failed or skipped)."""
    row = conn.execute("SELECT MAX(day) FROM mailings").fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


def prepare_mailing(
    conn: sqlite3.Connection,
    settings: Settings,
    digest_settings: DigestSettings,
    day: date,
    *,
    now: datetime,
    summarizer: Summarizer | None = None,
    enricher: Enricher | None = None,
) -> PreparedMailing | None:
    """Make ``day``'s digest and queue one email per recipient.

    Returns None when that day (or a later one) already has a mailing:
    another process got there first, or the clock went back.
    """
    recipients = recipients_for(settings, digest_settings)
    sender = settings.smtp.sender
    if not sender:
        raise ConfigError(PREFIX + "SMTP_FROM", "set the address digests are sent from")
    if _taken(conn, day):
        return None
    key = secret(conn, "message-id")
    composed = compose_digest(
        conn,
        settings.digests_dir / day.isoformat(),
        digest_settings,
        summarizer=summarizer,
        enricher=enricher,
        empty_note=EMPTY_DAY_NOTE,
        now=now,
    )
    count = len(composed.placements)
    if count == 0 and digest_settings.empty_days == "skip":
        with transaction(conn):
            if _taken(conn, day):
                return None
            _insert_mailing(conn, day, None, "skipped", now)
        log.info("digest for %s: nothing new, empty days are skipped", day)
        return PreparedMailing(day, "skipped", 0, ())

    subject = digest_subject(digest_settings.title, day, count)
    content = email_content(composed.written, subject)
    emails = {
        recipient: compose_email(
            content,
            sender=sender,
            recipient=recipient,
            message_id=make_message_id(key, recipient, day.isoformat(), sender),
            date=now,
        )
        for recipient in recipients
    }
    with transaction(conn):
        if _taken(conn, day):
            return None
        _refuse_placed_elsewhere(conn, [p.paper_id for p in composed.placements])
        digest_id = record_digest(
            conn,
            created_at=composed.digest.generated_at,
            status="written",
            out_dir=str(composed.written.markdown.parent),
            placements=composed.placements,
        )
        mailing_id = _insert_mailing(conn, day, digest_id, "pending", now)
        for recipient, raw in emails.items():
            add_outbox_message(
                conn,
                mailing_id=mailing_id,
                recipient=recipient,
                message_id=make_message_id(key, recipient, day.isoformat(), sender),
                subject=subject,
                raw=raw,
                now=now,
            )
    log.info(
        "digest for %s: %d paper(s) queued for %d recipient(s)",
        day,
        count,
        len(recipients),
    )
    return PreparedMailing(day, "pending", count, recipients)


def _taken(conn: sqlite3.Connection, day: date) -> bool:
    row = conn.execute(
        "SELECT 1 FROM mailings WHERE day >= ? LIMIT 1", (day.isoformat(),)
    ).fetchone()
    return row is not None


def _refuse_placed_elsewhere(conn: sqlite3.Connection, paper_ids: list[int]) -> None:
    # A `digest --out` run between composing and committing took some of
    # these papers; sending them again would put a paper in two digests.
    for paper_id in paper_ids:
        row = conn.execute(
            "SELECT 1 FROM digest_papers WHERE paper_id = ? LIMIT 1", (paper_id,)
        ).fetchone()
        if row is not None:
            raise DigestError(
                "another digest took some of these papers while this one was "
                "being made; it will be made again on the next try"
            )


def _insert_mailing(
    conn: sqlite3.Connection,
    day: date,
    digest_id: int | None,
    status: str,
    now: datetime,
) -> int:
    cursor = conn.execute(
        "INSERT INTO mailings (day, digest_id, status, created_at, finished_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            day.isoformat(),
            digest_id,
            status,
            now.isoformat(),
            now.isoformat() if status == "skipped" else None,
        ),
    )
    return int(cursor.lastrowid or 0)
