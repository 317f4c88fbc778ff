"""Hostile rule files: odd TOML, slow regexes, format tricks, leaks, subscribers.

Each test names the behaviour the README promises; the ones that fail show
a bug in the rules feature.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.daemon.cycle import RulesKeeper
from bot.deliver.email import digest_subject
from bot.errors import RulesError
from bot.jobs import compose_digest
from bot.models import SourceKind
from bot.rules.bundle import load_bundle
from bot.rules.engine import apply_rules
from bot.rules.facts import paper_facts
from bot.rules.loader import check_rules, load_rules
from bot.rules.model import Decision, RuleProblem
from bot.rules.settings import load_digest_settings
from bot.rules.subscribers import is_stranger, load_subscribers
from bot.store import open_store
from bot.store.papers import StoredPaper
from tests.digest_factory import WHEN, make_paper
from tests.support import ROOT, run_cli

SECRET = "sk-ant-api03-Zq8xR2mK7vL4pN9wT1yB"
_ROW_IDS = itertools.count(1)


def write(folder: Path, text: str, name: str = "rules.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def problems(folder: Path, text: str) -> list[RuleProblem]:
    write(folder, text)
    return check_rules(folder)


def errors(found: list[RuleProblem]) -> list[RuleProblem]:
    return [problem for problem in found if problem.is_error]


def decide(folder: Path, rules: str, title: str, abstract: str = "") -> Decision:
    write(folder, rules)
    return apply_rules(
        load_rules(folder), paper_facts(key="k", title=title, abstract=abstract)
    )


def stored(title: str, alert: str = "Alert A") -> StoredPaper:
    return StoredPaper(
        row_id=next(_ROW_IDS),
        record=make_paper(title),
        alert_names=(alert,),
        first_alert_name=alert,
        first_source_kind=SourceKind.SCHOLAR.value,
        first_seen="2026-01-21T06:00:00+00:00",
        first_position=0,
    )


def star_rule(condition: str) -> str:
    return f'[[rule]]\nname = "r"\n{condition}\nstar = true\n'


# --- odd but valid TOML -------------------------------------------------------


def test_a_rule_file_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    # Windows Notepad writes UTF-8 with a BOM; the file is otherwise fine.
    write(tmp_path, "\ufeff" + star_rule('title = ["index"]'))
    assert [str(problem) for problem in check_rules(tmp_path)] == []
    assert [rule.name for rule in load_rules(tmp_path)] == ["r"]
    assert load_digest_settings(tmp_path).title == "Scholar digest"


def test_a_problem_in_an_inline_table_rule_names_its_line(tmp_path: Path) -> None:
    text = (
        "rule = [\n"
        '  { name = "a", title = "x", star = true },\n'
        '  { name = "b", titel = "x", star = true },\n'
        "]\n"
    )
    (problem,) = problems(tmp_path, text)
    assert problem.message == "unknown rule keyword 'titel'"
    assert problem.line == 3


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            '[[rule]]\nname = "a"\ndescription = """\n'
            "titel = was my first try, now text is used\n"
            '"""\ntitel = "x"\nstar = true\n',
            6,
        ),
        (
            '[[rule]]\nname = "a"\nstar = true\ndescription = """\n'
            '[[rule]] tables below refine this one\n"""\n\n'
            '[[rule]]\nname = "b"\nstar = true\ntitel = "x"\n',
            11,
        ),
    ],
    ids=["key-in-string", "header-in-string"],
)
def test_text_inside_a_multiline_string_does_not_move_reported_lines(
    tmp_path: Path, text: str, line: int
) -> None:
    found = errors(problems(tmp_path, text))
    assert [problem.message for problem in found] == ["unknown rule keyword 'titel'"]
    assert found[0].line == line


def test_a_half_written_rule_file_is_reported_with_its_line(tmp_path: Path) -> None:
    # What the running bot sees while an editor is still writing the file.
    write(tmp_path, '[settings]\ntitle = "Mine"\n\n[[rule]]\nname = "a"\nsta')
    with pytest.raises(RulesError) as caught:
        load_bundle(tmp_path)
    assert caught.value.line == 6
    assert "end of document" not in str(caught.value)


