"""Model answers become five plain fields however they are wrapped (case K24)."""

from __future__ import annotations

import json

import pytest

from bot.summarize.answer import (
    FIELD_LIMIT,
    ParsedAnswer,
    clean_field,
    parse_answer,
    summary_from_fields,
)

FIELDS = {
    "tldr": "SqueezeKV gives each attention head its own cache budget.",
    "motivation": "Long contexts make the key-value cache costly.",
    "method": "A cache layout with a per-head budget.",
    "result": "3.4× faster and 41.5% less memory on four benchmarks.",
    "conclusion": "Per-head budgets make serving cheaper.",
}
ANSWER = json.dumps(FIELDS)


def test_a_bare_json_object_is_parsed() -> None:
    assert parse_answer(ANSWER) == ParsedAnswer(FIELDS, None)


@pytest.mark.parametrize(
    "content",
    [
        f"```json\n{ANSWER}\n```",
        f"```\n{ANSWER}\n```",
        f"Here is the summary you asked for:\n{ANSWER}",
        f"Sure! ```json\n{ANSWER}\n``` Let me know if you need more.",
        f"{ANSWER}\n\nNote: figures are from the abstract {{see above}}.",
    ],
    ids=["json-fence", "plain-fence", "prose-before", "prose-around", "prose-after"],
)
def test_fences_and_prose_around_the_json_are_ignored(content: str) -> None:
    assert parse_answer(content).fields == FIELDS


def test_triple_backticks_inside_a_string_do_not_end_the_fence() -> None:
    method = "They patch the kernel:\n```python\ncache.squeeze()\n```\nthen serve."
    content = "```json\n" + json.dumps({**FIELDS, "method": method}) + "\n```"

    parsed = parse_answer(content)

    assert parsed.fields is not None
    assert (
        parsed.fields["method"] == "They patch the kernel: cache.squeeze() then serve."
    )
    assert parsed.fields["conclusion"] == FIELDS["conclusion"]


def test_a_field_given_as_a_list_is_joined() -> None:
    result = ["3.4× faster", "41.5% less memory"]
    parsed = parse_answer(json.dumps({**FIELDS, "result": result}))

    assert parsed.fields is not None
    assert parsed.fields["result"] == "3.4× faster; 41.5% less memory"


def test_a_list_of_sentences_is_joined_as_sentences() -> None:
    result = [
        "It is faster.",
        "It uses less memory.",
        "速度が向上した。",
        "精度も同じ。",
    ]
    parsed = parse_answer(json.dumps({**FIELDS, "result": result}))

    assert parsed.fields is not None
    assert parsed.fields["result"] == (
        "It is faster. It uses less memory. 速度が向上した。精度も同じ。"
    )


def test_a_missing_field_is_a_problem_named_for_the_retry() -> None:
    partial = {k: v for k, v in FIELDS.items() if k != "method"}

    parsed = parse_answer(f"```json\n{json.dumps(partial)}\n```")

    assert parsed == ParsedAnswer(None, "missing field: method")


def test_several_missing_fields_are_all_named() -> None:
    parsed = parse_answer('{"tldr": "Only this."}')

    assert parsed.problem == "missing fields: motivation, method, result, conclusion"


@pytest.mark.parametrize("empty", [None, "", "   ", [], False])
def test_an_empty_or_null_field_is_a_problem(empty: object) -> None:
    parsed = parse_answer(json.dumps({**FIELDS, "result": empty}))

    assert parsed == ParsedAnswer(None, "empty field: result")


def test_a_field_that_is_only_a_link_counts_as_empty() -> None:
    parsed = parse_answer(json.dumps({**FIELDS, "result": "http://evil.example"}))

    assert parsed.problem == "empty field: result"


def test_a_number_field_becomes_text() -> None:
    parsed = parse_answer(json.dumps({**FIELDS, "result": 3.4}))

    assert parsed.fields is not None
    assert parsed.fields["result"] == "3.4"


def test_keys_in_other_spellings_and_extra_keys_are_accepted() -> None:
    content = json.dumps(
        {
            "TL;DR": FIELDS["tldr"],
            "Motivation": FIELDS["motivation"],
            "Methods": FIELDS["method"],
            "RESULT": FIELDS["result"],
            " conclusion ": FIELDS["conclusion"],
            "keywords": ["kv cache"],
        }
    )

    assert parse_answer(content).fields == FIELDS


def test_tldr_spelled_without_punctuation_is_accepted() -> None:
    content = json.dumps({**FIELDS, "TLDR": "Short.", "tldr": None})
    renamed = {k: v for k, v in json.loads(content).items() if k != "tldr"}

    parsed = parse_answer(json.dumps(renamed))

    assert parsed.fields is not None
    assert parsed.fields["tldr"] == "Short."


def test_a_label_repeating_the_field_name_is_dropped() -> None:
    parsed = parse_answer(json.dumps({**FIELDS, "tldr": "TL;DR: Heads get budgets."}))

    assert parsed.fields is not None
    assert parsed.fields["tldr"] == "Heads get budgets."


