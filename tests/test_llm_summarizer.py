"""Model summaries through litellm, against a real OpenAI-style server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.jobs import make_digest
from bot.models import AbstractSource, PaperRecord
from bot.rules.settings import DigestSettings
from bot.store.db import transaction
from bot.store.papers import upsert_paper
from bot.store.summaries import SummaryKey, store_summary
from bot.summarize.base import Summary
from bot.summarize.extractive import ExtractiveSummarizer
from bot.summarize.llm import LlmSummarizer, summarizer_for
from bot.summarize.prompt import FIELDS, PROMPT_VERSION
from bot.text import normalize_title
from tests.stubs.llm_stub import (
    LlmStub,
    SeenCall,
    StubReply,
    dead_api_base,
    rate_limited,
    unauthorized,
)
from tests.support import ROOT

# litellm reads this when first imported: no price-list download in tests.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

MODEL = "openai/stub-model"
API_KEY = "test-key"
LLM_SOURCE = f"llm {MODEL} (from the abstract)"
CALL_LOG = "bot.summarize.llm_client"
ABSTRACT = (
    "Existing schedulers leave accelerators idle while waiting for data. We "
    "propose a scheduler that overlaps loading with compute. It cuts training "
    "time by 23% on four benchmarks. Overlap is a cheap win for most jobs."
)
_TITLE_LINE = re.compile(r"^Title: (.+)$", re.MULTILINE)


def fields_for(title: str) -> dict[str, str]:
    """Five fields that each name the paper they were written for."""
    return {name: f"{name} of {title}." for name in FIELDS}


def title_of(call: SeenCall) -> str:
    """The paper title the request asks about."""
    found = _TITLE_LINE.search(call.prompt)
    assert found, call.prompt
    return found.group(1)


def answering(
    content: Callable[[str], str] = lambda title: json.dumps(fields_for(title)),
    **reply: Any,
) -> Callable[[SeenCall], StubReply]:
    """A responder that writes each answer from the title in the prompt."""
    return lambda call: StubReply(content=content(title_of(call)), **reply)


def make_papers(count: int, *, prefix: str = "Paper") -> list[PaperRecord]:
    """Papers with distinct titles and a full abstract each."""
    papers = []
    for number in range(1, count + 1):
        title = f"{prefix} {number} on overlapping data loading"
        papers.append(
            PaperRecord(
                key=f"arxiv:2601.{number:05d}",
                title=title,
                title_norm=normalize_title(title),
                authors=["Ana Ruiz", "Bo Chen"],
                arxiv_id=f"2601.{number:05d}",
                abstract=ABSTRACT,
                abstract_source=AbstractSource.ARXIV,
            )
        )
    return papers


def stored(conn: sqlite3.Connection, papers: list[PaperRecord]) -> list[PaperRecord]:
    with transaction(conn):
        for paper in papers:
            upsert_paper(conn, paper)
    return papers


def summarizer(
    conn: sqlite3.Connection, api_base: str, **overrides: Any
) -> LlmSummarizer:
    options: dict[str, Any] = {
        "model": MODEL,
        "api_base": api_base,
        "api_key": API_KEY,
        "concurrency": 4,
        "timeout": 10.0,
        "daily_papers": 300,
        "daily_spend_usd": 2.0,
        "fallback": ExtractiveSummarizer(),
    }
    options.update(overrides)
    return LlmSummarizer(conn, **options)


def sources(summaries: dict[str, Summary]) -> list[str]:
    return [summary.source for summary in summaries.values()]


def call_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The INFO line logged for each model call."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == CALL_LOG and record.levelno == logging.INFO
    ]


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# Plain answers, each summarized by the model, each attached to its paper.


def test_each_paper_gets_a_model_summary_from_its_own_prompt(
    conn: sqlite3.Connection,
) -> None:
    papers = stored(conn, make_papers(3))
    with LlmStub(answering()) as stub:
        summaries = summarizer(conn, stub.api_base).summarize_all(papers, "en")

    assert sources(summaries) == [LLM_SOURCE] * 3
    for paper in papers:
        assert summaries[paper.key].tldr == f"tldr of {paper.title}."
    assert sorted(title_of(call) for call in stub.requests) == sorted(
        paper.title for paper in papers
    )
    for call in stub.requests:
        assert call.body["model"] == "stub-model"
        assert call.body["response_format"] == {"type": "json_object"}
        assert "Abstract: " + ABSTRACT in call.prompt
        assert "English" in call.prompt


def test_answers_arriving_out_of_order_attach_to_the_right_papers(
    conn: sqlite3.Connection,
) -> None:
    papers = stored(conn, make_papers(6))

    def slower_first(call: SeenCall) -> StubReply:
        title = title_of(call)
        number = int(title.split()[1])
        return StubReply(
            content=json.dumps(fields_for(title)), latency=0.1 * (7 - number)
        )

    with LlmStub(slower_first) as stub:
        summaries = summarizer(conn, stub.api_base, concurrency=6).summarize_all(
            papers, "en"
        )

    for paper in papers:
        assert summaries[paper.key].method == f"method of {paper.title}."
    assert list(summaries) == [paper.key for paper in papers]


def test_concurrent_calls_never_exceed_the_limit(conn: sqlite3.Connection) -> None:
    papers = stored(conn, make_papers(12))
    with LlmStub(answering(latency=0.15)) as stub:
        summarizer(conn, stub.api_base, concurrency=3).summarize_all(papers, "en")

    assert len(stub.requests) == 12
    assert stub.max_in_flight == 3


# Case K24: answers that are not plain JSON, and providers without JSON mode.


def test_refused_json_mode_is_retried_without_it_and_remembered(
    conn: sqlite3.Connection,
) -> None:
    papers = stored(conn, make_papers(3))
    with LlmStub(answering(), refuse_json_mode=True) as stub:
        summaries = summarizer(conn, stub.api_base, concurrency=1).summarize_all(
            papers, "en"
        )

    assert sources(summaries) == [LLM_SOURCE] * 3
    assert [call.json_mode for call in stub.requests] == [True, False, False, False]
    assert title_of(stub.requests[0]) == title_of(stub.requests[1])


def _fenced(title: str) -> str:
    return "```json\n" + json.dumps(fields_for(title), indent=2) + "\n```"


def _prose_first(title: str) -> str:
    return "Sure! Here is the summary you asked for:\n" + json.dumps(fields_for(title))


def _list_field(title: str) -> str:
    fields: dict[str, Any] = fields_for(title)
    fields["result"] = ["Training is 23% faster.", "Memory use is unchanged."]
    return json.dumps(fields)


def _backticks_inside(title: str) -> str:
    fields = fields_for(title)
    fields["method"] = "They wrap loaders in ``` fences ``` and overlap them."
    return "```\n" + json.dumps(fields) + "\n```"


def _thinking_first(title: str) -> str:
    draft = json.dumps({"tldr": "a first draft"})
    return f"<think>Draft: {draft}. Now the real one.</think>\n" + json.dumps(
        fields_for(title)
    )


@pytest.mark.parametrize(
    "content",
    [_fenced, _prose_first, _list_field, _backticks_inside, _thinking_first],
    ids=["code-fence", "prose-before", "list-field", "backticks-in-string", "think"],
)
def test_answers_around_the_json_are_read_in_one_call(
    conn: sqlite3.Connection, content: Callable[[str], str]
) -> None:
    papers = stored(conn, make_papers(1))
    with LlmStub(answering(content)) as stub:
        summary = summarizer(conn, stub.api_base).summarize_all(papers, "en")

    only = summary[papers[0].key]
    assert len(stub.requests) == 1
    assert only.source == LLM_SOURCE
    assert only.tldr == f"tldr of {papers[0].title}."
    assert "`" not in only.method
    if content is _list_field:
        assert only.result == "Training is 23% faster. Memory use is unchanged."
    if content is _backticks_inside:
        assert only.method.endswith("and overlap them.")


def test_reasoning_model_answering_in_its_reasoning_field(
    conn: sqlite3.Connection,
) -> None:
    papers = stored(conn, make_papers(1))

    def reasoner(call: SeenCall) -> StubReply:
        answer = json.dumps(fields_for(title_of(call)))
        return StubReply(content="", reasoning=f"Let me think. Final: {answer}")

    with LlmStub(reasoner) as stub:
        summaries = summarizer(conn, stub.api_base).summarize_all(papers, "en")

    assert len(stub.requests) == 1
    assert summaries[papers[0].key].conclusion == (f"conclusion of {papers[0].title}.")


def _without_conclusion(title: str) -> str:
    fields = fields_for(title)
    del fields["conclusion"]
    return json.dumps(fields)


def test_missing_field_gets_one_corrective_call(conn: sqlite3.Connection) -> None:
    papers = stored(conn, make_papers(1))
    with LlmStub(answering()) as stub:
        stub.fail_next(StubReply(content=_without_conclusion(papers[0].title)))
        summaries = summarizer(conn, stub.api_base).summarize_all(papers, "en")

    assert summaries[papers[0].key].source == LLM_SOURCE
    assert len(stub.requests) == 2
    first, second = (call.body["messages"] for call in stub.requests)
    assert second[: len(first)] == first
    bad, correction = second[len(first) :]
    assert bad == {
        "role": "assistant",
        "content": _without_conclusion(papers[0].title),
    }
    assert correction["role"] == "user"
    assert "missing field: conclusion" in correction["content"]


def test_answer_still_malformed_falls_back_marked_and_others_go_on(
    conn: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    papers = stored(conn, make_papers(2))
    broken = papers[0].title

    def one_broken(call: SeenCall) -> StubReply:
        title = title_of(call)
        if title == broken:
            return StubReply(content=_without_conclusion(title))
        return StubReply(content=json.dumps(fields_for(title)))

    with caplog.at_level(logging.INFO), LlmStub(one_broken) as stub:
        summaries = summarizer(conn, stub.api_base).summarize_all(papers, "en")

    assert summaries[papers[0].key].source == (
        "extractive (fallback after a malformed model answer; from the abstract)"
    )
    assert summaries[papers[1].key].source == LLM_SOURCE
    assert [title_of(call) for call in stub.requests].count(broken) == 2
    assert len(stub.requests) == 3
    assert any("still unusable" in line for line in warnings(caplog))


def test_a_failed_call_costs_only_its_own_paper(conn: sqlite3.Connection) -> None:
    papers = stored(conn, make_papers(3))
    with LlmStub(answering()) as stub:
        stub.fail_next(StubReply(status=500, error="upstream exploded"))
        summaries = summarizer(conn, stub.api_base, concurrency=1).summarize_all(
            papers, "en"
        )

    assert sources(summaries) == [
        "extractive (fallback after a failed model call; from the abstract)",
        LLM_SOURCE,
        LLM_SOURCE,
    ]
    assert len(stub.requests) == 3


def test_a_timed_out_call_falls_back_for_that_paper(
    conn: sqlite3.Connection,
) -> None:
    papers = stored(conn, make_papers(2))
    with LlmStub(answering()) as stub:
        stub.fail_next(StubReply(content="{}", latency=1.5))
        summaries = summarizer(
            conn, stub.api_base, concurrency=1, timeout=0.3
        ).summarize_all(papers, "en")

    assert sources(summaries) == [
        "extractive (fallback after a failed model call; from the abstract)",
        LLM_SOURCE,
    ]
    assert len(stub.requests) == 2


def test_a_model_failing_call_after_call_stops_being_called(
    conn: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    # A hung model: every call would wait out its timeout for every paper.
    papers = stored(conn, make_papers(10))
    with LlmStub(lambda call: StubReply(content="{}", latency=1.5)) as stub:
        summaries = summarizer(
            conn, stub.api_base, concurrency=1, timeout=0.3
        ).summarize_all(papers, "en")

    assert len(stub.requests) == 3
    assert all("fallback after a failed model call" in s for s in sources(summaries))
    stops = [line for line in warnings(caplog) if "calls in a row" in line]
    assert len(stops) == 1
    assert "using extractive summaries for the remaining" in stops[0]


# Case K26: a provider that is down, busy or refuses the key.


def test_unreachable_model_is_recognised_once_and_the_digest_goes_out(
    conn: sqlite3.Connection, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    papers = stored(conn, make_papers(20))
    api_base = dead_api_base()
    llm = summarizer(conn, api_base, concurrency=4)

    with caplog.at_level(logging.INFO):
        run = make_digest(conn, tmp_path / "out", DigestSettings(), summarizer=llm)

    assert run.digest.paper_count == 20
    data = json.loads((tmp_path / "out" / "digest.json").read_text("utf-8"))
    shown = [paper for section in data["sections"] for paper in section["papers"]]
    assert len(shown) == 20
    assert {paper["key"] for paper in shown} == {paper.key for paper in papers}
    assert "fallback: model unreachable" in (tmp_path / "out" / "digest.md").read_text(
        "utf-8"
    )
    # Only the calls already under way when the first failed were made.
    assert 1 <= len(call_lines(caplog)) <= 4
    [warning] = warnings(caplog)
    assert warning == (
        f"model {MODEL} at {api_base}: unreachable: connection refused; "
        "using extractive summaries for the remaining 20 paper(s)"
    )


def test_unreachable_model_gives_every_paper_a_marked_fallback(
    conn: sqlite3.Connection,
) -> None:
    papers = stored(conn, make_papers(20))
    summaries = summarizer(conn, dead_api_base()).summarize_all(papers, "en")

    assert (
        sources(summaries)
        == ["extractive (fallback: model unreachable; from the abstract)"] * 20
    )


def test_first_three_calls_rate_limited_are_retried_after_retry_after(
    conn: sqlite3.Connection,
) -> None:
    papers = stored(conn, make_papers(20))
    with LlmStub(answering()) as stub:
        stub.fail_next(rate_limited(2), rate_limited(2), rate_limited(2))
        started = time.monotonic()
        summaries = summarizer(conn, stub.api_base, concurrency=8).summarize_all(
            papers, "en"
        )
        elapsed = time.monotonic() - started

    assert sources(summaries) == [LLM_SOURCE] * 20
    # One retry each for the three limited calls: no retries inside retries.
    assert len(stub.requests) == 23
    assert 2 <= elapsed < 10
    limited = {title_of(call) for call in stub.requests[:3]}
    retried = [call for call in stub.requests if title_of(call) in limited]
    assert len(retried) == 6
    assert min(c.time for c in retried[3:]) - stub.requests[0].time >= 1.9


def test_lasting_rate_limit_gives_up_after_bounded_attempts(
    conn: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    papers = stored(conn, make_papers(5))
    with caplog.at_level(logging.INFO), LlmStub(lambda call: rate_limited(0.2)) as stub:
        summaries = summarizer(conn, stub.api_base, concurrency=1).summarize_all(
            papers, "en"
        )

    assert len(stub.requests) == 4
    assert (
        sources(summaries)
        == ["extractive (fallback: model kept rate-limiting; from the abstract)"] * 5
    )
    assert len(warnings(caplog)) == 1


def test_refused_key_is_recognised_once(
    conn: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    papers = stored(conn, make_papers(10))
    with caplog.at_level(logging.INFO), LlmStub(lambda call: unauthorized()) as stub:
        summaries = summarizer(conn, stub.api_base, concurrency=1).summarize_all(
            papers, "en"
        )

    assert len(stub.requests) == 1
    assert (
        sources(summaries)
        == ["extractive (fallback: model refused the API key; from the abstract)"] * 10
    )
    [warning] = warnings(caplog)
    assert "authentication failed (HTTP 401)" in warning
    assert "remaining 10 paper(s)" in warning


def test_refused_key_with_calls_in_parallel_stops_all_further_calls(
    conn: sqlite3.Connection,
) -> None:
    papers = stored(conn, make_papers(20))
    with LlmStub(lambda call: unauthorized()) as stub:
        summarizer(conn, stub.api_base, concurrency=4).summarize_all(papers, "en")

    assert 1 <= len(stub.requests) <= 4


def test_api_key_never_reaches_a_log(
    conn: sqlite3.Connection,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    papers = stored(conn, make_papers(3))
    with caplog.at_level(logging.DEBUG), LlmStub(answering()) as stub:
        stub.fail_next(StubReply(status=500, error=f"bad key {API_KEY} echoed"))
        summarizer(conn, stub.api_base, concurrency=1).summarize_all(papers, "en")
        stub.respond = lambda call: unauthorized()
        summarizer(conn, stub.api_base).summarize_all(make_papers(2, prefix="X"), "en")

    assert len(call_lines(caplog)) == len(stub.requests)
    assert all("ms, tokens" in line for line in call_lines(caplog))
    assert API_KEY not in caplog.text
    out, err = capfd.readouterr()
    assert API_KEY not in out + err


# Once per paper: the cache, and the daily caps.


def test_second_run_makes_no_calls_and_a_new_language_makes_new_ones(
    conn: sqlite3.Connection,
) -> None:
    papers = stored(conn, make_papers(3))
    with LlmStub(answering()) as stub:
        first = summarizer(conn, stub.api_base).summarize_all(papers, "en")
        assert len(stub.requests) == 3
        again = summarizer(conn, stub.api_base).summarize_all(papers, "en")
        assert len(stub.requests) == 3
        chinese = summarizer(conn, stub.api_base).summarize_all(papers, "zh")

    assert again == first
    assert sources(chinese) == [LLM_SOURCE] * 3
    assert len(stub.requests) == 6
    assert all("Simplified Chinese" in call.prompt for call in stub.requests[3:])


def test_a_new_abstract_is_summarized_again(conn: sqlite3.Connection) -> None:
    [paper] = stored(conn, make_papers(1))
    with LlmStub(answering()) as stub:
        summarizer(conn, stub.api_base).summarize_all([paper], "en")
        paper.abstract = ABSTRACT + " A longer abstract arrived."
        summarizer(conn, stub.api_base).summarize_all([paper], "en")

    assert len(stub.requests) == 2
    assert "A longer abstract arrived." in stub.requests[1].prompt


def test_papers_over_the_daily_cap_get_the_fallback_without_a_call(
    conn: sqlite3.Connection,
) -> None:
    papers = stored(conn, make_papers(5))
    # One paper was already summarized by a model today.
    earlier = stored(conn, make_papers(1, prefix="Earlier"))[0]
    row = conn.execute("SELECT id FROM papers WHERE key = ?", (earlier.key,))
    with transaction(conn):
        store_summary(
            conn,
            row.fetchone()[0],
            SummaryKey(MODEL, "en", PROMPT_VERSION),
            "hash",
            Summary("t", "m", "me", "r", "c", "llm"),
            cost_usd=None,
            created_at=datetime.now(UTC),
        )

    with LlmStub(answering()) as stub:
        summaries = summarizer(conn, stub.api_base, daily_papers=3).summarize_all(
            papers, "en"
        )

    assert len(stub.requests) == 2
    over = "extractive (fallback: daily model cap reached; from the abstract)"
    assert sources(summaries) == [LLM_SOURCE] * 2 + [over] * 3
    assert summaries[papers[4].key].result.startswith("It cuts training time")


def test_spend_cap_counts_litellm_costs(conn: sqlite3.Connection) -> None:
    # A model litellm has a price for: the stub answers in its name.
    model = "openai/gpt-4o-mini"
    papers = stored(conn, make_papers(4))
    with LlmStub(answering()) as stub:
        summaries = summarizer(
            conn, stub.api_base, model=model, concurrency=1, daily_spend_usd=1e-4
        ).summarize_all(papers, "en")

    # Each call costs about $0.00007 at gpt-4o-mini's listed prices.
    assert len(stub.requests) == 2
    assert [s.source.startswith(f"llm {model}") for s in summaries.values()] == [
        True,
        True,
        False,
        False,
    ]
    costs = [row[0] for row in conn.execute("SELECT cost_usd FROM summaries")]
    assert len(costs) == 2
    assert all(0 < cost < 1e-3 for cost in costs)


def test_spend_already_over_the_cap_makes_no_call(conn: sqlite3.Connection) -> None:
    papers = stored(conn, make_papers(3))
    row = conn.execute("SELECT id FROM papers WHERE key = ?", (papers[0].key,))
    with transaction(conn):
        store_summary(
            conn,
            row.fetchone()[0],
            SummaryKey(MODEL, "de", PROMPT_VERSION),
            "hash",
            Summary("t", "m", "me", "r", "c", "llm"),
            cost_usd=2.5,
            created_at=datetime.now(UTC),
        )

    with LlmStub(answering()) as stub:
        summaries = summarizer(conn, stub.api_base).summarize_all(papers, "en")

    assert stub.requests == []
    assert (
        sources(summaries)
        == ["extractive (fallback: daily model cap reached; from the abstract)"] * 3
    )


# Honesty: a snippet is not an abstract.


def test_snippet_only_paper_is_asked_and_marked_as_such(
    conn: sqlite3.Connection,
) -> None:
    snippet = "Existing schedulers leave accelerators idle. We show that"
    title = "Idle accelerators in data loading"
    paper = PaperRecord(
        key=f"title::{normalize_title(title)}",
        title=title,
        title_norm=normalize_title(title),
        abstract=snippet,
        abstract_source=AbstractSource.SNIPPET,
        snippet=snippet,
    )
    stored(conn, [paper])
    with LlmStub(answering()) as stub:
        summaries = summarizer(conn, stub.api_base).summarize_all([paper], "en")
    fallback = summarizer(conn, dead_api_base()).summarize_all([paper], "de")

    [call] = stub.requests
    assert "Snippet: " + snippet in call.prompt
    assert "Abstract:" not in call.prompt
    user = call.body["messages"][-1]["content"]
    assert "snippet" in user.split("<paper>")[0]
    assert summaries[paper.key].source == f"llm {MODEL} (from the alert snippet)"
    assert fallback[paper.key].source == (
        "extractive (fallback: model unreachable; from the alert snippet)"
    )


# Wiring.


def test_no_model_set_means_the_extractive_summarizer(
    conn: sqlite3.Connection,
) -> None:
    digest_settings = DigestSettings()
    plain = summarizer_for(conn, Settings(), digest_settings)
    offline = summarizer_for(
        conn, Settings(llm_model=MODEL, offline=True), digest_settings
    )
    chosen = summarizer_for(
        conn, Settings(llm_model=MODEL, llm_concurrency=2), digest_settings
    )

    turned_off = summarizer_for(
        conn, Settings(llm_model=MODEL), DigestSettings(llm_daily_papers=0)
    )

    assert isinstance(plain, ExtractiveSummarizer)
    assert isinstance(offline, ExtractiveSummarizer)
    assert isinstance(turned_off, ExtractiveSummarizer)
    assert isinstance(chosen, LlmSummarizer)
    assert chosen.model == MODEL


def test_cli_start_up_does_not_import_litellm() -> None:
    # bot.summarize.llm too: the digest job will import it at start-up.
    code = (
        "import bot.cli.main, bot.summarize.llm, sys; print('litellm' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "False"
