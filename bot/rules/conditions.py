"""Build a rule's conditions from their keywords, checking every value."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Literal

from bot.models import AlertKind
from bot.rules import engine
from bot.rules.engine import Check
from bot.rules.facts import fold
from bot.rules.model import Condition
from bot.rules.regex_safety import (
    RuleRegexError,
    compile_rule_regex,
    required_text,
    slowness_warning,
)

# What each condition keyword matches with; cheap kinds are tried first, so
# a rule on the alert type rarely reaches its regular expression.
CONDITION_KINDS = {
    "alert_type": "kind",
    "source": "source",
    "forwarder": "forwarder",
    "categories": "category",
    "authors": "substring",
    "venue": "substring",
    "alert": "substring",
    "title": "keyword",
    "abstract": "keyword",
    "text": "keyword",
    "title_regex": "regex",
    "abstract_regex": "regex",
    "text_regex": "regex",
}
_COST = ("kind", "source", "forwarder", "category", "substring", "keyword", "regex")
ALERT_TYPES = tuple(kind.value for kind in AlertKind)
_ALLOWED = {"kind": ALERT_TYPES, "source": tuple(engine.SOURCES)}
_CATEGORY = re.compile(r"[a-z\-]+(\.[a-z\-]+)?(\.?\*)?|\*", re.IGNORECASE)
_BUILDERS: dict[str, Callable[[tuple[str, ...]], Check]] = {
    "kind": engine.alert_type_check,
    "source": engine.source_check,
    "forwarder": engine.forwarder_check,
    "category": engine.category_check,
}

Note = Callable[[str, str, Literal["error", "warning"]], None]


def is_condition(key: str) -> bool:
    """Whether ``key`` names a condition (``title``, ``not_title`` ...)."""
    return key.removeprefix("not_") in CONDITION_KINDS


def build_condition(key: str, values: tuple[str, ...], note: Note) -> Condition | None:
    """The condition ``key = values``, or ``None`` after noting why not.

    ``note(message, hint, level)`` receives every problem, warnings included.
    """
    base = key.removeprefix("not_")
    kind = CONDITION_KINDS[base]
    check: Check | None
    if kind == "regex":
        check = _regex_check(key, base, values, note)
    else:
        check = _values_check(key, base, kind, values, note)
    if check is None:
        return None
    return Condition(key, values, check, negated=key != base)


def by_cost(condition: Condition) -> int:
    """Sort key putting cheap conditions first (they decide most papers)."""
    return _COST.index(CONDITION_KINDS[condition.keyword.removeprefix("not_")])


def _values_check(
    key: str, base: str, kind: str, values: tuple[str, ...], note: Note
) -> Check | None:
    for value in values:
        problem = _value_problem(kind, value)
        if problem is not None:
            note(f"{key}: {problem[0]}", problem[1], "error")
            return None
        if kind == "category" and not _CATEGORY.fullmatch(value):
            note(
                f"{key}: {value!r} does not look like an arXiv category",
                'categories look like "cs.DB", "math.CO", "hep-th" or "cs.*"',
                "warning",
            )
    if kind in _BUILDERS:
        return _BUILDERS[kind](values)
    if kind == "substring":
        return engine.substring_check(base, values)
    return engine.keyword_check(base, values)


def _regex_check(
    key: str, base: str, values: tuple[str, ...], note: Note
) -> Check | None:
    patterns = []
    for value in values:
        try:
            compiled = compile_rule_regex(value)
        except RuleRegexError as exc:
            note(f"{key}: {exc.message}", exc.hint, "error")
            return None
        patterns.append((required_text(value), compiled))
        slow = slowness_warning(value)
        if slow is not None:
            note(f"{key}: {slow}", "", "warning")
    return engine.regex_check(base, patterns)


def _value_problem(kind: str, value: str) -> tuple[str, str] | None:
    """What is wrong with one value of a condition, and a hint; else ``None``."""
    allowed = _ALLOWED.get(kind)
    if allowed is not None and value not in allowed:
        near = difflib.get_close_matches(value.lower(), allowed, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        return f"unknown value {value!r}", hint + "use one of " + ", ".join(allowed)
    if kind in ("keyword", "category") and "*" in value.rstrip("*"):
        return (
            f"{value!r}: only a trailing * is allowed",
            "learn* finds learned and learning; cs.* any cs category",
        )
    if kind == "keyword" and not fold(value.rstrip("*")):
        return f"{value!r} has nothing to match", "give a word or a phrase"
    if kind == "forwarder" and "@" not in value:
        return (
            f"{value!r} is not an email address",
            'give the address, "ada@example.org", or a domain, "@example.org"',
        )
    return None
