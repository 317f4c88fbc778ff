"""The resolve stage: turn a result link into its target and the ids it carries.

Purely local: rewriting layers are peeled, Scholar redirects read, nothing visited.
"""

from __future__ import annotations

import logging

from bot.models import LinkKind, ResolvedLink
from bot.resolve.arxiv_ids import arxiv_id_from_text, arxiv_id_from_url
from bot.resolve.doi import doi_from_url
from bot.resolve.scholar import folt_of, read_scholar_link
from bot.resolve.unwrap import is_opaque_link, split_url, unwrap_link

__all__ = ["arxiv_id_from_text", "folt_of", "is_opaque_link", "resolve_link"]

log = logging.getLogger(__name__)


def resolve_link(href: str | None, byline: str | None = None) -> ResolvedLink:
    """Resolve one result link, with the byline as a second source of an arXiv id.

    The url is the final target as given (never rewritten to a canonical arXiv
    page); cluster, citation, opaque and unusable links have none. The arXiv id
    comes from the target, else from the byline, whatever the kind of link, so
    a cluster link's paper can still be found by id.
    """
    kind, url = _target_of(href.strip() if href else "")

    found = arxiv_id_from_url(url) if url else None
    if found is None and byline:
        found = arxiv_id_from_text(byline)
    arxiv_id, arxiv_version = found if found else (None, None)
    doi = doi_from_url(url) if url else None

    log.debug("link resolved: %s, arXiv %s, DOI %s", kind, arxiv_id, doi)
    return ResolvedLink(
        kind=kind,
        url=url,
        arxiv_id=arxiv_id,
        arxiv_version=arxiv_version,
        doi=doi,
    )


def _target_of(href: str) -> tuple[LinkKind, str | None]:
    if not href:
        return LinkKind.NONE, None
    if is_opaque_link(href):
        return LinkKind.OPAQUE, None

    inner = unwrap_link(href)
    if inner is None:
        return LinkKind.NONE, None
    if is_opaque_link(inner):
        return LinkKind.OPAQUE, None

    scholar = read_scholar_link(inner)
    if scholar is not None:
        if scholar.kind is not LinkKind.DIRECT or scholar.target is None:
            return scholar.kind, None
        inner = scholar.target

    # A target may be anything a sender typed: only http(s) is a usable link.
    if split_url(inner) is None:
        return LinkKind.NONE, None
    return LinkKind.DIRECT, inner