def test_a_wrapped_object_is_found_inside_its_wrapper() -> None:
    parsed = parse_answer(json.dumps({"summary": FIELDS, "language": "en"}))

    assert parsed.fields == FIELDS


def test_a_think_block_before_the_answer_is_skipped() -> None:
    draft = json.dumps({**FIELDS, "tldr": "A draft."})
    content = f"<think>Let me draft: {draft} and check it.</think>\n{ANSWER}"

    assert parse_answer(content).fields == FIELDS


def test_an_unclosed_think_block_yields_its_last_json_object() -> None:
    draft = json.dumps({**FIELDS, "tldr": "A draft."})
    content = f"<think>First try {draft}. Better:\n{ANSWER}"

    assert parse_answer(content).fields == FIELDS


def test_a_closing_think_tag_without_its_opening_is_handled() -> None:
    draft = json.dumps({**FIELDS, "tldr": "A draft."})
    content = f"The user wants JSON like {draft}.</think>\n\n{ANSWER}"

    assert parse_answer(content).fields == FIELDS


def test_empty_content_takes_the_answer_from_the_reasoning() -> None:
    reasoning = f"I will summarize the paper.\n```json\n{ANSWER}\n```"

    assert parse_answer("", reasoning).fields == FIELDS
    assert parse_answer(None, reasoning).fields == FIELDS


def test_the_reasoning_is_not_used_when_content_has_the_answer() -> None:
    reasoning = json.dumps({**FIELDS, "tldr": "A draft."})

    assert parse_answer(ANSWER, reasoning).fields == FIELDS


def test_no_answer_at_all_is_called_empty() -> None:
    assert parse_answer(None, None) == ParsedAnswer(None, "empty answer")
    assert parse_answer("  ", "") == ParsedAnswer(None, "empty answer")


def test_prose_without_json_is_a_problem() -> None:
    parsed = parse_answer("I cannot summarize this paper {sorry}.")

    assert parsed == ParsedAnswer(None, "no JSON object with the fields")


def test_a_truncated_answer_is_a_problem() -> None:
    assert parse_answer(ANSWER[:-20]).problem == "no JSON object with the fields"


def test_deeply_nested_hostile_json_is_a_problem_not_a_crash() -> None:
    hostile = '{"tldr": ' + "[" * 100_000 + "]" * 100_000 + "}"

    assert parse_answer(hostile).problem is not None
    assert parse_answer("", hostile).problem is not None


def test_a_parsed_answer_has_fields_or_a_problem_never_both() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ParsedAnswer(FIELDS, "missing field: method")
    with pytest.raises(ValueError, match="exactly one"):
        ParsedAnswer(None, None)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("See [the paper](http://evil.example/a_(b)) now.", "See the paper now."),
        ("Visit http://evil.example/x, then www.evil.example.", "Visit, then."),
        ("Run [x](javascript:alert(1)) or javascript:alert(1)", "Run x or"),
        ("![img](http://e.example/i.png)Done <http://e.example>", "imgDone"),
        (
            "## Result\n- **Faster** by *3.4×*\n- __Smaller__",
            "Result Faster by 3.4× Smaller",
        ),
        ('<a href="http://e.example">link</a> <img src=x onerror=alert(1)>', "link"),
        ("Bold<br/>line<!-- hidden -->end", "Bold line end"),
        ("Use `torch.compile` here", "Use torch.compile here"),
        ("ok\x1b[31m red\x00\u202e text", "ok[31m red text"),
        ("p < 0.05 and q > 3, snake_case_name, a*b*c", None),
        ("Training data: 10k samples.", None),
        ("1. First\n2) Second", "First Second"),
    ],
)
def test_clean_field_removes_links_and_markup(raw: str, clean: str | None) -> None:
    assert clean_field(raw) == (clean if clean is not None else raw)


def test_clean_field_keeps_cjk_text_exactly() -> None:
    chinese = (
        "ForgetMark是一种新型的隐蔽后门攻击方法，通过低困惑度触发器规避检测。　第二句！"
    )

    assert clean_field(chinese) == chinese
    assert clean_field(f"**{chinese}**") == chinese


def test_clean_field_caps_length_at_a_word_boundary() -> None:
    cleaned = clean_field("word " * 1_000)

    assert len(cleaned) <= FIELD_LIMIT
    assert cleaned.endswith("word…")


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        ("abstract", "llm openai/gpt-4o-mini (from the abstract)"),
        ("snippet", "llm openai/gpt-4o-mini (from the alert snippet)"),
        ("none", "llm openai/gpt-4o-mini (title only)"),
    ],
)
def test_the_summary_source_names_model_and_text(kind: str, source: str) -> None:
    summary = summary_from_fields(FIELDS, model="openai/gpt-4o-mini", text_kind=kind)

    assert summary.source == source
    assert summary.method == FIELDS["method"]


def test_summary_from_fields_cleans_what_it_is_given() -> None:
    fields = {**FIELDS, "result": "**Faster**, see https://evil.example."}

    summary = summary_from_fields(fields, model="m", text_kind="abstract")

    assert summary.result == "Faster, see."


def test_an_unknown_text_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown text kind"):
        summary_from_fields(FIELDS, model="m", text_kind="pdf")
