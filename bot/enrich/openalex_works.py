"""Read one OpenAlex work (its JSON object) into a :class:`FoundRecord`; no I/O."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from bot.enrich.found import FoundRecord
from bot.models import AbstractSource
from bot.resolve.arxiv_ids import ArxivId, arxiv_id_from_text, arxiv_id_from_url
from bot.resolve.doi import ARXIV_DOI_PREFIX
from bot.text import clean_text

log = logging.getLogger(__name__)

_DOI_PREFIXES = (
    "https://doi.org/",
    "http://doi.org/",
    "https://dx.doi.org/",
    "http://dx.doi.org/",
    "doi:",
)
_EMPTY: Mapping[str, Any] = {}
# OpenAlex now and then indexes a whole paper as its "abstract"; past these
# it is no abstract any more, and the digest and the prompt stay small.
MAX_ABSTRACT_WORDS = 1_500
MAX_ABSTRACT_CHARS = 12_000
# Inline markup publishers leave in titles and abstracts (HTML, JATS,
# MathML): "Ca<sup>2+</sup>", "<i>in vivo</i>". Only these names, so a
# formula's "a < b > c" stays.
_INLINE_TAG = re.compile(
    r"</?(?:[a-z]+:)?(?:i|b|u|em|strong|sub|sup|scp|sc|span|tt|p|br|italic|bold"
    r"|math|mi|mo|mn|msub|msup|mrow|mtext|inline-formula)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)


def record_from_work(work: Mapping[str, Any]) -> FoundRecord | None:
    """The record a work describes, or None when it has no title.

    Fields OpenAlex leaves out or sends in an unexpected shape stay empty:
    one odd field never costs the rest of the record.
    """
    title = _title(work.get("title")) or _title(work.get("display_name"))
    if title is None:
        log.debug("OpenAlex work without a title: %s", _text(work.get("id")))
        return None

    doi = doi_of_work(work)
    arxiv = _arxiv_copy(work, doi)
    # An arXiv DOI names the preprint, which the arXiv id already carries;
    # bot.resolve.doi treats such DOIs the same way.
    if doi is not None and doi.startswith(ARXIV_DOI_PREFIX):
        doi = None

    year = work.get("publication_year")
    return FoundRecord(
        source=AbstractSource.OPENALEX,
        title=title,
        authors=tuple(_authors(work.get("authorships"))),
        abstract=abstract_from_inverted_index(work.get("abstract_inverted_index")),
        year=year if _is_int(year) else None,
        venue=_venue(work),
        arxiv_id=arxiv[0] if arxiv else None,
        arxiv_version=arxiv[1] if arxiv else None,
        doi=doi,
        url=f"https://doi.org/{doi}" if doi else _landing_page(work),
        published=_date(work.get("publication_date")),
    )


def abstract_from_inverted_index(index: object) -> str | None:
    """The abstract written out from OpenAlex's word → positions index.

    Each word goes to every position listed for it; missing positions are
    skipped rather than filled, negative ones ignored. Only the first
    ``MAX_ABSTRACT_WORDS`` positions count and the text is cut at
    ``MAX_ABSTRACT_CHARS``. None for an absent, empty or unusable index.
    """
    if not isinstance(index, Mapping):
        return None

    placed: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(word, str) or not isinstance(positions, list):
            continue
        for position in positions:
            if _is_int(position) and 0 <= position < MAX_ABSTRACT_WORDS:
                placed.setdefault(position, word)

    text = " ".join(placed[p] for p in sorted(placed))
    text = clean_text(_INLINE_TAG.sub("", text))
    if len(text) > MAX_ABSTRACT_CHARS:
        text = text[:MAX_ABSTRACT_CHARS].rsplit(" ", 1)[0] + "…"
    return text or None


def doi_of_work(work: Mapping[str, Any]) -> str | None:
    """The work's DOI, bare and lower-cased (``10.1145/...``), or None."""
    value = _text(work.get("doi")) or _text(_mapping(work.get("ids")).get("doi"))
    if value is None:
        return None
    lowered = value.lower()
    for prefix in _DOI_PREFIXES:
        if lowered.startswith(prefix):
            lowered = lowered[len(prefix) :]
            break
    return lowered.strip() or None


def _authors(authorships: object) -> Iterator[str]:
    if not isinstance(authorships, list):
        return
    for authorship in authorships:
        entry = _mapping(authorship)
        name = _text(_mapping(entry.get("author")).get("display_name"))
        name = name or _text(entry.get("raw_author_name"))
        if name:
            yield name


def _venue(work: Mapping[str, Any]) -> str | None:
    source = _mapping(_mapping(work.get("primary_location")).get("source"))
    venue = _text(source.get("display_name"))
    # host_venue is the pre-2023 shape; older snapshots still carry it.
    return venue or _text(_mapping(work.get("host_venue")).get("display_name"))


def _landing_page(work: Mapping[str, Any]) -> str | None:
    primary = _mapping(work.get("primary_location"))
    return _text(primary.get("landing_page_url")) or _text(primary.get("pdf_url"))


def _arxiv_copy(work: Mapping[str, Any], doi: str | None) -> ArxivId | None:
    """The arXiv id of a copy listed anywhere in the work, latest version."""
    found: ArxivId | None = None
    for candidate in _arxiv_ids(work, doi):
        if found is None:
            found = candidate
            continue
        same_paper = candidate[0] == found[0]
        if same_paper and (candidate[1] or 0) > (found[1] or 0):
            found = candidate
    return found


def _arxiv_ids(work: Mapping[str, Any], doi: str | None) -> Iterator[ArxivId]:
    locations = work.get("locations")
    places = list(locations) if isinstance(locations, list) else []
    places += [work.get("best_oa_location"), work.get("primary_location")]
    for place in places:
        location = _mapping(place)
        for key in ("landing_page_url", "pdf_url"):
            url = _text(location.get(key))
            found = arxiv_id_from_url(url) if url else None
            if found is not None:
                yield found

    listed = _text(_mapping(work.get("ids")).get("arxiv"))
    if listed is not None:
        # Seen as a link, or as a bare id; arxiv_id_from_text wants the prefix.
        found = arxiv_id_from_url(listed) or arxiv_id_from_text(f"arXiv:{listed}")
        if found is not None:
            yield found

    if doi is not None:
        found = arxiv_id_from_url(doi)
        if found is not None:
            yield found


def _date(value: object) -> date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _title(value: object) -> str | None:
    text = _text(value)
    if text is None:
        return None
    return clean_text(_INLINE_TAG.sub("", text)) or None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return clean_text(value) or None


def _is_int(value: object) -> bool:
    # JSON true/false arrive as bool, which is an int subclass in Python.
    return isinstance(value, int) and not isinstance(value, bool)
