"""Papers from the ``text/html`` part of a Google Scholar alert (pure, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString, PageElement, PreformattedString

from bot.models import PaperRef
from bot.parse.scholar_body import (
    ScholarBody,
    build_paper,
    followed_from_footer,
    link_param,
    marker_name,
    strip_cites_label,
)
from bot.text import clean_text

_TITLE_CLASS = "gse_alrt_title"
_SNIPPET_CLASS = "gse_alrt_sni"
# Elements whose text belongs to another part of the block: left out when
# reading a tag's own text, so an unclosed tag cannot swallow its neighbours.
_BLOCK_TAGS = frozenset({"div", "p", "table", "h1", "h2", "h3", "h4", "ul", "ol"})
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title"})
_TEXT_HOLDERS = frozenset({"div", "p"})
# Save / share / list / cancel rows end a result block and are never papers.
_ACTION_LINK = re.compile(r"scholar_share|update_op=email_library_add|scholar_alerts")
_FOOTER_START = "This message was sent by Google Scholar"
# Nodes looked at before a title for its marker: the span, its text, spaces.
_MARKER_LOOKBACK = 12
# The footer links the followed profile (citations?user=) or query (scholar?q=).
_PROFILE_PATH = "/citations?"
_QUERY_PATH = "/scholar?"
_PROFILE_PARAM = re.compile(r"[?&]user=")
_QUERY_PARAM = re.compile(r"[?&](?:q|cites)=")


def parse_scholar_html(html: str) -> ScholarBody:
    """Read every result of a Scholar alert's HTML body.

    A block that cannot be read becomes one line in ``problems`` and never
    costs the other blocks; malformed HTML never raises.
    """
    soup = BeautifulSoup(html, "lxml")
    anchors = _title_anchors(soup)
    boundaries = {id(a) for a in anchors} | {id(_container(a)) for a in anchors}
    papers: list[PaperRef] = []
    problems: list[str] = []
    for index, anchor in enumerate(anchors):
        try:
            papers.append(_read_block(index, anchor, boundaries, problems))
        except ValueError as exc:
            problems.append(f"result block {index}: {exc}")
        except Exception as exc:  # one broken block never costs the others
            problems.append(f"result block {index}: {type(exc).__name__}: {exc}")

    folt = next((f for p in papers if (f := link_param(p.link, "folt"))), None)
    return ScholarBody(
        papers=tuple(papers),
        problems=tuple(problems),
        followed=_followed(soup, anchors),
        folt=folt,
        is_scholar=_is_scholar(soup, anchors),
    )


def _title_anchors(soup: BeautifulSoup) -> list[Tag]:
    # Gmail prefixes classes (m_123gse_alrt_title), so match by substring.
    classed = [a for a in soup.find_all("a") if _has_class(a, _TITLE_CLASS)]
    if classed:
        return classed
    # Some forwarders drop class attributes: fall back to Scholar links in
    # result headings (wrapped links still name scholar somewhere).
    return [
        a
        for h3 in soup.find_all("h3")
        for a in h3.find_all("a")
        if "scholar" in _attr(a, "href").lower()
    ]


def _read_block(
    index: int, anchor: Tag, boundaries: set[int], problems: list[str]
) -> PaperRef:
    byline: Tag | None = None
    snippet: Tag | None = None
    cites: str | None = None
    seen_text = False
    for node in _after(anchor):
        if id(node) in boundaries or _ends_block(node):
            break
        if snippet is None and _has_class(node, _SNIPPET_CLASS):
            snippet = node
            continue
        if node.name not in _TEXT_HOLDERS:
            continue
        text = clean_text(own_text(node))
        if not text:
            continue
        cited = strip_cites_label(text)
        if cited is not None:
            cites = cited
        elif not seen_text and snippet is None:
            # The byline is the first text right under the title.
            byline = node
        seen_text = True

    paper = build_paper(
        index=index,
        title_raw=own_text(anchor),
        link=_link(anchor),
        byline_raw=own_text(byline) if byline is not None else None,
        snippet_raw=own_text(snippet) if snippet is not None else None,
        cites_raw=cites,
        marker=_marker(anchor),
    )
    # A title and link are enough to find the paper: keep it, say what lacks.
    if byline is None:
        problems.append(f"result block {index}: no byline")
    return paper


def _after(anchor: Tag) -> Iterable[Tag]:
    """Tags after the title in document order, skipping the title's own inline tags."""
    for node in anchor.next_elements:
        if not isinstance(node, Tag):
            continue
        # An unclosed anchor can swallow the byline: block tags inside count.
        if node.name not in _BLOCK_TAGS and _is_inside(node, anchor):
            continue
        yield node


