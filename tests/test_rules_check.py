"""``rules check``: every problem of every rule file, with its file, line and hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import RulesError
from bot.rules.loader import RULE_KEYWORDS, check_rules, load_rules
from bot.rules.model import RuleProblem
from bot.rules.settings import load_digest_settings

ROOT = Path(__file__).resolve().parent.parent
SECRETS = "secrets belong in SCHOLAR_DIGEST_* settings, not rule files"
GOOD = '[[rule]]\nname = "good"\ntitle = ["index"]\ntags = ["db"]\n'


def problems_of(folder: Path, text: str, name: str = "rules.toml") -> list[RuleProblem]:
    (folder / name).write_text(text, encoding="utf-8")
    return check_rules(folder)


def only_problem(folder: Path, text: str) -> RuleProblem:
    problems = problems_of(folder, text)
    assert len(problems) == 1, [str(problem) for problem in problems]
    return problems[0]


def test_a_good_rule_file_has_no_problem_and_loads(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "# mine\n[settings]\ntitle = 'x'\n\n" + GOOD) == []
    assert [rule.name for rule in load_rules(tmp_path)] == ["good"]
    assert load_rules(tmp_path).rules[0].line == 5


def test_the_shipped_rules_folder_is_clean() -> None:
    assert [str(problem) for problem in check_rules(ROOT / "rules")] == []


def test_settings_still_load_beside_rules(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[settings]\nlanguage = "zh"\n\n' + GOOD)
    assert load_digest_settings(tmp_path).language == "zh"


def test_unknown_keyword_names_file_line_and_a_near_miss(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, GOOD + '\n[[rule]]\nname = "b"\nautors = ["x"]\n')
    assert problem.path == str(tmp_path / "rules.toml")
    assert problem.line == 8
    assert problem.message == "unknown rule keyword 'autors'"
    assert problem.hint == "did you mean 'authors'?"
    negated = only_problem(
        tmp_path, '[[rule]]\nname = "b"\nnot_titel = "x"\nstar = true'
    )
    assert negated.hint == "did you mean 'not_title'?"


@pytest.mark.parametrize(
    ("line", "message", "hint"),
    [
        ('drop = "yes"', "drop must be true or false, not 'yes'", "drop = true"),
        ('priority = "10"', "priority must be a whole number", "priority = 10"),
        ("priority = 1.5", "priority must be a whole number, not 1.5", ""),
        ("authors = 3", "authors must be text in quotes or a list", 'authors = ["'),
        ("venue = [1, 2]", "venue must be text in quotes or a list", ""),
        ('section = ["A"]', "section must be text in quotes, not ['A']", ""),
        ("title = []", "title is an empty list", "at least one value"),
        ('title = ["a", " "]', "title holds an empty text", ""),
        ('title = ["le*rn"]', "title: 'le*rn': only a trailing * is allowed", "learn*"),
        ('forwarder = ["ada"]', "forwarder: 'ada' is not an email address", "@"),
    ],
)
def test_wrong_value_is_reported_on_its_line(
    tmp_path: Path, line: str, message: str, hint: str
) -> None:
    problem = only_problem(tmp_path, f'[[rule]]\nname = "r"\nstar = true\n{line}\n')
    assert problem.line == 4
    assert message in problem.message
    assert hint in problem.hint
    assert problem.is_error


def test_bad_regex_says_what_and_where_in_the_pattern(tmp_path: Path) -> None:
    problem = only_problem(
        tmp_path, "[[rule]]\nname = 'r'\ndrop = true\ntitle_regex = 'learn(ed|ing'\n"
    )
    assert problem.line == 4
    assert problem.message == (
        "title_regex: not a valid regular expression: "
        "missing ), unterminated subpattern at position 5"
    )
    assert problem.hint == "here: learn<HERE>(ed|ing"


@pytest.mark.parametrize("pattern", ["(a+)+$", "(x*)*y", "(a|a)*b", "(\\w+\\s?)+:"])
def test_catastrophic_regex_is_refused(tmp_path: Path, pattern: str) -> None:
    problem = only_problem(
        tmp_path, f"[[rule]]\nname = 'r'\ndrop = true\nabstract_regex = '{pattern}'\n"
    )
    assert problem.line == 4
    assert "exponential time" in problem.message
    assert "(?>...)" in problem.hint


@pytest.mark.parametrize("pattern", ["(?>a+)+$", "(a++)+", "(ed|ing)+", "a{2,5}b+"])
def test_regex_that_cannot_blow_up_is_accepted(tmp_path: Path, pattern: str) -> None:
    text = f"[[rule]]\nname = 'r'\ndrop = true\ntitle_regex = '{pattern}'\n"
    assert problems_of(tmp_path, text) == []


def test_overlong_and_slow_regexes(tmp_path: Path) -> None:
    long = "x" * 501
    problem = only_problem(
        tmp_path, f"[[rule]]\nname = 'r'\ndrop = true\ntext_regex = '{long}'\n"
    )
    assert "501 characters long, over the limit of 500" in problem.message
    slow = only_problem(
        tmp_path, "[[rule]]\nname = 'r'\ndrop = true\ntext_regex = 'a.*b.*c'\n"
    )
    assert slow.level == "warning"
    assert "quadratic" in slow.message


def test_duplicate_rule_name_points_at_the_first(tmp_path: Path) -> None:
    (tmp_path / "10-a.toml").write_text(GOOD)
    problem = only_problem(tmp_path, "\n" + GOOD)
    assert problem.path.endswith("rules.toml")
    assert problem.line == 3
    assert f"rule name 'good' is already used at {tmp_path / '10-a.toml'}:1" == (
        problem.message
    )


def test_unknown_language_alert_type_and_source_suggest_a_value(
    tmp_path: Path,
) -> None:
    base = '[[rule]]\nname = "r"\nstar = true\n'
    language = only_problem(tmp_path, base + 'language = "ZH"\n')
    assert language.message.startswith("unknown language 'ZH'")
    assert language.hint == "did you mean 'zh'?"
    kind = only_problem(tmp_path, base + 'alert_type = ["serch"]\n')
    assert kind.message == "alert_type: unknown value 'serch'"
    assert kind.hint.startswith("did you mean 'search'? use one of related,")
    source = only_problem(tmp_path, base + 'not_source = ["arxv"]\n')
    assert "did you mean 'arxiv'?" in source.hint


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('api_key = "abc"', "'api_key' is named like a secret"),
        ('password = "hunter2"', "'password' is named like a secret"),
        ('tags = ["sk-proj-4f9aQ2x7Lm3Zt8Rk"]', "(it starts with 'sk-')"),
        ('description = "ghp_a8Fk2Lm9Qx7Tz3Vb"', "(it starts with 'ghp_')"),
        ('venue = "AKIAIOSFODNN7EXAMPLE"', "(it starts with 'AKIA')"),
        ('title = ["d41d8cd98f00b204e9800998ecf8427e"]', "random-looking"),
    ],
)
def test_secrets_are_refused_without_being_repeated(
    tmp_path: Path, line: str, reason: str
) -> None:
    text = f'[[rule]]\nname = "r"\nauthors = ["x"]\nstar = true\n{line}\n'
    problem = only_problem(tmp_path, text)
    assert problem.line == 5
    assert reason in problem.message
    assert problem.message.endswith(SECRETS)
    secret = line.split('"')[1]
    assert secret not in str(problem)
    with pytest.raises(RulesError, match="secrets belong"):
        load_rules(tmp_path)


def test_secret_in_settings_is_refused_too(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, '[settings]\ntitle = "x"\ntoken = "abc"\n')
    assert (problem.line, problem.message) == (
        3,
        f"'token' is named like a secret: {SECRETS}",
    )


def test_ordinary_long_words_are_not_taken_for_secrets(tmp_path: Path) -> None:
    text = (
        '[[rule]]\nname = "r"\ntags = ["learned_index_structures_for_databases"]\n'
        'title = ["LearnedIndexStructuresForDatabasesV2"]\nkeep = true\n'
    )
    assert problems_of(tmp_path, text) == []


def test_rule_without_action_is_an_error(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, '# x\n[[rule]]\nname = "idle"\ntitle = ["a"]\n')
    assert (problem.line, problem.message) == (2, "rule 'idle' has no action")
    falsy = only_problem(tmp_path, '[[rule]]\nname = "f"\ntitle = "a"\ndrop = false\n')
    assert "drop = false does nothing" in falsy.hint


def test_rule_without_name_is_an_error(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, GOOD + '[[rule]]\ntitle = ["a"]\nstar = true\n')
    assert (problem.line, problem.message) == (5, "this rule has no name")


def test_rule_matching_everything_is_a_warning_and_still_loads(
    tmp_path: Path,
) -> None:
    problem = only_problem(tmp_path, '[[rule]]\nname = "all"\nstar = true\n')
    assert problem.level == "warning"
    assert (
        problem.message == "rule 'all' has no condition, so it applies to every paper"
    )
    assert len(load_rules(tmp_path)) == 1


def test_several_problems_in_several_files_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "10-a.toml").write_text(
        '[[rule]]\nname = "a"\ndrop = "no"\n\n[[rule]]\nname = "b"\nlanguage = "xx"\n'
    )
    (tmp_path / "20-b.toml").write_text('[settings]\nlangauge = "en"\n')
    (tmp_path / "30-c.toml").write_text(
        '[[rule]]\nname = "c"\nstar = true\nvenu = "x"\n'
    )
    found = [(Path(p.path).name, p.line, p.level) for p in check_rules(tmp_path)]
    assert found == [
        ("10-a.toml", 3, "error"),
        ("10-a.toml", 7, "error"),
        ("20-b.toml", 2, "error"),
        ("30-c.toml", 4, "error"),
    ]
    with pytest.raises(RulesError) as caught:
        load_rules(tmp_path)
    assert (Path(caught.value.path).name, caught.value.line) == ("10-a.toml", 3)


def test_toml_syntax_error_has_its_line_and_a_hint(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, GOOD + '[[rule]]\nname = "r"\nsection = Misc\n')
    assert problem.line == 7
    assert problem.message == "not valid TOML: Invalid value"
    assert "quotes" in problem.hint
    escape = only_problem(tmp_path, '[[rule]]\ntitle_regex = "learn\\s+x"\n')
    assert escape.line == 2
    assert "single quotes" in escape.hint


def test_single_bracket_rule_and_misspelt_table_are_refused(tmp_path: Path) -> None:
    single = only_problem(tmp_path, '[rule]\nname = "r"\nstar = true\n')
    assert (single.line, single.hint) == (1, "each [[rule]] starts one rule of a list")
    assert "[[rule]]" in single.message
    plural = only_problem(tmp_path, '[[rules]]\nname = "r"\nstar = true\n')
    assert plural.line == 1
    assert "did you mean [[rule]]?" in plural.message


def test_a_section_that_differs_by_a_typo_gets_a_warning(tmp_path: Path) -> None:
    text = (
        '[[rule]]\nname = "a"\ntitle = "x"\nsection = "Databases"\n'
        '[[rule]]\nname = "b"\ntitle = "y"\nsection = "Databses"\n'
    )
    problem = only_problem(tmp_path, text)
    assert (problem.line, problem.level) == (8, "warning")
    assert problem.message == "section 'Databses' is new (did you mean 'Databases'?)"


def test_problem_reads_as_one_line_with_file_and_line() -> None:
    problem = RuleProblem("rules/a.toml", 4, "unknown rule keyword 'x'", "hint")
    assert str(problem) == "rules/a.toml:4: error: unknown rule keyword 'x' (hint)"


def test_missing_folder_is_one_problem(tmp_path: Path) -> None:
    assert [p.message for p in check_rules(tmp_path / "nope")] == [
        "no such rules folder"
    ]
    assert len(load_rules(tmp_path / "nope")) == 0
    with pytest.raises(RulesError, match="no such rules folder"):
        load_rules(tmp_path / "nope", required=True)


def test_every_keyword_of_the_format_is_known() -> None:
    for keyword in ("title_regex", "not_forwarder", "tag", "summary", "stop"):
        assert keyword in RULE_KEYWORDS
