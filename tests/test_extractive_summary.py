"""The extractive summarizer quotes the right sentences and never invents."""

from __future__ import annotations

import re

from bot.compose.plaintext import render_text
from bot.models import AbstractSource
from bot.samples import sample_inbox
from bot.summarize.base import Summarizer, Summary
from bot.summarize.extractive import (
    NO_TEXT,
    NOT_IN_ABSTRACT,
    NOT_IN_SNIPPET,
    ExtractiveSummarizer,
    split_sentences,
    summarize_paper,
    trim_at_word,
    trim_tldr,
)
from tests.digest_factory import (
    JAPANESE_SNIPPET,
    KV_ABSTRACT,
    SNIPPET,
    make_digest,
    make_paper,
)
from tests.end_to_end import DigestRunner


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


def test_snippet_cut_mid_sentence_is_marked_and_its_tldr_drops_the_cut_clause() -> None:
    paper = make_paper(
        snippet="Query plans degrade when statistics go stale. We re-sample "
        "histograms during execution and cut planning errors by"
    )

    summary = summarize_paper(paper)

    assert summary.tldr == "We re-sample histograms during execution…"
    assert summary.motivation == "Query plans degrade when statistics go stale."
    assert summary.method.endswith("cut planning errors by …")
    assert summary.result == NOT_IN_SNIPPET


# The notes a field holds when the text gives it nothing to quote.
NOTES = {NOT_IN_ABSTRACT, NOT_IN_SNIPPET, NO_TEXT}
FIELDS = ("motivation", "method", "result", "conclusion")
# Words that leave a TL;DR hanging when it ends on them.
FUNCTION_WORDS = {"a", "an", "the", "and", "or", "of", "to", "with", "by", "for"}
FUNCTION_WORDS |= {"in", "on", "at", "whose", "which", "that", "while", "than"}

TUNER_ABSTRACT = (
    "Log-structured merge trees trade read latency for write throughput. "
    "Existing tuning advice assumes a static workload, which rarely holds in "
    "production. We present Tidal, a tuner that re-plans the merge policy every "
    "few minutes from sampled key statistics. On three production traces Tidal "
    "lowers the 99th-percentile read latency by 41% while keeping write "
    "amplification within 5% of the best static policy. Our results suggest "
    "that merge policies should follow the workload rather than be fixed at "
    "deployment."
)


def _quoted(summary: Summary) -> list[str]:
    """Every sentence the four fields quote, repeats included."""
    texts = [getattr(summary, name) for name in FIELDS]
    return [s for text in texts if text not in NOTES for s in split_sentences(text)]


def test_tldr_of_a_snippet_says_what_the_paper_does_not_why() -> None:
    paper = make_paper(
        snippet="Training recommendation models on shared GPU clusters wastes "
        "most of each step waiting for embedding lookups. We pipeline lookups "
        "for the next batch behind the current backward pass, reordering rows "
        "by predicted reuse, and hide up to"
    )

    summary = summarize_paper(paper)

    assert summary.tldr == (
        "We pipeline lookups for the next batch behind the current backward "
        "pass, reordering rows by predicted reuse…"
    )
    assert summary.motivation.startswith("Training recommendation models")
    assert summary.tldr != summary.motivation


def test_no_sentence_of_an_abstract_fills_two_fields() -> None:
    summary = summarize_paper(make_paper(abstract=TUNER_ABSTRACT))
    quoted = _quoted(summary)

    assert summary.tldr.startswith("We present Tidal")
    assert summary.motivation.startswith("Log-structured merge trees trade")
    assert summary.method.startswith("We present Tidal")
    assert summary.result.startswith("On three production traces")
    assert summary.conclusion.startswith("Our results suggest")
    assert len(quoted) == len(set(quoted)) == 5
    assert set(quoted) == set(split_sentences(TUNER_ABSTRACT))


def test_sentence_that_adds_and_shows_fills_method_only() -> None:
    paper = make_paper(
        snippet="Graph neural networks are usually trained full-batch, which "
        "exhausts device memory on large graphs. We sample subgraphs by "
        "historical gradient norm and show that training converges within"
    )

    summary = summarize_paper(paper)

    assert summary.method.startswith("We sample subgraphs")
    assert summary.result == NOT_IN_SNIPPET
    assert len(_quoted(summary)) == len(set(_quoted(summary))) == 2


def test_result_takes_its_own_sentence_when_method_has_another() -> None:
    paper = make_paper(
        abstract="Schema matchers need labelled pairs for every new domain. "
        "We propose Pairwise, a matcher trained on synthetic pairs. We evaluate "
        "Pairwise on five corpora and show that it improves F1 by 12 points."
    )

    summary = summarize_paper(paper)

    assert (
        summary.method == "We propose Pairwise, a matcher trained on synthetic pairs."
    )
    assert summary.result.startswith("We evaluate Pairwise on five corpora")


def test_problem_sentence_without_cue_words_is_the_motivation() -> None:
    paper = make_paper(
        snippet="Geo-replicated stores pay a wide-area round trip on every commit "
        "when quorums span regions. We place each key range's quorum near its "
        "writers from observed access locality, keeping commits local while"
    )

    summary = summarize_paper(paper)

    assert summary.motivation == (
        "Geo-replicated stores pay a wide-area round trip on every commit when "
        "quorums span regions."
    )
    assert summary.tldr.startswith("We place each key range's quorum")
    assert summary.method.endswith("keeping commits local while …")