def test_crlf_line_ends_and_a_second_file_keep_their_lines(tmp_path: Path) -> None:
    first = star_rule('title = ["a"]').replace('"r"', '"a"')
    write(tmp_path, first.replace("\n", "\r\n"), "a.toml")
    second = (
        "# comment\n"
        + star_rule('title = [\n  "x",\n  "y",\n]')
        + '\n[[rule]]\nname = "c"\n# a comment\ntitel = "x"\nstar = true\n'
    )
    write(tmp_path, second, "b.toml")
    (problem,) = check_rules(tmp_path)
    assert problem.path == str(tmp_path / "b.toml")
    assert problem.line == 13
    assert problem.hint == "did you mean 'title'?"


def test_a_single_rule_table_gets_a_double_bracket_hint(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, '[rule]\nname = "a"\ntitle = "x"\nstar = true\n')
    assert problem.line == 1
    assert "[[rule]]" in problem.message


def test_an_empty_rule_file_is_fine(tmp_path: Path) -> None:
    assert problems(tmp_path, "") == []
    assert len(load_rules(tmp_path)) == 0


def test_a_file_that_is_not_utf8_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_bytes(b'[[rule]]\nname = "caf\xe9"\nstar = true\n')
    (problem,) = check_rules(tmp_path)
    assert problem.is_error
    assert "cannot read" in problem.message


# --- regular expressions -------------------------------------------------------

# Each of these takes seconds to hours on a title of a few dozen characters.
CATASTROPHIC = [
    r"(a|aa)+$",
    r"(?:aa|a)+$",
    r"(?:a?){25}a{25}",
    r"(a{1,10}){1,10}$",
    r"(a+)\1+$",
    r"(?:\w+\s?){1,10};",
    r"(?:\S+\s?){1,10}QQQ",
]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_backtracking_regex_is_refused(tmp_path: Path, pattern: str) -> None:
    found = errors(problems(tmp_path, star_rule(f"title_regex = '{pattern}'")))
    assert found, f"{pattern} was accepted"
    assert "refused" in found[0].message


_TIMED_RUN = """
import sys, time
from pathlib import Path
from bot.errors import RulesError
from bot.rules.engine import apply_rules
from bot.rules.facts import paper_facts
from bot.rules.loader import load_rules
from tests.digest_factory import realistic_paper

try:
    rules = load_rules(Path(sys.argv[1]))
except RulesError:
    print("refused")
    raise SystemExit(0)
papers = [realistic_paper(i) for i in range(999)]
facts = [paper_facts(key=p.key, title=p.title, abstract=p.abstract) for p in papers]
facts.append(paper_facts(key="x", title=sys.argv[2]))
for fact in facts:
    apply_rules(rules, fact)
print("ran")
"""


@pytest.mark.parametrize(
    ("pattern", "title"),
    [
        (r"(a|aa)+$", "a" * 60 + "!"),
        (r"(?:\w+\s?){1,10};", "Benchmarks for learned index structures"),
    ],
    ids=["alternation", "bounded-words"],
)
def test_a_rule_set_over_a_thousand_papers_is_refused_or_fast(
    tmp_path: Path, pattern: str, title: str
) -> None:
    write(tmp_path / "rules", star_rule(f"text_regex = '{pattern}'"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _TIMED_RUN, str(tmp_path / "rules"), title],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{pattern} was accepted and ran over 5 s on 1,000 papers")
    assert done.returncode == 0, done.stderr


def test_a_nested_open_repeat_is_refused_and_safe_ones_are_not(tmp_path: Path) -> None:
    assert errors(problems(tmp_path, star_rule(r"title_regex = '(\w+\s?)+$'")))
    assert not errors(problems(tmp_path, star_rule(r"title_regex = '(?:a|aa)++$'")))
    assert not errors(problems(tmp_path, star_rule(r"title_regex = '(\w|\d)+$'")))


# --- keywords and case folding -------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "title", "matches"),
    [
        ("C++", "Faster C++ builds", True),
        ("C++", "ObjC++ tricks", False),
        ("k-means", "Fast K-Means clustering", True),
        ("k-means", "Fast kmeans clustering", False),
        ("(a)", "case (a) here", True),
        ("istanbul", "İstanbul traffic", True),
        ("ıstanbul", "Istanbul traffic", True),
        ("strasse", "Straße networks", True),
        ("Straße", "STRASSE networks", True),
        ("café", "Cafe\u0301 society", True),
        ("naïve bayes", "Naive  Bayes", True),
        ("检索", "基于检索增强的生成", True),
        ("🚀 fast", "Launch 🚀 fast", True),
        ("learn*", "relearning", False),
        ("Й", "и", False),
    ],
)
def test_keywords_fold_case_and_accents_and_keep_word_edges(
    tmp_path: Path, keyword: str, title: str, matches: bool
) -> None:
    rules = star_rule(f'title = ["{keyword}"]')
    assert decide(tmp_path, rules, title).star is matches


