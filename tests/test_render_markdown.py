"""The Markdown digest keeps the seed's shape and lets no email text become markup."""

from __future__ import annotations

import re

import markdown

from bot.compose.markdown import escape_md, render_markdown
from bot.models import AbstractSource
from bot.summarize.base import Summary
from tests.digest_factory import (
    IMG_AUTHOR,
    JAPANESE_SNIPPET,
    JAPANESE_TITLE,
    K28_TITLE,
    LINK_SNIPPET,
    SCRIPT_TITLE,
    arxiv_paper,
    injection_paper,
    make_digest,
    make_paper,
    read_html,
)


def _arxiv() -> str:
    digest = make_digest(
        ("Ada Lovelace", [arxiv_paper("Squeezing the KV Cache", "2601.15337")]),
        ("cs.DC", [arxiv_paper("Paged Attention Revisited", "2601.15370")]),
    )
    return render_markdown(digest)


def test_table_of_contents_and_sections_keep_the_seed_shape() -> None:
    text = _arxiv()

    assert "<div id=toc></div>\n\n# Table of Contents\n" in text
    assert "- [Ada Lovelace](#Ada-Lovelace) [Total: 1]" in text
    assert "- [cs.DC](#cs.DC) [Total: 1]" in text
    assert "<div id='Ada-Lovelace'></div>\n\n# Ada Lovelace [[Back]](#toc)" in text
    assert text.index("# Table of Contents") < text.index("<div id='cs.DC'>")


def test_arxiv_entry_links_the_abstract_page_and_the_pdf() -> None:
    text = _arxiv()

    assert (
        "### [1] [Squeezing the KV Cache](https://arxiv.org/abs/2601.15337)"
        " · [PDF](https://arxiv.org/pdf/2601.15337)\n*Ana Ruiz, Bo Chen, Chidi Okafor*"
    ) in text
    assert (
        "### [2] [Paged Attention Revisited](https://arxiv.org/abs/2601.15370)" in text
    )


def test_header_line_gives_date_count_and_summary_kind_before_the_toc() -> None:
    digest = make_digest(
        ("cs.LG", [arxiv_paper("One", "2601.00001")]),
        notes=("No arXiv mailing on Fridays.",),
    )

    text = render_markdown(digest)

    first_line = text.splitlines()[0]
    assert (
        first_line
        == "**Scholar digest** · 2026-01-21 · 1 paper · Summaries: extractive"
    )
    assert text.index("Note: No arXiv mailing on Fridays.") < text.index("<div id=toc>")


def test_mixed_summary_sources_are_counted_in_the_header() -> None:
    papers = [arxiv_paper("One", "2601.00001"), arxiv_paper("Two", "2601.00002")]
    llm = Summary("t", "m", "me", "r", "c", "llm gpt-4o-mini")

    text = render_markdown(
        make_digest(("cs.LG", papers), summaries={"arxiv:2601.00002": llm})
    )

    header = text.splitlines()[0]
    assert header.endswith("Summaries: extractive (1), llm gpt-4o-mini (1)")


def test_byline_venue_alerts_and_main_category_lines() -> None:
    paper = make_paper(
        "Learned Indexes",
        url="https://dl.acm.org/doi/10.1145/1",
        authors=["M Zaharia", "C Binnig"],
        authors_truncated=True,
        venue="SIGMOD",
        year=2026,
    )
    digest = make_digest(
        ("Matei Zaharia", [paper]), alerts=("Matei Zaharia", "Carsten Binnig")
    )

    text = render_markdown(digest)

    assert "*M Zaharia, C Binnig et al. (list cut in the alert)*" in text
    assert "\nSIGMOD, 2026\n" in text
    assert "\nAlerts: Matei Zaharia; Carsten Binnig\n" in text
    assert "\nSection: Matei Zaharia\n" in text
    assert "[PDF]" not in text


