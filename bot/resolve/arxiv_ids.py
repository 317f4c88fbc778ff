"""Find arXiv identifiers in links and bylines, as ``(id, version)`` pairs.

Old-scheme ids drop their subject class: ``math.GT/0309136`` is ``math/0309136``.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from bot.resolve.unwrap import host_of, split_url

log = logging.getLogger(__name__)

ArxivId = tuple[str, int | None]

_ID = (
    r"(?:(?P<new>(?P<yymm>\d{4})\.(?P<number>\d{4,5}))"
    r"|(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[a-z-]+)?/(?P<old>\d{7}))"
    # No paper has thousands of versions; a longer number is not an id and
    # would not fit the store's integer.
    r"(?:v(?P<version>[1-9]\d{0,3}))?"
)
_ID_ALONE = re.compile(_ID, re.IGNORECASE)
_ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})
_ARXIV_PATH = re.compile(r"/(?:abs|pdf|html)/(?P<id>.+?)(?:\.pdf)?/?", re.IGNORECASE)
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
# DataCite registers arXiv's DOIs under its own prefix only; "arXiv" in
# another prefix's DOI is a publisher's choice of name, not an arXiv paper.
_ARXIV_DOI = re.compile(r"(?:doi:\s*)?10\.48550/arxiv\.(?P<id>.+)", re.IGNORECASE)
_IN_TEXT = re.compile(
    r"(?:\barxiv:\s*|\barxiv\.org/(?:abs|pdf|html)/|\b10\.48550/arxiv\.)"
    + _ID
    + r"(?!\w)",
    re.IGNORECASE,
)
# New-scheme numbers had four digits from 0704 to 1412, five from 1501 on.
_FIRST_NEW_MONTH = 704
_LAST_FOUR_DIGIT_MONTH = 1412


def arxiv_id_from_url(url: str) -> ArxivId | None:
    """The arXiv id in an arxiv.org link or an arXiv DOI (link or bare), or None.

    ``/abs/``, ``/pdf/`` (with or without ``.pdf``) and ``/html/`` paths on
    arxiv.org, www.arxiv.org and export.arxiv.org are read; query and fragment
    are ignored.
    """
    url = url.strip()
    bare_doi = _ARXIV_DOI.fullmatch(url)
    if bare_doi is not None:
        return _parse_id(bare_doi["id"])

    parts = split_url(url)
    if parts is None:
        return None

    host = host_of(parts)
    if host in _ARXIV_HOSTS:
        path = _ARXIV_PATH.fullmatch(parts.path)
        return _parse_id(path["id"]) if path else None
    if host in _DOI_HOSTS:
        doi = _ARXIV_DOI.fullmatch(unquote(parts.path).lstrip("/"))
        return _parse_id(doi["id"].rstrip("/")) if doi else None
    return None


def arxiv_id_from_text(text: str) -> ArxivId | None:
    """The first valid arXiv id in free text such as a Scholar byline, or None.

    Only ids introduced as such count (``arXiv:2601.08189``, an arxiv.org link,
    an arXiv DOI): bare numbers in a byline are page ranges and volumes.
    """
    for match in _IN_TEXT.finditer(text):
        found = _from_match(match)
        if found is not None:
            return found
    return None


def _parse_id(candidate: str) -> ArxivId | None:
    match = _ID_ALONE.fullmatch(candidate)
    return _from_match(match) if match else None


def _from_match(match: re.Match[str]) -> ArxivId | None:
    version = int(match["version"]) if match["version"] else None
    if match["new"]:
        if not _valid_new(match["yymm"], match["number"]):
            log.debug("not an arXiv id: %s", match["new"])
            return None
        return match["new"], version

    # arXiv redirects "math.GT/0309136" to "math/0309136": the short form is
    # the canonical one, so the subject class is dropped.
    old = match["old"]
    if not 1 <= int(old[2:4]) <= 12:
        log.debug("not an arXiv id: %s", match.group(0))
        return None
    return f"{match['archive'].lower()}/{old}", version


def _valid_new(yymm: str, number: str) -> bool:
    month = int(yymm[2:])
    if not 1 <= month <= 12 or int(yymm) < _FIRST_NEW_MONTH:
        return False
    # A cut-off byline ("arXiv:2601.0818…") must not pass for another paper.
    four_digits = int(yymm) <= _LAST_FOUR_DIGIT_MONTH
    return len(number) == (4 if four_digits else 5)
