"""Compile a rule's regular expression once, refusing patterns that can blow up.

Python's ``re`` backtracks: a repeated group that can match the same text in
several ways, as in ``(a+)+`` or ``(a|a)*``, takes exponential time on a text
that almost matches. Such patterns are refused by looking at their parse
tree; atomic groups ``(?>...)`` and possessive quantifiers ``a++`` never
backtrack and are the way out. Texts are also cut (see :mod:`facts`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.errors import ScholarDigestError

if TYPE_CHECKING:
    import sre_constants as sre
    import sre_parse as parser
else:  # the same modules; the old names warn on import since Python 3.11
    from re import _constants as sre
    from re import _parser as parser

PATTERN_LIMIT = 500
# A repeat allowing more than this many rounds counts as open-ended.
_ROUNDS_LIMIT = 10
# Characters that stand for every class a first character can fall in.
_ALPHABET = frozenset(
    [chr(code) for code in range(0x20, 0x7F)] + list("\t\n\u00e9\u00df\u03a9ж中ア٣")
)
_CATEGORY_TESTS: dict[Any, Callable[[str], bool]] = {
    sre.CATEGORY_DIGIT: str.isdigit,
    sre.CATEGORY_NOT_DIGIT: lambda char: not char.isdigit(),
    sre.CATEGORY_SPACE: str.isspace,
    sre.CATEGORY_NOT_SPACE: lambda char: not char.isspace(),
    sre.CATEGORY_WORD: lambda char: char.isalnum() or char == "_",
    sre.CATEGORY_NOT_WORD: lambda char: not (char.isalnum() or char == "_"),
}
_LOOP_FREE = (sre.ATOMIC_GROUP, sre.POSSESSIVE_REPEAT, sre.ASSERT, sre.ASSERT_NOT)
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)
_NESTED_HINT = (
    "a repeated group holds another open-ended repeat, which can take exponential time"
)
_ESCAPE_HINT = "make the inner part atomic, (?>...), or possessive, a++"


class RuleRegexError(ScholarDigestError):
    """A pattern that cannot be used; says what is wrong and how to fix it.

    Never leaves the rules package: the loader turns it into a problem with
    the rule file's name and line.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def compile_rule_regex(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern`` case-insensitively, or raise :class:`RuleRegexError`."""
    if len(pattern) > PATTERN_LIMIT:
        raise RuleRegexError(
            f"the regular expression is {len(pattern)} characters long, "
            f"over the limit of {PATTERN_LIMIT}",
            "split it over several rules, or use keywords",
        )
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        position = exc.pos if exc.pos is not None else len(pattern)
        raise RuleRegexError(
            f"not a valid regular expression: {exc.msg} at position {position}",
            f"here: {pattern[:position]}<HERE>{pattern[position:]}",
        ) from None
    danger = _backtracking_danger(parser.parse(pattern, re.IGNORECASE).data, False)
    if danger is not None:
        raise RuleRegexError(
            f"the regular expression is refused: {danger}", _ESCAPE_HINT
        )
    return compiled


def required_text(pattern: str) -> str | None:
    """Lower-case ASCII text every match of ``pattern`` contains, or ``None``.

    The longest run of plain characters at the top level of the pattern
    (two or more); searching the lower-cased text for it first is exact for
    case-insensitive matching (:func:`bot.rules.facts.lower_for_search`).
    """
    runs: list[str] = []
    run = ""
    items: list[Any] = parser.parse(pattern, re.IGNORECASE).data
    for op, av in items:
        if op == sre.LITERAL and chr(av).isascii():
            run += chr(av).lower()
        else:
            runs.append(run)
            run = ""
    longest = max([*runs, run], key=len)
    return longest if len(longest) >= 2 else None


def slowness_warning(pattern: str) -> str | None:
    """Why a pattern accepted by :func:`compile_rule_regex` may still be slow."""
    items = parser.parse(pattern, re.IGNORECASE).data
    if _is_open_wildcard(items[0] if items else None):
        return (
            "a pattern that starts with .*, .+ or [^...]* re-scans the text "
            "from every position; leave it out: a pattern matches anywhere"
        )
    if _count_open_wildcards(items) >= 2:
        return (
            "two or more .* (or [^...]*) can take quadratic time on a long "
            "abstract; prefer keywords or one .*"
        )
    return None


