"""Rules shape the digest: Highlights, rule sections, priority, tags, caps."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import markdown

from bot.compose.build import build_digest
from bot.compose.html import render_html
from bot.compose.jsonout import render_json
from bot.compose.markdown import render_markdown
from bot.compose.model import Digest, SectionKind
from bot.compose.plaintext import render_text
from bot.compose.plan import EntryPlan
from bot.deliver.files import write_digest_files
from bot.models import PaperRecord, SourceKind
from bot.store.papers import StoredPaper
from bot.summarize.base import Summary
from bot.summarize.extractive import summarize_paper
from tests.digest_factory import WHEN, arxiv_paper, make_paper, read_html

_ROW_IDS = itertools.count(1)


def stored(paper: PaperRecord, alert: str, *, listing: bool = False) -> StoredPaper:
    """``paper`` as the store hands it over, first carried by ``alert``."""
    kind = SourceKind.ARXIV_LISTING if listing else SourceKind.SCHOLAR
    return StoredPaper(
        row_id=next(_ROW_IDS),
        record=paper,
        alert_names=(alert,),
        first_alert_name=alert,
        first_source_kind=kind.value,
        first_seen="2026-01-21T06:00:00+00:00",
        first_position=0,
    )


def inbox(*alerts: tuple[str, Sequence[str]]) -> list[StoredPaper]:
    """Papers titled as given, in arrival order, each under its alert."""
    return [
        stored(make_paper(title), alert) for alert, titles in alerts for title in titles
    ]


def build(
    papers: Sequence[StoredPaper],
    plans: Mapping[str, EntryPlan] | None = None,
    summaries: Mapping[str, Summary] | None = None,
    **options: Any,
) -> Digest:
    if summaries is None:
        summaries = {p.record.key: summarize_paper(p.record) for p in papers}
    return build_digest(
        papers,
        summaries,
        title="Scholar digest",
        generated_at=WHEN,
        language="en",
        plans=plans,
        **options,
    )


def plan_for(
    papers: Sequence[StoredPaper], title: str, **fields: Any
) -> dict[str, EntryPlan]:
    """A plan for the paper titled ``title``."""
    (paper,) = [p for p in papers if p.record.title == title]
    return {paper.record.key: EntryPlan(**fields)}


def layout(digest: Digest) -> list[tuple[str, list[tuple[int, str]]]]:
    """Section names with their entries' numbers and titles, in order."""
    return [
        (s.name, [(e.number, e.paper.title) for e in s.entries])
        for s in digest.sections
    ]


def html_text(digest: Digest) -> str:
    return read_html(render_html(digest).body)[1]


def test_starred_paper_opens_the_digest_in_highlights() -> None:
    papers = inbox(("Ada Lovelace", ["A1", "A2"]), ("Grace Hopper", ["G1"]))
    plans = plan_for(papers, "G1", star=True, section="Elsewhere")

    digest = build(papers, plans)

    assert layout(digest) == [
        ("Highlights", [(1, "G1")]),
        ("Ada Lovelace", [(2, "A1"), (3, "A2")]),
    ]
    highlights = digest.sections[0]
    assert highlights.kind == SectionKind.HIGHLIGHTS
    assert highlights.entries[0].starred
    for rendered in (render_markdown(digest), render_text(digest), html_text(digest)):
        assert rendered.index("Highlights") < rendered.index("Ada Lovelace")
    section = json.loads(render_json(digest))["sections"][0]
    assert (section["name"], section["kind"]) == ("Highlights", "highlights")
    assert section["papers"][0]["starred"] is True


def test_highlights_title_can_be_renamed() -> None:
    papers = inbox(("Ada Lovelace", ["A1"]))
    digest = build_digest(
        papers,
        {p.record.key: summarize_paper(p.record) for p in papers},
        title="Scholar digest",
        generated_at=WHEN,
        language="en",
        plans=plan_for(papers, "A1", star=True),
        highlights_title="Lire d'abord",
    )

    assert layout(digest) == [("Lire d'abord", [(1, "A1")])]


def test_rule_section_is_created_once_and_shared() -> None:
    papers = inbox(("Ada Lovelace", ["A1", "A2"]), ("Grace Hopper", ["G1", "G2"]))
    plans = {
        **plan_for(papers, "A2", section="Must read"),
        **plan_for(papers, "G2", section="Must read"),
    }

    digest = build(papers, plans)

    assert layout(digest) == [
        ("Ada Lovelace", [(1, "A1")]),
        ("Must read", [(2, "A2"), (3, "G2")]),
        ("Grace Hopper", [(4, "G1")]),
    ]
    assert digest.sections[1].kind == SectionKind.RULE
    assert digest.sections[1].anchor == "Must-read"


