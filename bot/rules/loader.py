"""Read the ``[[rule]]`` tables of every rule file into a :class:`RuleSet`.

:func:`load_rules` stops at the first error; :func:`check_rules` (behind
``scholar-digest rules check``) reports every problem and warning, each with
its file, line and a hint.
"""

from __future__ import annotations

import difflib
import logging
from pathlib import Path
from typing import Any

from bot.errors import RulesError
from bot.rules.facts import fold
from bot.rules.files import read_rule_file, rule_files
from bot.rules.model import Rule, RuleProblem, RuleSet
from bot.rules.rule_reader import RULE_KEYWORDS, RuleReader
from bot.rules.rule_text import RuleFileText, parse_toml
from bot.rules.secret_scan import SECRETS_MESSAGE, SecretFinding, find_secrets
from bot.rules.settings import settings_problems

__all__ = ["RULE_KEYWORDS", "check_rules", "load_rules"]

log = logging.getLogger(__name__)

# Top-level tables of a rule file; [settings] is read by bot.rules.settings.
_TABLES = ("settings", "rule", "subscriber")
_LEAKED_HINT = "remove it from the file; if the file was ever shared, revoke it"


def load_rules(rules_dir: Path, *, required: bool = False) -> RuleSet:
    """Every ``[[rule]]`` of ``rules_dir/*.toml``: files in name order, then rules.

    A missing folder means no rules, unless ``required``. The first error
    raises :class:`RulesError` with its file and line; warnings are logged.
    """
    if not rules_dir.is_dir():
        if required:
            raise RulesError(str(rules_dir), "no such rules folder")
        return RuleSet()
    rules, problems = _read_folder(rules_dir)
    for problem in problems:
        if problem.is_error:
            hint = f" ({problem.hint})" if problem.hint else ""
            raise RulesError(problem.path, problem.message + hint, problem.line)
        log.info("%s", problem)
    return RuleSet(tuple(rules))


def check_rules(rules_dir: Path) -> list[RuleProblem]:
    """Every problem of every rule file, ``[settings]`` included, in file order."""
    if not rules_dir.is_dir():
        return [RuleProblem(str(rules_dir), None, "no such rules folder")]
    _, problems = _read_folder(rules_dir, with_settings=True)
    return problems + _subscriber_problems(rules_dir)


def _subscriber_problems(rules_dir: Path) -> list[RuleProblem]:
    # Imported here: subscribers read the store's paper type, rules do not.
    from bot.rules.subscribers import load_subscribers

    try:
        subscribers = load_subscribers(rules_dir)
    except RulesError as exc:
        return [RuleProblem(exc.path, exc.line, exc.problem)]
    return [
        problem
        for subscriber in subscribers
        if subscriber.rules_dir is not None
        for problem in check_rules(subscriber.rules_dir)
    ]


def _read_folder(
    rules_dir: Path, *, with_settings: bool = False
) -> tuple[list[Rule], list[RuleProblem]]:
    rules: list[Rule] = []
    problems: list[RuleProblem] = []
    named: dict[str, Rule] = {}
    sections: list[tuple[str, str, int | None]] = []
    for path in rule_files(rules_dir):
        found = _read_file(path, named, sections, with_settings)
        rules.extend(found[0])
        problems.extend(found[1])
    problems.extend(_section_near_misses(sections))
    problems.sort(key=lambda problem: (problem.path, problem.line or 0))
    return rules, problems


