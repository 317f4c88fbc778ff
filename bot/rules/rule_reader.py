"""Check one ``[[rule]]`` table and build its :class:`Rule`, noting each problem."""

from __future__ import annotations

import difflib
from typing import Any, Literal

from bot.rules.conditions import CONDITION_KINDS, build_condition, by_cost, is_condition
from bot.rules.model import Actions, Condition, Rule, RuleProblem
from bot.rules.rule_text import RuleFileText
from bot.rules.settings import LANGUAGES
from bot.text import clean_text

_FLAGS = ("drop", "keep", "star", "stop")
_ACTIONS = (*_FLAGS, "section", "priority", "tags", "tag", "summary", "language")
RULE_KEYWORDS = (
    "name",
    "description",
    *CONDITION_KINDS,
    *(f"not_{key}" for key in CONDITION_KINDS),
    *_ACTIONS,
)
_NO_ACTION_HINT = (
    "add drop, keep, section, star, priority, tags, summary = false, language or stop"
)


class RuleReader:
    """Reads the rules of one file, adding every problem to ``problems``."""

    def __init__(
        self,
        path: str,
        lines: RuleFileText,
        problems: list[RuleProblem],
        *,
        skip: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.path = path
        self.lines = lines
        self.problems = problems
        self.skip = skip  # keys already refused (as secrets)
        self._index = 0

    def problem(
        self,
        line: int | None,
        message: str,
        hint: str = "",
        level: Literal["error", "warning"] = "error",
    ) -> None:
        """Note one problem of this file."""
        self.problems.append(RuleProblem(self.path, line, message, hint, level))

    def read(self, index: int, table: dict[str, Any]) -> Rule | None:
        """The rule at ``index`` of the file, or ``None`` when it has errors."""
        self._index = index
        errors = self._error_count()
        name = self._name(table)
        conditions: list[Condition] = []
        actions: dict[str, Any] = {}
        for key, value in table.items():
            if key in self.skip or key == "name":
                continue
            if is_condition(key):
                conditions.extend(self._condition(key, value))
            elif key in _ACTIONS:
                self._action(key, value, actions)
            elif key == "description":
                self._text(key, value)
            else:
                self._unknown(key)
        built = Actions(**actions)
        if self._error_count() > errors or not self._whole_rule_is_usable(
            name, table, built, bool(conditions)
        ):
            return None
        return Rule(
            name=(name or "").strip(),
            description=str(table.get("description", "")),
            path=self.path,
            line=self.lines.rule_line(index),
            conditions=tuple(sorted(conditions, key=by_cost)),
            actions=built,
        )

    def _error_count(self) -> int:
        return sum(problem.is_error for problem in self.problems)

    def _line(self, key: str) -> int | None:
        return self.lines.key_line(self._index, key)

    def _name(self, table: dict[str, Any]) -> str | None:
        if "name" not in table:
            self.problem(
                self.lines.rule_line(self._index),
                "this rule has no name",
                'add name = "what the rule does"; names must be unique',
            )
            return None
        return self._text("name", table["name"])

    def _unknown(self, key: str) -> None:
        near = difflib.get_close_matches(key, RULE_KEYWORDS, n=1)
        hint = f"did you mean {near[0]!r}?" if near else ""
        self.problem(self._line(key), f"unknown rule keyword {key!r}", hint)

    def _whole_rule_is_usable(
        self, name: str | None, table: dict[str, Any], built: Actions, any_if: bool
    ) -> bool:
        line = self.lines.rule_line(self._index)
        if not built:
            idle = [
                f"{key} = {str(table[key]).lower()}"
                for key in (*_FLAGS, "summary")
                if key in table
            ]
            hint = _NO_ACTION_HINT
            if idle:
                hint += f"; {', '.join(idle)} does nothing"
            self.problem(line, f"rule {name!r} has no action", hint)
            return False
        if not any_if:
            self.problem(
                line,
                f"rule {name!r} has no condition, so it applies to every paper",
                "add a condition such as title = [...] if that is not meant",
                "warning",
            )
        if built.drop and built.keep:
            self.problem(
                line,
                f"rule {name!r} both drops and keeps: keep wins, drop does nothing",
                level="warning",
            )
        return True

    def _condition(self, key: str, value: Any) -> list[Condition]:
        values = self._texts(key, value)
        if values is None:
            return []
        line = self._line(key)

        def note(message: str, hint: str, level: Literal["error", "warning"]) -> None:
            self.problem(line, message, hint, level)

        condition = build_condition(key, values, note)
        return [condition] if condition is not None else []

    def _action(self, key: str, value: Any, actions: dict[str, Any]) -> None:
        if key in _FLAGS or key == "summary":
            flag = self._flag(key, value)
            if key == "summary" and flag is False:
                actions["skip_summary"] = True
            elif key != "summary" and flag:
                actions[key] = True
        elif key in ("tags", "tag"):
            tags = self._texts(key, value)
            if tags is not None:
                merged = [*actions.get("tags", ()), *(tag.strip() for tag in tags)]
                actions["tags"] = tuple(dict.fromkeys(merged))
        elif key == "priority":
            if isinstance(value, bool) or not isinstance(value, int):
                self._wrong_type(key, value, "a whole number")
            else:
                actions[key] = value
        else:
            text = self._text(key, value)
            if key == "language" and text is not None and text not in LANGUAGES:
                self._unknown_language(text)
            elif text is not None:
                actions[key] = text.strip()

    def _unknown_language(self, text: str) -> None:
        near = difflib.get_close_matches(text.lower(), sorted(LANGUAGES), n=1)
        hint = f"did you mean {near[0]!r}?" if near else ""
        self.problem(
            self._line("language"),
            f"unknown language {text!r}: use an ISO 639-1 code such as zh or de",
            hint,
        )

    def _flag(self, key: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        self._wrong_type(key, value, "true or false")
        return None

    def _text(self, key: str, value: Any) -> str | None:
        if not isinstance(value, str):
            self._wrong_type(key, value, "text in quotes")
            return None
        if not clean_text(value).strip():
            # clean_text drops zero-width and control characters: a section
            # named only with those would show as an empty heading.
            self.problem(self._line(key), f"{key} is empty (or shows as nothing)")
            return None
        return value

    def _texts(self, key: str, value: Any) -> tuple[str, ...] | None:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            self._wrong_type(key, value, "text in quotes or a list of texts")
            return None
        if not items:
            self.problem(
                self._line(key),
                f"{key} is an empty list",
                "give at least one value, or remove the line",
            )
            return None
        if not all(clean_text(item).strip() for item in items):
            self.problem(self._line(key), f"{key} holds an empty text")
            return None
        return tuple(items)

    def _wrong_type(self, key: str, value: Any, expected: str) -> None:
        hint = ""
        if expected == "true or false":
            hint = f"write {key} = true, without quotes"
        elif isinstance(value, str) and expected == "a whole number":
            hint = (
                f"write the number without quotes: {key} = {value}"
                if isinstance(value, str) and value.strip().lstrip("-").isdigit()
                else f"write a whole number without quotes, as in {key} = 10"
            )
        elif "list" in expected:
            hint = f'as in {key} = ["..."]'
        self.problem(self._line(key), f"{key} must be {expected}, not {value!r}", hint)