def test_rule_section_named_like_an_alert_section_merges_into_it() -> None:
    papers = inbox(("Grace Hopper", ["G1", "G2"]), ("Ada Lovelace", ["A1"]))
    listed = arxiv_paper("L1", "2601.00001", categories=["cs.LG"])
    papers.append(stored(listed, "arXiv cs", listing=True))
    plans = {
        **plan_for(papers, "G1", section="ada lovelace"),
        **plan_for(papers, "G2", section="cs.LG"),
    }

    digest = build(papers, plans)

    assert layout(digest) == [
        ("Ada Lovelace", [(1, "G1"), (2, "A1")]),
        ("cs.LG", [(3, "G2"), (4, "L1")]),
    ]
    assert [s.kind for s in digest.sections] == [
        SectionKind.ALERT,
        SectionKind.CATEGORY,
    ]


def test_higher_priority_comes_first_and_ties_keep_arrival_order() -> None:
    papers = inbox(("Ada Lovelace", ["P0", "P5", "Q0", "P9", "Q5", "N1"]))
    plans = {
        **plan_for(papers, "P5", priority=5),
        **plan_for(papers, "Q5", priority=5),
        **plan_for(papers, "P9", priority=9),
        **plan_for(papers, "N1", priority=-1),
    }

    digest = build(papers, plans)

    titles = ["P9", "P5", "Q5", "P0", "Q0", "N1"]
    assert layout(digest) == [("Ada Lovelace", list(enumerate(titles, start=1)))]
    assert "[1] P9" in render_text(digest) and "[6] N1" in html_text(digest)


HOSTILE_TAGS = ("<b>co-author</b>", "R&D", "*must* [read](javascript:x)")


def test_tags_are_escaped_exactly_once_in_html_and_markdown() -> None:
    papers = inbox(("Ada Lovelace", ["A1"]))
    digest = build(papers, plan_for(papers, "A1", tags=HOSTILE_TAGS))

    body = render_html(digest).body
    tags, shown = read_html(body)
    assert "&lt;b&gt;co-author&lt;/b&gt;" in body and "R&amp;D" in body
    assert "&amp;amp;" not in body and "&amp;lt;" not in body
    assert "b" not in {tag for tag, _ in tags}
    assert not [a for tag, a in tags if tag == "a" and "javascript" in a["href"]]
    assert all(tag in shown for tag in HOSTILE_TAGS)

    text = render_markdown(digest)
    assert "Tags: &lt;b&gt;co-author&lt;/b&gt;, R&D, \\*must\\* \\[read\\]" in text
    md_tags, md_shown = read_html(markdown.markdown(text))
    assert not {"b", "em"} & {tag for tag, _ in md_tags}
    assert all(a["href"].startswith("#") for tag, a in md_tags if tag == "a")
    assert f"Tags: {', '.join(HOSTILE_TAGS)}" in md_shown

    assert f"\n    Tags: {', '.join(HOSTILE_TAGS)}\n" in render_text(digest)
    entry = json.loads(render_json(digest))["sections"][0]["papers"][0]
    assert entry["tags"] == list(HOSTILE_TAGS)


def test_skipped_summary_is_left_out_of_every_format() -> None:
    papers = inbox(("Ada Lovelace", ["A1", "A2"]))
    plans = plan_for(papers, "A2", summary=False)
    first = papers[0].record.key
    # The skipped paper need not be summarized at all.
    digest = build(papers, plans, summaries={first: summarize_paper(papers[0].record)})

    html_shown = html_text(digest)
    text = render_text(digest)
    md = render_markdown(digest)
    for rendered in (html_shown, text, md):
        skipped = rendered[rendered.index("A2") :]
        assert rendered.count("TL;DR:") == 1 and "TL;DR:" not in skipped
        assert "Summary skipped by your rules." in skipped
        assert "Summary: " not in skipped
        assert "Abstract: not available" in skipped
    assert "Summaries: extractive" in html_shown
    entries = json.loads(render_json(digest))["sections"][0]["papers"]
    assert [e["summary_shown"] for e in entries] == [True, False]
    assert entries[1]["summary"] is None and entries[1]["summary_source"] is None


