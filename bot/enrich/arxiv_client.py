"""arXiv API lookups: full records by id in batches, and title searches."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

import httpx

from bot.enrich.arxiv_feed import ArxivFeed, is_arxiv_feed, parse_arxiv_feed
from bot.enrich.errors import ServiceUnavailableError
from bot.enrich.found import FoundRecord
from bot.enrich.http import PoliteClient
from bot.resolve.arxiv_ids import arxiv_id_from_url
from bot.text import clean_text, strip_ellipsis, strip_tex

log = logging.getLogger(__name__)

# About 100 ids keep the URL well under the length that draws HTTP 414.
BATCH_SIZE = 100
# Characters the query syntax reads as phrase, field, group or operator;
# a colon left in a title once turned a search into an unrelated one.
_QUERY_SYNTAX = re.compile(r'["():\[\]{}\\+^~*?!&|<>=/;,]')
_LEADING_MINUS = re.compile(r"(?<!\S)-+")
_BOOLEAN_WORD = re.compile(r"\b(?:AND|OR|ANDNOT|NOT)\b")


def title_phrase(title: str) -> str:
    """``title`` made safe to quote in ``ti:"…"``: query syntax removed.

    A cut title (ending in ``…``) loses its last word, which may be cut too,
    so the phrase still matches the start of the full title.
    """
    phrase, cut = strip_ellipsis(strip_tex(clean_text(title)))
    phrase = _QUERY_SYNTAX.sub(" ", phrase)
    phrase = _LEADING_MINUS.sub("", phrase)
    phrase = _BOOLEAN_WORD.sub(lambda match: match.group(0).lower(), phrase)
    words = phrase.split()
    return " ".join(words[:-1] if cut else words)


class ArxivClient:
    """Records from the arXiv API at ``base_url``, through a shared client."""

    def __init__(self, http: PoliteClient, base_url: str) -> None:
        self._http = http
        self._base_url = base_url

    def fetch(self, ids: Sequence[str]) -> dict[str, FoundRecord]:
        """The records found for ``ids``, keyed by id without version.

        Ids are asked without version, once each, ``BATCH_SIZE`` a request.
        An id the answer lacks or answers with an ``Error`` entry is absent
        from the result, as are ids left unasked when arXiv becomes
        unavailable after a first batch (logged as a warning): the caller asks
        again next run. Raises :class:`ServiceUnavailableError` when the first
        batch cannot be had and :class:`LookupFailedError` when arXiv refuses
        a request.
        """
        wanted = _canonical_ids(ids)
        found: dict[str, FoundRecord] = {}
        for start in range(0, len(wanted), BATCH_SIZE):
            batch = wanted[start : start + BATCH_SIZE]
            params = {
                "id_list": ",".join(batch),
                "start": "0",
                # The default is 10: a longer list would be cut silently.
                "max_results": str(len(batch)),
            }
            try:
                feed = self._query(params, what=f"{len(batch)} ids")
            except ServiceUnavailableError as exc:
                if start == 0:
                    raise  # nothing fetched: the caller records the outage
                log.warning(
                    "arXiv unavailable, %d of %d ids left for a later run: %s",
                    len(wanted) - start,
                    len(wanted),
                    exc,
                )
                break
            for error in feed.errors:
                log.warning("arXiv answered an error for %d ids: %s", len(batch), error)
            # Only ids asked for: an extra entry in the answer is not trusted.
            found.update(
                (key, feed.records[key]) for key in batch if key in feed.records
            )
        return found

    def search_title(self, title: str, *, max_results: int = 5) -> list[FoundRecord]:
        """Up to ``max_results`` papers whose title holds ``title`` as a phrase.

        Hits come in arXiv's relevance order and are candidates only: the
        caller decides whether one is the same paper.
        """
        phrase = title_phrase(title)
        if not phrase:
            return []
        params = {
            "search_query": f'ti:"{phrase}"',
            "start": "0",
            "max_results": str(max_results),
        }
        feed = self._query(params, what="title search")
        return list(feed.records.values())[:max_results]

    def _query(self, params: Mapping[str, str], *, what: str) -> ArxivFeed:
        response = self._http.get(self._base_url, params, what=what, validate=_is_feed)
        return parse_arxiv_feed(response.content)


def _is_feed(response: httpx.Response) -> bool:
    return is_arxiv_feed(response.content)


def _canonical_ids(ids: Sequence[str]) -> list[str]:
    """``ids`` without versions, in order, once each; malformed ones dropped.

    One malformed id makes the API answer the whole batch with an error, so
    such ids are never sent.
    """
    canonical: dict[str, None] = {}
    for raw in ids:
        parsed = arxiv_id_from_url(f"https://arxiv.org/abs/{raw.strip()}")
        if parsed is None:
            log.warning("not an arXiv id, not looked up: %.60r", raw)
            continue
        canonical[parsed[0]] = None
    return list(canonical)
