"""Wording shared by the renderers."""

from __future__ import annotations

from bot.compose.wording import venue_year
from bot.models import PaperRecord


def record(venue: str | None, year: int | None) -> PaperRecord:
    return PaperRecord(key="k", title="t", title_norm="t", venue=venue, year=year)


def test_venue_and_year_are_joined() -> None:
    assert venue_year(record("VLDB", 2026)) == "VLDB, 2026"


def test_a_venue_naming_its_year_is_not_followed_by_it_again() -> None:
    assert venue_year(record("2026 IEEE Big Data", 2026)) == "2026 IEEE Big Data"


def test_either_alone_or_nothing() -> None:
    assert venue_year(record(None, 2025)) == "2025"
    assert venue_year(record("Molecules", None)) == "Molecules"
    assert venue_year(record(None, None)) is None
