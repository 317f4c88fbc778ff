"""The digest as wrapped plain text, the email's alternative to the HTML body."""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Iterator

from bot.compose.model import Digest, DigestEntry
from bot.compose.wording import (
    INDENT,
    NO_ABSTRACT,
    SUMMARY_SKIPPED,
    TITLE_CUT_NOTE,
    WIDTH,
    abstract_label,
    alerts_line,
    authors_line,
    caps_notice,
    grouped_fields,
    header_line,
    identifiers,
    more_not_shown,
    plain,
    safe_url,
    section_count,
    shown_abstract,
    shown_title,
    tags_line,
    venue_year,
)


def render_text(digest: Digest) -> str:
    """The digest as plain text wrapped near 78 columns.

    Like the HTML body it shows the entries within the digest's caps and
    says, per section, how many more the full digest has.
    """
    return "\n".join(_document(digest)).rstrip() + "\n"


def _document(digest: Digest) -> Iterator[str]:
    yield from _underlined(plain(digest.title) or "Digest", "=")
    yield from _wrap(header_line(digest), "")
    capped = digest.capped
    if capped:
        yield from _wrap(caps_notice(digest), "")
    for note in digest.notes:
        yield from _wrap(f"Note: {plain(note)}", "")
    yield ""

    yield from _underlined("Contents", "-")
    for section in digest.sections:
        count = section_count(section, capped=capped)
        yield from _wrap(f"{plain(section.name)} ({count})", "  ")

    for section in digest.sections:
        yield ""
        yield ""
        yield from _underlined(plain(section.name), "=")
        for entry in section.shown_entries:
            yield ""
            yield from _entry(entry)
        if section.hidden_count:
            yield ""
            yield from _wrap(more_not_shown(section.hidden_count), "")


def _entry(entry: DigestEntry) -> Iterator[str]:
    paper, summary = entry.paper, entry.summary
    yield from _wrap(f"[{entry.number}] {shown_title(paper)}", "", INDENT)

    byline = [authors_line(paper), venue_year(paper)]
    alerts = alerts_line(entry)
    byline.append(f"Alerts: {alerts}" if alerts else None)
    byline.append(tags_line(entry))
    for line in byline:
        if line:
            yield from _wrap(line, INDENT)

    # URLs stay whole on their own lines so mail clients can link them.
    for url in (safe_url(entry.link), safe_url(entry.pdf_url)):
        if url:
            yield INDENT + url

    yield ""
    for note in entry.notes:
        yield from _wrap(f"Note: {plain(note)}", INDENT)
    if entry.show_summary:
        yield from _wrap(f"TL;DR: {plain(summary.tldr)}", INDENT)
        for label, text in grouped_fields(summary):
            yield from _wrap(f"{label}: {text}", INDENT)
    else:
        yield INDENT + SUMMARY_SKIPPED
    for label, text in identifiers(paper):
        yield from _wrap(f"{label}: {text}", INDENT)

    source, abstract = shown_abstract(paper)
    yield from _wrap(f"{abstract_label(source)}: {abstract or NO_ABSTRACT}", INDENT)
    if entry.show_summary:
        yield from _wrap(f"Summary: {plain(summary.source)}", INDENT)
    if paper.title_truncated:
        yield INDENT + TITLE_CUT_NOTE


def _wrap(text: str, indent: str, hanging: str | None = None) -> list[str]:
    # Long words are never broken: a URL or a run of CJK text stays whole.
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=indent,
        subsequent_indent=indent if hanging is None else hanging,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _underlined(text: str, mark: str) -> list[str]:
    return [text, mark * min(WIDTH, max(3, _display_width(text)))]


def _display_width(text: str) -> int:
    # Wide (CJK) characters take two columns in a monospaced font.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
