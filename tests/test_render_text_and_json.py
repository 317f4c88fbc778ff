"""The plain-text alternative reads well; the JSON carries every documented field."""

from __future__ import annotations

import json
from datetime import datetime

from bot.compose.jsonout import render_json
from bot.compose.plaintext import render_text
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
    realistic_digest,
)

TOP_KEYS = {"generated_at", "title", "language", "paper_count", "notes", "sections"}
SECTION_KEYS = {"name", "anchor", "kind", "papers"}
PAPER_KEYS = {
    "number", "key", "title", "authors", "authors_truncated", "venue", "year",
    "arxiv_id", "arxiv_version", "doi", "url", "pdf_url", "abstract",
    "abstract_source", "summary", "summary_source", "alerts", "truncated_title",
    "categories", "comments", "notes", "tags", "summary_shown", "starred",
    "beyond_caps",
}  # fmt: skip
SUMMARY_KEYS = {"tldr", "motivation", "method", "result", "conclusion"}


def test_text_wraps_near_78_columns_but_keeps_urls_whole() -> None:
    long_url = "https://www.sciencedirect.com/science/article/pii/" + "S0" * 40
    paper = make_paper("Long Link", url=long_url, snippet="word " * 200)

    text = render_text(make_digest(("Grace Hopper", [paper])))

    assert f"\n    {long_url}\n" in text
    assert all(len(line) <= 78 for line in text.splitlines() if long_url not in line)


def test_text_has_underlined_sections_numbered_entries_and_every_field() -> None:
    paper = arxiv_paper(
        "Squeezing the KV Cache", "2601.15337", venue="MLSys", year=2026
    )

    text = render_text(make_digest(("cs.LG", [paper]), notes=("Quiet day.",)))

    assert text.startswith("Scholar digest\n==============\n2026-01-21 · 1 paper")
    assert "\nNote: Quiet day.\n" in text
    assert "\ncs.LG\n=====\n\n[1] Squeezing the KV Cache\n" in text
    assert "\n    https://arxiv.org/abs/2601.15337\n" in text
    assert "\n    https://arxiv.org/pdf/2601.15337\n" in text
    assert "\n    Ana Ruiz, Bo Chen, Chidi Okafor\n    MLSys, 2026\n" in text
    for label in ("TL;DR", "Motivation", "Method", "Result", "Conclusion"):
        assert f"\n    {label}: " in text
    assert "\n    Abstract: Serving large language models" in text
    assert "\n    Summary: extractive (from the abstract)\n" in text


def test_text_never_prints_a_non_web_link_or_control_characters() -> None:
    paper = injection_paper()
    digest = make_digest(("Ada \x1b[31mRed", [paper]))

    text = render_text(digest)

    assert f"[1] {SCRIPT_TITLE}" in text
    assert "\n    javascript:" not in text
    assert "\x1b" not in text


def test_text_keeps_japanese_and_papers_without_link_or_abstract() -> None:
    japanese = make_paper(JAPANESE_TITLE, snippet=JAPANESE_SNIPPET)
    lonely = make_paper("Lonely Title")

    text = render_text(make_digest(("論文", [japanese, lonely])))

    assert f"[1] {JAPANESE_TITLE}" in text
    assert "\n    Motivation, Conclusion: Not stated in the alert's snippet;" in text
    assert text.index("Motivation, Conclusion:") < text.index("Result: 実験")
    assert JAPANESE_SNIPPET in text
    assert "\n論文\n====\n" in text
    assert "[2] Lonely Title" in text
    assert "Abstract: not available (no abstract and no snippet)." in text


def test_json_has_exactly_the_documented_keys() -> None:
    document = json.loads(render_json(realistic_digest(12)))

    assert set(document) == TOP_KEYS
    assert document["paper_count"] == 12
    for section in document["sections"]:
        assert set(section) == SECTION_KEYS
        for paper in section["papers"]:
            assert set(paper) == PAPER_KEYS
            assert set(paper["summary"]) == SUMMARY_KEYS


def test_json_values_follow_the_entry() -> None:
    paper = arxiv_paper("Squeezing", "2601.15337", arxiv_version=2)
    digest = make_digest(("cs.LG", [paper]), alerts=("cs.LG", "Ada Lovelace"))

    document = json.loads(render_json(digest))
    section = document["sections"][0]
    entry = section["papers"][0]

    assert datetime.fromisoformat(document["generated_at"]).utcoffset() is not None
    assert (section["name"], section["anchor"], section["kind"]) == (
        "cs.LG",
        "cs.LG",
        "category",
    )
    assert entry["url"] == "https://arxiv.org/abs/2601.15337"
    assert entry["pdf_url"] == "https://arxiv.org/pdf/2601.15337"
    assert (entry["arxiv_id"], entry["arxiv_version"]) == ("2601.15337", 2)
    assert entry["abstract_source"] == "arxiv"
    assert entry["summary_source"] == "extractive (from the abstract)"
    assert entry["alerts"] == ["cs.LG", "Ada Lovelace"]
    assert entry["summary"]["method"].startswith("In this paper, we propose")


def test_json_keeps_text_raw_unicode_and_missing_values_null() -> None:
    japanese = make_paper(JAPANESE_TITLE, snippet=JAPANESE_SNIPPET)
    k28 = make_paper(K28_TITLE, title_truncated=True)

    raw = render_json(make_digest(("論文", [japanese, k28]), language="ja"))
    papers = json.loads(raw)["sections"][0]["papers"]

    assert JAPANESE_TITLE in raw and JAPANESE_SNIPPET in raw
    assert papers[0]["abstract"] == JAPANESE_SNIPPET
    assert papers[0]["abstract_source"] == "alert_snippet"
    assert papers[1]["title"] == K28_TITLE
    assert papers[1]["truncated_title"] is True
    assert (papers[1]["url"], papers[1]["pdf_url"], papers[1]["abstract"]) == (
        None,
        None,
        None,
    )
    assert papers[1]["abstract_source"] == "none"


def test_json_keeps_injection_text_as_data_and_drops_non_web_links() -> None:
    raw = render_json(make_digest(("Ada Lovelace", [injection_paper()])))
    entry = json.loads(raw)["sections"][0]["papers"][0]

    assert entry["title"] == SCRIPT_TITLE
    assert entry["authors"][0] == IMG_AUTHOR
    assert entry["url"] is None
    assert "javascript:alert(1)" not in raw.replace(LINK_SNIPPET, "")
