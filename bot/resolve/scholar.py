"""Read Google Scholar result links: the redirect target, or the kind of link.

Any ``scholar.google.<tld>`` host counts, country and non-Latin domains included.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.models import LinkKind
from bot.resolve.unwrap import host_of, query_value, split_url, unwrap_link

log = logging.getLogger(__name__)

# Google's country domains are one label (.ru, .de, .cat), or "co."/"com." and
# one (.co.uk, .com.au); a top-level label may be letters in any script or
# its punycode form.
_SCHOLAR_HOST = re.compile(
    r"scholar\.google\.(?:(?:co|com)\.)?(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)"
)


@dataclass(frozen=True)
class ScholarLink:
    """What a Scholar link stands for: a target URL, or a kind with no target."""

    kind: LinkKind
    target: str | None = None


def is_scholar_host(host: str) -> bool:
    """Whether ``host`` is Google Scholar under any of its country domains."""
    host = host.strip().rstrip(".").lower()
    return _SCHOLAR_HOST.fullmatch(host) is not None


def read_scholar_link(url: str) -> ScholarLink | None:
    """Read a Scholar link; None when ``url`` is not on a Scholar host.

    ``scholar_url`` gives its ``url`` parameter, percent-decoded exactly once
    (a second decoding would corrupt targets that hold ``%3D``). Cluster and
    citation links have no target. Other Scholar pages are targets themselves.
    """
    parts = split_url(url)
    if parts is None or not is_scholar_host(host_of(parts)):
        return None

    path = parts.path.rstrip("/")
    if path == "/scholar_url":
        target = query_value(parts.query, "url")
        if target is None:
            log.debug("scholar_url link without a url parameter")
            return ScholarLink(LinkKind.NONE)
        return ScholarLink(LinkKind.DIRECT, target)

    if path == "/scholar" and query_value(parts.query, "cluster"):
        return ScholarLink(LinkKind.CLUSTER)
    if path == "/citations" and query_value(parts.query, "view_op") == "view_citation":
        return ScholarLink(LinkKind.CITATION)
    return ScholarLink(LinkKind.DIRECT, url)


def folt_of(href: str) -> str | None:
    """The ``folt`` parameter of a Scholar link (``rel``, ``cit``, ``art``, ``kw``...).

    Rewriting layers are peeled first, so a forwarded alert classifies the same.
    """
    inner = unwrap_link(href)
    parts = split_url(inner) if inner else None
    if parts is None or not is_scholar_host(host_of(parts)):
        return None
    return query_value(parts.query, "folt")
