"""Whether an arXiv copy that OpenAlex names is our paper; no I/O.

OpenAlex lists arXiv copies among a work's locations, and now and then lists
the wrong one. Taking its word would give the paper another paper's abstract
and fold two papers of the store into one, so a named copy counts only once
the copy's own record (from arXiv, or a row already holding that id) agrees
with ours.
"""

from __future__ import annotations

from dataclasses import replace

from bot.enrich.found import FoundRecord
from bot.enrich.matching import accept_candidate, is_specific_title
from bot.models import AbstractSource, PaperRecord, paper_key


def arxiv_key(arxiv_id: str) -> str:
    """The store key of the paper with this arXiv id."""
    return paper_key(arxiv_id, None, "")


def copy_matches(ours: PaperRecord, copy: FoundRecord) -> bool:
    """Whether ``copy`` (an arXiv record) is ``ours``.

    A preprint often comes out years before the article OpenAlex dates, so
    for a title specific enough to name one paper the year is left out;
    titles must agree and authors must not contradict.
    """
    if accept_candidate(ours, copy):
        return True
    return is_specific_title(ours.title) and accept_candidate(
        replace(ours, year=None), copy
    )


def row_matches(ours: PaperRecord, row: PaperRecord) -> bool:
    """Whether a stored row holding the copy's id is ``ours``.

    Either title may be the one Scholar cut, so both directions are tried.
    """
    theirs = found_from_row(row)
    if theirs.title and copy_matches(ours, theirs):
        return True
    return copy_matches(row, found_from_row(ours))


def found_from_row(row: PaperRecord) -> FoundRecord:
    """A stored row as a found record, to merge it into the paper it copies.

    Cut titles and author lists are left out: merged, they would pass for
    whole ones.
    """
    return FoundRecord(
        source=row.abstract_source if row.abstract else AbstractSource.NONE,
        title="" if row.title_truncated else row.title,
        authors=() if row.authors_truncated else tuple(row.authors),
        abstract=row.abstract,
        year=row.year,
        venue=row.venue,
        arxiv_id=row.arxiv_id,
        arxiv_version=row.arxiv_version,
        doi=row.doi,
        categories=tuple(row.categories),
        comments=row.comments,
    )
