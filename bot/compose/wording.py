"""Wording every renderer shares: titles, author lines, labels, safe links, anchors."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from bot.compose.model import Digest, DigestEntry, DigestSection
from bot.models import AbstractSource, PaperRecord
from bot.summarize.base import Summary
from bot.text import clean_text

WIDTH = 78
INDENT = "    "
TITLE_CUT_NOTE = "Title cut in the alert."
AUTHORS_CUT_NOTE = " et al. (list cut in the alert)"
NO_ABSTRACT = "not available (no abstract and no snippet)."
SUMMARY_SKIPPED = "Summary skipped by your rules."

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Only web links become links: javascript:, data: and the like never do.
_WEB_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f/?#][^\s\x00-\x1f\x7f]*", re.I)
_ANCHOR_UNSAFE = re.compile(r"[^\w.-]+")
_RESERVED_ANCHORS = frozenset({"toc"})

_ABSTRACT_LABELS = {
    AbstractSource.OPENALEX: "Abstract (from OpenAlex)",
    AbstractSource.SNIPPET: "Abstract (alert snippet, cut by Google Scholar)",
}


def plain(text: str) -> str:
    """One line of text: white space collapsed, invisible and control characters out."""
    return _CONTROL.sub("", clean_text(text))


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) link without white space or controls, else None."""
    if url and _WEB_URL.fullmatch(url):
        return url
    return None


def section_anchors(digest: Digest) -> tuple[str, ...]:
    """One anchor per section, in order: a slug without spaces or quotes, unique."""
    return anchor_slugs([section.anchor or section.name for section in digest.sections])


def anchor_slugs(names: Sequence[str]) -> tuple[str, ...]:
    """Slugs for ``names``, in order: no spaces or quotes, unique, never ``toc``."""
    taken = set(_RESERVED_ANCHORS)
    # Where the search for a free suffix resumes, per base: every suffix
    # below it is taken, so many names with one slug stay linear.
    resume: dict[str, int] = {}
    anchors: list[str] = []

    for name in names:
        base = _ANCHOR_UNSAFE.sub("-", plain(name))
        base = base.strip("-.") or "section"
        anchor, key = base, base.casefold()
        if key in taken:
            suffix = resume.get(key, 2)
            anchor = f"{base}-{suffix}"
            while anchor.casefold() in taken:
                suffix += 1
                anchor = f"{base}-{suffix}"
            resume[key] = suffix + 1
        taken.add(anchor.casefold())
        anchors.append(anchor)
    return tuple(anchors)


def shown_title(paper: PaperRecord) -> str:
    """The title as displayed: a cut title keeps a visible ``…``."""
    title = plain(paper.title) or "(untitled)"
    return title + "…" if paper.title_truncated else title


def authors_line(paper: PaperRecord) -> str | None:
    """Every author the alert gave, and a note when the alert cut the list."""
    names = ", ".join(plain(name) for name in paper.authors if plain(name))
    if paper.authors_truncated:
        return (names + AUTHORS_CUT_NOTE) if names else AUTHORS_CUT_NOTE.strip()
    return names or None


def venue_year(paper: PaperRecord) -> str | None:
    """``Venue, 2026``, or whichever of the two is known.

    A venue that already names the year ("2026 IEEE Big Data") is not
    followed by it again.
    """
    venue = plain(paper.venue or "")
    year = str(paper.year) if paper.year else ""
    if year and year in venue:
        year = ""
    return ", ".join(part for part in (venue, year) if part) or None


def alerts_line(entry: DigestEntry) -> str | None:
    """Every alert that surfaced the paper, separated by semicolons."""
    names = [plain(name) for name in entry.alerts if plain(name)]
    return "; ".join(names) or None


def shown_tags(entry: DigestEntry) -> tuple[str, ...]:
    """The entry's tags as single lines, empty ones left out."""
    return tuple(tag for tag in (plain(tag) for tag in entry.tags) if tag)