def test_details_block_holds_every_field_and_says_where_the_abstract_came_from() -> (
    None
):
    paper = make_paper(
        "Adaptive Routing for",
        title_truncated=True,
        url="https://example.org/p",
        snippet="Routers are costly to tune by hand …",
    )

    text = render_markdown(make_digest(("Grace Hopper", [paper])))
    details = text[text.index("<details>") : text.index("</details>")]

    assert "### [1] [Adaptive Routing for…](https://example.org/p)" in text
    assert "  <summary>Details</summary>\n\n" in details
    # Fields with the same text share one line: "Method, Result, Conclusion:".
    assert "\nMotivation: Routers are costly" in details
    assert "\nMethod, Result, Conclusion: Not stated" in details
    assert (
        "Abstract (alert snippet, cut by Google Scholar): "
        "Routers are costly to tune by hand …"
    ) in details
    assert "Summary: extractive (from the alert snippet)" in details
    assert "Title cut in the alert." in details


def test_injection_attempts_stay_inert_text() -> None:
    text = render_markdown(make_digest(("Ada Lovelace", [injection_paper()])))
    tags, shown = read_html(markdown.markdown(text))

    assert "<script" not in text and "<img" not in text
    assert "\\[click\\](javascript:alert(1))" in text
    assert "### [1] &lt;script&gt;alert(1)&lt;/script&gt; Attention" in text
    assert {tag for tag, _ in tags} <= {
        "p",
        "div",
        "h1",
        "h3",
        "ul",
        "li",
        "a",
        "strong",
        "em",
        "details",
        "summary",
    }
    hrefs = [attrs["href"] for tag, attrs in tags if tag == "a"]
    assert all(href.startswith("#") for href in hrefs)
    assert SCRIPT_TITLE in shown
    assert IMG_AUTHOR in shown
    assert LINK_SNIPPET in shown
    assert "A *Bold* _Name_" in shown


def test_k28_title_escapes_markdown_specials_and_keeps_dollars_literal() -> None:
    paper = make_paper(
        K28_TITLE,
        url="https://example.org/k28",
        abstract="The deal was worth $391M, or about 5% of the market.",
        abstract_source=AbstractSource.OPENALEX,
    )

    text = render_markdown(make_digest(("Physics", [paper])))

    assert (
        "[Spin & charge order in La$\\_{2-x}$Sr$\\_x$CuO$\\_4$: "
        "a L\\\\'evy-flight view](https://example.org/k28)"
    ) in text
    assert "Abstract (from OpenAlex): The deal was worth $391M" in text
    assert "&amp;" not in text


def test_escape_md_neutralises_line_starts_and_entities() -> None:
    assert escape_md("- not a list", line_start=True) == "\\- not a list"
    assert escape_md("2026. A year", line_start=True) == "2026\\. A year"
    assert escape_md("2026. A year") == "2026. A year"
    assert escape_md("&lt;b&gt; & co") == "&amp;lt;b&amp;gt; & co"
    assert escape_md("a|b `c` ~~d~~") == "a\\|b \\`c\\` \\~\\~d\\~\\~"


def test_japanese_text_is_kept_exactly() -> None:
    paper = make_paper(
        JAPANESE_TITLE, snippet=JAPANESE_SNIPPET, venue="人工知能学会論文誌"
    )

    text = render_markdown(make_digest(("論文アラート", [paper])))

    assert f"### [1] {JAPANESE_TITLE}\n" in text
    assert JAPANESE_SNIPPET in text
    assert "人工知能学会論文誌" in text
    assert "- [論文アラート](#論文アラート) [Total: 1]" in text


def test_paper_without_link_or_abstract_gets_a_plain_heading() -> None:
    text = render_markdown(make_digest(("Ada Lovelace", [make_paper("Lonely Title")])))

    assert "### [1] Lonely Title\n" in text
    assert "Abstract: not available (no abstract and no snippet)." in text
    assert "Summary: extractive (no text available)" in text


def test_anchors_are_unique_and_free_of_spaces_and_quotes() -> None:
    names = ['"retrieval augmented generation"', "Ada Lovelace", "Ada  Lovelace", "toc"]
    digest = make_digest(*((name, [make_paper(name)]) for name in names))

    anchors = re.findall(r"<div id='([^']*)'></div>", render_markdown(digest))

    assert anchors == [
        "retrieval-augmented-generation",
        "Ada-Lovelace",
        "Ada-Lovelace-2",
        "toc-2",
    ]
