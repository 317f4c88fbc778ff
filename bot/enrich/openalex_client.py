"""Look papers up in OpenAlex's works API: by DOI in batches, or by title.

Retrying, pacing and logging are the :class:`PoliteClient`'s; failures come
out of it as :class:`~bot.enrich.errors.LookupFailedError`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from bot.enrich.found import FoundRecord
from bot.enrich.http import PoliteClient
from bot.enrich.openalex_works import doi_of_work, record_from_work
from bot.text import clean_text, strip_ellipsis

log = logging.getLogger(__name__)

# OpenAlex ORs up to 100 values in one filter; 50 keeps the URL well under
# its ~4 KB limit even for long DOIs.
DOI_BATCH = 50
# Room for a DOI that OpenAlex holds on two works (preprint and article).
_MAX_PER_PAGE = 100
# Anything but letters, digits and spaces may mean something to OpenAlex's
# search (quotes, brackets, "|" and ":" of filters) or split words anyway.
_NOT_WORD = re.compile(r"[\W_]+")
# Upper-case AND/OR/NOT switch OpenAlex's search to boolean mode.
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# Scholar cuts only long titles, at times mid-word, and OpenAlex matches
# whole words: a long title is searched without its last word.
_LONG_TITLE_WORDS = 8


class OpenAlexClient:
    """Finds works in OpenAlex and reads them into :class:`FoundRecord`."""

    def __init__(
        self, http: PoliteClient, base_url: str, *, mailto: str | None
    ) -> None:
        self._http = http
        self._works_url = base_url.rstrip("/") + "/works"
        self._mailto = mailto or None

    def by_dois(self, dois: Sequence[str]) -> dict[str, FoundRecord]:
        """The records of those DOIs OpenAlex knows, keyed by the DOI as asked.

        Works are matched to DOIs by their own DOI, ignoring case, never by
        their place in the answer. DOIs that OpenAlex's filter syntax cannot
        carry (with ``,`` or ``|``) are left out.
        """
        asked: dict[str, list[str]] = {}
        for doi in dois:
            key = _bare_doi(doi)
            if key is None:
                log.debug("DOI not usable in an OpenAlex filter: %r", doi[:80])
                continue
            asked.setdefault(key, []).append(doi)

        keys = list(asked)
        found: dict[str, FoundRecord] = {}
        for start in range(0, len(keys), DOI_BATCH):
            batch = keys[start : start + DOI_BATCH]
            params = {
                "filter": "doi:" + "|".join(batch),
                "per-page": str(min(2 * len(batch), _MAX_PER_PAGE)),
            }
            works = self._works(params, what=f"{len(batch)} DOI(s)")
            for key, record in _records_by_doi(works, set(batch)).items():
                for doi in asked[key]:
                    found[doi] = record
        return found

    def search_title(self, title: str, *, per_page: int = 5) -> list[FoundRecord]:
        """Works whose text matches ``title``, OpenAlex's best first.

        These are candidates only: :func:`bot.enrich.matching.best_candidate`
        decides whether one of them is the paper.
        """
        phrase = search_phrase(title)
        if not phrase:
            return []
        params = {"search": phrase, "per-page": str(per_page)}
        works = self._works(params, what=f"title {phrase[:60]!r}")

        records = (record_from_work(work) for work in works)
        return [record for record in records if record is not None]

    def _works(self, params: dict[str, str], *, what: str) -> list[Mapping[str, Any]]:
        if self._mailto:
            params["mailto"] = self._mailto
        response = self._http.get(
            self._works_url, params, what=what, validate=_is_works_page
        )
        # Never None: the PoliteClient returns only bodies the validator took.
        works = _works_page(response)
        return works if works is not None else []


def search_phrase(title: str) -> str:
    """``title`` as plain words for OpenAlex's ``search``: no syntax in it."""
    title, cut = strip_ellipsis(clean_text(title))
    words = _NOT_WORD.sub(" ", title).split()
    words = [word.lower() if word in _OPERATORS else word for word in words]
    if cut or len(words) >= _LONG_TITLE_WORDS:
        words = words[:-1]
    return " ".join(words)


def _bare_doi(doi: str) -> str | None:
    bare = doi_of_work({"doi": doi})
    if bare is None or "," in bare or "|" in bare:
        return None
    return bare


def _records_by_doi(
    works: list[Mapping[str, Any]], wanted: set[str]
) -> dict[str, FoundRecord]:
    records: dict[str, FoundRecord] = {}
    for work in works:
        doi = doi_of_work(work)
        if doi is None or doi not in wanted:
            log.debug("OpenAlex answered a DOI not asked for: %r", doi)
            continue
        record = record_from_work(work)
        if record is None:
            continue
        # Two works with one DOI: the one with an abstract is worth more.
        kept = records.get(doi)
        if kept is None or (record.abstract and not kept.abstract):
            records[doi] = record
    return records


def _is_works_page(response: httpx.Response) -> bool:
    return _works_page(response) is not None


def _works_page(response: httpx.Response) -> list[Mapping[str, Any]] | None:
    """The works in a list answer, or None for a body that is not one."""
    try:
        page = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        return None
    return [work for work in page["results"] if isinstance(work, dict)]
