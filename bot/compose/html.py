"""The digest as an email-safe HTML body, shortened by detail level to fit."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from bot.compose.model import Digest, DigestEntry
from bot.compose.wording import (
    NO_ABSTRACT,
    TITLE_CUT_NOTE,
    abstract_label,
    alerts_line,
    authors_line,
    grouped_fields,
    header_line,
    identifiers,
    plain,
    safe_url,
    section_anchors,
    shown_abstract,
    shown_title,
    venue_year,
)

# Gmail clips message bodies over about 102 KB and hides the rest behind a
# link, so the body stays under this and details move to the attachment.
DEFAULT_MAX_BYTES = 95_000

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")

# Inline styles only: many mail clients drop <style> blocks and classes.
_FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_PAGE = "margin:0;padding:0;background:#f3f4f6"
_COLUMN = (
    f"max-width:640px;margin:0 auto;padding:16px;background:#ffffff;{_FONT};"
    "font-size:16px;line-height:1.5;color:#1f2328;"
    "word-break:break-word;overflow-wrap:anywhere"
)
_H1 = "margin:0 0 4px;font-size:22px;line-height:1.3"
_H2 = "margin:28px 0 4px;font-size:20px;line-height:1.3"
_H3 = "margin:0 0 4px;font-size:17px;line-height:1.35"
_LINK = "color:#0b57d0"
_MUTED = "margin:0;font-size:14px;color:#57606a"
_NOTICE = "margin:12px 0;padding:8px 12px;background:#fff4ce;font-size:15px"
_ENTRY = "margin:16px 0 0;padding-top:12px;border-top:1px solid #d8dee4"
_NOTE = "margin:6px 0;padding:6px 10px;background:#fff4d6;font-size:14px"
_TLDR = "margin:8px 0;padding:8px 12px;background:#eef4ff;border-left:3px solid #0b57d0"
_FIELD = "margin:6px 0;font-size:15px"
_ABSTRACT = "margin:6px 0;font-size:14px;color:#3d444d"
_FOOTER = "margin:8px 0 0;font-size:14px;color:#57606a"
_COMPACT = "margin:0 0 6px;font-size:15px"


class DetailLevel(StrEnum):
    """How much of each entry the email body holds, tried in this order."""

    FULL = "full"
    NO_ABSTRACTS = "no-abstracts"
    TLDR_ONLY = "tldr-only"
    TITLES_ONLY = "titles-only"


_LEVEL_NOTICES = {
    DetailLevel.NO_ABSTRACTS: "Abstracts are left out of this email to keep it "
    "short enough for mail clients to show whole.",
    DetailLevel.TLDR_ONLY: "This email shows each paper's TL;DR only, to keep it "
    "short enough for mail clients to show whole.",
    DetailLevel.TITLES_ONLY: "This email lists titles only, to keep it short "
    "enough for mail clients to show whole.",
}
_ATTACHMENT_NOTE = (
    " The full details are in digest.full.html (attached when the digest is mailed)."
)


@dataclass(frozen=True)
class HtmlDigest:
    """The email body, the full rendering when the body was shortened, the level."""

    body: str
    full: str | None
    level: str


def render_html(digest: Digest, *, max_bytes: int = DEFAULT_MAX_BYTES) -> HtmlDigest:
    """The digest as HTML whose body fits ``max_bytes`` of UTF-8 if at all possible.

    Detail moves out level by level; papers are never dropped, so a digest too
    long even as titles is still returned whole at the last level.
    """
    full = _render(digest, DetailLevel.FULL)
    if _size(full) <= max_bytes:
        return HtmlDigest(body=full, full=None, level=DetailLevel.FULL)

    for level in (DetailLevel.NO_ABSTRACTS, DetailLevel.TLDR_ONLY):
        body = _render(digest, level)
        if _size(body) <= max_bytes:
            return HtmlDigest(body=body, full=full, level=level)
    body = _render(digest, DetailLevel.TITLES_ONLY)
    return HtmlDigest(body=body, full=full, level=DetailLevel.TITLES_ONLY)


def _size(document: str) -> int:
    return len(document.encode("utf-8"))


def _text(value: str) -> str:
    """Text from an email, escaped exactly once for HTML text or attributes."""
    return html.escape(plain(value), quote=True)


def _link(url: str | None, label: str) -> str:
    """``label`` (already escaped) linked to ``url``, or bare when not a web link."""
    target = safe_url(url)
    if target is None:
        return label
    return f'<a href="{html.escape(target, quote=True)}" style="{_LINK}">{label}</a>'


def _render(digest: Digest, level: DetailLevel) -> str:
    return "\n".join(_document(digest, level)) + "\n"


def _document(digest: Digest, level: DetailLevel) -> Iterator[str]:
    language = digest.language if _LANGUAGE_TAG.fullmatch(digest.language) else "und"
    title = _text(digest.title) or "Digest"
    yield "<!DOCTYPE html>"
    yield f'<html lang="{html.escape(language, quote=True)}">'
    yield '<head><meta charset="utf-8">'
    yield '<meta name="viewport" content="width=device-width, initial-scale=1">'
    yield f"<title>{title}</title></head>"
    yield f'<body style="{_PAGE}">'
    yield f'<div style="{_COLUMN}">'

    yield f'<h1 style="{_H1}">{title}</h1>'
    yield f'<p style="{_MUTED}">{_text(header_line(digest))}</p>'
    if level != DetailLevel.FULL:
        notice = _LEVEL_NOTICES[level] + _ATTACHMENT_NOTE
        yield f'<p style="{_NOTICE}"><strong>{html.escape(notice)}</strong></p>'
    for note in digest.notes:
        yield f'<p style="{_NOTICE}">{_text(note)}</p>'

    anchors = section_anchors(digest)
    yield from _contents(digest, anchors)
    for section, anchor in zip(digest.sections, anchors, strict=True):
        yield f'<h2 id="{_text(anchor)}" style="{_H2}">{_text(section.name)}</h2>'
        yield f'<p style="{_MUTED}"><a href="#toc" style="{_LINK}">↑ Contents</a></p>'
        for entry in section.entries:
            if level == DetailLevel.TITLES_ONLY:
                yield _title_line(entry)
            else:
                yield from _entry(entry, level)

    yield "</div>"
    yield "</body>"
    yield "</html>"


def _contents(digest: Digest, anchors: tuple[str, ...]) -> Iterator[str]:
    yield f'<h2 id="toc" style="{_H2}">Contents</h2>'
    yield '<ul style="margin:4px 0;padding-left:20px">'
    for section, anchor in zip(digest.sections, anchors, strict=True):
        link = f'<a href="#{_text(anchor)}" style="{_LINK}">{_text(section.name)}</a>'
        yield f"<li>{link} ({len(section.entries)})</li>"
    yield "</ul>"


def _title_line(entry: DigestEntry) -> str:
    title = _link(entry.link, _text(shown_title(entry.paper)))
    return f'<p style="{_COMPACT}">[{entry.number}] {title}</p>'


def _entry(entry: DigestEntry, level: DetailLevel) -> Iterator[str]:
    paper, summary = entry.paper, entry.summary
    yield f'<div style="{_ENTRY}">'

    title = _link(entry.link, _text(shown_title(paper)))
    pdf = _link(entry.pdf_url, "PDF") if safe_url(entry.pdf_url) else ""
    yield (
        f'<h3 style="{_H3}">[{entry.number}] {title}'
        + (f' <span style="font-weight:normal">· {pdf}</span>' if pdf else "")
        + "</h3>"
    )

    alerts = alerts_line(entry)
    byline = (authors_line(paper), venue_year(paper), alerts and f"Alerts: {alerts}")
    if any(byline):
        shown = "<br>".join(_text(line) for line in byline if line)
        yield f'<p style="{_MUTED}">{shown}</p>'
    for note in entry.notes:
        yield f'<p style="{_NOTE}">{_text(note)}</p>'
    yield f'<p style="{_TLDR}"><strong>TL;DR:</strong> {_text(summary.tldr)}</p>'

    detailed = level in (DetailLevel.FULL, DetailLevel.NO_ABSTRACTS)
    if detailed:
        for label, text in grouped_fields(summary):
            yield f'<p style="{_FIELD}"><strong>{label}:</strong> {_text(text)}</p>'
    if level == DetailLevel.FULL:
        source, abstract = shown_abstract(paper)
        label = html.escape(abstract_label(source))
        body = _text(abstract or NO_ABSTRACT)
        yield f'<p style="{_ABSTRACT}"><strong>{label}:</strong> {body}</p>'

    ids = " · ".join(f"{label}: {text}" for label, text in identifiers(paper))
    footer = f"Summary: {plain(summary.source)}"
    if paper.title_truncated:
        footer += f" · {TITLE_CUT_NOTE}"
    lines = (ids if detailed else "", footer)
    yield f'<p style="{_FOOTER}">{"<br>".join(_text(x) for x in lines if x)}</p>'
    yield "</div>"
