"""The summarizer interface every implementation (extractive, LLM) plugs into."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.models import PaperRecord


@dataclass(frozen=True)
class Summary:
    """The five fields of a structured summary and what wrote them.

    ``source`` is shown in every output, e.g. ``extractive (from the abstract)``.
    """

    tldr: str
    motivation: str
    method: str
    result: str
    conclusion: str
    source: str


class Summarizer(Protocol):
    """Writes one :class:`Summary` per paper; keyed by the paper's store key."""

    name: str

    def summarize_all(
        self, papers: Sequence[PaperRecord], language: str
    ) -> dict[str, Summary]:
        """Summaries for ``papers`` in ``language`` (an ISO 639-1 code)."""
        ...