def capped_inbox() -> list[StoredPaper]:
    return inbox(
        ("Ada Lovelace", ["A1", "A2", "A3", "A4", "A5"]),
        ("Grace Hopper", ["G1", "G2"]),
    )


def test_per_section_cap_cuts_the_bodies_with_a_more_line(tmp_path: Path) -> None:
    digest = build(capped_inbox(), max_per_section=3)

    written = write_digest_files(digest, tmp_path, html_max_bytes=95_000)

    html_shown = read_html(written.html.read_text())[1]
    text = written.text.read_text()
    for body in (html_shown, text):
        assert "[3] A3" in body and "A4" not in body and "A5" not in body
        assert "[6] G1" in body and "[7] G2" in body
        assert "Ada Lovelace (5, 3 shown)" in body
        assert "Grace Hopper (2)" in body
        assert (
            "2 more papers in this section are not shown here; "
            "the full digest has them." in " ".join(body.split())
        )
        assert "5 of 7 papers are shown here" in " ".join(body.split())
    assert text.index("2 more papers") < text.index("Grace Hopper\n=")

    md = written.markdown.read_text()
    assert all(f"] {title}" in md for title in ("A4", "A5"))
    assert "[Total: 5]" in md and "shown" not in md
    papers = [
        p for s in json.loads(written.json.read_text())["sections"] for p in s["papers"]
    ]
    assert [p["beyond_caps"] for p in papers] == [False] * 3 + [True] * 2 + [False] * 2

    assert written.full_html is not None
    full_shown = read_html(written.full_html.read_text())[1]
    assert all(f"[{n}] " in full_shown for n in range(1, 8))
    assert "not shown here" not in full_shown and "Ada Lovelace (5)" in full_shown


def test_total_cap_keeps_the_first_papers_and_names_every_cut() -> None:
    papers = inbox(("Ada Lovelace", ["A1", "A2"]), ("Grace Hopper", ["G1", "G2"]))
    papers += inbox(("Linus", ["L1"]))
    plans = plan_for(papers, "L1", star=True)

    digest = build(papers, plans, max_total=3)

    text = " ".join(render_text(digest).split())
    html_shown = " ".join(html_text(digest).split())
    for body in (text, html_shown):
        assert "[1] L1" in body and "[2] A1" in body and "[3] A2" in body
        assert "G1" not in body and "G2" not in body
        assert "Grace Hopper (2, 0 shown)" in body
        assert "2 more papers in this section are not shown here" in body
        assert "3 of 5 papers are shown here" in body


def test_single_paper_cut_is_worded_in_the_singular() -> None:
    digest = build(inbox(("Ada Lovelace", ["A1", "A2"])), max_per_section=1)

    assert (
        "1 more paper in this section is not shown here; the full digest has it."
        in (" ".join(render_text(digest).split()))
    )


def test_caps_and_size_budget_cut_together_and_full_stays_complete() -> None:
    papers = inbox(("Ada Lovelace", [f"Paper {n}" for n in range(1, 41)]))
    digest = build(papers, max_per_section=30)

    rendered = render_html(digest, max_bytes=20_000)

    assert rendered.level != "full"
    assert rendered.full is not None
    shown = read_html(rendered.body)[1]
    assert "[30] Paper 30" in shown and "[31] " not in shown
    assert "10 more papers in this section" in shown
    assert "The full details are in digest.full.html" in shown
    full = read_html(rendered.full)[1]
    assert "[40] Paper 40" in full and "not shown here" not in full


def test_caps_that_cut_nothing_change_nothing() -> None:
    papers = capped_inbox()
    assert build(papers, max_per_section=5, max_total=7) == build(papers)
    assert render_html(build(papers, max_total=7)).full is None


def test_without_plans_or_caps_the_digest_is_as_before(tmp_path: Path) -> None:
    papers = capped_inbox()
    plain_plans = {p.record.key: EntryPlan() for p in papers}

    digest = build(papers)

    assert build(papers, plain_plans) == digest
    assert [(s.name, s.kind) for s in digest.sections] == [
        ("Ada Lovelace", SectionKind.ALERT),
        ("Grace Hopper", SectionKind.ALERT),
    ]
    assert not digest.capped
    written = write_digest_files(digest, tmp_path, html_max_bytes=95_000)
    assert written.full_html is None
    for path in (written.html, written.text, written.markdown):
        content = path.read_text()
        assert "shown" not in content and "Tags:" not in content
        assert "skipped by your rules" not in content
