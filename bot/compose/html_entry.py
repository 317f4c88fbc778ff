"""One paper of the HTML digest, and the inline styles the page shares with it."""

from __future__ import annotations

import html
from collections.abc import Iterator
from enum import StrEnum

from bot.compose.model import DigestEntry
from bot.compose.wording import (
    NO_ABSTRACT,
    SUMMARY_SKIPPED,
    TITLE_CUT_NOTE,
    abstract_label,
    alerts_line,
    authors_line,
    grouped_fields,
    identifiers,
    plain,
    safe_url,
    shown_abstract,
    shown_tags,
    shown_title,
    venue_year,
)

# Inline styles only: many mail clients drop <style> blocks and classes.
FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
PAGE = "margin:0;padding:0;background:#f3f4f6"
COLUMN = (
    f"max-width:640px;margin:0 auto;padding:16px;background:#ffffff;{FONT};"
    "font-size:16px;line-height:1.5;color:#1f2328;"
    "word-break:break-word;overflow-wrap:anywhere"
)
H1 = "margin:0 0 4px;font-size:22px;line-height:1.3"
H2 = "margin:28px 0 4px;font-size:20px;line-height:1.3"
H3 = "margin:0 0 4px;font-size:17px;line-height:1.35"
LINK = "color:#0b57d0"
MUTED = "margin:0;font-size:14px;color:#57606a"
NOTICE = "margin:12px 0;padding:8px 12px;background:#fff4ce;font-size:15px"
MORE = "margin:16px 0 0;font-size:15px;font-style:italic;color:#57606a"
_ENTRY = "margin:16px 0 0;padding-top:12px;border-top:1px solid #d8dee4"
_NOTE = "margin:6px 0;padding:6px 10px;background:#fff4d6;font-size:14px"
_TLDR = "margin:8px 0;padding:8px 12px;background:#eef4ff;border-left:3px solid #0b57d0"
_FIELD = "margin:6px 0;font-size:15px"
_ABSTRACT = "margin:6px 0;font-size:14px;color:#3d444d"
_FOOTER = "margin:8px 0 0;font-size:14px;color:#57606a"
_COMPACT = "margin:0 0 6px;font-size:15px"
_TAGS = "margin:4px 0"
_TAG = (
    "display:inline-block;margin:0 4px 2px 0;padding:0 6px;border-radius:3px;"
    "background:#e7ecf3;font-size:14px;color:#3d444d"
)


class DetailLevel(StrEnum):
    """How much of each entry the email body holds, tried in this order."""

    FULL = "full"
    NO_ABSTRACTS = "no-abstracts"
    TLDR_ONLY = "tldr-only"
    TITLES_ONLY = "titles-only"


def text(value: str) -> str:
    """Text from an email or a rule file, escaped exactly once for HTML."""
    return html.escape(plain(value), quote=True)


def link(url: str | None, label: str) -> str:
    """``label`` (already escaped) linked to ``url``, or bare when not a web link."""
    target = safe_url(url)
    if target is None:
        return label
    return f'<a href="{html.escape(target, quote=True)}" style="{LINK}">{label}</a>'


def title_line(entry: DigestEntry) -> str:
    """The entry as one line: number and linked title."""
    title = link(entry.link, text(shown_title(entry.paper)))
    return f'<p style="{_COMPACT}">[{entry.number}] {title}</p>'


def entry_html(entry: DigestEntry, level: DetailLevel) -> Iterator[str]:
    """The entry as a block holding what ``level`` keeps."""
    paper, summary = entry.paper, entry.summary
    yield f'<div style="{_ENTRY}">'

    title = link(entry.link, text(shown_title(paper)))
    pdf = link(entry.pdf_url, "PDF") if safe_url(entry.pdf_url) else ""
    yield (
        f'<h3 style="{H3}">[{entry.number}] {title}'
        + (f' <span style="font-weight:normal">· {pdf}</span>' if pdf else "")
        + "</h3>"
    )
    tags = shown_tags(entry)
    if tags:
        labels = " ".join(f'<span style="{_TAG}">{text(tag)}</span>' for tag in tags)
        yield f'<p style="{_TAGS}">{labels}</p>'

    alerts = alerts_line(entry)
    byline = (authors_line(paper), venue_year(paper), alerts and f"Alerts: {alerts}")
    if any(byline):
        shown = "<br>".join(text(line) for line in byline if line)
        yield f'<p style="{MUTED}">{shown}</p>'
    for note in entry.notes:
        yield f'<p style="{_NOTE}">{text(note)}</p>'

    detailed = level in (DetailLevel.FULL, DetailLevel.NO_ABSTRACTS)
    if entry.show_summary:
        yield f'<p style="{_TLDR}"><strong>TL;DR:</strong> {text(summary.tldr)}</p>'
        if detailed:
            for label, field in grouped_fields(summary):
                yield f'<p style="{_FIELD}"><strong>{label}:</strong> {text(field)}</p>'
    else:
        yield f'<p style="{_FIELD}">{html.escape(SUMMARY_SKIPPED)}</p>'
    if level == DetailLevel.FULL:
        source, abstract = shown_abstract(paper)
        label = html.escape(abstract_label(source))
        body = text(abstract or NO_ABSTRACT)
        yield f'<p style="{_ABSTRACT}"><strong>{label}:</strong> {body}</p>'

    ids = " · ".join(f"{label}: {value}" for label, value in identifiers(paper))
    footer = [f"Summary: {plain(summary.source)}"] if entry.show_summary else []
    if paper.title_truncated:
        footer.append(TITLE_CUT_NOTE)
    lines = (ids if detailed else "", " · ".join(footer))
    if any(lines):
        yield f'<p style="{_FOOTER}">{"<br>".join(text(x) for x in lines if x)}</p>'
    yield "</div>"
