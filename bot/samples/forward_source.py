"""What a mail client shows of a message it forwards, in the reader's language."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.utils import format_datetime, parsedate_to_datetime

from bot.samples import mime

BOT_MAILBOX = "digest@example.net"

# Day and month names as mail clients write them in forwarded header blocks.
_WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
}
_MONTHS = {
    "en": "January February March April May June July August September October "
    "November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre "
    "novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober "
    "November Dezember",
}


@dataclass(frozen=True)
class Original:
    """What a mail client shows of the message being forwarded."""

    sender_name: str
    sender_addr: str
    to: str
    subject: str
    date_header: str
    date: datetime
    html: str
    text: str | None

    @property
    def html_body(self) -> str:
        """The inside of ``<body>``: what clients paste into a forward."""
        found = re.search(r"<body[^>]*>(.*)</body>", self.html, re.DOTALL)
        return found.group(1) if found else self.html


@dataclass(frozen=True)
class Labels:
    """A client's header-block words in one language."""

    sender: str
    sent: str
    to: str
    subject: str
    colon: str  # French sets a no-break space before the colon
    prefix: str  # subject prefix of the forward


OUTLOOK = {
    "en": Labels("From", "Sent", "To", "Subject", ":", "FW: "),
    "fr": Labels("De", "Envoyé", "À", "Objet", "\u00a0:", "TR: "),
    "de": Labels("Von", "Gesendet", "An", "Betreff", ":", "WG: "),
}
THUNDERBIRD = {
    "en": ("-------- Forwarded Message --------", OUTLOOK["en"]),
    "fr": (
        "-------- Message transféré --------",
        Labels("De", "Date", "Pour", "Sujet", "\u00a0:", "Fwd: "),
    ),
    "de": (
        "-------- Weitergeleitete Nachricht --------",
        Labels("Von", "Datum", "An", "Betreff", ":", "Fwd: "),
    ),
}


def read_original(raw: bytes) -> Original:
    """Headers and bodies of ``raw``, decoded; it must have an HTML body."""
    parsed = email.message_from_bytes(raw, policy=policy.default)
    html_part = parsed.get_body(preferencelist=("html",))
    if html_part is None:
        raise ValueError("the message to forward has no text/html body")
    text_part = parsed.get_body(preferencelist=("plain",))
    name, addr = mime.split_address(str(parsed["From"]))
    date_header = str(parsed["Date"])
    return Original(
        sender_name=name,
        sender_addr=addr,
        to=str(parsed["To"]),
        subject=str(parsed["Subject"]),
        date_header=date_header,
        date=parsedate_to_datetime(date_header),
        html=str(html_part.get_content()),
        text=None if text_part is None else str(text_part.get_content()),
    )


def envelope(
    forwarder: str, to: str, subject: str, date: datetime, message_id: str
) -> list[tuple[str, str]]:
    """Top-level headers of the forward, ``forwarder`` being ``Name <addr>``."""
    return [
        ("From", mime.address(*mime.split_address(forwarder))),
        ("To", to),
        ("Subject", mime.header_value("Subject", subject)),
        ("Date", format_datetime(date)),
        ("Message-ID", mime.message_id(message_id)),
    ]


def weekday_name(language: str, moment: datetime) -> str:
    """The full weekday name of ``moment`` in ``language``."""
    return _WEEKDAYS[language].split()[moment.weekday()]


def month_name(language: str, moment: datetime) -> str:
    """The full month name of ``moment`` in ``language``."""
    return _MONTHS[language].split()[moment.month - 1]


def clock12(moment: datetime) -> str:
    """``7:05 AM``-style time, as Gmail and English Outlook write it."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def outlook_date(language: str, moment: datetime) -> str:
    """The ``Sent:`` value of Outlook's header block in ``language``."""
    day, month = weekday_name(language, moment), month_name(language, moment)
    if language == "en":
        return f"{day}, {month} {moment.day}, {moment.year} {clock12(moment)}"
    if language == "de":
        return f"{day}, {moment.day}. {month} {moment.year} {moment:%H:%M}"
    return f"{day} {moment.day} {month} {moment.year} {moment:%H:%M}"
