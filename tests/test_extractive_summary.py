"""The extractive summarizer quotes the right sentences and never invents."""

from __future__ import annotations

from bot.models import AbstractSource
from bot.summarize.base import Summarizer
from bot.summarize.extractive import (
    NO_TEXT,
    NOT_IN_ABSTRACT,
    NOT_IN_SNIPPET,
    ExtractiveSummarizer,
    split_sentences,
    summarize_paper,
    trim_at_word,
)
from tests.digest_factory import JAPANESE_SNIPPET, KV_ABSTRACT, SNIPPET, make_paper


def test_sentences_of_a_real_shaped_abstract_land_in_their_fields() -> None:
    paper = make_paper(abstract=KV_ABSTRACT, abstract_source=AbstractSource.ARXIV)

    summary = summarize_paper(paper)

    assert summary.motivation.startswith("Serving large language models")
    assert "However, existing cache compression methods suffer" in summary.motivation
    assert summary.method.startswith("In this paper, we propose SqueezeKV")
    assert summary.result.startswith("On four benchmarks SqueezeKV is 3.4× faster")
    assert summary.conclusion.startswith("Our results suggest")
    assert summary.tldr == summary.method
    assert summary.source == "extractive (from the abstract)"


def test_abbreviations_decimals_and_cjk_stops_split_correctly() -> None:
    sentences = split_sentences(
        "Costs grow, e.g. with context, as Smith et al. found (see Fig. 2). "
        "It is 3.4× faster and 12.5% smaller. J. Doe agrees. "
        "本研究では手法を提案する。精度が向上した。"
    )

    assert sentences == [
        "Costs grow, e.g. with context, as Smith et al. found (see Fig. 2).",
        "It is 3.4× faster and 12.5% smaller.",
        "J. Doe agrees.",
        "本研究では手法を提案する。",
        "精度が向上した。",
    ]


def test_tldr_without_a_contribution_is_the_first_sentence_cut_at_a_word() -> None:
    first = "Graph workloads " + "keep growing in size and irregularity " * 8
    paper = make_paper(abstract=f"{first.strip()}. They matter.")

    tldr = summarize_paper(paper).tldr

    assert len(tldr) <= 200
    assert tldr.endswith("…")
    assert first.startswith(tldr[:-1])
    assert tldr[-2] != " " and first[len(tldr) - 1] == " "


def test_text_without_spaces_is_cut_at_a_character() -> None:
    text = "提案" * 150

    assert trim_at_word(text) == text[:199] + "…"


def test_snippet_only_summary_says_so_and_invents_no_method_or_result() -> None:
    paper = make_paper(snippet=SNIPPET)

    summary = summarize_paper(paper)

    assert summary.source == "extractive (from the alert snippet)"
    assert summary.method == NOT_IN_SNIPPET
    assert summary.result == NOT_IN_SNIPPET
    # The cut last sentence is never passed off as a conclusion.
    assert summary.conclusion == NOT_IN_SNIPPET
    assert summary.motivation == SNIPPET
    assert summary.tldr.startswith("Existing invasive fingerprints")


def test_abstract_marked_as_snippet_is_summarized_as_a_snippet() -> None:
    paper = make_paper(abstract=SNIPPET, abstract_source=AbstractSource.SNIPPET)

    assert summarize_paper(paper).source == "extractive (from the alert snippet)"


def test_paper_without_any_text_says_so_in_every_field() -> None:
    paper = make_paper("Only a Title Survives")

    summary = summarize_paper(paper)

    assert summary.tldr == "Only a Title Survives"
    assert {summary.motivation, summary.method, summary.result} == {NO_TEXT}
    assert summary.conclusion == NO_TEXT
    assert summary.source == "extractive (no text available)"


def test_fields_without_a_matching_sentence_say_not_stated() -> None:
    paper = make_paper(abstract="We propose a new hash table layout.")

    summary = summarize_paper(paper)

    assert summary.method == "We propose a new hash table layout."
    assert summary.motivation == NOT_IN_ABSTRACT
    assert summary.result == NOT_IN_ABSTRACT
    assert summary.conclusion == NOT_IN_ABSTRACT


def test_last_unused_sentence_stands_in_for_a_missing_conclusion() -> None:
    paper = make_paper(
        abstract="We introduce a planner. The planner runs inside the optimizer. "
        "It is released as open source."
    )

    assert summarize_paper(paper).conclusion == "It is released as open source."


def test_every_field_quotes_the_abstract_or_says_not_stated() -> None:
    paper = make_paper(abstract=KV_ABSTRACT)
    sentences = split_sentences(KV_ABSTRACT)

    summary = summarize_paper(paper)

    for text in (summary.motivation, summary.method, summary.result):
        quoted = split_sentences(text)
        assert quoted and all(sentence in sentences for sentence in quoted)
    assert summary.tldr in sentences


def test_summarize_all_keys_by_paper_and_keeps_the_paper_language() -> None:
    summarizer: Summarizer = ExtractiveSummarizer()
    japanese = make_paper("論文", snippet=JAPANESE_SNIPPET)
    english = make_paper("Paper", abstract=KV_ABSTRACT)

    summaries = summarizer.summarize_all([japanese, english], "en")

    assert summarizer.name == "extractive"
    assert set(summaries) == {japanese.key, english.key}
    assert (
        summaries[japanese.key].method
        == "本研究では、大規模言語モデルを用いた論文推薦手法を提案する。"
    )
    assert summaries[japanese.key].result == "実験の結果、推薦精度が12%向上した。"


def test_a_plain_we_verb_sentence_is_the_method_and_the_tldr() -> None:
    paper = make_paper(
        abstract="Hash joins spill to disk when memory runs short, which stalls "
        "queries. We partition build sides by predicted size and spill only cold "
        "partitions. On a decision-support benchmark the spilled volume drops by 60%."
    )

    summary = summarize_paper(paper)

    assert summary.method.startswith("We partition build sides")
    assert summary.tldr == summary.method
    assert summary.motivation.startswith("Hash joins spill to disk")
    assert summary.result.startswith("On a decision-support benchmark")
    assert summary.conclusion == NOT_IN_ABSTRACT


def test_snippet_cut_mid_sentence_is_marked_and_never_the_tldr() -> None:
    paper = make_paper(
        snippet="Query plans degrade when statistics go stale. We re-sample "
        "histograms during execution and cut planning errors by"
    )

    summary = summarize_paper(paper)

    assert summary.tldr == "Query plans degrade when statistics go stale."
    assert summary.method.endswith("cut planning errors by …")
    assert summary.result == NOT_IN_SNIPPET
