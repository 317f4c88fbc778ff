"""OpenAlex lookups against a real stand-in server on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.enrich.errors import ServiceUnavailableError
from bot.enrich.http import PoliteClient
from bot.enrich.matching import best_candidate
from bot.enrich.openalex_client import OpenAlexClient, search_phrase
from bot.enrich.openalex_works import abstract_from_inverted_index, record_from_work
from bot.models import AbstractSource, PaperRecord
from bot.text import normalize_title
from tests.stubs.openalex_stub import OpenAlexStub, make_work

CONTACT = "digest-owner@example.org"
# K07: a 150-character title that Scholar cut at about 140 characters.
LONG_TITLE = (
    "Efficient Graph Neural Networks for Large-Scale Molecular Property "
    "Prediction with Sparse Attention and Hierarchical Pooling on Heterogeneous "
    "Graphs"
)
CUT_TITLE = LONG_TITLE[:140]


@pytest.fixture
def http() -> Iterator[PoliteClient]:
    client = PoliteClient(
        user_agent="scholar-digest-tests",
        min_interval=0.0,
        timeout=5.0,
        max_attempts=3,
        backoff_base=0.01,
        backoff_cap=0.05,
    )
    yield client
    client.close()


def paper(
    title: str,
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


# --- reading works ---------------------------------------------------------


def test_abstract_rebuilt_in_order_with_repeated_words_and_gaps() -> None:
    index = {
        "mat.": [7],
        "the": [0, 5],
        "cat": [1],
        "sat": [2, 3],
        "on": [4],
        # Position 6 is missing: the gap is skipped, not filled.
    }

    assert abstract_from_inverted_index(index) == "the cat sat sat on the mat."


@pytest.mark.parametrize(
    "index",
    [None, {}, [], "text", {"word": None}, {"word": ["x", -1, True]}],
    ids=["none", "empty", "list", "string", "no-positions", "bad-positions"],
)
def test_unusable_inverted_index_gives_no_abstract(index: object) -> None:
    assert abstract_from_inverted_index(index) is None


def test_work_without_title_gives_no_record() -> None:
    assert record_from_work({"id": "https://openalex.org/W1", "title": None}) is None


def test_work_read_into_record() -> None:
    work = make_work(
        "W1",
        "Sparse   Attention for Molecules",
        doi="10.1021/ACS.JCIM.4C00001",
        year=2024,
        authors=["Ana Hernández", "Wei Zhang"],
        abstract="We study sparse attention.",
        venue="Journal of Chemical Information and Modeling",
    )

    record = record_from_work(work)

    assert record is not None
    assert record.source is AbstractSource.OPENALEX
    assert record.title == "Sparse Attention for Molecules"
    assert record.authors == ("Ana Hernández", "Wei Zhang")
    assert record.abstract == "We study sparse attention."
    assert record.year == 2024
    assert record.venue == "Journal of Chemical Information and Modeling"
    assert record.doi == "10.1021/acs.jcim.4c00001"
    assert record.url == "https://doi.org/10.1021/acs.jcim.4c00001"
    assert record.arxiv_id is None


def test_venue_falls_back_to_host_venue() -> None:
    work = {"title": "Old Shape", "host_venue": {"display_name": "VLDB"}}

    record = record_from_work(work)

    assert record is not None
    assert record.venue == "VLDB"


def test_arxiv_id_listed_in_ids_is_read() -> None:
    work = make_work("W9", "Listed", ids={"arxiv": "https://arxiv.org/abs/2301.00042"})

    record = record_from_work(work)

    assert record is not None
    assert record.arxiv_id == "2301.00042"


def test_arxiv_doi_gives_the_arxiv_id_not_a_doi() -> None:
    work = make_work(
        "W8",
        "Preprint Only",
        doi="10.48550/arXiv.2402.00077",
        landing_page="https://arxiv.org/abs/2402.00077",
    )

    record = record_from_work(work)

    assert record is not None
    assert (record.arxiv_id, record.doi) == ("2402.00077", None)
    assert record.url == "https://arxiv.org/abs/2402.00077"


# --- DOI lookups -----------------------------------------------------------


def test_publisher_dois_resolved_in_one_batched_request(http: PoliteClient) -> None:
    works = [
        make_work("W1", "First Paper", doi="10.1145/3580305.3599001", year=2023),
        make_work("W2", "Second Paper", doi="10.1007/s00778-024-00850-x", year=2024),
        make_work("W3", "Third Paper", doi="10.1109/icde55515.2023.00123", year=2023),
    ]
    asked = [
        "10.1109/ICDE55515.2023.00123",
        "10.1145/3580305.3599001",
        "10.1007/S00778-024-00850-X",
        "10.9999/not.in.openalex",
    ]

    with OpenAlexStub(works) as stub:
        found = OpenAlexClient(http, stub.url, mailto=None).by_dois(asked)

    assert len(stub.requests) == 1
    request = stub.requests[0]
    assert request.path == "/works"
    assert request.value("filter") == "doi:" + "|".join(doi.lower() for doi in asked)
    assert request.value("per-page") == "8"
    # The stub answers in its own order (W1, W2, W3): matched by DOI, not place.
    assert found["10.1109/ICDE55515.2023.00123"].title == "Third Paper"
    assert found["10.1145/3580305.3599001"].title == "First Paper"
    assert found["10.1007/S00778-024-00850-X"].title == "Second Paper"
    assert "10.9999/not.in.openalex" not in found


def test_more_than_fifty_dois_are_split_into_batches(http: PoliteClient) -> None:
    dois = [f"10.5555/paper.{n}" for n in range(120)]
    works = [make_work(f"W{n}", f"Paper {n}", doi=doi) for n, doi in enumerate(dois)]

    with OpenAlexStub(works) as stub:
        found = OpenAlexClient(http, stub.url, mailto=None).by_dois(dois)

    sizes = [len((r.value("filter") or "").split("|")) for r in stub.requests]
    assert sizes == [50, 50, 20]
    assert len(found) == 120
    assert found["10.5555/paper.77"].title == "Paper 77"


def test_arxiv_copy_among_locations_gives_arxiv_id(http: PoliteClient) -> None:
    arxiv_copy = {
        "is_oa": True,
        "landing_page_url": "https://arxiv.org/abs/2401.01234v2",
        "pdf_url": "https://arxiv.org/pdf/2401.01234v2",
        "source": {"display_name": "arXiv (Cornell University)"},
    }
    work = make_work(
        "W7",
        "Publisher Version",
        doi="10.14778/3654621.3654622",
        venue="Proceedings of the VLDB Endowment",
        locations=[arxiv_copy],
    )

    with OpenAlexStub([work]) as stub:
        client = OpenAlexClient(http, stub.url, mailto=None)
        found = client.by_dois(["10.14778/3654621.3654622"])

    record = found["10.14778/3654621.3654622"]
    assert (record.arxiv_id, record.arxiv_version) == ("2401.01234", 2)
    assert record.doi == "10.14778/3654621.3654622"
    assert record.venue == "Proceedings of the VLDB Endowment"
    assert record.url == "https://doi.org/10.14778/3654621.3654622"


def test_mailto_sent_when_configured_and_never_logged(
    http: PoliteClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    work = make_work("W1", "A Paper", doi="10.1000/xyz")

    with OpenAlexStub([work]) as stub:
        OpenAlexClient(http, stub.url, mailto=CONTACT).by_dois(["10.1000/xyz"])
        OpenAlexClient(http, stub.url, mailto=CONTACT).search_title("A Paper")
        OpenAlexClient(http, stub.url, mailto=None).search_title("A Paper")

    assert [r.value("mailto") for r in stub.requests] == [CONTACT, CONTACT, None]
    assert caplog.records, "each request should be logged"
    assert CONTACT not in caplog.text


def test_non_json_answer_is_retried(http: PoliteClient) -> None:
    work = make_work("W1", "A Paper", doi="10.1000/xyz")

    with OpenAlexStub([work]) as stub:
        stub.misbehave(200, b"<html>Service temporarily busy</html>")
        found = OpenAlexClient(http, stub.url, mailto=None).by_dois(["10.1000/xyz"])

    assert len(stub.requests) == 2
    assert found["10.1000/xyz"].title == "A Paper"


def test_json_without_results_is_retried_then_given_up(http: PoliteClient) -> None:
    with OpenAlexStub() as stub:
        for _ in range(3):
            stub.misbehave(200, b'{"error": "busy"}')
        client = OpenAlexClient(http, stub.url, mailto=None)

        with pytest.raises(ServiceUnavailableError):
            client.search_title("Anything At All")

    assert len(stub.requests) == 3


# --- title searches --------------------------------------------------------


def test_cut_title_matched_by_prefix(http: PoliteClient) -> None:
    works = [
        make_work("W1", "Graph Neural Networks: A Review", year=2021),
        make_work(
            "W2",
            LONG_TITLE,
            year=2025,
            authors=["Jonas Lindqvist", "Mei Okafor"],
            abstract="We make molecular graph networks fast.",
        ),
    ]
    ours = paper(CUT_TITLE, truncated=True, authors=("J Lindqvist",), year=2025)

    with OpenAlexStub(works) as stub:
        candidates = OpenAlexClient(http, stub.url, mailto=None).search_title(
            ours.title
        )

    accepted = best_candidate(ours, candidates)
    assert accepted is not None
    assert accepted.title == LONG_TITLE
    assert accepted.abstract == "We make molecular graph networks fast."
    # The cut may fall inside a word, which OpenAlex would not match.
    searched = stub.requests[0].value("search") or ""
    assert not searched.endswith(CUT_TITLE.split()[-1])
    assert stub.requests[0].value("per-page") == "5"


def test_full_title_matched_exactly(http: PoliteClient) -> None:
    title = "Robust Query Optimization with Bounded Regret"
    works = [
        make_work("W1", "Query Optimization Survey", year=2020),
        make_work("W2", title, year=2024, authors=["Priya Natarajan"]),
    ]
    ours = paper(title, authors=("P Natarajan", "K Osei"), year=2024)

    with OpenAlexStub(works) as stub:
        candidates = OpenAlexClient(http, stub.url, mailto=None).search_title(title)

    accepted = best_candidate(ours, candidates)
    assert accepted is not None
    assert accepted.title == title


def test_top_hit_sharing_only_common_words_is_rejected(http: PoliteClient) -> None:
    works = [
        make_work("W1", "Learned Cardinality Estimation: A Survey", year=2023),
        make_work("W2", "Data Drift in Production Systems", year=2022),
    ]
    ours = paper("Learned Cardinality Estimation Under Data Drift", year=2024)

    with OpenAlexStub(works) as stub:
        candidates = OpenAlexClient(http, stub.url, mailto=None).search_title(
            ours.title
        )

    assert candidates[0].title == "Learned Cardinality Estimation: A Survey"
    assert best_candidate(ours, candidates) is None


def test_same_title_three_years_apart_is_rejected(http: PoliteClient) -> None:
    title = "Annual Report on Benchmark Results"
    works = [make_work("W1", title, year=2021, authors=["Sam Rivera"])]
    ours = paper(title, authors=("S Rivera",), year=2024)

    with OpenAlexStub(works) as stub:
        candidates = OpenAlexClient(http, stub.url, mailto=None).search_title(title)

    assert [c.title for c in candidates] == [title]
    assert best_candidate(ours, candidates) is None


def test_candidate_with_other_authors_is_rejected(http: PoliteClient) -> None:
    title = "Attention Is Not Explanation Revisited"
    works = [make_work("W1", title, year=2024, authors=["Maria Costa", "Li Wang"])]
    ours = paper(title, authors=("J Lindqvist", "A Berg"), year=2024)

    with OpenAlexStub(works) as stub:
        candidates = OpenAlexClient(http, stub.url, mailto=None).search_title(title)

    assert len(candidates) == 1
    assert best_candidate(ours, candidates) is None


def test_search_phrase_carries_no_search_syntax(http: PoliteClient) -> None:
    title = 'NOT "Just" Joins: (AND|OR) in SQL*'

    with OpenAlexStub() as stub:
        OpenAlexClient(http, stub.url, mailto=None).search_title(title)

    assert stub.requests[0].value("search") == "not Just Joins and or in SQL"


def test_search_phrase_drops_the_cut_word() -> None:
    assert search_phrase("Deep Models of Molecu…") == "Deep Models of"
    assert search_phrase("  …  ") == ""
