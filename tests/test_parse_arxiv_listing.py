"""Behaviour of the arXiv daily listing parser."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from bot.parse.arxiv_listing import is_arxiv_listing, parse_arxiv_listing
from bot.text import normalize_title
from tests.support import SHARED_SAMPLES

FIXTURES = Path(__file__).parent / "fixtures" / "bodies"
SAMPLE = SHARED_SAMPLES / "arxiv-listing-cs.eml"


@pytest.fixture
def sample_text() -> str:
    if not SAMPLE.exists():
        pytest.skip(f"sample {SAMPLE} not available")
    message = email.message_from_bytes(SAMPLE.read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


@pytest.fixture
def fields_text() -> str:
    return (FIXTURES / "listing_fields.txt").read_text(encoding="utf-8")


def entry(arxiv_id: str, title: str, *, extra: str = "") -> str:
    return (
        f"\\\\\narXiv:{arxiv_id}\nDate: Thu, 22 Jan 2026 09:30:00 GMT   (5kb)\n\n"
        f"Title: {title}\nAuthors: A Author\nCategories: cs.DB\n{extra}"
        f"\\\\\n  Abstract of {arxiv_id}.\n"
        f"\\\\ ( https://arxiv.org/abs/{arxiv_id} ,  5kb)\n" + "-" * 78 + "\n"
    )


def test_sample_listing_gives_new_and_cross_listed_papers_only(
    sample_text: str,
) -> None:
    listing = parse_arxiv_listing(sample_text)

    assert [p.arxiv_id for p in listing.papers] == [
        "2601.20001",
        "2601.20002",
        "2601.19876",
    ]
    assert [p.categories for p in listing.papers] == [
        ("cs.DC", "cs.DB"),
        ("cs.DB",),
        ("cs.LG", "cs.DB"),
    ]
    assert listing.replacements == ("2511.04321",)
    assert "Elastic Vector Indexes" not in [p.title for p in listing.papers]
    assert [p.position for p in listing.papers] == [0, 1, 2]
    assert listing.problems == ()


def test_sample_listing_fields(sample_text: str) -> None:
    first, second, third = parse_arxiv_listing(sample_text).papers

    assert first.authors == ("Ana Souza", "Bo Li", "Carla Hernández")
    assert first.link == "https://arxiv.org/abs/2601.20001"
    assert first.abstract is not None
    assert first.abstract.startswith("Serverless dataflow engines checkpoint state")
    assert first.abstract.endswith("halves recovery time on three benchmarks.")
    assert "\n" not in first.abstract
    assert second.comments == "VLDB 2026"
    assert third.title == (
        "A Theory of Attention Sinks in Long-Context Transformers and What They "
        "Mean for Caching"
    )


def test_title_wrapped_over_two_lines_is_one_line(fields_text: str) -> None:
    paper = parse_arxiv_listing(fields_text).papers[0]

    assert paper.title == (
        r"Spin & charge order in La$_{2-x}$Sr$_x$CuO$_4$: a L\'evy-flight view"
    )
    assert normalize_title(paper.title) == normalize_title(
        r"Spin &amp; charge order in La$_{2-x}$Sr$_x$CuO$_4$: a L\'evy-flight view"
    )


def test_tex_accents_in_authors_become_letters_and_affiliations_go(
    fields_text: str,
) -> None:
    paper = parse_arxiv_listing(fields_text).papers[0]

    assert paper.authors == ("Jürgen Müller", "Zoë Dupont", "Ana García", "Bo Li")


def test_optional_fields_are_read_and_do_not_leak(fields_text: str) -> None:
    paper = parse_arxiv_listing(fields_text).papers[0]

    assert paper.comments == "12 pages, 3 figures; to appear in Physical Review B"
    assert paper.doi == "10.1103/PhysRevB.113.045101"
    assert paper.venue == "Phys. Rev. B 113, 045101 (2026)"
    assert (paper.arxiv_id, paper.arxiv_version) == ("2601.30001", 2)
    assert paper.categories == ("cond-mat.str-el", "cs.LG")
    assert paper.year == 2026
    assert "82B20" not in (paper.comments or "")
    assert "LAB-2026-01" not in (paper.venue or "")


def test_abstract_is_unwrapped_and_keeps_paragraph_breaks(fields_text: str) -> None:
    paper = parse_arxiv_listing(fields_text).papers[0]

    assert paper.abstract == (
        "First paragraph of the abstract, hard-wrapped near eighty columns."
        "\n\nSecond paragraph, also wrapped."
    )


def test_block_without_title_is_a_problem_and_the_others_are_kept(
    fields_text: str,
) -> None:
    listing = parse_arxiv_listing(fields_text)

    assert [p.arxiv_id for p in listing.papers] == ["2601.30001", "hep-th/9901001"]
    assert listing.problems == ("paper block 1 (arXiv:2601.30002): no title",)
    # Positions count papers, not blocks.
    assert [p.position for p in listing.papers] == [0, 1]


def test_cross_listing_marker_and_old_scheme_id_are_accepted(fields_text: str) -> None:
    paper = parse_arxiv_listing(fields_text).papers[1]

    assert paper.title == "An old-scheme paper"
    assert paper.arxiv_id == "hep-th/9901001"
    assert paper.categories == ("hep-th", "cs.LG")
    assert paper.abstract == "Old abstract."


def test_replacements_after_the_marker_line_are_never_papers() -> None:
    text = (
        entry("2601.00001", "New paper")
        + "%%--%%--%%--%%--%%--%%--%%--%%--%%--%%--%%--%%--%%--%%--%%--%%--%%\n"
        + entry("2512.00002v3", "Revised paper")
        + entry("2512.00003", "Another revised paper")
    )

    listing = parse_arxiv_listing(text)

    assert [p.title for p in listing.papers] == ["New paper"]
    assert listing.replacements == ("2512.00002", "2512.00003")


def test_authors_split_on_commas_and_and() -> None:
    text = entry("2601.00004", "T").replace(
        "Authors: A Author", "Authors: Ana Souza, Bo Li and Carla Hern\\'andez"
    )

    paper = parse_arxiv_listing(text).papers[0]

    assert paper.authors == ("Ana Souza", "Bo Li", "Carla Hernández")


def test_listing_forwarded_with_quote_marks_is_recognised_and_read(
    sample_text: str,
) -> None:
    quoted = "\n".join(f"> {line}" for line in sample_text.splitlines())

    assert is_arxiv_listing(quoted)
    assert [p.arxiv_id for p in parse_arxiv_listing(quoted).papers] == [
        "2601.20001",
        "2601.20002",
        "2601.19876",
    ]


def test_structure_recognises_a_listing_without_its_sender(sample_text: str) -> None:
    forwarded = (
        "---------- Forwarded message ---------\nFrom: someone\n\n" + sample_text
    )

    assert is_arxiv_listing(forwarded)
    assert is_arxiv_listing(entry("2601.00005", "T"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello,\n\nthe paper arXiv:2601.00001 is nice.\n",
        "\\\\\nNot an id line\nTitle: x\nAuthors: y\n\\\\\n",
        "\\\\\narXiv:2601.00001\nDate: today\n\\\\\n",
    ],
)
def test_other_text_is_not_a_listing(text: str) -> None:
    assert not is_arxiv_listing(text)
    assert parse_arxiv_listing(text).papers == ()
