"""Read an arXiv API Atom feed into records keyed by arXiv id (no I/O)."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date

from bot.enrich.errors import ServiceUnavailableError
from bot.enrich.found import FoundRecord
from bot.models import AbstractSource
from bot.resolve.arxiv_ids import arxiv_id_from_url
from bot.text import clean_text

log = logging.getLogger(__name__)

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


@dataclass(frozen=True)
class ArxivFeed:
    """One API answer: records by id (no version), error texts, the hit count."""

    records: dict[str, FoundRecord]
    errors: tuple[str, ...] = ()
    total_results: int | None = None


def is_arxiv_feed(body: bytes) -> bool:
    """Whether ``body`` is a readable Atom feed (a 200 that is not is transient)."""
    return _feed_root(body) is not None


def parse_arxiv_feed(body: bytes) -> ArxivFeed:
    """The records and errors in an API answer.

    Entries are matched by the id in their ``<id>``, never by position; of
    duplicates the highest version is kept. An entry titled ``Error`` is an
    error, never a record. Raises :class:`ServiceUnavailableError` when
    ``body`` is not an Atom feed: arXiv sends such bodies while overloaded.
    """
    root = _feed_root(body)
    if root is None:
        raise ServiceUnavailableError("the arXiv answer is not an Atom feed")

    records: dict[str, FoundRecord] = {}
    errors: list[str] = []
    for entry in root.findall(f"{_ATOM}entry"):
        if _text(entry, f"{_ATOM}title") == "Error":
            errors.append(_text(entry, f"{_ATOM}summary") or "unspecified error")
            continue
        record = _record(entry)
        if record is None or record.arxiv_id is None:
            continue
        kept = records.get(record.arxiv_id)
        if kept is None or (record.arxiv_version or 0) > (kept.arxiv_version or 0):
            records[record.arxiv_id] = record

    total = _text(root, f"{_OPENSEARCH}totalResults")
    return ArxivFeed(
        records=records,
        errors=tuple(errors),
        total_results=int(total) if total and total.isdigit() else None,
    )


def _feed_root(body: bytes) -> ET.Element | None:
    # The API never sends a DTD; refusing one keeps entity expansion out
    # entirely, on top of expat's own limits (2.4.1+) against entity bombs.
    # ElementTree never fetches external entities, so no network is reached.
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        return None
    try:
        root = ET.fromstring(body)  # noqa: S314 - DTDs refused above
    except ET.ParseError:
        return None
    return root if root.tag == f"{_ATOM}feed" else None


def _record(entry: ET.Element) -> FoundRecord | None:
    entry_id = _text(entry, f"{_ATOM}id")
    found = arxiv_id_from_url(entry_id) if entry_id else None
    if found is None:
        log.debug("feed entry without a usable arXiv id: %.120s", entry_id)
        return None
    arxiv_id, version = found

    published = _date(_text(entry, f"{_ATOM}published"))
    doi = _text(entry, f"{_ARXIV}doi")
    return FoundRecord(
        source=AbstractSource.ARXIV,
        title=_text(entry, f"{_ATOM}title") or "",
        authors=tuple(
            name
            for author in entry.findall(f"{_ATOM}author")
            if (name := _text(author, f"{_ATOM}name"))
        ),
        abstract=_text(entry, f"{_ATOM}summary"),
        year=published.year if published else None,
        venue=_text(entry, f"{_ARXIV}journal_ref"),
        arxiv_id=arxiv_id,
        arxiv_version=version,
        doi=doi.split()[0].lower() if doi else None,
        categories=_categories(entry),
        comments=_text(entry, f"{_ARXIV}comment"),
        url=f"https://arxiv.org/abs/{arxiv_id}",
        published=published,
    )


def _categories(entry: ET.Element) -> tuple[str, ...]:
    primary = entry.find(f"{_ARXIV}primary_category")
    terms = [primary.get("term")] if primary is not None else []
    terms += [category.get("term") for category in entry.findall(f"{_ATOM}category")]
    # dict.fromkeys drops repeats and keeps the primary category first.
    return tuple(dict.fromkeys(term.strip() for term in terms if term and term.strip()))


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _text(parent: ET.Element, tag: str) -> str | None:
    # arXiv hard-wraps titles and abstracts with a newline and two spaces.
    element = parent.find(tag)
    if element is None:
        return None
    return clean_text("".join(element.itertext())) or None