def _read_file(
    path: Path,
    named: dict[str, Rule],
    sections: list[tuple[str, str, int | None]],
    with_settings: bool,
) -> tuple[list[Rule], list[RuleProblem]]:
    try:
        text = read_rule_file(path)
    except (OSError, UnicodeDecodeError) as exc:
        return [], [RuleProblem(str(path), None, f"cannot read: {exc}")]
    document, line, problem, hint = parse_toml(text)
    if document is None:
        return [], [RuleProblem(str(path), line, problem, hint)]

    lines = RuleFileText(text)
    findings = list(find_secrets(document))
    problems = [_secret_problem(str(path), finding, lines) for finding in findings]
    stray = _stray_tables(str(path), document, lines)
    problems.extend(stray)
    secret_keys = {finding.key for finding in findings if not finding.in_value}
    reader = RuleReader(str(path), lines, problems, skip=secret_keys)
    rules: list[Rule] = []
    for index, table in enumerate(_rule_tables(str(path), document, lines, problems)):
        rule = reader.read(index, table)
        if rule is None:
            continue
        earlier = named.get(rule.name)
        if earlier is not None:
            reader.problem(
                lines.key_line(index, "name"),
                f"rule name {rule.name!r} is already used at {earlier.where}",
                "rule names must be unique across all rule files",
            )
            continue
        named[rule.name] = rule
        rules.append(rule)
        if rule.actions.section is not None:
            where = lines.key_line(index, "section")
            sections.append((rule.actions.section, str(path), where))
    if with_settings and not stray:
        problems.extend(_settings_problem(path, problems))
    return rules, problems


def _rule_tables(
    path: str,
    document: dict[str, Any],
    lines: RuleFileText,
    problems: list[RuleProblem],
) -> list[dict[str, Any]]:
    found = document.get("rule", [])
    line = lines.first_key_line("rule")
    if isinstance(found, dict):
        problems.append(
            RuleProblem(
                path,
                line,
                "[rule] must be written [[rule]], with double brackets",
                "each [[rule]] starts one rule of a list",
            )
        )
        return []
    if not isinstance(found, list) or not all(isinstance(t, dict) for t in found):
        problems.append(
            RuleProblem(path, line, "rule must be a list of [[rule]] tables")
        )
        return []
    return found


def _secret_problem(
    path: str, finding: SecretFinding, lines: RuleFileText
) -> RuleProblem:
    if finding.in_value:
        line = lines.first_line_with(finding.probe)
    else:
        line = lines.first_key_line(finding.key)
    message = f"{finding.reason}: {SECRETS_MESSAGE}"
    return RuleProblem(path, line, message, _LEAKED_HINT)


def _stray_tables(
    path: str, document: dict[str, Any], lines: RuleFileText
) -> list[RuleProblem]:
    """Near misses of ``[[rule]]`` (``[[rules]]``), which would else be ignored."""
    problems = []
    for name in document:
        if name in _TABLES or not difflib.get_close_matches(name, ["rule"], n=1):
            continue
        problems.append(
            RuleProblem(
                path,
                lines.first_key_line(name),
                f"unknown table {name!r} (did you mean [[rule]]?)",
            )
        )
    return problems


def _settings_problem(path: Path, problems: list[RuleProblem]) -> list[RuleProblem]:
    """Every ``[settings]`` problem, except on lines already reported."""
    seen = {problem.line for problem in problems}
    return [
        RuleProblem(exc.path, exc.line, exc.problem)
        for exc in settings_problems(path)
        if exc.line not in seen or (exc.line is None and not problems)
    ]


def _section_near_misses(
    sections: list[tuple[str, str, int | None]],
) -> list[RuleProblem]:
    """Warn about a section that differs from another only by a typo or case."""
    problems = []
    first: dict[str, str] = {}  # folded name -> name as first written
    for name, path, line in sections:
        folded = fold(name)
        known = [seen for seen in first.values() if seen != name]
        near = difflib.get_close_matches(name, known, n=1, cutoff=0.85)
        if folded in first and first[folded] != name:
            near = [first[folded]]
        if near:
            problems.append(
                RuleProblem(
                    path,
                    line,
                    f"section {name!r} is new (did you mean {near[0]!r}?)",
                    "sections are created by name; the same name joins them",
                    "warning",
                )
            )
        first.setdefault(folded, name)
    return problems
