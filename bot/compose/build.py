"""Grouping pending papers into the digest's sections, in arrival order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.compose.model import Digest, DigestEntry, DigestSection, SectionKind
from bot.compose.wording import anchor_slugs
from bot.models import SourceKind
from bot.store.papers import StoredPaper
from bot.summarize.base import Summary


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
) -> Digest:
    """The digest of ``papers``: one section per alert or category, numbered 1..n.

    Sections appear in the order their first paper arrived, papers within a
    section in arrival order; every paper appears exactly once, under the
    first alert that carried it, listing every alert that did.
    ``paper_notes`` adds lines to single entries, keyed by the paper's row id.
    """
    paper_notes = paper_notes or {}
    grouped: dict[tuple[str, SectionKind], list[StoredPaper]] = {}
    for paper in papers:
        grouped.setdefault(section_of(paper), []).append(paper)

    sections: list[DigestSection] = []
    anchors = anchor_slugs([name for name, _ in grouped])
    number = 0
    for anchor, ((name, kind), members) in zip(anchors, grouped.items(), strict=True):
        entries = []
        for paper in members:
            number += 1
            entries.append(
                DigestEntry(
                    number=number,
                    paper=paper.record,
                    summary=summaries[paper.record.key],
                    alerts=paper.alert_names,
                    notes=tuple(paper_notes.get(paper.row_id, ())),
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