def test_greek_keywords_match_with_or_without_accents(tmp_path: Path) -> None:
    # README: "in any case and with or without accents"; the tonos is one.
    assert decide(
        tmp_path, star_rule('title = ["σοφια"]'), "Η Σοφία των δεδομένων"
    ).star
    assert decide(tmp_path, star_rule('title = ["σοφία"]'), "Η ΣΟΦΙΑ").star


# --- precedence ----------------------------------------------------------------


def test_precedence_follows_the_readme(tmp_path: Path) -> None:
    rules = """
[[rule]]
name = "keep it"
title = ["index"]
keep = true
tags = ["db", "ml"]
priority = 1
[[rule]]
name = "first section"
title = ["index"]
section = "One"
tags = ["ml"]
[[rule]]
name = "later section"
title = ["index"]
section = "Two"
drop = true
priority = 9
stop = true
[[rule]]
name = "after stop"
title = ["index"]
star = true
"""
    decision = decide(tmp_path, rules, "A learned index")
    assert not decision.drop and decision.drop_requested
    assert decision.section == "One"
    assert decision.priority == 1
    assert decision.tags == ["db", "ml"]
    assert decision.stopped_by == "later section"
    assert not decision.star


# --- subject templates ---------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    ["{}", "{date:%Y-%m-%d}", "{count:d}", "{title!x}", "{title:{count}}"],
)
def test_a_subject_the_settings_accept_can_always_be_filled(
    tmp_path: Path, subject: str
) -> None:
    write(tmp_path, f"[settings]\nsubject = '{subject}'\n")
    try:
        settings = load_digest_settings(tmp_path)
    except RulesError:
        return  # refused with file and line: fine
    filled = digest_subject(settings.title, date(2026, 12, 4), 3, settings.subject)
    assert filled


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("{{x}} {count!r}", "{x} '3 papers'"), ("[p] {date}", "[p] Fri 4 Dec 2026")],
)
def test_braces_and_conversions_in_the_subject_work(
    tmp_path: Path, subject: str, expected: str
) -> None:
    write(tmp_path, f"[settings]\nsubject = '{subject}'\n")
    settings = load_digest_settings(tmp_path)
    assert digest_subject("T", date(2026, 12, 4), 3, settings.subject) == expected


@pytest.mark.parametrize(
    "subject", ["{title.__class__}", "{0}", "a\\nBcc: x@example.org"]
)
def test_attribute_fields_and_line_breaks_in_the_subject_are_refused(
    tmp_path: Path, subject: str
) -> None:
    write(tmp_path, f'[settings]\nsubject = "{subject}"\n')
    with pytest.raises(RulesError):
        load_digest_settings(tmp_path)


# --- secrets -------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [f'section = ["{SECRET}"]', f'forwarder = ["{SECRET}"]', f'language = "{SECRET}"'],
)
def test_rules_check_never_repeats_a_secret(tmp_path: Path, line: str) -> None:
    found = problems(tmp_path, star_rule(line))
    assert any("secrets belong" in problem.message for problem in found)
    shown = "\n".join(str(problem) for problem in found)
    assert SECRET[:16] not in shown


@pytest.mark.parametrize(
    "line", [f'language = "{SECRET}"', f'recipients = ["{SECRET}"]']
)
def test_a_secret_in_settings_never_reaches_the_log_or_the_digest(
    tmp_path: Path, line: str
) -> None:
    # RulesKeeper logs this error and puts it at the top of the next digest.
    write(tmp_path, f"[settings]\n{line}\n")
    with pytest.raises(RulesError) as caught:
        load_bundle(tmp_path)
    assert SECRET[:16] not in str(caught.value)


