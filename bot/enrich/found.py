"""A paper's record as an outside service (arXiv, OpenAlex) has it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.models import AbstractSource


@dataclass(frozen=True)
class FoundRecord:
    """What a lookup found; merged into the stored paper only once accepted.

    ``source`` is the service the record came from (``ARXIV`` or
    ``OPENALEX``); ``url`` is the paper's landing page there.
    """

    source: AbstractSource
    title: str
    authors: tuple[str, ...] = ()
    abstract: str | None = None
    year: int | None = None
    venue: str | None = None
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    doi: str | None = None
    categories: tuple[str, ...] = ()
    comments: str | None = None
    url: str | None = None
    published: date | None = None
