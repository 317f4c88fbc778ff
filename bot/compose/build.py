"""Grouping pending papers into the digest's sections, ordered and capped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.compose.model import Digest, DigestEntry, DigestSection, SectionKind
from bot.compose.plan import NO_PLAN, EntryPlan
from bot.compose.wording import anchor_slugs, plain
from bot.models import SourceKind
from bot.store.papers import StoredPaper
from bot.summarize.base import Summary

SectionKey = tuple[str, SectionKind]

# Stands in for a summary the rules skipped and nobody wrote; never shown.
SKIPPED_SUMMARY = Summary("", "", "", "", "", "none (skipped by your rules)")


def section_of(paper: StoredPaper) -> tuple[str, SectionKind]:
    """A Scholar paper goes under its first alert; a listed one under its category."""
    if paper.first_source_kind == SourceKind.ARXIV_LISTING.value:
        categories = paper.record.categories
        if categories:
            return categories[0], SectionKind.CATEGORY
    return paper.first_alert_name or "Other papers", SectionKind.ALERT


def build_digest(
    papers: Sequence[StoredPaper],
    summaries: Mapping[str, Summary],
    *,
    title: str,
    generated_at: datetime,
    language: str,
    notes: Sequence[str] = (),
    paper_notes: Mapping[int, Sequence[str]] | None = None,
    plans: Mapping[str, EntryPlan] | None = None,
    max_per_section: int = 0,
    max_total: int = 0,
    highlights_title: str = "Highlights",
) -> Digest:
    """The digest of ``papers``: sections of entries numbered 1..n in order.

    Without ``plans`` there is one section per alert or category, in the order
    its first paper arrived, papers in arrival order; every paper appears
    once, under the first alert that carried it, listing every alert that did.
    ``plans`` (keyed by paper key) star papers into a first Highlights section,
    move them to named sections, order them by priority (ties keep arrival
    order), tag them or skip their summary, which may then be absent from
    ``summaries``. ``paper_notes`` adds lines to entries, keyed by row id.

    ``max_per_section`` and ``max_total`` (0: no cap) mark the entries past
    them, in digest order, as beyond the caps: the digest keeps every entry,
    the email bodies leave those out and say how many.
    """
    plans = plans or {}
    paper_notes = paper_notes or {}
    grouped = _group(papers, plans, highlights_title)

    sections: list[DigestSection] = []
    anchors = anchor_slugs([name for name, _ in grouped])
    number = shown = 0
    for anchor, ((name, kind), members) in zip(anchors, grouped.items(), strict=True):
        entries = []
        for place, paper in enumerate(members):
            key = paper.record.key
            plan = plans.get(key, NO_PLAN)
            within = _within_caps(place, shown, max_per_section, max_total)
            number += 1
            shown += within
            entries.append(
                DigestEntry(
                    number=number,
                    paper=paper.record,
                    summary=(
                        summaries[key]
                        if plan.summary
                        else summaries.get(key, SKIPPED_SUMMARY)
                    ),
                    alerts=paper.alert_names,
                    notes=tuple(paper_notes.get(paper.row_id, ())),
                    tags=plan.tags,
                    show_summary=plan.summary,
                    starred=plan.star,
                    beyond_caps=not within,
                )
            )
        sections.append(DigestSection(name, anchor, kind, tuple(entries)))

    return Digest(
        title=title,
        generated_at=generated_at,
        sections=tuple(sections),
        language=language,
        notes=tuple(notes),
    )


def _group(
    papers: Sequence[StoredPaper],
    plans: Mapping[str, EntryPlan],
    highlights_title: str,
) -> dict[SectionKey, list[StoredPaper]]:
    """Papers by section: Highlights first, then in the order sections arrived.

    A rule's section joins the alert or category section of the same name
    (compared case-insensitively) when unmoved papers make one today.
    """
    highlights = (highlights_title, SectionKind.HIGHLIGHTS)
    existing: dict[str, SectionKey] = {_folded(highlights_title): highlights}
    for paper in papers:
        plan = plans.get(paper.record.key, NO_PLAN)
        if not plan.star and not plan.section:
            default = section_of(paper)
            existing.setdefault(_folded(default[0]), default)

    grouped: dict[SectionKey, list[StoredPaper]] = {}
    for paper in papers:
        plan = plans.get(paper.record.key, NO_PLAN)
        if plan.star:
            key = highlights
        elif plan.section:
            key = existing.setdefault(
                _folded(plan.section), (plan.section, SectionKind.RULE)
            )
        else:
            key = section_of(paper)
        grouped.setdefault(key, []).append(paper)

    def higher_first(paper: StoredPaper) -> int:
        return -plans.get(paper.record.key, NO_PLAN).priority

    # sorted() is stable: sections, then papers of equal priority, keep
    # the order they arrived in.
    order = sorted(grouped, key=lambda key: key != highlights)
    return {key: sorted(grouped[key], key=higher_first) for key in order}


def _folded(name: str) -> str:
    return plain(name).casefold()


def _within_caps(place: int, shown: int, max_per_section: int, max_total: int) -> bool:
    """Whether the entry at ``place`` in its section, after ``shown``, is shown."""
    if max_per_section > 0 and place >= max_per_section:
        return False
    return not (max_total > 0 and shown >= max_total)
