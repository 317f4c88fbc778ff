"""The HTML digest is email-safe, escapes once and fits Gmail without losing papers."""

from __future__ import annotations

import re

import pytest

from bot.compose.html import HtmlDigest, render_html
from bot.compose.model import Digest
from bot.compose.wording import shown_title
from tests.digest_factory import (
    IMG_AUTHOR,
    JAPANESE_SNIPPET,
    JAPANESE_TITLE,
    K28_TITLE,
    KV_ABSTRACT,
    LINK_SNIPPET,
    SCRIPT_TITLE,
    arxiv_paper,
    injection_paper,
    make_digest,
    make_paper,
    read_html,
    realistic_digest,
)


def test_small_digest_stays_full_without_an_attachment() -> None:
    digest = make_digest(("cs.LG", [arxiv_paper("Squeezing the KV Cache", "2601.1")]))

    rendered = render_html(digest)

    assert rendered.level == "full"
    assert rendered.full is None
    assert "digest.full.html" not in rendered.body
    assert "However, existing cache compression methods" in rendered.body


def test_three_hundred_papers_fit_the_body_without_dropping_any() -> None:
    digest = realistic_digest(300)

    rendered = render_html(digest)

    body_bytes = len(rendered.body.encode("utf-8"))
    assert body_bytes < 95_000
    assert rendered.level != "full"
    assert rendered.full is not None
    assert len(rendered.full.encode("utf-8")) > 95_000
    _, shown = read_html(rendered.body)
    _, shown_full = read_html(rendered.full)
    for section in digest.sections:
        for entry in section.entries:
            assert f"[{entry.number}] {shown_title(entry.paper)}" in shown
            assert f"[{entry.number}] {shown_title(entry.paper)}" in shown_full
    assert "The full details are in digest.full.html" in shown
    assert shown.index("digest.full.html") < shown.index("[1] ")


def _levels(digest: Digest) -> dict[str, HtmlDigest]:
    """The first rendering at each level as the byte budget shrinks."""
    seen: dict[str, HtmlDigest] = {}
    budget = len(render_html(digest).body.encode("utf-8"))
    while budget > 0:
        rendered = render_html(digest, max_bytes=budget)
        seen.setdefault(rendered.level, rendered)
        budget -= 50
    return seen


def test_digest_too_long_even_as_titles_is_still_whole() -> None:
    digest = realistic_digest(20)

    rendered = render_html(digest, max_bytes=1_000)

    assert rendered.level == "titles-only"
    _, shown = read_html(rendered.body)
    assert all(f"[{n}] " in shown for n in range(1, 21))


def test_detail_moves_out_level_by_level() -> None:
    levels = _levels(make_digest(("cs.LG", [arxiv_paper("Squeezing", "2601.1")])))

    assert list(levels) == ["full", "no-abstracts", "tldr-only", "titles-only"]
    assert levels["full"].full is None
    assert all(levels[name].full == levels["full"].body for name in list(levels)[1:])


def test_each_level_keeps_what_it_promises() -> None:
    levels = _levels(make_digest(("cs.LG", [arxiv_paper("Squeezing", "2601.1")])))
    shown = {name: read_html(rendered.body)[1] for name, rendered in levels.items()}

    assert "Abstract:" not in shown["no-abstracts"]
    assert "Method: In this paper" in shown["no-abstracts"]
    assert "Motivation:" not in shown["tldr-only"]
    assert "TL;DR: In this paper, we propose SqueezeKV" in shown["tldr-only"]
    assert "Ana Ruiz, Bo Chen, Chidi Okafor" in shown["tldr-only"]
    assert "TL;DR" not in shown["titles-only"]
    assert "[1] Squeezing" in shown["titles-only"]
    assert "This email shows each paper's TL;DR only" in shown["tldr-only"]
    assert "This email lists titles only" in shown["titles-only"]


def test_no_details_script_or_style_elements_and_no_classes() -> None:
    rendered = render_html(realistic_digest(300))

    for document in (rendered.body, rendered.full or ""):
        tags, _ = read_html(document)
        names = {tag for tag, _ in tags}
        assert not names & {"details", "summary", "script", "style"}
        assert not any("class" in attrs for _, attrs in tags)


