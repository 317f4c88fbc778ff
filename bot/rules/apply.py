"""The rules applied to stored papers: facts in, decisions out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.rules.engine import apply_rules
from bot.rules.facts import AlertFacts, PaperFacts, paper_facts
from bot.rules.model import Decision, RuleSet
from bot.store.papers import StoredPaper


def facts_of(paper: StoredPaper) -> PaperFacts:
    """What the rules may look at in a stored paper."""
    record = paper.record
    return paper_facts(
        key=record.key,
        title=record.title,
        abstract=record.abstract or record.snippet,
        authors=record.authors,
        venue=record.venue,
        categories=record.categories,
        alerts=[
            AlertFacts(seen.name, seen.kind, seen.source_kind, seen.forwarder)
            for seen in paper.alerts_seen
        ],
    )


def decide(rules: RuleSet, paper: StoredPaper) -> Decision:
    """The rules' decision for one stored paper."""
    return apply_rules(rules, facts_of(paper))


@dataclass
class RuledPapers:
    """Papers sorted by the rules: kept (with decisions) and dropped."""

    kept: list[StoredPaper] = field(default_factory=list)
    dropped: list[tuple[StoredPaper, Decision]] = field(default_factory=list)
    decisions: dict[str, Decision] = field(default_factory=dict)


def rule_papers(rules: RuleSet, papers: Sequence[StoredPaper]) -> RuledPapers:
    """Apply ``rules`` to every paper once."""
    ruled = RuledPapers()
    for paper in papers:
        decision = decide(rules, paper)
        ruled.decisions[paper.record.key] = decision
        if decision.drop:
            ruled.dropped.append((paper, decision))
        else:
            ruled.kept.append(paper)
    return ruled
