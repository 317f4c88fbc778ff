"""The digest as data, before any rendering: sections of numbered entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.models import PaperRecord
from bot.summarize.base import Summary


class SectionKind(StrEnum):
    """Why a section exists: an alert name, an arXiv primary category, a rule.

    ``HIGHLIGHTS`` holds the papers rules starred; ``RULE`` a section a rule
    named that is neither an alert nor a category of this digest.
    """

    HIGHLIGHTS = "highlights"
    ALERT = "alert"
    CATEGORY = "category"
    RULE = "rule"


@dataclass(frozen=True)
class DigestEntry:
    """One numbered paper in the digest.

    ``tags`` come from rule files, untrusted like any text; ``show_summary``
    False means the rules skip this paper's summary. ``beyond_caps`` marks an
    entry the digest lists but the email bodies leave out (see the caps in
    :func:`bot.compose.build.build_digest`).
    """

    number: int
    paper: PaperRecord
    summary: Summary
    alerts: tuple[str, ...]
    notes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    show_summary: bool = True
    starred: bool = False
    beyond_caps: bool = False

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

    @property
    def shown_entries(self) -> tuple[DigestEntry, ...]:
        """The entries within the caps, the ones the email bodies show."""
        return tuple(entry for entry in self.entries if not entry.beyond_caps)

    @property
    def hidden_count(self) -> int:
        """How many entries the caps leave out of the email bodies."""
        return len(self.entries) - len(self.shown_entries)


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

    @property
    def shown_count(self) -> int:
        """How many entries the email bodies show, within the caps."""
        return sum(len(section.shown_entries) for section in self.sections)

    @property
    def capped(self) -> bool:
        """Whether the caps leave any entry out of the email bodies."""
        return self.shown_count < self.paper_count
