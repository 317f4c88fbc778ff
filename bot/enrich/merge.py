"""Merging two records of one paper: the richer value wins, field by field."""

from __future__ import annotations

from dataclasses import replace

from bot.models import AbstractSource, PaperRecord

# A fuller abstract beats a snippet; arXiv's own text beats a listing's copy
# only because the API carries the latest version.
ABSTRACT_RANK = {
    AbstractSource.NONE: 0,
    AbstractSource.SNIPPET: 1,
    AbstractSource.OPENALEX: 2,
    AbstractSource.LISTING: 3,
    AbstractSource.ARXIV: 4,
}


def merge_records(existing: PaperRecord, incoming: PaperRecord) -> PaperRecord:
    """One record holding the best of both; ``existing`` keeps its key.

    A whole title beats a cut one (then the longer wins), a whole author list
    beats a cut one, an abstract beats a snippet, and a known value beats a
    missing one.
    """
    title, title_norm, title_truncated = _best_title(existing, incoming)
    authors, authors_truncated = _best_authors(existing, incoming)
    abstract, abstract_source = _best_abstract(existing, incoming)

    return replace(
        existing,
        title=title,
        title_norm=title_norm,
        title_truncated=title_truncated,
        authors=authors,
        authors_truncated=authors_truncated,
        venue=_longer(existing.venue, incoming.venue),
        year=existing.year or incoming.year,
        arxiv_id=existing.arxiv_id or incoming.arxiv_id,
        arxiv_version=_max_version(existing.arxiv_version, incoming.arxiv_version),
        doi=existing.doi or incoming.doi,
        url=existing.url or incoming.url,
        abstract=abstract,
        abstract_source=abstract_source,
        snippet=_longer(existing.snippet, incoming.snippet),
        categories=existing.categories or incoming.categories,
        comments=existing.comments or incoming.comments,
    )


def _best_title(a: PaperRecord, b: PaperRecord) -> tuple[str, str, bool]:
    # A service that answers with an empty title knows less than a cut one.
    if not b.title_norm.strip():
        return a.title, a.title_norm, a.title_truncated
    if not a.title_norm.strip():
        return b.title, b.title_norm, b.title_truncated
    if a.title_truncated != b.title_truncated:
        best = b if a.title_truncated else a
    else:
        best = b if len(b.title) > len(a.title) else a
    return best.title, best.title_norm, best.title_truncated


def _best_authors(a: PaperRecord, b: PaperRecord) -> tuple[list[str], bool]:
    # A whole list beats a cut one, then more names, then fuller names:
    # arXiv's "Ana Souza" beats Scholar's "A Souza".
    def richness(record: PaperRecord) -> tuple[bool, int, int]:
        written = sum(len(name) for name in record.authors)
        return (not record.authors_truncated, len(record.authors), written)

    if not b.authors:
        return list(a.authors), a.authors_truncated
    if not a.authors:
        return list(b.authors), b.authors_truncated
    best = b if richness(b) > richness(a) else a
    return list(best.authors), best.authors_truncated


def _best_abstract(a: PaperRecord, b: PaperRecord) -> tuple[str | None, AbstractSource]:
    rank_a = ABSTRACT_RANK[a.abstract_source] if a.abstract else 0
    rank_b = ABSTRACT_RANK[b.abstract_source] if b.abstract else 0
    if rank_b > rank_a:
        return b.abstract, b.abstract_source
    if rank_a == 0:
        return None, AbstractSource.NONE
    return a.abstract, a.abstract_source


def _longer(a: str | None, b: str | None) -> str | None:
    if not a:
        return b
    if not b:
        return a
    return b if len(b) > len(a) else a


def _max_version(a: int | None, b: int | None) -> int | None:
    versions = [v for v in (a, b) if v is not None]
    return max(versions) if versions else None


def titles_agree(a: PaperRecord, b: PaperRecord, *, min_prefix: int = 24) -> bool:
    """Whether two records' titles name the same paper.

    Equal normal forms agree; a cut title agrees with a longer one it is a
    prefix of, when the prefix is long enough to mean something. Different
    known years never agree: one author's 2025 and 2026 papers are two papers.
    """
    if a.year and b.year and a.year != b.year:
        return False
    if a.title_norm == b.title_norm:
        return True
    shorter, longer = sorted((a, b), key=lambda record: len(record.title_norm))
    if not shorter.title_truncated or len(shorter.title_norm) < min_prefix:
        return False
    return longer.title_norm.startswith(shorter.title_norm)
