"""What a Scholar alert body yields, with the byline and link rules both parsers use."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import unquote

from bot.models import PaperRef
from bot.resolve import arxiv_id_from_text
from bot.text import clean_text, strip_ellipsis


@dataclass(frozen=True)
class ScholarBody:
    """The papers of one Scholar alert body and what else the body tells.

    ``problems`` holds one line per malformed result block (``"result block
    2: no byline"``, 0-based block index); ``followed`` is the person or query
    named in the footer; ``folt`` is the alert type code of the result links;
    ``is_scholar`` says whether the body has Scholar's structure at all.
    """

    papers: tuple[PaperRef, ...] = ()
    problems: tuple[str, ...] = ()
    followed: str | None = None
    folt: str | None = None
    is_scholar: bool = False


@dataclass(frozen=True)
class Byline:
    """The green line under a title, split into its parts."""

    authors: tuple[str, ...] = ()
    authors_truncated: bool = False
    venue: str | None = None
    year: int | None = None
    arxiv_id: str | None = None
    arxiv_version: int | None = None


# Scholar separates authors, venue and host with " - " (newer mail puts a
# no-break space before the dash, gone after clean_text). A bare hyphen is
# part of a name (Müller-Lüdenscheidt), so a dash only counts with a space
# after it and a space or a cut mark before it.
BYLINE_SEPARATOR = re.compile(r" - |(?<=\u2026)- ")
_AUTHOR_SPLIT = re.compile(r"[,\uff0c]")
_TRAILING_YEAR = re.compile(r"(?:^|[\s,])((?:1[5-9]|20)\d\d)$")
# Only entities with their closing semicolon: "R&D" or "&para" inside a
# word must stay as they are.
_LEFTOVER_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_KNOWN_MARKERS = {
    "PDF": "PDF",
    "HTML": "HTML",
    "BOOK": "BOOK",
    "CITATION": "CITATION",
    "DOC": "DOC",
    "PS": "PS",
    "图书": "BOOK",
    "書籍": "BOOK",
    "引用": "CITATION",
}
_LEADING_MARKER = re.compile(r"^\[([^\[\]]{1,12})\]\s*")
# Each footer pattern with the words it starts with.
_FOOTER_NAME = (
    # English: "... because you're following new articles related to
    # research by Ada Lovelace." / "... new results for "query"."
    # The name ends at a full stop that does not close an initial ("J. Doe");
    # a quoted query ends at its closing quote.
    (
        re.compile(r"because you.re following\b"),
        re.compile(
            r"because you.re following\b.*?\b(?:by|for)\s+"
            r"(\"[^\"]*\"|“[^”]*”|.+?)(?:(?<!\b[A-Z])\.(?=\s|$)|\s*$)",
            re.S,
        ),
    ),
    # Chinese: "... 是因为您关注了 Grace Hopper 的文章的新引用。"
    (re.compile("关注了"), re.compile(r"关注了\s*(.+?)\s*的")),
)
_LINK_PARAM = r"[?&]{name}=([^&#\s]*)"
_POSITION = re.compile(r"[0-9]{1,6}")


def unescape_leftovers(value: str) -> str:
    """Decode entities left in text after the HTML parser decoded it once.

    Scholar escapes some titles twice (``&amp;amp;``), so the parsed text
    still shows ``&amp;``; readers mean ``&``.
    """
    return _LEFTOVER_ENTITY.sub(lambda m: html.unescape(m.group(0)), value)


def clean_title(raw: str) -> tuple[str, bool]:
    """A title single-spaced and without its cut mark; say whether it was cut."""
    title, cut = strip_ellipsis(clean_text(unescape_leftovers(raw)))
    return title, cut


def clean_snippet(raw: str) -> str | None:
    """A snippet as one single-spaced line without its trailing cut mark."""
    snippet, _ = strip_ellipsis(clean_text(unescape_leftovers(raw)))
    return snippet or None


def marker_name(raw: str, *, any_bracketed: bool = False) -> str | None:
    """The result marker (``PDF``, ``CITATION`` ...) in ``[PDF]`` or ``PDF`` form.

    With ``any_bracketed`` an unknown bracketed word (from a marker span,
    where nothing else can sit) is kept too, as written.
    """
    text = clean_text(raw)
    match = re.fullmatch(r"\[([^\[\]]{1,20})\]", text)
    word = match.group(1).strip() if match else text
    known = _KNOWN_MARKERS.get(word.upper()) or _KNOWN_MARKERS.get(word)
    if known:
        return known
    if match and any_bracketed:
        return word
    return None


def split_leading_marker(title: str) -> tuple[str | None, str]:
    """Take a known ``[PDF]``-style marker off the front of a title line.

    Only known markers: titles such as "[Re] Reproducing ..." keep their
    brackets.
    """
    match = _LEADING_MARKER.match(title)
    if match:
        marker = marker_name(match.group(0))
        if marker:
            return marker, title[match.end() :]
    return None, title


def split_byline(raw: str) -> Byline:
    """Split ``authors - venue, year`` into its parts.

    Bylines may lack the dash (authors only), be ``Name - 2019``, or carry a
    trailing host (``authors - venue, year - host``), which is dropped. A
    venue cut with ``…`` keeps the mark: the reader sees that it is cut,
    and nothing matches on venues.
    """
    text = clean_text(unescape_leftovers(raw))
    arxiv_id, arxiv_version = arxiv_id_from_text(text) or (None, None)
    parts = BYLINE_SEPARATOR.split(text)

    authors_text, rest = parts[0], parts[1:]
    if not rest and _TRAILING_YEAR.fullmatch(authors_text.strip()):
        # A byline that is only a year names no authors.
        return Byline(year=int(authors_text.strip()))
    authors_text, authors_cut = strip_ellipsis(authors_text)
    authors = tuple(
        name for name in (n.strip() for n in _AUTHOR_SPLIT.split(authors_text)) if name
    )

    venue, year = _venue_and_year(rest)
    return Byline(
        authors=authors,
        authors_truncated=authors_cut,
        venue=venue,
        year=year,
        arxiv_id=arxiv_id,
        arxiv_version=arxiv_version,
    )


def _venue_and_year(parts: list[str]) -> tuple[str | None, int | None]:
    # The year closes the venue part; anything after it is the host.
    for index in range(len(parts) - 1, -1, -1):
        match = _TRAILING_YEAR.search(parts[index])
        if match:
            head = parts[index][: match.start()].rstrip(" ,")
            venue = " - ".join([*parts[:index], head]).strip(" -")
            return venue or None, int(match.group(1))
    venue = " - ".join(parts).strip()
    return venue or None, None


def link_param(link: str | None, name: str) -> str | None:
    """A query parameter of a Scholar result link (the last one of that name).

    The last wins because the target's own query comes first in
    ``scholar_url``; a wrapper (SafeLinks ...) is looked into once.
    """
    if not link:
        return None
    pattern = re.compile(_LINK_PARAM.format(name=re.escape(name)))
    for candidate in (link, unquote(link)):
        found = pattern.findall(candidate)
        if found:
            return str(found[-1])
    return None


def followed_from_footer(text: str) -> str | None:
    """The followed person or query named in a footer sentence, if recognised."""
    sentence = clean_text(text)
    for lead, pattern in _FOOTER_NAME:
        # Only the first lead needs trying: a later one sees less of the
        # text, so it cannot match where the first failed, and trying every
        # one (as search() does) was quadratic on text repeating the lead.
        found = lead.search(sentence)
        match = pattern.match(sentence, found.start()) if found else None
        # A footer whose link text was stripped leaves only punctuation.
        if match and re.search(r"\w", match.group(1)):
            return match.group(1).strip()
    return None


def build_paper(
    *,
    index: int,
    title_raw: str,
    link: str | None,
    byline_raw: str | None,
    snippet_raw: str | None,
    cites_raw: str | None,
    marker: str | None,
) -> PaperRef:
    """One result's PaperRef; ``ValueError`` when the block has no title.

    ``index`` is the block's 0-based place, the position when the link has
    no ``pos=``.
    """
    title, title_cut = clean_title(title_raw)
    if marker is None:
        marker, title = split_leading_marker(title)
    if not title:
        raise ValueError("empty title")

    byline = split_byline(byline_raw) if byline_raw else Byline()
    position_text = link_param(link, "pos")
    # isdigit() alone would pass "²", which int() refuses; an alert holds a
    # few dozen results, and a longer number would not fit the store's integer.
    has_position = bool(position_text and _POSITION.fullmatch(position_text))
    position = int(position_text) if position_text and has_position else index
    cites = clean_text(cites_raw) if cites_raw else None
    return PaperRef(
        title=title,
        position=position,
        title_truncated=title_cut,
        authors=byline.authors,
        authors_truncated=byline.authors_truncated,
        venue=byline.venue,
        year=byline.year,
        snippet=clean_snippet(snippet_raw) if snippet_raw else None,
        marker=marker,
        link=link or None,
        cites=cites or None,
        arxiv_id=byline.arxiv_id,
        arxiv_version=byline.arxiv_version,
    )


def strip_cites_label(text: str) -> str | None:
    """The cited paper of a ``Cites: <title>`` line, or None for other lines."""
    match = re.match(r"\s*Cites\s*:\s*(.*)$", clean_text(text), re.S)
    return match.group(1).strip() if match else None