def tags_line(entry: DigestEntry) -> str | None:
    """``Tags: co-author, must read``, or ``None`` for an untagged entry."""
    tags = shown_tags(entry)
    return f"Tags: {', '.join(tags)}" if tags else None


def section_count(section: DigestSection, *, capped: bool) -> str:
    """``12``, or ``12, 9 shown`` where the caps leave entries out of a body."""
    total = len(section.entries)
    if capped and section.hidden_count:
        return f"{total}, {total - section.hidden_count} shown"
    return str(total)


def caps_notice(digest: Digest) -> str:
    """The line atop a capped body saying how many papers it shows."""
    return (
        f"{digest.shown_count} of {digest.paper_count} papers are shown here, as "
        "your rules ask; all are in digest.full.html (attached when the digest "
        "is mailed)."
    )


def more_not_shown(hidden: int) -> str:
    """The line closing a section the caps cut: never a silent cut."""
    if hidden == 1:
        return "1 more paper in this section is not shown here; the full digest has it."
    return (
        f"{hidden} more papers in this section are not shown here; "
        "the full digest has them."
    )


def shown_abstract(paper: PaperRecord) -> tuple[AbstractSource, str | None]:
    """The abstract to show and where it came from; a snippet stands in for one."""
    abstract = plain(paper.abstract or "")
    if abstract and paper.abstract_source != AbstractSource.SNIPPET:
        return paper.abstract_source, abstract

    snippet = abstract or plain(paper.snippet or "")
    if snippet:
        return AbstractSource.SNIPPET, snippet
    return AbstractSource.NONE, None


def abstract_label(source: AbstractSource) -> str:
    """``Abstract``, naming the source when it was not arXiv."""
    return _ABSTRACT_LABELS.get(source, "Abstract")


def summary_fields(summary: Summary) -> tuple[tuple[str, str], ...]:
    """The four detail fields of a summary with their labels, in reading order."""
    return (
        ("Motivation", plain(summary.motivation)),
        ("Method", plain(summary.method)),
        ("Result", plain(summary.result)),
        ("Conclusion", plain(summary.conclusion)),
    )


def grouped_fields(summary: Summary) -> tuple[tuple[str, str], ...]:
    """The detail fields with identical texts merged under one joined label.

    Four fields all saying "not stated" read as noise; ``Method, Result:``
    says it once. A group sits where its first field would.
    """
    labels: dict[str, list[str]] = {}
    for label, text in summary_fields(summary):
        labels.setdefault(text, []).append(label)
    return tuple((", ".join(names), text) for text, names in labels.items())


def identifiers(paper: PaperRecord) -> tuple[tuple[str, str], ...]:
    """arXiv id, DOI, categories and comments, labelled, when known."""
    pairs: list[tuple[str, str]] = []
    if paper.arxiv_id:
        version = f"v{paper.arxiv_version}" if paper.arxiv_version else ""
        pairs.append(("arXiv", plain(paper.arxiv_id + version)))
    if paper.doi:
        pairs.append(("DOI", plain(paper.doi)))
    if paper.categories:
        pairs.append(("Categories", plain(", ".join(paper.categories))))
    if paper.comments:
        pairs.append(("Comments", plain(paper.comments)))
    return tuple(pair for pair in pairs if pair[1])


def header_line(digest: Digest) -> str:
    """Date, paper count and which summarizer wrote the summaries."""
    count = digest.paper_count
    parts = [
        digest.generated_at.strftime("%Y-%m-%d"),
        f"{count} paper" if count == 1 else f"{count} papers",
    ]
    kinds = Counter(
        plain(entry.summary.source).split(" (", 1)[0]
        for section in digest.sections
        for entry in section.entries
        if entry.show_summary
    )
    if len(kinds) == 1:
        parts.append(f"Summaries: {next(iter(kinds))}")
    elif kinds:
        mix = ", ".join(f"{kind} ({n})" for kind, n in kinds.most_common())
        parts.append(f"Summaries: {mix}")
    return " · ".join(parts)
