"""Papers from the plain-text body of an arXiv daily listing email (pure, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.models import PaperRef
from bot.resolve import arxiv_id_from_text
from bot.text import clean_text, strip_tex


@dataclass(frozen=True)
class ArxivListing:
    """The new and cross-listed papers of one listing, and the replaced ids.

    ``replacements`` holds ids (without version) of papers that were only
    revised: they are not new papers. ``problems`` has one line per paper
    block that could not be read.
    """

    papers: tuple[PaperRef, ...] = ()
    replacements: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Entry:
    index: int
    header: tuple[str, ...]
    abstract: tuple[str, ...]
    trailer: str | None
    replaced: bool


_MARK = "\\\\"  # the "\\" line around each paper's header and abstract
_ID_LINE = re.compile(
    r"^arXiv:(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v([1-9]\d{0,3}))?(?!\d)"
)
_FIELD = re.compile(r"^([A-Z][A-Za-z]*(?:-[A-Za-z]+)*):\s?(.*)$")
_REPLACEMENTS_START = "%%--%%--"
_REPLACED_LINE = "replaced with revised version"
_TRAILER_URL = re.compile(r"\(\s*(https?://\S+?)\s*,")
_DATE_YEAR = re.compile(r"\b\d{1,2} [A-Z][a-z]{2} (\d{4})\b")
_QUOTE_PREFIX = re.compile(r"^(?:> ?)+")
_AUTHOR_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
# TeX writes an accented i over a dotless one (Garc\'{\i}a); strip_tex only
# knows accents over plain letters, so the dotless forms become plain first.
_DOTLESS = re.compile(r"\{\\([ij])\}|\\([ij])(?![A-Za-z])")


def parse_arxiv_listing(text: str) -> ArxivListing:
    """Read every paper block of a listing; replacements are listed apart.

    A block that cannot be read becomes one line in ``problems``; the
    others are kept.
    """
    papers: list[PaperRef] = []
    replacements: list[str] = []
    problems: list[str] = []
    for entry in _entries(_lines(text)):
        arxiv_id, version = _id_of(entry)
        if entry.replaced:
            if arxiv_id not in replacements:
                replacements.append(arxiv_id)
            continue
        try:
            papers.append(_paper(entry, arxiv_id, version, position=len(papers)))
        except ValueError as exc:
            problems.append(f"paper block {entry.index} (arXiv:{arxiv_id}): {exc}")
        except Exception as exc:  # one broken block never costs the others
            problems.append(
                f"paper block {entry.index} (arXiv:{arxiv_id}): "
                f"{type(exc).__name__}: {exc}"
            )
    return ArxivListing(tuple(papers), tuple(replacements), tuple(problems))


def is_arxiv_listing(text: str) -> bool:
    """Whether a body has listing structure: ``\\\\`` + ``arXiv:`` id blocks.

    Only the structure counts (a block with ``Title:`` and ``Authors:``), so
    a forwarded listing is recognised whoever sent it.
    """
    for entry in _entries(_lines(text)):
        fields = _fields(entry.header)
        if "title" in fields and "authors" in fields:
            return True
    return False


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    # A listing quoted by a forwarding client: drop the "> " prefixes.
    if _MARK not in lines and any(_QUOTE_PREFIX.sub("", x) == _MARK for x in lines):
        lines = [_QUOTE_PREFIX.sub("", line) for line in lines]
    return lines


def _entries(lines: list[str]) -> Iterator[_Entry]:
    """Paper blocks: ``\\\\``, header, [``\\\\``, abstract], ``\\\\ ( url )``."""
    following = _next_filled(lines)
    replacing = False
    index = 0
    at = 0
    while at < len(lines):
        if lines[at].startswith(_REPLACEMENTS_START):
            replacing = True
        if not _opens_entry(lines, following, at):
            at += 1
            continue

        header, at = _until_mark(lines, at + 1)
        abstract: list[str] = []
        if (
            at < len(lines)
            and lines[at] == _MARK
            and not _opens_entry(lines, following, at)
        ):
            abstract, at = _until_mark(lines, at + 1)
        trailer = None
        if at < len(lines) and not _opens_entry(lines, following, at):
            trailer = lines[at]
            at += 1

        replaced = replacing or any(x.startswith(_REPLACED_LINE) for x in header)
        yield _Entry(index, tuple(header), tuple(abstract), trailer, replaced)
        index += 1


def _opens_entry(lines: list[str], following: list[int], at: int) -> bool:
    if lines[at] != _MARK:
        return False
    after = following[at + 1]
    return after < len(lines) and _ID_LINE.match(lines[after]) is not None


def _next_filled(lines: list[str]) -> list[int]:
    """For each line (and one past the end), the first non-blank line from there.

    Computed once, so asking at every ``\\\\`` line stays linear however many
    there are; ``len(lines)`` means none.
    """
    found = [len(lines)] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        found[index] = index if lines[index].strip() else found[index + 1]
    return found


def _until_mark(lines: list[str], start: int) -> tuple[list[str], int]:
    end = start
    while end < len(lines) and not lines[end].startswith(_MARK):
        end += 1
    return lines[start:end], end


def _id_of(entry: _Entry) -> tuple[str, int | None]:
    first = next(line for line in entry.header if line.strip())
    # The shared reader gives old-scheme ids their one canonical form.
    found = arxiv_id_from_text(first)
    if found is not None:
        return found
    match = _ID_LINE.match(first)
    if match is None:  # _opens_entry checked it; kept for the type checker
        raise ValueError("no arXiv id")
    return match.group(1), int(match.group(2)) if match.group(2) else None


def _fields(header: tuple[str, ...]) -> dict[str, str]:
    """``Key: value`` lines, continuation lines (indented) joined with a space."""
    fields: dict[str, str] = {}
    key: str | None = None
    id_seen = False
    for line in header:
        if not id_seen:
            id_seen = bool(line.strip())  # the arXiv: line is not a field
            continue
        match = _FIELD.match(line)
        if match:
            key = match.group(1).lower()
            fields[key] = match.group(2).strip()
        elif key is not None and line[:1].isspace() and line.strip():
            fields[key] = f"{fields[key]} {line.strip()}"
        else:
            key = None
    return fields


def _paper(
    entry: _Entry, arxiv_id: str, version: int | None, position: int
) -> PaperRef:
    fields = _fields(entry.header)
    title = clean_text(fields.get("title", ""))
    if not title:
        raise ValueError("no title")

    trailer_url = _TRAILER_URL.search(entry.trailer or "")
    year = _DATE_YEAR.search(fields.get("date", ""))
    doi = fields.get("doi", "").split()
    return PaperRef(
        title=title,
        position=position,
        authors=_authors(fields.get("authors", "")),
        venue=clean_text(fields.get("journal-ref", "")) or None,
        year=int(year.group(1)) if year else None,
        link=trailer_url.group(1)
        if trailer_url
        else f"https://arxiv.org/abs/{arxiv_id}",
        arxiv_id=arxiv_id,
        arxiv_version=version,
        doi=doi[0] if doi else None,
        categories=tuple(fields.get("categories", "").split()),
        comments=clean_text(fields.get("comments", "")) or None,
        abstract=_abstract(entry.abstract),
    )


def _authors(value: str) -> tuple[str, ...]:
    """Names split on ``,`` and ``and``; affiliations in parentheses dropped."""
    value = _without_parentheses(value)
    value = _DOTLESS.sub(lambda m: m.group(1) or m.group(2), value)
    names = (clean_text(strip_tex(name)) for name in _AUTHOR_SPLIT.split(value))
    return tuple(name for name in names if name)


def _without_parentheses(value: str) -> str:
    """``value`` without its bracketed groups, nested ones too, in one pass.

    An unmatched bracket stays, as it was written.
    """
    kept: list[str] = []
    opened: list[int] = []
    for char in value:
        if char == "(":
            opened.append(len(kept))
        elif char == ")" and opened:
            del kept[opened.pop() :]
            continue
        kept.append(char)
    return "".join(kept)


def _abstract(lines: tuple[str, ...]) -> str | None:
    """Hard-wrapped lines as one paragraph; blank lines keep paragraph breaks."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    text = "\n\n".join(clean_text("\n".join(p)) for p in paragraphs if p)
    return text or None
