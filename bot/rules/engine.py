"""Apply a rule set to a paper: which rules match, and what they decide.

Precedence, as ``rules explain`` prints it (:func:`precedence_text`):

- Rules run in order: rule files in name order, rules in file order.
- Every matching rule applies, until a matching rule has stop = true.
- section, priority and language: the first matching rule that sets one wins.
- tags: added up across matching rules, each tag once.
- star, summary = false and drop: stick once set.
- keep beats drop, whichever rule comes first.
- A starred paper moves to the Highlights section at the top.
- Inside a section, higher priority comes first (none counts as 0).

Conditions are compiled once into plain callables on :class:`PaperFacts`;
keywords match whole words of the folded text, found first by a plain
substring scan so most papers never reach a regular expression; a regular
expression runs only on papers holding the text it cannot match without.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter

from bot.models import SourceKind
from bot.rules.facts import PaperFacts, fold
from bot.rules.model import HIGHLIGHTS, Actions, Decision, RuleSet

Check = Callable[[PaperFacts], bool]

_PRECEDENCE = """\
Rules run in order: rule files in name order, rules in file order.
Every matching rule applies, until a matching rule has stop = true.
section, priority and language: the first matching rule that sets one wins.
tags: added up across matching rules, each tag once.
star, summary = false and drop: stick once set.
keep beats drop, whichever rule comes first.
A starred paper moves to the Highlights section at the top.
Inside a section, higher priority comes first (none counts as 0)."""

_FOLDED_TEXT = {
    "title": attrgetter("folded_title"),
    "abstract": attrgetter("folded_abstract"),
    "text": attrgetter("folded_text"),
}
_PLAIN_TEXT = {
    "title_regex": attrgetter("plain_title"),
    "abstract_regex": attrgetter("plain_abstract"),
    "text_regex": attrgetter("plain_text"),
}
_LOWER_TEXT = {
    "title_regex": attrgetter("lower_title"),
    "abstract_regex": attrgetter("lower_abstract"),
    "text_regex": attrgetter("lower_text"),
}
_FOLDED_FIELD = {
    "authors": attrgetter("folded_authors"),
    "venue": attrgetter("folded_venue"),
    "alert": attrgetter("folded_alert_names"),
}
# "arxiv" in a rule means the arXiv listing mails (SourceKind.ARXIV_LISTING).
SOURCES = {
    "scholar": SourceKind.SCHOLAR.value,
    "arxiv": SourceKind.ARXIV_LISTING.value,
    "arxiv_listing": SourceKind.ARXIV_LISTING.value,
}
# Scripts written without spaces: a keyword there cannot ask for word edges.
_UNSPACED = re.compile(
    "[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0003134f]"
)
_WORD = re.compile(r"\w")


def precedence_text() -> str:
    """How rules combine, in a few lines (for ``rules explain`` and the docs)."""
    return _PRECEDENCE


def keyword_check(field: str, keywords: Sequence[str]) -> Check:
    """Any keyword or phrase as whole words of the folded title/abstract/text.

    A trailing ``*`` matches any word ending: ``learn*`` finds "learning".
    """
    read = _FOLDED_TEXT[field]
    matchers = tuple(
        (fold(keyword.rstrip("*")), re.compile(_keyword_regex(keyword)).search)
        for keyword in keywords
    )

    def check(paper: PaperFacts) -> bool:
        text = read(paper)
        for needle, search in matchers:
            if needle in text and search(text) is not None:
                return True
        return False

    return check


def _keyword_regex(keyword: str) -> str:
    """The keyword's own text first, so ``re`` can scan for it at C speed.

    The word-start test comes after it, as a look-behind over the keyword:
    a look-behind at the start would make ``re`` try every position.
    """
    core = fold(keyword.rstrip("*"))
    literal = re.escape(core)
    left = rf"(?<!\w{literal})" if _edge_is_word(core[0]) else ""
    if keyword.endswith("*"):
        return literal + left + r"\w*"
    right = r"(?!\w)" if _edge_is_word(core[-1]) else ""
    return literal + left + right


def _edge_is_word(char: str) -> bool:
    return bool(_WORD.match(char)) and not _UNSPACED.match(char)


def regex_check(
    field: str, patterns: Sequence[tuple[str | None, re.Pattern[str]]]
) -> Check:
    """Any pattern found in the title/abstract/text as written.

    Each pattern comes with a text it cannot match without (lower case), or
    ``None``; a paper without that text is passed over without running ``re``.
    """
    read = _PLAIN_TEXT[field]
    read_lower = _LOWER_TEXT[field]
    searches = tuple((literal, pattern.search) for literal, pattern in patterns)

    def check(paper: PaperFacts) -> bool:
        for literal, search in searches:
            if literal is not None and literal not in read_lower(paper):
                continue
            if search(read(paper)) is not None:
                return True
        return False

    return check


def substring_check(field: str, values: Sequence[str]) -> Check:
    """Any value inside a folded author name, the venue or an alert name."""
    read = _FOLDED_FIELD[field]
    needles = tuple(fold(value) for value in values)

    def check(paper: PaperFacts) -> bool:
        text = read(paper)
        return any(needle in text for needle in needles)

    return check


def category_check(patterns: Iterable[str]) -> Check:
    """Any arXiv category equal to a pattern, or under ``cs.*`` style prefixes."""
    exact = frozenset(p.casefold() for p in patterns if not p.endswith("*"))
    prefixes = tuple(p[:-1].casefold() for p in patterns if p.endswith("*"))

    def check(paper: PaperFacts) -> bool:
        return any(
            category in exact or category.startswith(prefixes)
            for category in paper.folded_categories
        )

    return check


def alert_type_check(kinds: Iterable[str]) -> Check:
    """Any alert of the paper has one of these kinds."""
    wanted = frozenset(kinds)
    return lambda paper: not wanted.isdisjoint(paper.alert_kinds)


def source_check(sources: Iterable[str]) -> Check:
    """Any alert of the paper came from one of these sources."""
    wanted = frozenset(SOURCES[source] for source in sources)
    return lambda paper: not wanted.isdisjoint(paper.alert_sources)


def forwarder_check(addresses: Iterable[str]) -> Check:
    """Any alert was forwarded by one of these addresses (``@domain``: any there)."""
    folded = [address.strip().casefold() for address in addresses]
    exact = frozenset(a for a in folded if not a.startswith("@"))
    domains = tuple(a for a in folded if a.startswith("@"))

    def check(paper: PaperFacts) -> bool:
        return any(
            forwarder in exact or forwarder.endswith(domains)
            for forwarder in paper.forwarders
        )

    return check


def apply_rules(rules: RuleSet, paper: PaperFacts) -> Decision:
    """Run every rule on one paper, in order, and say what they decided."""
    decision = Decision()
    first: dict[str, str] = {}  # single-valued action -> rule that set it
    for rule in rules.rules:
        for condition in rule.conditions:
            if condition.check(paper) == condition.negated:
                break
        else:
            done = _act(rule.actions, rule.name, decision, first)
            decision.matches.append((rule.name, done))
            if rule.actions.stop:
                decision.stopped_by = rule.name
                break
    decision.drop = decision.drop_requested and not decision.keep
    return decision


def _act(actions: Actions, name: str, decision: Decision, first: dict[str, str]) -> str:
    done: list[str] = []
    if actions.drop:
        decision.drop_requested = True
        decision.dropped_by.append(name)
        done.append("drop")
    if actions.keep:
        decision.keep = True
        done.append("keep")
    if actions.section is not None:
        done.append(_first("section", actions.section, name, decision, first))
    if actions.star:
        decision.star = True
        done.append(f"star (to {HIGHLIGHTS})")
    if actions.priority is not None:
        done.append(_first("priority", actions.priority, name, decision, first))
    if actions.tags:
        new = [tag for tag in actions.tags if tag not in decision.tags]
        decision.tags.extend(new)
        done.append("tags " + ", ".join(actions.tags))
    if actions.skip_summary:
        decision.summary = False
        done.append("no summary")
    if actions.language is not None:
        done.append(_first("language", actions.language, name, decision, first))
    if actions.stop:
        done.append("stop")
    return "; ".join(done)


def _first(
    action: str, value: str | int, name: str, decision: Decision, first: dict[str, str]
) -> str:
    shown = f"{action} {value!r}" if isinstance(value, str) else f"{action} {value}"
    if action in first:
        return f"{shown} ignored (rule {first[action]!r} set it first)"
    first[action] = name
    setattr(decision, action, value)
    return shown


def explain(decision: Decision) -> list[str]:
    """Lines saying which rules matched a paper, what each did, and the outcome."""
    lines = [f"rule {name!r}: {done}" for name, done in decision.matches]
    if not lines:
        lines.append("no rule matched")
    if decision.stopped_by is not None:
        lines.append(f"rule {decision.stopped_by!r} stopped: later rules not tried")
    lines.append("result: " + _outcome(decision))
    return lines


def _outcome(decision: Decision) -> str:
    if decision.drop:
        return "dropped"
    if decision.star:
        parts = [f"in {HIGHLIGHTS}"]
    elif decision.section is not None:
        parts = [f"in section {decision.section!r}"]
    else:
        parts = ["in its usual section"]
    if decision.priority is not None:
        parts.append(f"priority {decision.priority}")
    if decision.tags:
        parts.append("tags " + ", ".join(decision.tags))
    if not decision.summary:
        parts.append("no summary")
    if decision.language is not None:
        parts.append(f"summary language {decision.language}")
    if decision.drop_requested:
        parts.append("kept: a keep overrides every drop")
    return ", ".join(parts)