def _backtracking_danger(items: list[Any], in_loop: bool) -> str | None:
    """Why the tree can backtrack exponentially, or ``None``."""
    for op, av in items:
        found: str | None = None
        if op == sre.GROUPREF:
            return (
                "back references (\\1) can take exponential time; match the "
                "text itself instead"
            )
        if op in _REPEATS:
            low, high, body = av
            # Inside something repeated, any repeat of varying length (a ?,
            # a *, {1,10}) gives the engine many ways to split the same text.
            if in_loop and high != low:
                return _NESTED_HINT
            found = _backtracking_danger(body.data, in_loop or high > 1)
        elif op == sre.BRANCH:
            alternatives = [alternative.data for alternative in av[1]]
            # Python factors a|aa into a(?:|a): an empty alternative in a
            # loop is an optional part, as dangerous as a ? there.
            empty = any("" in _first_chars(alt) for alt in alternatives)
            if in_loop and (empty or _overlap(alternatives)):
                return (
                    "a repeated group has alternatives that can match the same "
                    "text, which can take exponential time"
                )
            for alternative in alternatives:
                found = found or _backtracking_danger(alternative, in_loop)
        elif op == sre.SUBPATTERN:
            found = _backtracking_danger(av[3].data, in_loop)
        elif op == sre.GROUPREF_EXISTS:
            for branch in av[1:]:
                if branch is not None:
                    found = found or _backtracking_danger(branch.data, in_loop)
        elif op in _LOOP_FREE:
            # Nothing inside is retried from outside: check it on its own.
            body = av if op == sre.ATOMIC_GROUP else av[-1]
            found = _backtracking_danger(body.data, False)
        if found is not None:
            return found
    return None


def _overlap(alternatives: list[list[Any]]) -> bool:
    """Whether two alternatives can start with the same character (or both empty)."""
    seen: set[str] = set()
    for alternative in alternatives:
        first = _first_chars(alternative)
        if seen & first:
            return True
        seen |= first
    return False


def _first_chars(items: list[Any]) -> frozenset[str]:
    """Characters the sequence can start with; ``""`` in it when it can be empty."""
    found: set[str] = set()
    for item in items:
        first = _first_of(item)
        found |= first - {""}
        if "" not in first:
            return frozenset(found)
    return frozenset(found | {""})


def _first_of(item: tuple[Any, Any]) -> frozenset[str]:
    op, av = item
    if op == sre.LITERAL:
        return _cases(chr(av))
    if op == sre.NOT_LITERAL:
        return _ALPHABET - _cases(chr(av))
    if op == sre.ANY:
        return _ALPHABET - {"\n"}
    if op == sre.IN:
        return frozenset(char for char in _ALPHABET if _in_set(av, char))
    if op in _REPEATS or op == sre.POSSESSIVE_REPEAT:
        first = _first_chars(av[2].data)
        return first | {""} if av[0] == 0 else first
    if op == sre.SUBPATTERN:
        return _first_chars(av[3].data)
    if op == sre.ATOMIC_GROUP:
        return _first_chars(av.data)
    if op == sre.BRANCH:
        return frozenset().union(*(_first_chars(alt.data) for alt in av[1]))
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return frozenset({""})
    return _ALPHABET | {""}  # back references and the like: could be anything


def _cases(char: str) -> frozenset[str]:
    """``char`` in either case, as case-insensitive matching sees it."""
    return frozenset(
        case for case in (char, char.lower(), char.upper()) if len(case) == 1
    )


def _in_set(members: list[tuple[Any, Any]], char: str) -> bool:
    found = False
    negate = False
    for op, av in members:
        if op == sre.NEGATE:
            negate = True
        elif op == sre.LITERAL:
            found = found or chr(av) in _cases(char)
        elif op == sre.RANGE:
            found = found or any(av[0] <= ord(case) <= av[1] for case in _cases(char))
        elif op == sre.CATEGORY:
            test = _CATEGORY_TESTS.get(av)
            found = found or test is None or test(char)
    return found != negate


def _is_open_wildcard(item: tuple[Any, Any] | None) -> bool:
    if item is None or item[0] not in _REPEATS:
        return False
    _, high, body = item[1]
    if high <= _ROUNDS_LIMIT or len(body.data) != 1:
        return False
    op, av = body.data[0]
    if op == sre.IN:
        return any(member == sre.NEGATE for member, _ in av)
    return op in (sre.ANY, sre.NOT_LITERAL)


def _count_open_wildcards(items: list[Any]) -> int:
    count = 0
    for item in items:
        if _is_open_wildcard(item):
            count += 1
        elif item[0] == sre.SUBPATTERN:
            count += _count_open_wildcards(item[1][3].data)
        elif item[0] == sre.BRANCH:
            count += max(_count_open_wildcards(alt.data) for alt in item[1][1])
    return count
