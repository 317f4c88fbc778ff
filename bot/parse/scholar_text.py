"""Papers from the ``text/plain`` part of a Google Scholar alert (pure, no I/O)."""

from __future__ import annotations

import re

from bot.models import PaperRef
from bot.parse.scholar_body import (
    BYLINE_SEPARATOR,
    ScholarBody,
    build_paper,
    followed_from_footer,
    link_param,
    strip_cites_label,
)
from bot.text import clean_text

# A result link sits alone on its line inside <...>; wrappers (SafeLinks,
# Mimecast, Proofpoint, google.com/url) all still name scholar somewhere.
_LINK_LINE = re.compile(r"^\s*<(https?://[^<>\s]+)>\s*$")
# Wrappers keep the Scholar host readable (Mimecast's domain=, SafeLinks).
_SCHOLAR_LINK = re.compile(r"scholar_url|scholar\.google\.", re.IGNORECASE)
_YEAR_AT_END = re.compile(r"(?:^|[\s,])(?:1[5-9]|20)\d\d$")
_FOOTER_START = "This message was sent by Google Scholar"
# Long bylines wrap; more lines than this before the year are snippet.
_BYLINE_MAX_LINES = 3
# A lone footer line that is a bare name: short, no digits, no sentence marks.
_BARE_NAME = re.compile(r"[^\d.!?。:：<>@/]{1,60}")


def parse_scholar_text(text: str) -> ScholarBody:
    """Read every result of a Scholar alert's plain-text body.

    A result is a paragraph: title lines, the link line, byline lines up to
    the one ending in a year, snippet lines, an optional ``Cites:`` line.
    Paragraphs after the last result are the footer.
    """
    lines = [line.rstrip() for line in text.splitlines()]
    footer_at = next(
        (i for i, line in enumerate(lines) if line.strip().startswith(_FOOTER_START)),
        len(lines),
    )
    paragraphs = _paragraphs(lines[:footer_at])
    blocks = [
        (i, at)
        for i, para in enumerate(paragraphs)
        if (at := _link_index(para)) is not None
    ]

    papers: list[PaperRef] = []
    problems: list[str] = []
    for index, (para_at, link_at) in enumerate(blocks):
        try:
            papers.append(_read_block(index, paragraphs[para_at], link_at, problems))
        except ValueError as exc:
            problems.append(f"result block {index}: {exc}")
        except Exception as exc:  # one broken block never costs the others
            problems.append(f"result block {index}: {type(exc).__name__}: {exc}")

    after_results = paragraphs[blocks[-1][0] + 1 :] if blocks else []
    footer = after_results + _paragraphs(lines[footer_at:])
    links = [p.link for p in papers if p.link]
    return ScholarBody(
        papers=tuple(papers),
        problems=tuple(problems),
        followed=_followed(footer),
        folt=next((f for link in links if (f := link_param(link, "folt"))), None),
        is_scholar=footer_at < len(lines)
        or any(_SCHOLAR_LINK.search(x) for x in links),
    )


def _paragraphs(lines: list[str]) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [para for para in paragraphs if para]


def _link_index(paragraph: list[str]) -> int | None:
    for index, line in enumerate(paragraph):
        match = _LINK_LINE.match(line)
        if match and "scholar" in match.group(1).lower():
            return index
    return None


def _read_block(
    index: int, paragraph: list[str], at: int, problems: list[str]
) -> PaperRef:
    link_match = _LINK_LINE.match(paragraph[at])
    link = link_match.group(1) if link_match else None
    rest = paragraph[at + 1 :]
    if _link_index(rest) is not None:
        problems.append(f"result block {index}: a second link line was ignored")

    byline_count = _byline_length(rest)
    byline = " ".join(rest[:byline_count])
    body = rest[byline_count:]
    cites_at = next(
        (i for i, line in enumerate(body) if strip_cites_label(line) is not None),
        len(body),
    )
    cites = strip_cites_label("\n".join(body[cites_at:])) if body[cites_at:] else None

    paper = build_paper(
        index=index,
        # Lines are joined by clean_text: a space, or nothing inside CJK text.
        title_raw="\n".join(paragraph[:at]),
        link=link,
        byline_raw=byline or None,
        snippet_raw="\n".join(body[:cites_at]) or None,
        cites_raw=cites,
        marker=None,
    )
    if not byline:
        problems.append(f"result block {index}: no byline")
    return paper


def _byline_length(lines: list[str]) -> int:
    """How many lines the byline takes: up to the one ending in a year."""
    if not lines:
        return 0
    for count in range(1, min(len(lines), _BYLINE_MAX_LINES) + 1):
        if not _YEAR_AT_END.search(lines[count - 1].strip()):
            continue
        # A wrapped byline still has its " - " before the year line ends it;
        # otherwise the year belongs to a snippet line.
        if count == 1 or BYLINE_SEPARATOR.search(clean_text(" ".join(lines[:count]))):
            return count
    return 1


def _followed(footer: list[list[str]]) -> str | None:
    for para in footer:
        name = followed_from_footer(" ".join(para))
        if name:
            return name
    # Some localised or trimmed footers are the name alone on its line.
    if footer and len(footer[0]) == 1:
        line = clean_text(footer[0][0])
        if _BARE_NAME.fullmatch(line) and len(line.split()) <= 6:
            return line
    return None
