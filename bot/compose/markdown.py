"""The digest as Markdown in the shape of the older tool's digests, escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.compose.model import Digest, DigestEntry
from bot.compose.wording import (
    NO_ABSTRACT,
    SUMMARY_SKIPPED,
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
    tags_line,
    venue_year,
)

# Backslash escapes work in CommonMark and Python-Markdown alike for these.
# Parentheses stay as they are: without an unescaped "]" before them they
# cannot form a link, and escaping them made every "(…)" in prose ugly.
_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
# "<" becomes an entity instead: Python-Markdown keeps "\<" as a raw tag.
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_BLOCK_START = re.compile(r"^([-+=]|\d+(?=[.)]))")
_URL_UNSAFE = {
    "(": "%28",
    ")": "%29",
    "<": "%3C",
    ">": "%3E",
    "[": "%5B",
    "]": "%5D",
    '"': "%22",
    "`": "%60",
    "\\": "%5C",
}


def escape_md(text: str, *, line_start: bool = False) -> str:
    """``text`` as one line of inert Markdown: no markup, HTML or link survives.

    ``line_start`` says the text begins a line, where it must not open a list.
    """
    text = _ENTITY_LIKE.sub("&amp;", plain(text))
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    match = _BLOCK_START.match(text) if line_start else None
    if match is None:
        return text
    if match.group(1)[0].isdigit():
        end = match.end()
        return text[:end] + "\\" + text[end:]
    return "\\" + text


def md_url(url: str | None) -> str | None:
    """A web link fit for ``[text](url)``, or ``None`` for anything else."""
    url = safe_url(url)
    if url is None:
        return None
    return "".join(_URL_UNSAFE.get(ch, ch) for ch in url)


def render_markdown(digest: Digest) -> str:
    """The whole digest as Markdown: header, table of contents, sections.

    Every entry is listed, caps or not: this is the complete digest.
    """
    return "\n".join(_document(digest)).rstrip() + "\n"


def _document(digest: Digest) -> Iterator[str]:
    anchors = section_anchors(digest)
    title = escape_md(digest.title) if plain(digest.title) else "Digest"
    yield f"**{title}** · {escape_md(header_line(digest))}"
    yield ""
    for note in digest.notes:
        yield f"Note: {escape_md(note)}"
        yield ""

    yield "<div id=toc></div>"
    yield ""
    yield "# Table of Contents"
    yield ""
    for section, anchor in zip(digest.sections, anchors, strict=True):
        name = escape_md(section.name)
        yield f"- [{name}](#{anchor}) [Total: {len(section.entries)}]"

    for section, anchor in zip(digest.sections, anchors, strict=True):
        yield ""
        yield ""
        yield f"<div id='{anchor}'></div>"
        yield ""
        yield f"# {escape_md(section.name)} [[Back]](#toc)"
        for entry in section.entries:
            yield ""
            yield from _entry(entry, section.name)


def _entry(entry: DigestEntry, section_name: str) -> Iterator[str]:
    paper, summary = entry.paper, entry.summary
    title = escape_md(shown_title(paper))
    link, pdf = md_url(entry.link), md_url(entry.pdf_url)

    heading = f"### [{entry.number}] " + (f"[{title}]({link})" if link else title)
    yield heading + (f" · [PDF]({pdf})" if pdf else "")

    authors = authors_line(paper)
    if authors:
        yield f"*{escape_md(authors)}*"
    yield ""

    published = venue_year(paper)
    if published:
        yield escape_md(published, line_start=True)
        yield ""
    alerts = alerts_line(entry)
    if alerts:
        yield f"Alerts: {escape_md(alerts)}"
        yield ""
    tags = tags_line(entry)
    if tags:
        yield escape_md(tags)
        yield ""
    # The seed's "Main category:" line named the section (an alert or an
    # arXiv category); "Section:" says what it is.
    yield f"Section: {escape_md(section_name)}"
    yield ""
    for note in entry.notes:
        yield f"Note: {escape_md(note)}"
        yield ""
    if entry.show_summary:
        yield f"TL;DR: {escape_md(summary.tldr)}"
    else:
        yield SUMMARY_SKIPPED
    yield ""

    yield "<details>"
    yield "  <summary>Details</summary>"
    # The blank line ends the HTML block, so what follows is read as Markdown
    # (escapes applied) rather than passed through as raw HTML.
    yield ""
    fields = grouped_fields(summary) if entry.show_summary else ()
    for label, text in fields:
        yield f"{label}: {escape_md(text)}"
        yield ""
    for label, text in identifiers(paper):
        yield f"{label}: {escape_md(text)}"
        yield ""

    source, abstract = shown_abstract(paper)
    yield f"{abstract_label(source)}: {escape_md(abstract or NO_ABSTRACT)}"
    yield ""
    if entry.show_summary:
        yield f"Summary: {escape_md(summary.source)}"
        yield ""
    if paper.title_truncated:
        yield TITLE_CUT_NOTE
        yield ""
    yield "</details>"