def _ends_block(node: Tag) -> bool:
    if node.name == "a" and _ACTION_LINK.search(_attr(node, "href")):
        return True
    return node.name in _TEXT_HOLDERS and _FOOTER_START in clean_text(own_text(node))


def _link(anchor: Tag) -> str | None:
    # Gmail keeps the clean link in href and its redirect in
    # data-saferedirecturl; the redirect only helps when href is gone.
    href = _attr(anchor, "href").strip()
    return href or _attr(anchor, "data-saferedirecturl").strip() or None


def _marker(anchor: Tag) -> str | None:
    heading = _container(anchor)
    if heading is anchor:
        previous = anchor.find_previous_sibling()
        outside = own_text(previous) if previous is not None else ""
    else:
        outside = "".join(reversed(_text_before(anchor, heading)))
    found = re.search(r"\[[^\[\]]{1,20}\]", outside)
    return marker_name(found.group(0) if found else outside, any_bracketed=True)


def _text_before(anchor: Tag, heading: Tag) -> list[str]:
    """The heading's text right before the title, nearest first, a few nodes only.

    The marker span sits just before the title; looking no further than the
    previous link keeps a heading holding many titles linear to read.
    """
    pieces: list[str] = []
    for steps, node in enumerate(anchor.previous_elements):
        if node is heading or steps >= _MARKER_LOOKBACK:
            break
        if isinstance(node, Tag) and node.name == "a":
            break
        if isinstance(node, NavigableString) and not isinstance(
            node, PreformattedString
        ):
            pieces.append(str(node))
    return pieces


def _followed(soup: BeautifulSoup, anchors: list[Tag]) -> str | None:
    # The footer comes after the last result: search from there.
    start: PageElement = anchors[-1] if anchors else soup
    title_ids = {id(a) for a in anchors}
    linked: str | None = None
    worded: str | None = None
    for node in start.next_elements:
        if not isinstance(node, Tag) or id(node) in title_ids:
            continue
        if node.name == "a" and _is_followed_link(unquote(_attr(node, "href"))):
            linked = clean_text(own_text(node)) or linked
        elif node.name in _TEXT_HOLDERS and worded is None:
            # Rewritten links (SafeLinks ...) hide the profile: read the sentence.
            worded = followed_from_footer(node.get_text())
    return linked or worded


def _is_followed_link(href: str) -> bool:
    """Whether ``href`` (unquoted) links the followed profile or query.

    A profile link has ``user=`` after ``/citations?`` and no ``update_op``
    (the Save link has both). Each test is one scan: lookaheads retried at
    every ``/citations?`` made a long crafted link quadratic.
    """
    # The first profile path with no update_op after it is the one to test.
    last_update = href.rfind("update_op")
    start = max(0, last_update - len(_PROFILE_PATH) + 1) if last_update >= 0 else 0
    profile = href.find(_PROFILE_PATH, start)
    if profile >= 0 and _PROFILE_PARAM.search(href, profile + len(_PROFILE_PATH) - 1):
        return True
    query = href.find(_QUERY_PATH)
    return query >= 0 and bool(_QUERY_PARAM.search(href, query + len(_QUERY_PATH) - 1))


def own_text(tag: Tag) -> str:
    """The text a tag shows itself: ``<br>`` as a line break, nested blocks left out.

    Callers pass it through ``clean_text``, which makes the break a space
    (or nothing, between Chinese or Japanese characters).
    """
    parts: list[str] = []
    stack: list[PageElement] = list(reversed(tag.contents))
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
            elif node.name not in _BLOCK_TAGS and node.name not in _SKIPPED_TAGS:
                stack.extend(reversed(node.contents))
        elif isinstance(node, NavigableString) and not isinstance(
            node, PreformattedString
        ):
            parts.append(str(node))
    return "".join(parts)


def _container(anchor: Tag) -> Tag:
    heading = anchor.find_parent("h3")
    return heading if heading is not None else anchor


def _is_scholar(soup: BeautifulSoup, anchors: list[Tag]) -> bool:
    if any(_has_class(a, _TITLE_CLASS) for a in anchors):
        return True
    # Result links and the tracking pixel are scholar_url redirects.
    for tag in soup.find_all(["a", "img"]):
        if "scholar_url" in _attr(tag, "href") + _attr(tag, "src"):
            return True
    return False


def _has_class(tag: Tag, name: str) -> bool:
    return name in _attr(tag, "class")


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def _is_inside(node: PageElement, ancestor: Tag) -> bool:
    return any(parent is ancestor for parent in node.parents)