@pytest.mark.parametrize(
    "value", ["2401.12345v2", "10.1145/3318464.3389711", "10.48550/arXiv.2401.12345"]
)
def test_identifiers_in_keywords_are_not_secrets(tmp_path: Path, value: str) -> None:
    assert problems(tmp_path, star_rule(f'text = ["{value}"]')) == []


# --- what the digest shows -----------------------------------------------------


def compose(tmp_path: Path, rules: str, papers: list[StoredPaper], **kw: Any) -> Any:
    write(tmp_path / "rules", rules)
    settings = load_digest_settings(tmp_path / "rules")
    return compose_digest(
        tmp_path / "out",
        settings,
        papers,
        rules=load_rules(tmp_path / "rules"),
        now=WHEN,
        **kw,
    )


def test_a_dropped_paper_names_only_the_rules_that_dropped_it(tmp_path: Path) -> None:
    rules = """
[[rule]]
name = "tagger"
title = ["survey"]
tags = ["drop-in replacement"]
[[rule]]
name = "no surveys"
title = ["survey"]
drop = true
"""
    composed = compose(tmp_path, rules, [stored("A survey of indexes")])
    (placement,) = composed.placements
    assert placement.number == 0
    assert placement.section == "(dropped by no surveys)"


def test_a_section_name_that_shows_as_nothing_is_refused(tmp_path: Path) -> None:
    found = errors(problems(tmp_path, star_rule('section = "\\u200b"\ntitle = "x"')))
    assert found, "a section of only a zero-width space was accepted"


def test_hostile_section_and_tag_names_are_inert_in_every_format(
    tmp_path: Path,
) -> None:
    rules = """
[[rule]]
name = "s"
title = ["alpha"]
section = "<script>alert(1)</script>"
tags = ["<b>x</b>", "**bold** [l](http://x)", "line1\\nline2", "# head"]
[[rule]]
name = "t"
title = ["beta"]
section = "toc"
"""
    compose(tmp_path, rules, [stored("Alpha"), stored("Beta")])
    html_text = (tmp_path / "out" / "digest.html").read_text()
    markdown_text = (tmp_path / "out" / "digest.md").read_text()
    assert "<script>" not in html_text and "<b>x" not in html_text
    assert "<script>" not in markdown_text and "<b>x" not in markdown_text
    assert "\\*\\*bold\\*\\*" in markdown_text and "\\[l\\]" in markdown_text
    assert "line1 line2" in (tmp_path / "out" / "digest.txt").read_text()
    assert html_text.count('id="toc"') == 1
    assert 'id="toc-2"' in html_text


def test_earlier_papers_on_one_line_leave_out_papers_the_rules_drop(
    tmp_path: Path,
) -> None:
    rules = (
        '[settings]\nearlier_papers = "line"\n\n'
        '[[rule]]\nname = "no surveys"\ntitle = ["survey"]\ndrop = true\n'
    )
    again = stored("A survey of learned indexes")
    composed = compose(
        tmp_path, rules, [stored("Fresh paper")], earlier=[(again, "2026-01-20")]
    )
    assert not any("survey" in note.lower() for note in composed.digest.notes)


def test_earlier_papers_in_full_obey_drop_rules(tmp_path: Path) -> None:
    rules = (
        '[settings]\nearlier_papers = "full"\n\n'
        '[[rule]]\nname = "no surveys"\ntitle = ["survey"]\ndrop = true\n'
    )
    again = stored("A survey of learned indexes")
    composed = compose(
        tmp_path, rules, [stored("Fresh paper")], earlier=[(again, "2026-01-20")]
    )
    titles = [e.paper.title for s in composed.digest.sections for e in s.entries]
    assert titles == ["Fresh paper"]


@pytest.mark.parametrize("key", ["max_per_section", "max_total"])
def test_negative_caps_are_refused(tmp_path: Path, key: str) -> None:
    write(tmp_path, f"[settings]\n{key} = -1\n")
    with pytest.raises(RulesError) as caught:
        load_digest_settings(tmp_path)
    assert caught.value.line == 2


# --- subscribers ---------------------------------------------------------------


def test_a_subscriber_fed_by_alert_names_is_no_stranger(tmp_path: Path) -> None:
    write(
        tmp_path,
        '[[subscriber]]\naddress = "ada@example.org"\nalerts = ["learned index"]\n',
    )
    subscribers = load_subscribers(tmp_path)
    assert not is_stranger(subscribers, "ada@example.org")
    assert is_stranger(subscribers, "mallory@elsewhere.test")


