"""MIME plumbing: load raw bytes, read headers safely, walk parts, decode text."""

from __future__ import annotations

import base64
import email
import email.policy
import logging
import quopri
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime

from bot.errors import MessageParseError
from bot.text import clean_text

logger = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# RFC 5321 caps the local part at 64 octets; the cap also keeps a search
# over a long header without any "@" linear.
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]+(?:\.[\w-]+)+")
_TRAILING_BLANKS = re.compile(rb"[ \t]+(?=\r?\n|$)")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.I)
# ESC $ @, ESC $ B (JIS X 0208) and ESC ( J (JIS Roman) only occur in ISO-2022-JP.
_ISO2022JP_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J")

# Labels that mail clients put on bytes of a wider charset. GB18030 is a
# superset of GB2312 and GBK; HTML5 reads ISO-8859-1 labels as windows-1252.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
    "iso-2022-jp": "iso2022_jp_ext",
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
}


@dataclass(frozen=True)
class TextPart:
    """One readable body part: ``subtype`` is ``html`` or ``plain``."""

    subtype: str
    text: str


@dataclass(frozen=True)
class Envelope:
    """The headers the parser needs, decoded and cleaned."""

    message_id: str | None
    subject: str
    sender: str
    sent_at: datetime | None
    forwarded_for: str | None


def load_message(raw: bytes) -> Message:
    """Parse raw bytes as mail; raise ``MessageParseError`` if nothing is mail."""
    try:
        # compat32 leaves headers as text until asked for: the default policy
        # parses every header it touches into objects, which took a third
        # of the time per message, and a broken header there can raise.
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as exc:  # the stdlib parser is lenient; anything left is fatal
        raise MessageParseError(None, f"not parseable as mail: {exc}") from exc

    # Without a single header there is nothing to tell a message from noise.
    if not message.keys():
        raise MessageParseError(None, "no mail headers found")
    return message


MESSAGE_ID_LIMIT = 300


def peek_message_id(raw: bytes) -> str | None:
    """Read only the header section of ``raw`` and return its Message-ID."""
    head = re.split(rb"\r?\n\r?\n", raw[:65536], maxsplit=1)[0]
    try:
        headers = BytesParser(policy=email.policy.compat32).parsebytes(
            head, headersonly=True
        )
    except Exception:  # a cap error must still be raised, with or without an id
        logger.debug("could not read headers of an oversized message", exc_info=True)
        return None
    value = headers.get("Message-ID")
    if value is None:
        return None
    # Capped: the id goes into every log line about the message.
    return clean_header(str(value))[:MESSAGE_ID_LIMIT] or None


def read_envelope(message: Message) -> Envelope:
    """Decode Message-ID, Subject, sender, date and the auto-forward hop."""
    date_text = header_text(message, "Date")
    forwarded_for = header_text(message, "X-Forwarded-For")
    return Envelope(
        message_id=header_text(message, "Message-ID") or None,
        subject=header_text(message, "Subject"),
        sender=address_in(header_text(message, "From")) or "",
        sent_at=parse_date(date_text),
        forwarded_for=address_in(forwarded_for),
    )


def header_text(message: Message, name: str) -> str:
    """A header decoded to clean one-line text (RFC 2047 undone); ``""`` if absent.

    Headers are decoded here by hand, so one malformed header never costs
    the message: what cannot be decoded is kept as it came.
    """
    # raw_items keeps raw 8-bit bytes (as surrogate escapes) that get() would
    # already have replaced with U+FFFD.
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return clean_header(_decode_raw_header(str(value)))
    return ""


def clean_header(value: str) -> str:
    """Drop CR, LF and other control characters, collapse white space."""
    return clean_text(_CONTROL.sub(" ", value))


def _decode_raw_header(value: str) -> str:
    # Raw 8-bit header bytes arrive as surrogate escapes (RFC 6532 allows UTF-8).
    value = decode_bytes(value.encode("utf-8", "surrogateescape"), "utf-8")
    try:
        chunks = decode_header(value)
    except Exception:  # a malformed encoded word: keep the text as it came
        return value
    try:
        return str(make_header(chunks))
    except Exception:
        # An encoded word names a charset Python lacks, or its bytes lie:
        # decode word by word with the same guessing as bodies.
        return "".join(
            chunk if isinstance(chunk, str) else decode_bytes(chunk, charset)
            for chunk, charset in chunks
        )


def address_in(value: str) -> str | None:
    """The first mail address in a header value, in lower case."""
    _, address = parseaddr(value)
    if "@" not in address:
        match = _ADDRESS.search(value)
        address = match.group(0) if match else ""
    return address.strip("<>").lower() or None