def test_injection_attempts_are_escaped_and_never_linked() -> None:
    paper = injection_paper()
    other = make_paper("Plain", url="JavaScript:alert(2)", snippet="x")
    body = render_html(make_digest(("Ada Lovelace", [paper, other]))).body

    tags, shown = read_html(body)

    assert "<script" not in body.lower() and "<img" not in body.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert {tag for tag, _ in tags} <= {
        "html", "head", "meta", "title", "body", "div", "h1", "h2", "h3", "p",
        "ul", "li", "a", "strong", "span", "br",
    }  # fmt: skip
    hrefs = [attrs["href"] for tag, attrs in tags if tag == "a"]
    assert hrefs and all(href.startswith("#") for href in hrefs)
    assert SCRIPT_TITLE in shown
    assert IMG_AUTHOR in shown
    assert LINK_SNIPPET in shown


def test_k28_title_is_escaped_exactly_once() -> None:
    paper = make_paper(
        K28_TITLE,
        url="https://example.org/k28?a=1&b=2",
        abstract="Worth $391M.",
    )

    body = render_html(make_digest(("Physics", [paper]))).body

    assert body.count("Spin &amp; charge order in La$_{2-x}$Sr$_x$CuO$_4$") == 1
    assert "&amp;amp;" not in body
    assert 'href="https://example.org/k28?a=1&amp;b=2"' in body
    assert "$391M" in body
    _, shown = read_html(body)
    assert f"[1] {K28_TITLE}" in shown


def test_japanese_text_is_kept_exactly_and_lang_is_set() -> None:
    paper = make_paper(JAPANESE_TITLE, snippet=JAPANESE_SNIPPET)

    body = render_html(make_digest(("論文", [paper]), language="ja")).body

    assert '<html lang="ja">' in body
    assert JAPANESE_TITLE in body
    assert JAPANESE_SNIPPET in body
    assert 'id="論文"' in body and 'href="#論文"' in body


def test_layout_suits_phones_and_mail_clients() -> None:
    body = render_html(realistic_digest(5)).body

    assert (
        '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    )
    assert "max-width:640px" in body
    assert "word-break:break-word" in body
    sizes = [int(size) for size in re.findall(r"font-size:(\d+)px", body)]
    assert sizes and min(sizes) >= 14


def test_every_contents_link_has_its_target() -> None:
    tags, _ = read_html(render_html(realistic_digest(10)).body)

    ids = {attrs["id"] for _, attrs in tags if "id" in attrs}
    targets = {attrs["href"][1:] for tag, attrs in tags
               if tag == "a" and attrs["href"].startswith("#")}  # fmt: skip
    assert targets == ids
    assert len(ids) == 6


def test_paper_without_link_or_abstract_is_shown_without_a_link() -> None:
    body = render_html(make_digest(("Ada Lovelace", [make_paper("Lonely")]))).body

    tags, shown = read_html(body)

    assert "[1] Lonely" in shown
    assert shown.count("No text was available") == 1
    assert "Motivation, Method, Result, Conclusion: No text was available" in shown
    assert "Abstract: not available (no abstract and no snippet)." in shown
    assert not [attrs for tag, attrs in tags if tag == "a" and "http" in attrs["href"]]


def test_arxiv_entry_links_pdf_and_shows_identifiers() -> None:
    paper = arxiv_paper(
        "Squeezing", "2601.15337", arxiv_version=2, categories=["cs.LG"]
    )

    body = render_html(make_digest(("cs.LG", [paper]))).body

    assert 'href="https://arxiv.org/abs/2601.15337"' in body
    assert 'href="https://arxiv.org/pdf/2601.15337"' in body
    _, shown = read_html(body)
    assert "arXiv: 2601.15337v2" in shown
    assert "Categories: cs.LG" in shown
    assert f"Abstract: {KV_ABSTRACT}" in shown
    assert "Summary: extractive (from the abstract)" in shown


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "vbscript:msgbox(1)",
        "https://exa\x00mple.org/",
        "https:///no-host",
        "//example.org/no-scheme",
    ],
)
def test_only_web_links_become_hrefs(url: str) -> None:
    body = render_html(make_digest(("A", [make_paper("T", url=url)]))).body

    tags, _ = read_html(body)

    assert [a["href"] for tag, a in tags if tag == "a" and a["href"][:1] != "#"] == []
    assert "[1] T</h3>" in body
