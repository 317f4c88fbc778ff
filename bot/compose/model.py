"""The digest as data, before any rendering: sections of numbered entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.models import PaperRecord
from bot.summarize.base import Summary


class SectionKind(StrEnum):
    """Why a section exists: one per alert name, one per arXiv primary category."""

    ALERT = "alert"
    CATEGORY = "category"


@dataclass(frozen=True)
class DigestEntry:
    """One numbered paper in the digest."""

    number: int
    paper: PaperRecord
    summary: Summary
    alerts: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def link(self) -> str | None:
        """The arXiv abstract page when on arXiv, else the resolved target."""
        if self.paper.arxiv_id:
            return f"https://arxiv.org/abs/{self.paper.arxiv_id}"
        return self.paper.url

    @property
    def pdf_url(self) -> str | None:
        """The arXiv PDF, built from the id; ``None`` for papers not on arXiv."""
        if self.paper.arxiv_id:
            return f"https://arxiv.org/pdf/{self.paper.arxiv_id}"
        return None


@dataclass(frozen=True)
class DigestSection:
    """A named group of entries with a stable anchor for the table of contents."""

    name: str
    anchor: str
    kind: SectionKind
    entries: tuple[DigestEntry, ...]


@dataclass(frozen=True)
class Digest:
    """Everything a renderer needs; renderers add nothing but presentation."""

    title: str
    generated_at: datetime
    sections: tuple[DigestSection, ...]
    language: str = "en"
    notes: tuple[str, ...] = ()

    @property
    def paper_count(self) -> int:
        """How many entries the digest lists across all sections."""
        return sum(len(section.entries) for section in self.sections)