def parse_date(value: str) -> datetime | None:
    """An RFC 5322 date as an aware datetime; ``None`` if it does not parse."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" means UTC with the sender's zone unknown (RFC 5322 3.3).
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def leaf_parts(message: Message) -> list[Message]:
    """Non-multipart parts in order, without descending into attached mail."""
    leaves: list[Message] = []
    stack = [message]
    while stack:
        part = stack.pop()
        if part.get_content_maintype() == "multipart":
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(reversed([c for c in children if isinstance(c, Message)]))
            continue
        leaves.append(part)
    return leaves


def text_parts(message: Message) -> list[TextPart]:
    """Inline ``text/html`` and ``text/plain`` parts, decoded, in order.

    ``text/x-amp-html`` and other text types are left out on purpose: the
    AMP copy of an alert differs from its HTML and is never the one to read.
    """
    parts: list[TextPart] = []
    for part in leaf_parts(message):
        subtype = part.get_content_subtype()
        if part.get_content_maintype() != "text" or subtype not in ("html", "plain"):
            continue
        if part.get_content_disposition() == "attachment":
            continue
        parts.append(TextPart(subtype, decode_part(part)))
    return parts


def attached_messages(message: Message) -> list[Message]:
    """Every message attached to ``message`` (``message/rfc822`` or ``.eml``)."""
    attached: list[Message] = []
    for part in leaf_parts(message):
        inner = _as_message(part)
        if inner is not None:
            attached.append(inner)
    return attached


def _as_message(part: Message) -> Message | None:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        if not (isinstance(payload, list) and payload):
            return None
        inner = payload[0]
        if not isinstance(inner, Message):
            return None
        encoding = header_text(part, "Content-Transfer-Encoding").lower()
        if encoding not in ("base64", "quoted-printable"):
            return inner
        # RFC 2046 forbids encoding message/rfc822, some clients do it anyway:
        # the stdlib then parses the encoded text as if it were the message.
        data = _transfer_decoded(inner.as_bytes().lstrip(b"\r\n"), encoding)
    elif _filename_of(part).lower().endswith(".eml"):
        # application/octet-stream and the like, named as saved mail.
        decoded = part.get_payload(decode=True)
        data = decoded if isinstance(decoded, bytes) else b""
    else:
        return None

    if not data.strip():
        return None
    try:
        return load_message(data)
    except MessageParseError:
        logger.debug("attachment %r is not mail", _filename_of(part))
        return None


def _transfer_decoded(data: bytes, encoding: str) -> bytes:
    if encoding == "base64":
        try:
            return base64.b64decode(data)
        except ValueError:
            return b""
    return quopri.decodestring(_TRAILING_BLANKS.sub(b"", data))


def _filename_of(part: Message) -> str:
    # RFC 2231 names are decoded by the policy; a broken one must not matter.
    try:
        return part.get_filename() or ""
    except Exception:
        return ""


def decode_part(part: Message) -> str:
    """The text of one part: transfer encoding undone, charset decoded."""
    data = _payload_bytes(part)
    charset = part.get_content_charset()
    if charset is None and part.get_content_subtype() == "html":
        match = _META_CHARSET.search(data[:2048])
        charset = match.group(1).decode("ascii").lower() if match else None
    return decode_bytes(data, charset)


def _payload_bytes(part: Message) -> bytes:
    encoding = header_text(part, "Content-Transfer-Encoding").lower()
    if encoding != "quoted-printable":
        data = part.get_payload(decode=True)
        return data if isinstance(data, bytes) else b""

    # RFC 2045 6.7: trailing blanks were added in transport and must go,
    # or "= " at a line end would survive as a stray "=" inside a URL.
    # get_payload() would first decode raw 8-bit bytes (which relays leave
    # in QP bodies) by the declared charset, replacing what does not fit,
    # before decode_bytes could guess the real one: the stored payload still
    # holds them as surrogate escapes.
    raw = vars(part).get("_payload")
    if not isinstance(raw, str):
        raw = part.get_payload(decode=False)
    if not isinstance(raw, str):
        return b""
    return _transfer_decoded(raw.encode("utf-8", "surrogateescape"), encoding)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode text whose declared charset may be missing, unknown or wrong."""
    label = (charset or "").strip().strip("\"'").lower()
    if label in ("", "us-ascii", "ascii", "unknown-8bit", "x-unknown"):
        return _decode_undeclared(data)

    codec = _CHARSET_ALIASES.get(label, label)
    try:
        return data.decode(codec)
    except LookupError:  # an unknown name, or a bytes codec such as "hex"
        logger.debug("unknown charset %r, reading as UTF-8", label)
        if any(escape in data for escape in _ISO2022JP_ESCAPES):
            return data.decode("iso2022_jp_ext", "replace")
        return data.decode("utf-8", "replace")
    except (UnicodeDecodeError, ValueError):
        logger.debug("bytes are not %s as labelled, guessing", label)
    return _decode_undeclared(data)


def _decode_undeclared(data: bytes) -> str:
    if any(escape in data for escape in _ISO2022JP_ESCAPES):
        try:
            return data.decode("iso2022_jp_ext")
        except UnicodeDecodeError:
            pass
    for codec in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    # Latin-1 maps every byte, so the fallback chain always ends here.
    return data.decode("latin-1")