def test_status_says_so_when_a_subscriber_table_is_broken(tmp_path: Path) -> None:
    # The bot refuses such rules (the last good ones stay), as for a bad rule.
    env = cli_env(tmp_path)
    write(tmp_path / "rules", '[[subscriber]]\naddres = "ada@example.org"\n')
    with pytest.raises(RulesError):
        load_bundle(tmp_path / "rules")
    open_store(tmp_path / "data" / "scholar-digest.sqlite3").close()
    done = run_cli("status", cwd=tmp_path, env=env)
    assert "addres" in done.stdout, done.stdout


def test_the_same_subscriber_twice_in_another_case_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        '[[subscriber]]\naddress = "ada@example.org"\n\n'
        '[[subscriber]]\naddress = "ADA@Example.org"\n',
    )
    with pytest.raises(RulesError) as caught:
        load_subscribers(tmp_path)
    assert caught.value.line == 4


# --- the CLI -------------------------------------------------------------------


def cli_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "rules").mkdir(exist_ok=True)
    return {
        "SCHOLAR_DIGEST_DATA_DIR": str(tmp_path / "data"),
        "SCHOLAR_DIGEST_RULES_DIR": str(tmp_path / "rules"),
    }


def test_rules_check_fails_when_a_subscribers_own_rules_are_broken(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules"
    write(rules, '[[subscriber]]\naddress = "ada@example.org"\nrules = "ada"\n')
    write(rules / "ada", '[[rule]]\nname = "x"\ntitel = "y"\nstar = true\n')
    with pytest.raises(RulesError):
        load_bundle(rules)  # the bot refuses these rules...
    done = run_cli("rules", "check", str(rules), cwd=tmp_path, env=cli_env(tmp_path))
    assert done.returncode == 1, done.stdout  # ...so check must fail too
    assert "titel" in done.stdout + done.stderr


def test_rules_check_on_a_missing_folder_fails(tmp_path: Path) -> None:
    done = run_cli("rules", "check", "nowhere", cwd=tmp_path, env=cli_env(tmp_path))
    assert done.returncode == 1
    assert "no such rules folder" in done.stdout


def test_explain_an_unknown_digest_says_so_without_a_store(tmp_path: Path) -> None:
    done = run_cli(
        "rules", "explain", "--digest", "999", cwd=tmp_path, env=cli_env(tmp_path)
    )
    assert done.returncode == 1, done.stdout
    assert "no digest 999" in done.stderr


def test_explain_an_unknown_digest_says_so_with_a_store(tmp_path: Path) -> None:
    open_store(tmp_path / "data" / "scholar-digest.sqlite3").close()
    done = run_cli(
        "rules", "explain", "--digest", "999", cwd=tmp_path, env=cli_env(tmp_path)
    )
    assert done.returncode == 1
    assert "no digest 999" in done.stderr


# --- live reload ---------------------------------------------------------------


def test_reload_keeps_the_last_good_rules_and_follows_added_and_removed_files(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules"
    write(rules, star_rule('title = ["x"]'))
    keeper = RulesKeeper(rules, required=True)
    write(rules, textwrap.dedent(star_rule('title = ["x"]'))[:-8])  # half written
    assert [rule.name for rule in keeper.current().rules] == ["r"]
    assert keeper.problem is not None
    (rules / "rules.toml").unlink()
    assert len(keeper.current().rules) == 0 and keeper.problem is None
    write(rules, star_rule('title = ["y"]').replace('"r"', '"n"'), "new.toml")
    assert [rule.name for rule in keeper.current().rules] == ["n"]


def test_an_editor_lock_file_beside_the_rules_is_not_read(tmp_path: Path) -> None:
    # Emacs keeps a dangling symlink .#rules.toml while a file has edits.
    rules = tmp_path / "rules"
    write(rules, star_rule('title = ["x"]'))
    keeper = RulesKeeper(rules, required=True)
    os.symlink("ada@laptop.4242:1767225600", rules / ".#rules.toml")
    bundle = keeper.current()
    assert keeper.problem is None, keeper.problem
    assert bundle.notes == ()
