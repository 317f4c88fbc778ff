"""Rules applied to papers: every condition, every action, and their precedence."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bot.rules import engine
from bot.rules.engine import apply_rules, explain, precedence_text
from bot.rules.facts import ABSTRACT_LIMIT, AlertFacts, PaperFacts, fold, paper_facts
from bot.rules.loader import load_rules
from bot.rules.model import HIGHLIGHTS, Decision, RuleSet

SEARCH_ALERT = AlertFacts(
    "Learned index structures - new results", "search", "scholar", "Ada@Example.org"
)
LISTING_ALERT = AlertFacts("cs.DB new submissions", "arxiv_listing", "arxiv_listing")


def rules_from(folder: Path, text: str) -> RuleSet:
    (folder / "rules.toml").write_text(text, encoding="utf-8")
    return load_rules(folder)


def paper(**fields: Any) -> PaperFacts:
    values: dict[str, Any] = {
        "key": "arxiv:2401.00001",
        "title": "A study of things",
        "abstract": "We look at things.",
        "authors": ("Kari Nordmann",),
        "venue": "arXiv",
        "categories": ("math.CO",),
        "alerts": (LISTING_ALERT,),
    }
    values.update(fields)
    return paper_facts(**values)


def decide(folder: Path, rules: str, **fields: Any) -> Decision:
    return apply_rules(rules_from(folder, rules), paper(**fields))


# (condition as written, fields of a paper it matches, fields of one it does not)
CONDITIONS = [
    ('authors = ["nunez"]', {"authors": ("José Núñez", "Wei Zhang")}, {}),
    ('authors = ["Halvorsen"]', {"authors": ("INGRID HALVORSEN",)}, {}),
    (
        'title = ["learned index"]',
        {"title": "A Learned  Index for Time Series"},
        {"title": "Learned indexes for time series"},
    ),
    (
        'title = ["learn*"]',
        {"title": "Learning to rank"},
        {"title": "Relearning"},
    ),
    ('title = ["C++"]', {"title": "Faster C++ builds"}, {"title": "Faster C builds"}),
    ('title = ["检索"]', {"title": "基于检索增强的生成"}, {"title": "基于增强的生成"}),
    (
        'abstract = ["benchmark"]',
        {"abstract": "We run a new benchmark."},
        {"abstract": "We are benchmarking.", "title": "A benchmark"},
    ),
    ('text = ["retrieval"]', {"title": "Dense retrieval"}, {}),
    ('text = ["retrieval"]', {"abstract": "Retrieval, again."}, {}),
    (
        "title_regex = 'learn(ed|ing)\\s+ind(ex|ices)'",
        {"title": "Learning Indices at Scale"},
        {"title": "Learned hash functions"},
    ),
    (
        "abstract_regex = '\\bLSTMs?\\b'",
        {"abstract": "We train lstms."},
        {"abstract": "We train transformers.", "title": "LSTM"},
    ),
    ("text_regex = 'vector\\s+stores?'", {"title": "Vector  Stores"}, {}),
    ('venue = ["VLDB"]', {"venue": "Proc. VLDB Endow."}, {"venue": "SIGMOD"}),
    ('categories = ["cs.*"]', {"categories": ("math.CO", "cs.DB")}, {}),
    ('categories = ["CS.db"]', {"categories": ("cs.DB",)}, {"categories": ("cs.DS",)}),
    ('alert = ["learned index"]', {"alerts": (SEARCH_ALERT,)}, {}),
    ('alert_type = ["search"]', {"alerts": (LISTING_ALERT, SEARCH_ALERT)}, {}),
    ('source = ["scholar"]', {"alerts": (SEARCH_ALERT,)}, {}),
    ('source = ["arxiv"]', {}, {"alerts": (SEARCH_ALERT,)}),
    ('forwarder = ["ada@example.ORG"]', {"alerts": (SEARCH_ALERT,)}, {}),
    ('forwarder = ["@example.org"]', {"alerts": (SEARCH_ALERT,)}, {}),
]


@pytest.mark.parametrize(
    ("condition", "matching", "other"),
    CONDITIONS,
    ids=[condition for condition, _, _ in CONDITIONS],
)
def test_condition_matches_its_paper_and_its_not_form_the_others(
    tmp_path: Path, condition: str, matching: dict[str, Any], other: dict[str, Any]
) -> None:
    rule = f'[[rule]]\nname = "r"\n{condition}\ntags = ["hit"]\n'
    assert decide(tmp_path, rule, **matching).tags == ["hit"]
    assert decide(tmp_path, rule, **other).tags == []

    negated = f'[[rule]]\nname = "r"\nnot_{condition}\ntags = ["hit"]\n'
    assert decide(tmp_path, negated, **matching).tags == []
    assert decide(tmp_path, negated, **other).tags == ["hit"]


def test_every_condition_must_hold_but_any_item_of_a_list_may(tmp_path: Path) -> None:
    rules = (
        '[[rule]]\nname = "r"\nvenue = ["VLDB", "SIGMOD"]\n'
        'title = ["index"]\nsection = "DB"\n'
    )
    assert decide(tmp_path, rules, venue="SIGMOD", title="An index").section == "DB"
    assert decide(tmp_path, rules, venue="SIGMOD", title="A hash").section is None
    assert decide(tmp_path, rules, venue="KDD", title="An index").section is None


def test_a_rule_without_conditions_matches_every_paper(tmp_path: Path) -> None:
    assert decide(tmp_path, '[[rule]]\nname = "all"\nstar = true\n').star


def test_keywords_ignore_case_accents_and_spacing(tmp_path: Path) -> None:
    rules = '[[rule]]\nname = "r"\ntitle = ["levy  flights"]\ntags = ["x"]\n'
    assert decide(tmp_path, rules, title="On LÉVY flights").tags == ["x"]
    assert fold("  Straße\tÉCOLE ") == "strasse ecole"
    assert fold("Sørensen Łukasz") == "sorensen lukasz"
    assert fold("バス") == "バス"  # a kana's voicing mark makes another letter


def test_text_past_the_abstract_limit_is_not_searched(tmp_path: Path) -> None:
    rules = '[[rule]]\nname = "r"\nabstract = ["needle"]\ndrop = true\n'
    late = "word " * (ABSTRACT_LIMIT // 5) + "needle"
    assert not decide(tmp_path, rules, abstract=late).drop
    assert decide(tmp_path, rules, abstract="a needle").drop


def test_drop_drops_and_keep_beats_drop_in_either_order(tmp_path: Path) -> None:
    drop = '[[rule]]\nname = "drop"\ndrop = true\n'
    keep = '[[rule]]\nname = "keep"\nkeep = true\n'
    assert decide(tmp_path, drop).drop
    for rules in (drop + keep, keep + drop):
        decision = decide(tmp_path, rules)
        assert not decision.drop
        assert decision.keep and decision.drop_requested


def test_first_matching_section_priority_and_language_win(tmp_path: Path) -> None:
    rules = (
        '[[rule]]\nname = "first"\nsection = "A"\npriority = 5\nlanguage = "zh"\n'
        '[[rule]]\nname = "second"\nsection = "B"\npriority = 9\nlanguage = "de"\n'
    )
    decision = decide(tmp_path, rules)
    assert (decision.section, decision.priority, decision.language) == ("A", 5, "zh")
    assert "section 'B' ignored (rule 'first' set it first)" in decision.matches[1][1]


def test_tags_accumulate_once_each_in_order(tmp_path: Path) -> None:
    rules = (
        '[[rule]]\nname = "one"\ntags = ["b", "a"]\n'
        '[[rule]]\nname = "two"\ntag = "a"\ntags = ["c"]\n'
    )
    assert decide(tmp_path, rules).tags == ["b", "a", "c"]


def test_star_moves_the_paper_to_highlights_and_sticks(tmp_path: Path) -> None:
    rules = (
        '[[rule]]\nname = "star"\nstar = true\n'
        '[[rule]]\nname = "file"\nsection = "Databases"\n'
    )
    decision = decide(tmp_path, rules)
    assert decision.star
    assert decision.section == "Databases"
    assert decision.placement == HIGHLIGHTS
    assert decide(tmp_path, rules.replace("star = true", "tags = ['t']")).placement == (
        "Databases"
    )


def test_summary_false_skips_the_summary_and_sticks(tmp_path: Path) -> None:
    rules = '[[rule]]\nname = "quiet"\nsummary = false\n'
    assert decide(tmp_path, rules).summary is False
    assert decide(tmp_path, '[[rule]]\nname = "x"\ntags = ["t"]\n').summary is True


def test_priority_defaults_to_zero_for_ordering(tmp_path: Path) -> None:
    assert decide(tmp_path, '[[rule]]\nname = "x"\ntags = ["t"]\n').sort_priority == 0
    rules = '[[rule]]\nname = "top"\npriority = -3\n'
    assert decide(tmp_path, rules).sort_priority == -3


def test_stop_keeps_later_rules_from_applying(tmp_path: Path) -> None:
    rules = (
        '[[rule]]\nname = "mine"\nauthors = ["Nordmann"]\nkeep = true\nstop = true\n'
        '[[rule]]\nname = "no arxiv"\nsource = ["arxiv"]\ndrop = true\n'
    )
    decision = decide(tmp_path, rules)
    assert decision.stopped_by == "mine"
    assert [name for name, _ in decision.matches] == ["mine"]
    other = decide(tmp_path, rules, authors=("Someone Else",))
    assert other.drop and other.stopped_by is None


def test_rules_apply_in_file_name_order_then_file_order(tmp_path: Path) -> None:
    (tmp_path / "20-later.toml").write_text('[[rule]]\nname = "c"\nsection = "C"\n')
    (tmp_path / "10-early.toml").write_text(
        '[[rule]]\nname = "a"\ntags = ["a"]\n[[rule]]\nname = "b"\nsection = "B"\n'
    )
    rules = load_rules(tmp_path)
    assert [rule.name for rule in rules] == ["a", "b", "c"]
    assert apply_rules(rules, paper()).section == "B"


def test_explain_says_what_each_rule_did_and_the_outcome(tmp_path: Path) -> None:
    rules = (
        '[[rule]]\nname = "group"\nauthors = ["Nordmann"]\nstar = true\n'
        'tags = ["co-author"]\npriority = 10\n'
        '[[rule]]\nname = "no arxiv"\nvenue = ["arXiv"]\ndrop = true\n'
        '[[rule]]\nname = "keep mine"\nauthors = ["Nordmann"]\nkeep = true\n'
        '[[rule]]\nname = "never"\nvenue = ["VLDB"]\ndrop = true\n'
    )
    lines = explain(decide(tmp_path, rules))
    assert lines == [
        "rule 'group': star (to Highlights); priority 10; tags co-author",
        "rule 'no arxiv': drop",
        "rule 'keep mine': keep",
        "result: in Highlights, priority 10, tags co-author, "
        "kept: a keep overrides every drop",
    ]
    assert explain(Decision()) == ["no rule matched", "result: in its usual section"]


def test_precedence_is_documented_where_the_engine_is(tmp_path: Path) -> None:
    text = precedence_text()
    for phrase in ("name order", "stop = true", "first matching rule", "keep beats"):
        assert phrase in text
    docstring = " ".join((engine.__doc__ or "").split())
    for line in text.splitlines():
        assert f"- {line}" in docstring, line


def test_a_thousand_papers_take_well_under_a_second(tmp_path: Path) -> None:
    rules = "".join(
        f'[[rule]]\nname = "r{n}"\ntitle = ["topic {n}"]\n'
        f"abstract_regex = 'method\\s+{n}\\b'\nnot_authors = [\"X{n}\"]\n"
        f'section = "S{n % 4}"\ntags = ["t{n}"]\n'
        for n in range(30)
    )
    loaded = rules_from(tmp_path, rules)
    papers = [
        paper(
            key=str(n),
            title=f"On topic {n % 30} and more",
            abstract=f"We use method {n % 30} here. " * 40,
        )
        for n in range(1000)
    ]
    started = time.perf_counter()
    decisions = [apply_rules(loaded, one) for one in papers]
    assert time.perf_counter() - started < 1.0
    assert [len(decision.tags) for decision in decisions] == [1] * 1000


def test_a_pathological_abstract_does_not_hang_an_accepted_regex(
    tmp_path: Path,
) -> None:
    rules = "[[rule]]\nname = \"r\"\nabstract_regex = '(?>a+)+b'\ndrop = true\n"
    started = time.perf_counter()
    assert not decide(tmp_path, rules, abstract="a" * 50_000 + "c").drop
    assert time.perf_counter() - started < 1.0


def test_a_later_rule_set_runs_after_the_first(tmp_path: Path) -> None:
    first = rules_from(tmp_path, '[[rule]]\nname = "a"\nsection = "A"\n')
    (tmp_path / "rules.toml").write_text('[[rule]]\nname = "b"\nsection = "B"\n')
    both = first.then(load_rules(tmp_path))
    assert [rule.name for rule in both] == ["a", "b"]
    assert apply_rules(both, paper()).section == "A"