def test_tldr_falling_back_to_a_problem_sentence_shows_it_as_motivation() -> None:
    paper = make_paper(
        snippet="Scholarly PDFs reach indexers through dozens of publisher "
        "pipelines. Each pipeline strips or rewrites metadata in its own way."
    )

    summary = summarize_paper(paper)

    assert summary.tldr == (
        "Scholarly PDFs reach indexers through dozens of publisher pipelines."
    )
    assert summary.motivation.startswith(summary.tldr)


def test_short_cut_japanese_fragment_fills_no_field() -> None:
    paper = make_paper(
        "要約の事実誤り検出",
        snippet="大規模言語モデルによる要約は原文にない事実を含むことが多い。"
        "本研究では、原文との含意関係を用いて誤りを検出し修正する手法を提案する。"
        "実験の結果、正解率が",
    )

    summary = summarize_paper(paper)

    assert summary.result == NOT_IN_SNIPPET
    assert all("正解率が" not in getattr(summary, name) for name in FIELDS)
    assert "正解率が" not in summary.tldr
    assert summary.method.startswith("本研究では、原文との含意関係")


def test_short_cut_english_fragment_fills_no_field() -> None:
    paper = make_paper(
        snippet="Cold starts dominate the latency of rarely used serverless "
        "functions. We snapshot initialised runtimes and restore them lazily "
        "from local disk. Median latency drops by"
    )

    summary = summarize_paper(paper)

    assert summary.result == NOT_IN_SNIPPET
    assert "drops by" not in " ".join(getattr(summary, name) for name in FIELDS)


def test_long_cut_sentence_fills_its_field_marked_as_cut() -> None:
    paper = make_paper(
        snippet="大規模言語モデルによる要約は原文にない事実を含むことが多い。"
        "本研究では、原文との含意関係を用いて誤りを検出し修正する手法を提案する。"
        "三つのデータセットで事実整合性が平均して大きく向上し、人手評価でも改善が"
        "確認され",
    )

    summary = summarize_paper(paper)

    assert summary.result == (
        "三つのデータセットで事実整合性が平均して大きく向上し、人手評価でも改善が"
        "確認され …"
    )


def test_long_tldr_ends_at_a_clause_boundary_not_on_a_function_word() -> None:
    paper = make_paper(
        abstract="Similarity joins over compressed columns usually decompress every "
        "block. We show that delta and dictionary encodings keep enough order to "
        "skip most blocks without decompressing them, and give a join whose work "
        "grows sublinearly in the number of blocks that hold candidates at all. "
        "The join reads under 10% of the data."
    )

    tldr = summarize_paper(paper).tldr

    assert tldr == (
        "We show that delta and dictionary encodings keep enough order to skip "
        "most blocks without decompressing them…"
    )


def test_tldr_without_commas_ends_before_a_conjunction_with_a_whole_word() -> None:
    sentence = (
        "We compare six persistent-memory index designs on two hardware "
        "generations under insert-heavy workloads and find that the fastest "
        "index after a crash is rarely the one that inserts fastest and that "
        "recovery time grows with the size of the volatile buffer it keeps"
    )

    tldr = trim_tldr(sentence)
    cut = trim_tldr(sentence[:130], cut=True)

    assert len(tldr) <= 200 and tldr.endswith("…")
    assert tldr[:-1].rsplit(" ", 1)[-1] not in FUNCTION_WORDS
    assert sentence.startswith(tldr[:-1])
    assert cut == (
        "We compare six persistent-memory index designs on two hardware "
        "generations under insert-heavy workloads…"
    )


def test_given_algorithm_is_method_and_shown_speedup_is_result() -> None:
    paper = make_paper(
        abstract="Exact top-k retrieval over learned sparse vectors scans long "
        "posting lists. We show that block maxima can be bounded from the index "
        "alone and give an algorithm that skips blocks below the current "
        "threshold. We show that it is 4.2× faster than MaxScore on MS MARCO."
    )

    summary = summarize_paper(paper)

    assert summary.method.startswith("We show that block maxima can be bounded")
    assert summary.result == (
        "We show that it is 4.2× faster than MaxScore on MS MARCO."
    )


def test_paper_without_text_keeps_its_title_and_says_so_once() -> None:
    paper = make_paper("Only a Title Survives")

    summary = summarize_paper(paper)
    text = render_text(make_digest(("Ada Lovelace", [paper])))

    assert summary.tldr == "Only a Title Survives"
    assert all(getattr(summary, name) == NO_TEXT for name in FIELDS)
    assert text.count("No text was available") == 1
    assert "Motivation, Method, Result, Conclusion: No text was available" in text


def test_sample_inbox_fields_never_repeat_and_tldrs_are_never_fragments(
    digest_runner: DigestRunner,
) -> None:
    run = digest_runner([message.raw for message in sample_inbox()])

    summaries = [paper["summary"] for paper in run.papers]

    assert len(summaries) == 14
    for summary in summaries:
        stated = [summary[name] for name in FIELDS if summary[name] not in NOTES]
        assert len(stated) == len(set(stated)), summary
        sentences = [s for text in stated for s in split_sentences(text)]
        assert len(sentences) == len(set(sentences)), summary
        assert summary["tldr"] != summary["motivation"], summary
        if not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", summary["tldr"]):
            words = summary["tldr"].rstrip("…. ").split()
            assert len(words) >= 6, summary
            assert words[-1].lower() not in FUNCTION_WORDS, summary
