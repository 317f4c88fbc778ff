"""Read the DOI that a publisher link carries in its path, lower-cased.

arXiv DOIs (prefix ``10.48550``) give None here: ``arxiv_ids`` reads them as ids.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from bot.resolve.unwrap import host_of, split_url

log = logging.getLogger(__name__)

ARXIV_DOI_PREFIX = "10.48550/"

_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
_DOI = re.compile(r"10\.\d{4,9}/\S+")
# Path words after which publishers put the DOI: ACM, Wiley, Taylor & Francis,
# SAGE, ACS and most Atypon sites use /doi/[view]/, Springer names the type.
_AFTER_MARKER = re.compile(
    r"/(?:doi(?:/(?:abs|full|fullhtml|pdf|epdf|pdfdirect|reader|epub|book))?"
    r"|article|articles|chapter|book|content/pdf|referenceworkentry)"
    r"/(?P<doi>10\.\d{4,9}/.+)",
    re.IGNORECASE,
)
# Views that some sites append after the DOI (Frontiers' /full, old Wiley's
# /abstract); no DOI ends in one of these words.
_TRAILING_VIEW = re.compile(
    r"/(?:full|abstract|pdf|epdf|html|fulltext|summary)/?$", re.IGNORECASE
)
_TRAILING_PUNCTUATION = ".,;:'\""


def doi_from_url(url: str) -> str | None:
    """The DOI in a doi.org link or a publisher path, lower-cased, or None.

    Query and fragment never belong to the DOI; the path is percent-decoded
    once. IEEE and ScienceDirect links carry no DOI and give None.
    """
    parts = split_url(url.strip())
    if parts is None:
        return None

    path = unquote(parts.path)
    if host_of(parts) in _DOI_HOSTS:
        candidate = path.lstrip("/")
    else:
        match = _AFTER_MARKER.search(path)
        if match is None:
            return None
        candidate = match["doi"]

    doi = _tidy(candidate)
    if doi is None or doi.startswith(ARXIV_DOI_PREFIX):
        return None
    return doi


def _tidy(candidate: str) -> str | None:
    doi = _TRAILING_VIEW.sub("", candidate.strip())
    doi = doi.removesuffix(".pdf").removesuffix(".PDF")
    doi = doi.rstrip(_TRAILING_PUNCTUATION + "/")

    # A closing bracket is the DOI's own in SICI DOIs, "(SICI)...", and only
    # punctuation around it when unmatched. Counted once and cut once: a
    # crafted link ending in many brackets must not cost a pass per bracket.
    surplus = doi.count(")") - doi.count("(")
    end = len(doi)
    while surplus > 0 and doi.endswith(")", 0, end):
        end -= 1
        while end and doi[end - 1] in _TRAILING_PUNCTUATION:
            end -= 1
        surplus -= 1
    doi = doi[:end]

    if _DOI.fullmatch(doi) is None:
        log.debug("not a DOI after tidying: %r", doi[:80])
        return None
    return doi.lower()
