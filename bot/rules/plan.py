"""A rules decision as the compose stage's plan for one entry."""

from __future__ import annotations

from bot.compose.plan import EntryPlan
from bot.rules.model import Decision


def plan_of(decision: Decision) -> EntryPlan:
    """How the digest lists a paper the rules kept."""
    return EntryPlan(
        section=decision.section,
        star=decision.star,
        priority=decision.sort_priority,
        tags=tuple(decision.tags),
        summary=decision.summary,
    )
