"""The digest as one email: subject, Message-ID and MIME bytes, built without I/O.

Only :func:`email_content` reads files (the digest already written to disk);
everything else is a pure function of its arguments, so the same inputs give
the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from bot.addresses import is_plain_address
from bot.deliver.files import WrittenDigest
from bot.errors import DigestError
from bot.text import clean_text

SUBJECT_TITLE_MAX = 80
DEFAULT_TITLE = "Scholar digest"
FALLBACK_DOMAIN = "scholar-digest.invalid"

# English names on purpose: strftime's %a and %b follow the process locale.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
# A bare addr-spec: anything that could open a second address (",", ";"),
# a display name or route ("<", ">", quotes, comments) or a header (CR, LF,
# white space) is refused rather than cleaned.
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*")


@dataclass(frozen=True)
class DigestEmail:
    """What goes into one digest email, before any header is set."""

    subject: str
    text_body: str
    html_body: str
    attachment_name: str
    attachment: bytes
    attachment_type: str


def email_content(written: WrittenDigest, subject: str) -> DigestEmail:
    """The bodies and the attachment of the digest written to disk.

    The attachment is the complete HTML when the HTML body was shortened to
    fit (mail clients clip long bodies), else the Markdown digest.
    """
    attached = written.full_html or written.markdown
    kind = "text/html" if written.full_html else "text/markdown"
    try:
        text_body = written.text.read_text(encoding="utf-8")
        html_body = written.html.read_text(encoding="utf-8")
        attachment = attached.read_bytes()
    except OSError as exc:
        raise DigestError(f"cannot read the written digest: {exc}") from exc
    return DigestEmail(
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        attachment_name=attached.name,
        attachment=attachment,
        attachment_type=kind,
    )


def digest_subject(
    title: str,
    day: dt.date,
    paper_count: int,
    template: str = "{title} for {date}: {count}",
) -> str:
    """``"<title> for Fri 4 Dec 2026: 14 papers"``: one line, plain text.

    ``template`` (the rules' ``subject``) places ``{title}``, ``{date}`` and
    ``{count}``. The title comes from a user's rule file: control characters
    and line breaks go, white space collapses, and it is capped near 80
    characters. It is never HTML-escaped: a header is not HTML, so "&"
    stays "&".
    """
    clean = _one_line(title)
    if len(clean) > SUBJECT_TITLE_MAX:
        cut = clean[:SUBJECT_TITLE_MAX].rsplit(" ", 1)[0]
        clean = cut.rstrip(" ,;:-") + "\u2026"
    when = f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"
    filled = template.format(
        title=clean or DEFAULT_TITLE, date=when, count=_count(paper_count)
    )
    return _one_line(filled) or f"{DEFAULT_TITLE} for {when}"


def _one_line(text: str) -> str:
    return "".join(
        char
        for char in clean_text(text)
        if unicodedata.category(char) not in {"Cc", "Zl", "Zp"}
    ).strip()


def _count(paper_count: int) -> str:
    if paper_count <= 0:
        return "no new papers"
    if paper_count == 1:
        return "1 paper"
    return f"{paper_count} papers"


def make_message_id(key: bytes, recipient: str, day: str, sender: str) -> str:
    """``<hex@domain>``, the same for one recipient and day, unguessable without key.

    The same id on a resend lets mail clients fold a duplicate away; the
    HMAC keeps one subscriber from predicting another's ids.
    """
    mac = hmac.new(key, f"{recipient.strip().lower()}\n{day}".encode(), "sha256")
    return f"<{mac.hexdigest()[:32]}@{_sender_domain(sender)}>"


def _sender_domain(sender: str) -> str:
    _, at, domain = sender.strip().lower().rpartition("@")
    if not at:
        return FALLBACK_DOMAIN
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return FALLBACK_DOMAIN
    return domain if _DOMAIN.fullmatch(domain) else FALLBACK_DOMAIN


def compose_email(
    content: DigestEmail,
    *,
    sender: str,
    recipient: str,
    message_id: str,
    date: dt.datetime,
) -> bytes:
    """The MIME bytes (CRLF line ends) of the digest for one recipient.

    multipart/mixed holds multipart/alternative (text, then HTML) and the
    attachment. No text taken from an email can add a header: addresses
    and the subject are checked, not cleaned.
    """
    _check_address(sender, "sender")
    _check_address(recipient, "recipient")
    _check_header_text(content.subject, "subject")
    _check_header_text(message_id, "Message-ID")

    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = content.subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    # RFC 3834: marks the digest as machine-made, so well-behaved
    # autoresponders (and Exchange, via the X- header) do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"

    # Quoted-printable keeps every body 7-bit: a server without 8BITMIME
    # (RFC 6152) takes it as is, and no line exceeds RFC 5322's limit.
    message.set_content(content.text_body, charset="utf-8", cte="quoted-printable")
    message.add_alternative(
        content.html_body, subtype="html", charset="utf-8", cte="quoted-printable"
    )
    maintype, _, subtype = content.attachment_type.partition("/")
    message.add_attachment(
        content.attachment,
        maintype=maintype,
        subtype=subtype or "octet-stream",
        filename=content.attachment_name,
        params={"charset": "utf-8"} if maintype == "text" else {},
    )
    _tidy_parts(message, message_id)
    return message.as_bytes()


def _check_address(address: str, role: str) -> None:
    if not is_plain_address(address):
        raise DigestError(f"the {role} {address!r} is not a plain email address")


def _check_header_text(value: str, name: str) -> None:
    if any(unicodedata.category(char) in {"Cc", "Zl", "Zp"} for char in value):
        raise DigestError(f"the {name} {value!r} holds a line break or control")


def _tidy_parts(message: EmailMessage, message_id: str) -> None:
    # Boundaries derived from the Message-ID make a recomposed message
    # byte-identical. "=_" can occur neither in quoted-printable nor in
    # base64 text, so no body line can look like a boundary.
    stem = hashlib.sha256(message_id.encode()).hexdigest()[:24]
    for number, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_{stem}.{number}")
        if part is not message:
            # RFC 2045 asks for MIME-Version on the message, not on its parts.
            del part["MIME-Version"]
