"""arXiv daily listing emails built from plain data, in arXiv's plain-text layout."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime

from bot.samples import mime

ARXIV_SENDER = "no-reply@arXiv.org"
_RULE = "-" * 78
_REPLACEMENTS = "%%--" * 19 + "%%"
_END = "%%%---" * 13
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (
    *("Jan", "Feb", "Mar", "Apr", "May", "Jun"),
    *("Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
)


@dataclass(frozen=True)
class ListingPaper:
    """A new submission (or a cross-list) as the listing announces it.

    Names and titles are written as arXiv sends them, TeX accents and all.
    """

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    abstract: str
    submitted: datetime
    size_kb: int
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    cross_list: bool = False


@dataclass(frozen=True)
class ListingReplacement:
    """A revised version of an older paper: listed without its abstract."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    replaced: datetime
    size_kb: int
    comments: str | None = None


def build_arxiv_listing(
    *,
    archive: str,
    papers: Sequence[ListingPaper],
    replacements: Sequence[ListingReplacement],
    message_id: str,
    date: datetime,
    subject_names: Sequence[str] = ("Databases",),
    to: str = "reader@example.org",
) -> bytes:
    """Raw bytes of one daily listing: new papers, cross-lists, replacements.

    New submissions come first and cross-lists after them, whatever the order
    of ``papers``; the listing window is the day before ``date``, 19:00 GMT.
    """
    ordered = sorted(papers, key=lambda paper: paper.cross_list)
    window_end = (date - timedelta(days=1)).replace(
        hour=19, minute=0, second=0, microsecond=0
    )
    lines = [
        _RULE,
        _RULE,
        "Send any comments regarding submissions directly to submitter.",
        _RULE,
        "Archives at http://arxiv.org/",
        f"To unsubscribe, e-mail To: {archive}@arXiv.org, Subject: cancel",
        _RULE,
        " Submissions to:",
        *subject_names,
        f" received from  {_window_time(window_end - timedelta(days=1))}"
        f"  to  {_window_time(window_end)}",
        _RULE,
        _RULE,
    ]
    for paper in ordered:
        lines += _paper_block(paper)
    lines.append(_REPLACEMENTS)
    lines.append(_RULE)
    for replacement in replacements:
        lines += _replacement_block(replacement)
    lines.append(_END)
    text = "\n".join(lines) + "\n"

    encoding: mime.TransferEncoding = "7bit" if text.isascii() else "8bit"
    entity = mime.leaf('text/plain; charset="utf-8"', text, encoding)
    total = len(papers) + len(replacements)
    headers = [
        ("From", mime.address(f"send mail ONLY to {archive}", ARXIV_SENDER)),
        ("To", to),
        ("Subject", f"{archive} daily Subj-class mailing {date:%y%m} {total}"),
        ("Date", format_datetime(date)),
        ("Message-ID", mime.message_id(message_id)),
    ]
    return mime.message(headers, entity)


def _paper_block(paper: ListingPaper) -> list[str]:
    marker = " (*cross-listing*)" if paper.cross_list else ""
    lines = [
        "\\\\",
        f"arXiv:{paper.arxiv_id}{marker}",
        f"Date: {_gmt(paper.submitted)}   ({paper.size_kb}kb)",
        "",
        *_field("Title", paper.title),
        *_field("Authors", _author_list(paper.authors)),
        f"Categories: {' '.join(paper.categories)}",
    ]
    for label, value in (
        ("Comments", paper.comments),
        ("Journal-ref", paper.journal_ref),
        ("DOI", paper.doi),
    ):
        if value:
            lines += _field(label, value)
    lines.append("\\\\")
    lines += textwrap.wrap(
        paper.abstract,
        80,
        initial_indent="  ",
        subsequent_indent="  ",
        break_on_hyphens=False,
    )
    lines.append(f"\\\\ ( https://arxiv.org/abs/{paper.arxiv_id} ,  {paper.size_kb}kb)")
    lines.append(_RULE)
    return lines


def _replacement_block(replacement: ListingReplacement) -> list[str]:
    size = f"{replacement.size_kb}kb"
    lines = [
        "\\\\",
        f"arXiv:{replacement.arxiv_id}",
        f"replaced with revised version {_gmt(replacement.replaced)}   ({size})",
        "",
        *_field("Title", replacement.title),
        *_field("Authors", _author_list(replacement.authors)),
        f"Categories: {' '.join(replacement.categories)}",
    ]
    if replacement.comments:
        lines += _field("Comments", replacement.comments)
    lines.append(f"\\\\ ( https://arxiv.org/abs/{replacement.arxiv_id} ,  {size})")
    lines.append(_RULE)
    return lines


def _field(label: str, value: str) -> list[str]:
    # Long fields wrap near 80 columns, continuation lines indented by two.
    return textwrap.wrap(
        f"{label}: {value}", 80, subsequent_indent="  ", break_on_hyphens=False
    )


def _author_list(authors: Sequence[str]) -> str:
    if len(authors) < 2:
        return "".join(authors)
    return ", ".join(authors[:-1]) + " and " + authors[-1]


def _gmt(moment: datetime) -> str:
    # English names whatever the locale: arXiv writes "Tue, 8 Dec 2026 …".
    day, date = _names(moment)
    return f"{day}, {date} {moment:%Y %H:%M:%S} GMT"


def _window_time(moment: datetime) -> str:
    day, date = _names(moment)
    return f"{day} {date} {moment:%y %H:%M:%S} GMT"


def _names(moment: datetime) -> tuple[str, str]:
    weekday = _DAYS[moment.weekday()]
    return weekday, f"{moment.day} {_MONTHS[moment.month - 1]}"
