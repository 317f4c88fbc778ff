"""The digest as an email-safe HTML body, shortened by caps and detail level to fit."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.compose.html_entry import (
    COLUMN,
    H1,
    H2,
    LINK,
    MORE,
    MUTED,
    NOTICE,
    PAGE,
    DetailLevel,
    entry_html,
    text,
    title_line,
)
from bot.compose.model import Digest
from bot.compose.wording import (
    caps_notice,
    header_line,
    more_not_shown,
    section_anchors,
    section_count,
)

__all__ = ["DEFAULT_MAX_BYTES", "DetailLevel", "HtmlDigest", "render_html"]

# Gmail clips message bodies over about 102 KB and hides the rest behind a
# link, so the body stays under this and details move to the attachment.
DEFAULT_MAX_BYTES = 95_000

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")

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
    """The email body, the complete rendering when the body is not it, the level."""

    body: str
    full: str | None
    level: str


def render_html(digest: Digest, *, max_bytes: int = DEFAULT_MAX_BYTES) -> HtmlDigest:
    """The digest as HTML whose body fits ``max_bytes`` of UTF-8 if at all possible.

    The body leaves out the entries beyond the digest's caps, saying how many
    per section, then moves detail out level by level; the size budget never
    drops papers, so a digest too long even as titles is still returned at
    the last level. Whenever the body is cut, ``full`` is the complete digest.
    """
    capped = digest.capped
    full = _render(digest, DetailLevel.FULL, capped=False)
    body = _render(digest, DetailLevel.FULL, capped=True) if capped else full
    if _size(body) <= max_bytes:
        return HtmlDigest(
            body=body, full=full if capped else None, level=DetailLevel.FULL
        )

    for level in (DetailLevel.NO_ABSTRACTS, DetailLevel.TLDR_ONLY):
        body = _render(digest, level, capped=capped)
        if _size(body) <= max_bytes:
            return HtmlDigest(body=body, full=full, level=level)
    body = _render(digest, DetailLevel.TITLES_ONLY, capped=capped)
    return HtmlDigest(body=body, full=full, level=DetailLevel.TITLES_ONLY)


def _size(document: str) -> int:
    return len(document.encode("utf-8"))


def _render(digest: Digest, level: DetailLevel, *, capped: bool) -> str:
    return "\n".join(_document(digest, level, capped)) + "\n"


def _document(digest: Digest, level: DetailLevel, capped: bool) -> Iterator[str]:
    language = digest.language if _LANGUAGE_TAG.fullmatch(digest.language) else "und"
    title = text(digest.title) or "Digest"
    yield "<!DOCTYPE html>"
    yield f'<html lang="{html.escape(language, quote=True)}">'
    yield '<head><meta charset="utf-8">'
    yield '<meta name="viewport" content="width=device-width, initial-scale=1">'
    yield f"<title>{title}</title></head>"
    yield f'<body style="{PAGE}">'
    yield f'<div style="{COLUMN}">'

    yield f'<h1 style="{H1}">{title}</h1>'
    yield f'<p style="{MUTED}">{text(header_line(digest))}</p>'
    if capped:
        yield f'<p style="{NOTICE}"><strong>{text(caps_notice(digest))}</strong></p>'
    if level != DetailLevel.FULL:
        notice = _LEVEL_NOTICES[level] + _ATTACHMENT_NOTE
        yield f'<p style="{NOTICE}"><strong>{html.escape(notice)}</strong></p>'
    for note in digest.notes:
        yield f'<p style="{NOTICE}">{text(note)}</p>'

    anchors = section_anchors(digest)
    yield from _contents(digest, anchors, capped)
    for section, anchor in zip(digest.sections, anchors, strict=True):
        yield f'<h2 id="{text(anchor)}" style="{H2}">{text(section.name)}</h2>'
        yield f'<p style="{MUTED}"><a href="#toc" style="{LINK}">↑ Contents</a></p>'
        entries = section.shown_entries if capped else section.entries
        for entry in entries:
            if level == DetailLevel.TITLES_ONLY:
                yield title_line(entry)
            else:
                yield from entry_html(entry, level)
        if capped and section.hidden_count:
            yield f'<p style="{MORE}">{text(more_not_shown(section.hidden_count))}</p>'

    yield "</div>"
    yield "</body>"
    yield "</html>"


def _contents(digest: Digest, anchors: tuple[str, ...], capped: bool) -> Iterator[str]:
    yield f'<h2 id="toc" style="{H2}">Contents</h2>'
    yield '<ul style="margin:4px 0;padding-left:20px">'
    for section, anchor in zip(digest.sections, anchors, strict=True):
        link = f'<a href="#{text(anchor)}" style="{LINK}">{text(section.name)}</a>'
        yield f"<li>{link} ({section_count(section, capped=capped)})</li>"
    yield "</ul>"
