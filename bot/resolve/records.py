"""From one alert's view of a paper to the record the store keeps."""

from __future__ import annotations

from bot.models import (
    AbstractSource,
    Alert,
    PaperRecord,
    PaperRef,
    ResolvedLink,
    SourceKind,
    paper_key,
)
from bot.text import clean_text, normalize_title


def record_from_ref(ref: PaperRef, link: ResolvedLink, alert: Alert) -> PaperRecord:
    """Combine what the alert said with what its link tells, without lookups.

    The link's target is the better witness for the arXiv id (the byline can
    name a different version or a companion paper), so it wins over the
    byline's ``arXiv:`` mention.
    """
    title = clean_text(ref.title)
    title_norm = normalize_title(title)
    arxiv_id = link.arxiv_id or ref.arxiv_id
    arxiv_version = link.arxiv_version if link.arxiv_id else ref.arxiv_version
    doi = (link.doi or ref.doi or "").lower() or None

    if ref.abstract:
        abstract: str | None = ref.abstract
        abstract_source = AbstractSource.LISTING
    elif ref.snippet:
        abstract, abstract_source = ref.snippet, AbstractSource.SNIPPET
    else:
        abstract, abstract_source = None, AbstractSource.NONE

    year = ref.year
    if year is None and alert.source is SourceKind.ARXIV_LISTING and alert.sent_at:
        year = alert.sent_at.year

    return PaperRecord(
        key=paper_key(arxiv_id, doi, title_norm, year),
        title=title,
        title_norm=title_norm,
        title_truncated=ref.title_truncated,
        authors=[clean_text(author) for author in ref.authors if author.strip()],
        authors_truncated=ref.authors_truncated,
        venue=ref.venue,
        year=year,
        arxiv_id=arxiv_id,
        arxiv_version=arxiv_version,
        doi=doi,
        url=link.url,
        abstract=abstract,
        abstract_source=abstract_source,
        snippet=ref.snippet,
        categories=list(ref.categories),
        comments=ref.comments,
    )
