"""Whether a found record is our paper: titles, years and authors."""

from __future__ import annotations

import pytest

from bot.enrich.found import FoundRecord
from bot.enrich.matching import accept_candidate, best_candidate
from bot.models import AbstractSource, PaperRecord
from bot.text import normalize_title

TITLE = "Adaptive Sampling for Streaming Graph Analytics"


def paper(
    title: str = TITLE,
    *,
    truncated: bool = False,
    authors: tuple[str, ...] = (),
    year: int | None = None,
) -> PaperRecord:
    return PaperRecord(
        key="title:test",
        title=title,
        title_norm=normalize_title(title),
        title_truncated=truncated,
        authors=list(authors),
        year=year,
    )


def found(
    title: str = TITLE,
    *,
    authors: tuple[str, ...] = (),
    year: int | None = None,
    abstract: str | None = None,
) -> FoundRecord:
    return FoundRecord(
        source=AbstractSource.OPENALEX,
        title=title,
        authors=authors,
        year=year,
        abstract=abstract,
    )


# --- titles ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            r"Fast Sch\"{o}nhage Multiplication in Practice",
            "Fast Schönhage Multiplication in Practice",
        ),
        (
            "Graphs &amp; Streams: Sampling at Scale",
            "Graphs & Streams - Sampling at Scale",
        ),
        (
            "Pre-training Transformers for Molecular Property Prediction",
            "Pretraining transformers for molecular property prediction.",
        ),
        (
            "Modelling Uncertainty in Neural Ranking Models",
            "Modeling Uncertainty in Neural Ranking Models",
        ),
        (
            r"Sparse Recovery under $\ell_1$ Constraints with Noise",
            "Sparse Recovery under ℓ1 Constraints with Noise",
        ),
        (
            "Sampling Graphs and Streams at Scale Efficiently",
            "Sampling Graphs & Streams at Scale Efficiently",
        ),
    ],
    ids=["tex-accent", "entity", "hyphen", "spelling", "tex-math", "ampersand"],
)
def test_same_title_written_differently_is_accepted(ours: str, theirs: str) -> None:
    assert accept_candidate(paper(ours), found(theirs))


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            "Learned Cardinality Estimation Under Data Drift",
            "Learned Cardinality Estimation: A Survey",
        ),
        (
            "Learning to Rank with Noisy Relevance Labels",
            "Learning to Rank without Noisy Relevance Labels",
        ),
        (
            "Scaling Laws for Sparse Mixture Models: Part II",
            "Scaling Laws for Sparse Mixture Models: Part III",
        ),
        (
            "Evaluating GPT-3 on Clinical Question Answering",
            "Evaluating GPT-4 on Clinical Question Answering",
        ),
        (
            "Privacy Attacks on Federated Learning Systems",
            "Privacy Attacks on Federated Learning Systems Revisited",
        ),
    ],
    ids=["common-words", "with-without", "part-number", "model-number", "extension"],
)
def test_different_title_is_rejected(ours: str, theirs: str) -> None:
    assert not accept_candidate(paper(ours), found(theirs))


def test_cut_title_accepted_as_prefix_of_the_whole() -> None:
    ours = paper("Adaptive Sampling for Streaming Gr", truncated=True)

    assert accept_candidate(ours, found(TITLE))


def test_cut_title_matches_across_a_hyphen() -> None:
    ours = paper("Self supervised Pretraining of Graph Encod", truncated=True)

    assert accept_candidate(
        ours, found("Self-Supervised Pre-training of Graph Encoders")
    )


def test_prefix_counts_only_for_a_cut_title() -> None:
    assert not accept_candidate(paper("Adaptive Sampling for Streaming"), found(TITLE))


@pytest.mark.parametrize("cut", ["Adaptive Sampling for", "Deep Nets for Graph"])
def test_short_cut_title_is_no_evidence(cut: str) -> None:
    ours = paper(cut, truncated=True)

    assert not accept_candidate(ours, found(f"{cut} Streaming and More Words"))


def test_empty_titles_never_match() -> None:
    assert not accept_candidate(paper("…"), found("…"))


# --- years -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs", "accepted"),
    [
        (2024, 2024, True),
        (2024, 2025, True),
        (2025, 2024, True),
        (2024, 2026, False),
        (2024, 2021, False),
        (None, 2010, True),
        (2024, None, True),
    ],
)
def test_years_may_differ_by_one(
    ours: int | None, theirs: int | None, accepted: bool
) -> None:
    assert accept_candidate(paper(year=ours), found(year=theirs)) is accepted


# --- authors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (("J Lindqvist", "M Okafor"), ("Jonas Lindqvist", "Mei Okafor")),
        (("A Hernández",), ("Ana Hernandez", "Tom Berg")),
        (("J Muller", "K Osei"), ("Jörg Müller",)),
        (("W Zhang", "P Kumar"), ("Zhang Wei",)),
        (("S Øvergaard",), ("Sigrid OVERGAARD",)),
        (("T O'Neil",), ("Tara O’Neil",)),
        (("M L King Jr",), ("Martin Luther King",)),
        (("Lindqvist, Jonas",), ("J. Lindqvist",)),
        (("J Lindqvist",), ()),
        ((), ("Jonas Lindqvist",)),
    ],
    ids=[
        "initials",
        "accent-ours",
        "accent-theirs",
        "name-order",
        "slashed-o",
        "apostrophe",
        "suffix",
        "surname-first",
        "theirs-unknown",
        "ours-unknown",
    ],
)
def test_authors_that_do_not_contradict_are_accepted(
    ours: tuple[str, ...], theirs: tuple[str, ...]
) -> None:
    assert accept_candidate(paper(authors=ours), found(authors=theirs))


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (("J Lindqvist", "M Okafor"), ("Maria Costa", "Li Wang")),
        (("Wei Chen", "Anna Berg"), ("Wei Zhang", "Anna Costa")),
    ],
    ids=["other-people", "shared-given-names-only"],
)
def test_authors_that_contradict_are_rejected(
    ours: tuple[str, ...], theirs: tuple[str, ...]
) -> None:
    assert not accept_candidate(paper(authors=ours), found(authors=theirs))


# --- choosing among candidates ---------------------------------------------


def test_best_candidate_prefers_the_exact_title() -> None:
    ours = paper("Adaptive Sampling for Streaming Graph", truncated=True)
    longer = found(TITLE + " at Scale")
    exact = found("Adaptive Sampling for Streaming Graph")

    assert best_candidate(ours, [longer, exact]) is exact


def test_best_candidate_prefers_the_same_year_then_an_abstract() -> None:
    ours = paper(year=2024)
    preprint = found(year=2023, abstract="preprint")
    article = found(year=2024)
    article_with_abstract = found(year=2024, abstract="article")

    assert best_candidate(ours, [preprint, article, article_with_abstract]) is (
        article_with_abstract
    )


def test_cut_title_matching_two_different_papers_is_ambiguous() -> None:
    ours = paper("Scaling Laws for Sparse Mixture Models", truncated=True)
    part_one = found("Scaling Laws for Sparse Mixture Models, Part I")
    part_two = found("Scaling Laws for Sparse Mixture Models, Part II")

    assert best_candidate(ours, [part_one, part_two]) is None


def test_no_acceptable_candidate_gives_none() -> None:
    ours = paper("Learned Cardinality Estimation Under Data Drift")

    assert (
        best_candidate(ours, [found("Learned Cardinality Estimation: A Survey")])
        is None
    )
    assert best_candidate(ours, []) is None
