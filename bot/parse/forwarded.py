"""Find the header block of an inline forward and cut it and the note away.

Gmail, Outlook, Apple Mail and Thunderbird all write the original From and
Subject as labelled lines, localised, before the forwarded body. One search
for such a block covers every client, in plain text and in HTML alike.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, Tag

from bot.parse.mime import address_in, clean_header

logger = logging.getLogger(__name__)

# Header labels as clients write them in English, French, German, Spanish,
# Portuguese, Italian, Dutch, Nordic, Slavic, Finnish, Hungarian, Turkish,
# Chinese, Japanese and Korean.
_FROM = frozenset(
    {
        "from", "de", "von", "da", "van", "от", "fra", "från", "od",
        "feladó", "lähettäjä", "kimden", "remetente", "发件人", "寄件者",
        "寄件人", "差出人", "보낸 사람", "보낸사람",
    }
)  # fmt: skip
_SUBJECT = frozenset(
    {
        "subject", "objet", "sujet", "betreff", "asunto", "oggetto",
        "onderwerp", "тема", "assunto", "ämne", "emne", "temat", "aihe",
        "tárgy", "konu", "主题", "主旨", "件名", "제목",
    }
)  # fmt: skip
_DATE = frozenset(
    {
        "date", "sent", "envoyé", "gesendet", "enviado", "fecha", "datum",
        "data", "inviato", "verzonden", "отправлено", "дата", "skickat",
        "sendt", "wysłano", "lähetetty", "发送时间", "日期", "时间",
        "寄件日期", "送信日時", "日時", "日付", "날짜", "보낸 날짜",
    }
)  # fmt: skip
_OTHER = frozenset(
    {
        "to", "à", "pour", "a", "an", "para", "aan", "кому", "till", "til",
        "do", "cc", "bcc", "reply-to", "copie à", "kopie", "copia", "копия",
        "收件人", "收件者", "抄送", "宛先", "받는 사람", "참조", "importance",
        "priorité", "wichtigkeit",
    }
)  # fmt: skip

# "From: x", "De : x" (French puts a no-break space before the colon),
# "*From:* x" (Gmail's plain rendering of bold), "主题：x", "> From: x".
_HEADER_LINE = re.compile(
    r"^[>\s]*\*?(?P<label>[^\W\d_][\w\- \u00a0]{0,20}?)\*?[ \t\u00a0]*[:：]\*?"
    r"[ \t\u00a0]*(?P<value>.*)$"
)
# A wrapped header value spans at most a few lines before the next label.
_MAX_CONTINUATION = 3
_QUOTED_SHARE = 0.8
# A forward of a forward of ... is cut down block by block, this deep at most.
_MAX_NESTED = 5

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "blockquote", "br", "center", "dd", "div",
        "dl", "dt", "fieldset", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section",
        "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_UNRENDERED_TAGS = frozenset({"head", "script", "style", "title", "template"})


@dataclass(frozen=True)
class ForwardedHeaders:
    """What an inline forward's header block says about the original mail."""

    sender: str | None
    subject: str | None
    date: str | None
    end_line: int


def find_forwarded_headers(text: str) -> ForwardedHeaders | None:
    """The first labelled block with a From and a Subject line, if any."""
    lines = text.split("\n")
    fields: dict[str, str] = {}
    last_header = -1
    index = 0
    while index < len(lines):
        line = lines[index]
        kind, value = _header_kind(line)
        if kind is not None:
            if kind not in fields:
                fields[kind] = value
            last_header = index
        elif line.strip() and fields and _continues(lines, index):
            # A long To or Subject wrapped by the sender's client.
            key = list(fields)[-1]
            fields[key] = f"{fields[key]} {line.strip()}"
        elif line.strip():
            if "from" in fields and "subject" in fields:
                break
            fields, last_header = {}, -1
        index += 1

    if "from" not in fields or "subject" not in fields:
        return None
    return ForwardedHeaders(
        sender=address_in(fields["from"]),
        subject=clean_header(fields["subject"]) or None,
        date=clean_header(fields.get("date", "")) or None,
        end_line=last_header,
    )


def _header_kind(line: str) -> tuple[str | None, str]:
    match = _HEADER_LINE.match(line)
    if match is None:
        return None, ""
    label = match.group("label").replace("\u00a0", " ").strip().lower()
    value = match.group("value").strip()
    for kind, labels in (("from", _FROM), ("subject", _SUBJECT), ("date", _DATE)):
        if label in labels:
            return kind, value
    return ("other", value) if label in _OTHER else (None, "")


