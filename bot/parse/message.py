"""From raw message bytes to a :class:`ParsedMessage`: the one parse entry point."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import Message

from bot.errors import MessageTooLargeError
from bot.models import Alert, AlertKind, ParsedAlert, ParsedMessage, SourceKind
from bot.parse.alert_name import (
    alert_kind,
    alert_name,
    arxiv_archive,
    strip_reply_prefixes,
)
from bot.parse.arxiv_listing import is_arxiv_listing, parse_arxiv_listing
from bot.parse.forwarded import (
    ForwardedHeaders,
    html_to_text,
    strip_forward_html,
    strip_forward_text,
)
from bot.parse.mime import (
    Envelope,
    TextPart,
    attached_messages,
    load_message,
    parse_date,
    peek_message_id,
    read_envelope,
    text_parts,
)
from bot.parse.scholar_body import ScholarBody
from bot.parse.scholar_html import parse_scholar_html
from bot.parse.scholar_text import parse_scholar_text

logger = logging.getLogger(__name__)

SCHOLAR_SENDERS = frozenset(
    {"scholaralerts-noreply@google.com", "scholarcitations-noreply@google.com"}
)
ARXIV_SENDERS = frozenset({"no-reply@arxiv.org"})
# A broken message can nest attachments without end; real forwards are shallow.
MAX_DEPTH = 8


@dataclass(frozen=True)
class _Origin:
    """Who sent the alert, what it was called and when, past any inline forward."""

    sender: str
    subject: str
    message_id: str | None
    sent_at: datetime | None

    @classmethod
    def of(cls, envelope: Envelope) -> _Origin:
        """The origin of mail that is not an inline forward: its own headers."""
        return cls(
            envelope.sender, envelope.subject, envelope.message_id, envelope.sent_at
        )


def parse_message(raw: bytes, *, max_bytes: int | None = None) -> ParsedMessage:
    """Recognise the alerts in one raw message and parse their papers.

    Raises ``MessageTooLargeError`` (with the Message-ID, body unread) when
    ``raw`` is over ``max_bytes`` and ``MessageParseError`` when it is not
    mail. Anything that is mail but no alert comes back with a skip reason.
    """
    if max_bytes is not None and len(raw) > max_bytes:
        raise MessageTooLargeError(
            peek_message_id(raw), f"{len(raw)} bytes, over the cap of {max_bytes}"
        )
    return _parse(load_message(raw), depth=0)


def _parse(message: Message, depth: int) -> ParsedMessage:
    envelope = read_envelope(message)

    # Each attached message is an alert in its own right (or not at all).
    attached = attached_messages(message) if depth < MAX_DEPTH else []
    inner: list[ParsedAlert] = []
    for part in attached:
        inner.extend(_parse(part, depth + 1).alerts)

    # Beside attached alerts, a reader's own text is a note, never papers;
    # only mail from an alert sender is read for papers of its own too.
    own = None
    if not inner or _is_alert_sender(envelope.sender):
        own = _own_alert(message, envelope)
    alerts = ([own] if own is not None else []) + inner

    sender = envelope.sender
    if not alerts:
        reason = f"not a Scholar alert or arXiv listing (from {sender or 'unknown'})"
        if attached:
            reason += f"; {len(attached)} attached message(s) are not alerts either"
        logger.debug("message %s skipped: %s", envelope.message_id, reason)
        return ParsedMessage(
            message_id=envelope.message_id,
            subject=envelope.subject,
            sender=sender,
            skip_reason=reason,
        )

    return ParsedMessage(
        message_id=envelope.message_id,
        subject=envelope.subject,
        sender=sender,
        forwarder=_forwarder(envelope),
        alerts=tuple(alerts),
    )


def _forwarder(envelope: Envelope) -> str | None:
    # A mail filter keeps Google's From and names the hop in a header;
    # anyone else who sent us an alert forwarded it by hand.
    if _is_alert_sender(envelope.sender):
        return envelope.forwarded_for
    return envelope.sender or None


def _is_alert_sender(address: str) -> bool:
    return address in SCHOLAR_SENDERS or address in ARXIV_SENDERS


def _own_alert(message: Message, envelope: Envelope) -> ParsedAlert | None:
    parts = text_parts(message)
    if not parts:
        return None

    origin = _Origin.of(envelope)
    if not _is_alert_sender(envelope.sender):
        parts, origin = _unwrap_inline_forward(parts, envelope)

    if origin.sender in ARXIV_SENDERS:
        return _arxiv_alert(parts, origin, required=True)

    body = _scholar_body(parts)
    if body is not None or origin.sender in SCHOLAR_SENDERS:
        return _scholar_alert(body, origin)
    return _arxiv_alert(parts, origin, required=False)


def _unwrap_inline_forward(
    parts: list[TextPart], envelope: Envelope
) -> tuple[list[TextPart], _Origin]:
    blocks: list[ForwardedHeaders] = []
    unwrapped: list[TextPart] = []
    for part in parts:
        if part.subtype == "html":
            found, text = strip_forward_html(part.text)
        else:
            found, text = strip_forward_text(part.text)
        unwrapped.append(TextPart(part.subtype, text))
        if found is not None:
            blocks.append(found)

    if not blocks:
        return parts, _Origin.of(envelope)

    # Clients write fewer header lines into the plain copy (Gmail drops the
    # date there), so each field comes from the first part that has it.
    sender = next((b.sender for b in blocks if b.sender), None)
    subject = next((b.subject for b in blocks if b.subject), None)
    date = next((b.date for b in blocks if b.date), None)
    logger.debug(
        "message %s: inline forward of mail from %s", envelope.message_id, sender
    )

    # The original's date says which day's alert this is; the Message-ID
    # stays the forward's, the only one the mailbox knows.
    origin = _Origin(
        sender=sender or envelope.sender,
        subject=subject or envelope.subject,
        message_id=envelope.message_id,
        sent_at=parse_date(date or "") or envelope.sent_at,
    )
    return unwrapped, origin


def _scholar_body(parts: list[TextPart]) -> ScholarBody | None:
    """The body with Scholar structure: HTML first, plain text as fallback.

    An Apple Mail forward carries several HTML parts; the one with the
    structure wins, and one with papers beats one without.
    """
    structured: list[ScholarBody] = []
    for subtype in ("html", "plain"):
        for part in parts:
            if part.subtype != subtype:
                continue
            if subtype == "html":
                body = parse_scholar_html(part.text)
            else:
                body = parse_scholar_text(part.text)
            if body.is_scholar and body.papers:
                return body
            if body.is_scholar:
                structured.append(body)
    return structured[0] if structured else None


def _scholar_alert(body: ScholarBody | None, origin: _Origin) -> ParsedAlert:
    subject = strip_reply_prefixes(origin.subject)
    if body is None:
        # The sender says Scholar, the body shows nothing we know: keep the
        # alert so the digest can tell the reader an alert came up empty.
        body = ScholarBody(problems=("no Scholar result structure in any part",))
    alert = Alert(
        name=alert_name(body.followed, subject),
        kind=alert_kind(body.folt, subject),
        source=SourceKind.SCHOLAR,
        subject=subject,
        message_id=origin.message_id,
        sent_at=origin.sent_at,
    )
    logger.debug(
        "message %s: Scholar alert %r (%s), %d papers, %d problems",
        alert.message_id,
        alert.name,
        alert.kind,
        len(body.papers),
        len(body.problems),
    )
    return ParsedAlert(alert=alert, papers=body.papers, problems=body.problems)


def _arxiv_alert(
    parts: list[TextPart], origin: _Origin, *, required: bool
) -> ParsedAlert | None:
    texts = [p.text for p in parts if p.subtype == "plain"]
    texts += [html_to_text(p.text) for p in parts if p.subtype == "html"]
    listing_text = next((t for t in texts if is_arxiv_listing(t)), None)
    if listing_text is None:
        if not required:
            return None
        listing_text = texts[0]

    listing = parse_arxiv_listing(listing_text)
    subject = strip_reply_prefixes(origin.subject)
    alert = Alert(
        name=arxiv_archive(subject),
        kind=AlertKind.ARXIV_LISTING,
        source=SourceKind.ARXIV_LISTING,
        subject=subject,
        message_id=origin.message_id,
        sent_at=origin.sent_at,
    )
    # Replacements revise old papers; ParsedAlert has no place for them yet,
    # so they are left out until a field for them exists.
    logger.debug(
        "message %s: arXiv listing %r, %d papers, %d replacements left out",
        alert.message_id,
        alert.name,
        len(listing.papers),
        len(listing.replacements),
    )
    return ParsedAlert(alert=alert, papers=listing.papers, problems=listing.problems)
