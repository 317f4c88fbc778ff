"""Rules as plain data: conditions, actions, the rule set and a paper's decision.

A :class:`Rule` is a small named object: a description, the conditions that
must all hold, and the actions taken when they do. Applying rules to a paper
(:mod:`bot.rules.engine`) gives a :class:`Decision`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from bot.rules.facts import PaperFacts
from bot.rules.secret_scan import redact

# The section starred papers move to; the digest shows it first.
HIGHLIGHTS = "Highlights"


@dataclass(frozen=True)
class Condition:
    """One condition of a rule, as written (``title``, ``not_authors`` ...)."""

    keyword: str
    values: tuple[str, ...]
    check: Callable[[PaperFacts], bool]  # True when any value matches
    negated: bool = False

    def matches(self, paper: PaperFacts) -> bool:
        """Whether the paper meets this condition (``not_`` inverts the check)."""
        return self.check(paper) != self.negated


@dataclass(frozen=True)
class Actions:
    """What a rule does to a paper it matches."""

    drop: bool = False
    keep: bool = False
    section: str | None = None
    star: bool = False
    priority: int | None = None
    tags: tuple[str, ...] = ()
    skip_summary: bool = False
    language: str | None = None
    stop: bool = False

    def __bool__(self) -> bool:
        return self != Actions()


@dataclass(frozen=True)
class Rule:
    """A named rule from a rule file: when every condition holds, act."""

    name: str
    description: str
    path: str
    line: int | None
    conditions: tuple[Condition, ...]
    actions: Actions

    def matches(self, paper: PaperFacts) -> bool:
        """Whether every condition holds (a rule without conditions always does)."""
        return all(condition.matches(paper) for condition in self.conditions)

    @property
    def where(self) -> str:
        """``file:line`` of the rule's ``[[rule]]`` header."""
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@dataclass(frozen=True)
class RuleSet:
    """Every rule of a rules folder, in the order they apply."""

    rules: tuple[Rule, ...] = ()

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def then(self, later: RuleSet) -> RuleSet:
        """These rules followed by ``later`` ones (a subscriber's own, say)."""
        return RuleSet(self.rules + later.rules)


@dataclass
class Decision:
    """What the rules decided for one paper, and which rules did it.

    ``section``, ``priority`` and ``language`` are ``None`` when no rule set
    them (the digest's default section, priority 0, the digest's language).
    """

    drop: bool = False  # final: a drop matched and no keep did
    keep: bool = False  # a keep matched
    drop_requested: bool = False  # a drop matched, whatever a keep said
    section: str | None = None
    star: bool = False
    priority: int | None = None
    tags: list[str] = field(default_factory=list)
    summary: bool = True
    language: str | None = None
    matches: list[tuple[str, str]] = field(default_factory=list)
    stopped_by: str | None = None
    dropped_by: list[str] = field(default_factory=list)

    @property
    def placement(self) -> str | None:
        """The section the paper is listed in: a starred paper moves to Highlights."""
        return HIGHLIGHTS if self.star else self.section

    @property
    def sort_priority(self) -> int:
        """The priority to order by inside a section (0 when no rule set one)."""
        return self.priority if self.priority is not None else 0


@dataclass(frozen=True)
class RuleProblem:
    """One problem ``rules check`` found: where, what, and how to fix it."""

    path: str
    line: int | None
    message: str
    hint: str = ""
    level: Literal["error", "warning"] = "error"

    def __post_init__(self) -> None:
        # A secret pasted into a rule must not come back in its own error.
        object.__setattr__(self, "message", redact(self.message))
        object.__setattr__(self, "hint", redact(self.hint))

    @property
    def is_error(self) -> bool:
        """Errors stop the rules from loading; warnings only inform."""
        return self.level == "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}: {self.level}: {self.message}{hint}"
