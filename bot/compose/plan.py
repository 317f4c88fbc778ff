"""What the rules decided for one paper's place and look in the digest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EntryPlan:
    """How one paper is listed; the defaults list it as if no rule matched.

    ``section`` names a section of the rules' choosing: papers naming the same
    one share it, and a name that is already an alert or category section
    joins that section. A starred paper goes to the Highlights section, first
    in the digest, whatever ``section`` says. Higher ``priority`` comes first
    inside a section. ``summary`` False shows no summary for the paper.
    """

    section: str | None = None
    star: bool = False
    priority: int = 0
    tags: tuple[str, ...] = ()
    summary: bool = True


NO_PLAN = EntryPlan()
