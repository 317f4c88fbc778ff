"""Plain data shared by the pipeline stages: alerts, papers and their links.

Parsing produces :class:`ParsedMessage` (alerts holding :class:`PaperRef`);
resolving a ref's link gives a :class:`ResolvedLink`; the store keeps one
:class:`PaperRecord` per paper, keyed by :func:`paper_key`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SourceKind(StrEnum):
    """Where a paper was announced."""

    SCHOLAR = "scholar"
    ARXIV_LISTING = "arxiv_listing"


class AlertKind(StrEnum):
    """What a Google Scholar alert follows (from ``folt`` or the subject)."""

    RELATED = "related"
    CITATIONS = "citations"
    ARTICLES = "articles"
    SEARCH = "search"
    RECOMMENDED = "recommended"
    UNKNOWN = "unknown"
    ARXIV_LISTING = "arxiv_listing"


class LinkKind(StrEnum):
    """What a result link turned out to be after local unwrapping."""

    DIRECT = "direct"  # a usable target URL (publisher page, arXiv, PDF ...)
    CLUSTER = "cluster"  # scholar?cluster=: no target, find the paper by title
    CITATION = "citation"  # citations?view_op=view_citation: no target either
    OPAQUE = "opaque"  # Mimecast and similar: never followed
    NONE = "none"  # no link at all


class AbstractSource(StrEnum):
    """Where the abstract shown for a paper came from."""

    LISTING = "arxiv_listing"
    ARXIV = "arxiv"
    OPENALEX = "openalex"
    SNIPPET = "alert_snippet"
    NONE = "none"


@dataclass(frozen=True)
class Alert:
    """One alert email (or arXiv listing) as recognised in a message."""

    name: str
    kind: AlertKind
    source: SourceKind
    subject: str
    message_id: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class PaperRef:
    """One paper as one alert presented it, before any lookup."""

    title: str
    position: int
    title_truncated: bool = False
    authors: tuple[str, ...] = ()
    authors_truncated: bool = False
    venue: str | None = None
    year: int | None = None
    snippet: str | None = None
    marker: str | None = None
    link: str | None = None
    cites: str | None = None
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    doi: str | None = None
    categories: tuple[str, ...] = ()
    comments: str | None = None
    abstract: str | None = None


@dataclass(frozen=True)
class ParsedAlert:
    """An alert and the papers found in it, with per-block problems."""

    alert: Alert
    papers: tuple[PaperRef, ...]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedMessage:
    """Everything recognised in one raw message."""

    message_id: str | None
    subject: str
    sender: str
    forwarder: str | None = None
    alerts: tuple[ParsedAlert, ...] = ()
    skip_reason: str | None = None


@dataclass(frozen=True)
class ResolvedLink:
    """A result link unwrapped locally, with the identifiers it carries."""

    kind: LinkKind
    url: str | None = None
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    doi: str | None = None


@dataclass
class PaperRecord:
    """The store's view of one paper, merged from every alert that carried it."""

    key: str
    title: str
    title_norm: str
    title_truncated: bool = False
    authors: list[str] = field(default_factory=list)
    authors_truncated: bool = False
    venue: str | None = None
    year: int | None = None
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    doi: str | None = None
    url: str | None = None
    abstract: str | None = None
    abstract_source: AbstractSource = AbstractSource.NONE
    snippet: str | None = None
    categories: list[str] = field(default_factory=list)
    comments: str | None = None


def paper_key(
    arxiv_id: str | None, doi: str | None, title_norm: str, year: int | None = None
) -> str:
    """The dedup key: arXiv id without version, else DOI, else the normal title.

    A title key carries the year when known: one author's yearly report with
    the same title in 2025 and 2026 is two papers.
    """
    if arxiv_id:
        return f"arxiv:{arxiv_id}"
    if doi:
        return f"doi:{doi.lower()}"
    return f"title:{year or ''}:{title_norm}"