def _continues(lines: list[str], index: int) -> bool:
    for ahead in lines[index + 1 : index + 1 + _MAX_CONTINUATION]:
        if not ahead.strip():
            return False
        if _header_kind(ahead)[0] is not None:
            return True
    return False


def strip_forward_text(text: str) -> tuple[ForwardedHeaders | None, str]:
    """Split plain text into its forward header block and the forwarded body.

    Everything up to the end of the block (the forwarder's note, the
    separator line, the labelled lines) is dropped; text with no block is
    returned as it is. A forward of a forward is cut down to the innermost
    block, whose headers are the original mail's.
    """
    found: ForwardedHeaders | None = None
    for _ in range(_MAX_NESTED):
        headers = find_forwarded_headers(text)
        if headers is None:
            break
        found = headers
        text = "\n".join(_unquote(text.split("\n")[headers.end_line + 1 :]))
    return found, text


def _unquote(lines: list[str]) -> list[str]:
    # Some clients quote a forward with "> " like a reply.
    filled = [line for line in lines if line.strip()]
    quoted = [line for line in filled if line.lstrip().startswith(">")]
    if not filled or len(quoted) < _QUOTED_SHARE * len(filled):
        return lines
    return [re.sub(r"^\s*> ?", "", line) for line in lines]


def strip_forward_html(html: str) -> tuple[ForwardedHeaders | None, str]:
    """Like :func:`strip_forward_text` for HTML: the alert markup stays intact.

    The text nodes up to the end of the header block are removed from the
    tree, so the note and the header lines can never reach the body parser
    while every element of the forwarded alert is kept.
    """
    soup = BeautifulSoup(html, "lxml")
    found: ForwardedHeaders | None = None
    for _ in range(_MAX_NESTED):
        rendered, starts = _render(soup)
        headers = find_forwarded_headers(rendered)
        if headers is None:
            break
        found = headers
        lines = rendered.split("\n")
        block_end = sum(len(line) + 1 for line in lines[: headers.end_line + 1])
        _extract_all([node for node, start in starts if start < block_end])
        logger.debug("inline forward block cut at rendered offset %d", block_end)
    return (found, str(soup)) if found else (None, html)


def _extract_all(nodes: list[NavigableString]) -> None:
    """Take text nodes out of the tree, reading each parent's children once.

    ``extract()`` alone finds a node's place by scanning its parent, which
    made a note of many lines under one parent quadratic; places are found
    once here and nodes taken out from the last, so the others stay valid.
    """
    parents = {id(n.parent): n.parent for n in nodes if n.parent is not None}
    places: dict[int, int] = {}
    for parent in parents.values():
        places.update((id(child), at) for at, child in enumerate(parent.contents))
    for node in sorted(nodes, key=lambda n: places.get(id(n), -1), reverse=True):
        node.extract(_self_index=places.get(id(node)))


def html_to_text(html: str) -> str:
    """The visible text of an HTML body, one line per block or ``<br>``."""
    return _render(BeautifulSoup(html, "lxml"))[0]


def _render(soup: BeautifulSoup) -> tuple[str, list[tuple[NavigableString, int]]]:
    # Walk with an explicit stack: deep real-world nesting must not hit the
    # recursion limit. A None entry marks the end of a block element.
    pieces: list[str] = []
    starts: list[tuple[NavigableString, int]] = []
    length = 0
    stack: list[PageElement | None] = [soup]
    while stack:
        node = stack.pop()
        if node is None or (isinstance(node, Tag) and node.name in _BLOCK_TAGS):
            if pieces and not pieces[-1].endswith("\n"):
                pieces.append("\n")
                length += 1
            if node is None:
                continue
        if isinstance(node, Tag):
            if node.name in _UNRENDERED_TAGS:
                continue
            if node.name in _BLOCK_TAGS:
                stack.append(None)
            stack.extend(reversed(node.contents))
        elif type(node) is NavigableString:
            text = str(node).replace("\r", "")
            text = re.sub(r"[ \t\n]+", " ", text)
            starts.append((node, length))
            pieces.append(text)
            length += len(text)
    return "".join(pieces), starts
