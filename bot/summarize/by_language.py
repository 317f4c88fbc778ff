"""Summaries when rules set a language per paper or skip some summaries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.models import PaperRecord
from bot.summarize.base import Summarizer, Summary
from bot.summarize.extractive import ExtractiveSummarizer


def summaries_for(
    summarizer: Summarizer,
    papers: Sequence[PaperRecord],
    language: str,
    *,
    languages: Mapping[str, str] | None = None,
    skipped: frozenset[str] = frozenset(),
) -> dict[str, Summary]:
    """One summary per paper key, each in its own language.

    ``languages`` maps paper keys to a rule's language (else ``language``).
    Papers whose summary a rule skips get the offline extractive one, which
    costs no model call; renderers leave it out.
    """
    languages = languages or {}
    groups: dict[str, list[PaperRecord]] = {}
    quiet: list[PaperRecord] = []
    for paper in papers:
        if paper.key in skipped:
            quiet.append(paper)
        else:
            groups.setdefault(languages.get(paper.key, language), []).append(paper)
    found: dict[str, Summary] = {}
    for wanted, members in groups.items():
        found.update(summarizer.summarize_all(members, wanted))
    if quiet:
        found.update(ExtractiveSummarizer().summarize_all(quiet, language))
    return found
