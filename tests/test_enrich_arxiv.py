"""arXiv lookups against a real stand-in server: batching, matching, retries."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.enrich.arxiv_client import BATCH_SIZE, ArxivClient, title_phrase
from bot.enrich.arxiv_feed import parse_arxiv_feed
from bot.enrich.errors import LookupFailedError, ServiceUnavailableError
from bot.enrich.http import PoliteClient, retry_after_seconds, user_agent
from bot.models import AbstractSource
from tests.stubs.arxiv_stub import ArxivStub, Canned, StubEntry, build_feed

# The stub stamps a request when its headers have arrived, the client when it
# starts sending: a first request also pays for the TCP handshake, so a gap
# can look a hair shorter than the client's. A few ms cover it on loopback.
SLACK = 0.005


def new_id(n: int) -> str:
    return f"2401.{n:05d}"


def paper(n: int, **fields: Any) -> StubEntry:
    fields.setdefault("title", f"Paper number {n}")
    return StubEntry(arxiv_id=new_id(n), **fields)


@pytest.fixture
def stub() -> Iterator[ArxivStub]:
    with ArxivStub() as server:
        yield server


def polite(**options: Any) -> PoliteClient:
    settings: dict[str, Any] = {
        "user_agent": user_agent(),
        "min_interval": 0.01,
        "timeout": 5.0,
        "backoff_base": 0.01,
    }
    settings.update(options)
    return PoliteClient(**settings)


# --- the feed, read without a server ------------------------------------------


def test_feed_record_has_every_field_with_whitespace_collapsed() -> None:
    entry = StubEntry(
        arxiv_id="2401.01234",
        version=2,
        title="Spin  and charge order:\n  a L\\'evy-flight view",
        summary="We study\n  things.  Results\n  follow.",
        authors=("Ana Hern\\'andez", "Bo Li", "C. D. Evans"),
        primary_category="cond-mat.str-el",
        categories=("cond-mat.supr-con", "cond-mat.str-el", "physics.comp-ph"),
        comment="12 pages,\n  3 figures",
        journal_ref="Phys. Rev. B 109, 1 (2024)",
        doi="10.1103/PhysRevB.109.L000001",
        published="2023-12-30T18:59:59Z",
    )

    feed = parse_arxiv_feed(build_feed([entry]))

    record = feed.records["2401.01234"]
    assert record.source is AbstractSource.ARXIV
    assert record.arxiv_version == 2
    assert record.title == "Spin and charge order: a L\\'evy-flight view"
    assert record.abstract == "We study things. Results follow."
    assert record.authors == ("Ana Hern\\'andez", "Bo Li", "C. D. Evans")
    assert record.categories == (
        "cond-mat.str-el",
        "cond-mat.supr-con",
        "physics.comp-ph",
    )
    assert record.comments == "12 pages, 3 figures"
    assert record.venue == "Phys. Rev. B 109, 1 (2024)"
    assert record.doi == "10.1103/physrevb.109.l000001"
    assert record.published == date(2023, 12, 30)
    assert record.year == 2023
    assert record.url == "https://arxiv.org/abs/2401.01234"
    assert feed.errors == ()
    assert feed.total_results == 1


def test_feed_reads_old_scheme_ids() -> None:
    entry = StubEntry(arxiv_id="hep-th/9901001", version=3, title="Old")

    feed = parse_arxiv_feed(build_feed([entry]))

    assert feed.records["hep-th/9901001"].arxiv_version == 3


def test_feed_duplicates_collapse_to_the_highest_version() -> None:
    entries = [
        paper(1, version=1, summary="old"),
        paper(1, version=3, summary="newest"),
        paper(1, version=2, summary="middle"),
    ]

    feed = parse_arxiv_feed(build_feed(entries))

    assert list(feed.records) == [new_id(1)]
    assert feed.records[new_id(1)].abstract == "newest"


def test_feed_error_entry_is_an_error_never_a_record() -> None:
    body = build_feed([], total_results=1, errors=["incorrect id format for 1234.5678"])

    feed = parse_arxiv_feed(body)

    assert feed.records == {}
    assert feed.errors == ("incorrect id format for 1234.5678",)


def test_feed_counting_one_result_without_an_entry_has_no_record() -> None:
    feed = parse_arxiv_feed(build_feed([], total_results=1))

    assert feed.records == {}
    assert feed.total_results == 1


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Service busy</body></html>",
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        b"<feed xmlns='http://www.w3.org/2005/Atom'>&lol;</feed>",
    ],
    ids=["html", "cut-off", "dtd"],
)
def test_a_body_that_is_no_feed_is_transient(body: bytes) -> None:
    with pytest.raises(ServiceUnavailableError):
        parse_arxiv_feed(body)


# --- lookups by id --------------------------------------------------------------


def test_250_ids_go_in_three_batches_with_max_results_set(stub: ArxivStub) -> None:
    stub.add(*(paper(n) for n in range(250)))
    ids = [new_id(n) for n in range(250)]

    with polite(min_interval=0.05) as http:
        found = ArxivClient(http, stub.url).fetch(ids)

    assert set(found) == set(ids)
    assert all(found[i].title == f"Paper number {int(i[5:])}" for i in ids)
    batches = [seen.query["id_list"].split(",") for seen in stub.requests]
    assert [len(batch) for batch in batches] == [BATCH_SIZE, BATCH_SIZE, 50]
    assert [i for batch in batches for i in batch] == ids
    for seen, batch in zip(stub.requests, batches, strict=True):
        assert seen.query["max_results"] == str(len(batch))
        assert seen.query["start"] == "0"
    assert all(gap >= 0.05 - SLACK for gap in stub.gaps())


def test_one_kept_alive_connection_serves_every_request(stub: ArxivStub) -> None:
    stub.add(*(paper(n) for n in range(3)))

    with polite() as http:
        client = ArxivClient(http, stub.url)
        for n in range(3):
            client.fetch([new_id(n)])

    assert len({seen.client_port for seen in stub.requests}) == 1


def test_out_of_order_and_duplicated_entries_are_matched_by_id(
    stub: ArxivStub,
) -> None:
    stub.add(*(paper(n, summary=f"abstract {n}") for n in range(5)))
    stub.reverse = True
    stub.duplicate = True

    with polite() as http:
        found = ArxivClient(http, stub.url).fetch([new_id(n) for n in range(5)])

    assert {key: record.abstract for key, record in found.items()} == {
        new_id(n): f"abstract {n}" for n in range(5)
    }


def test_an_id_missing_from_the_feed_is_absent(stub: ArxivStub) -> None:
    stub.add(paper(1))

    with polite() as http:
        found = ArxivClient(http, stub.url).fetch([new_id(1), new_id(2)])

    assert list(found) == [new_id(1)]


def test_an_error_entry_answers_no_id(stub: ArxivStub) -> None:
    stub.add(paper(1))
    body = build_feed([], total_results=1, errors=["incorrect id format for 2401.1"])
    stub.queue(Canned(body=body))

    with polite() as http:
        found = ArxivClient(http, stub.url).fetch([new_id(1)])

    assert found == {}
    assert len(stub.requests) == 1


def test_ids_are_asked_once_without_version_and_malformed_ones_never(
    stub: ArxivStub,
) -> None:
    stub.add(paper(1), StubEntry(arxiv_id="math/0309136", title="Knots"))
    asked = [f"{new_id(1)}v2", new_id(1), "math.GT/0309136", "1234.5678", "x"]

    with polite() as http:
        found = ArxivClient(http, stub.url).fetch(asked)

    assert set(found) == {new_id(1), "math/0309136"}
    assert stub.requests[0].query["id_list"] == f"{new_id(1)},math/0309136"


def test_an_entry_not_asked_for_is_not_returned(stub: ArxivStub) -> None:
    stub.queue(Canned(body=build_feed([paper(1), paper(9)])))

    with polite() as http:
        found = ArxivClient(http, stub.url).fetch([new_id(1)])

    assert list(found) == [new_id(1)]


# --- retries and pacing ---------------------------------------------------------


def test_k12_429_then_503_then_empty_body_then_the_feed(stub: ArxivStub) -> None:
    interval, retry_after = 0.2, 1
    stub.add(paper(1, title="The  real\n  title"))
    stub.queue(
        Canned(status=429, headers={"Retry-After": str(retry_after)}),
        Canned(status=503),
        Canned(status=200, body=b""),
    )

    with polite(min_interval=interval, backoff_base=0.05) as http:
        found = ArxivClient(http, stub.url).fetch([new_id(1), new_id(2)])

    assert len(stub.requests) == 4
    gaps = stub.gaps()
    assert gaps[0] >= retry_after - SLACK
    assert all(gap >= interval - SLACK for gap in gaps)
    assert list(found) == [new_id(1)]
    assert found[new_id(1)].title == "The real title"
    assert len({seen.client_port for seen in stub.requests}) == 1


def test_a_200_that_is_not_xml_is_retried(stub: ArxivStub) -> None:
    stub.add(paper(1))
    stub.queue(Canned(body=b"<html>Rate exceeded.</html>"))

    with polite() as http:
        found = ArxivClient(http, stub.url).fetch([new_id(1)])

    assert list(found) == [new_id(1)]
    assert len(stub.requests) == 2


def test_a_dropped_connection_and_a_timeout_are_retried(stub: ArxivStub) -> None:
    stub.add(paper(1))
    stub.queue(Canned(drop=True), Canned(delay=0.6, body=b"late"))

    with polite(timeout=0.2) as http:
        found = ArxivClient(http, stub.url).fetch([new_id(1)])

    assert list(found) == [new_id(1)]
    assert len(stub.requests) == 3


def test_a_400_fails_at_once(stub: ArxivStub) -> None:
    stub.queue(Canned(status=400, body=b"bad request"))

    with polite() as http, pytest.raises(LookupFailedError) as failure:
        ArxivClient(http, stub.url).fetch([new_id(1)])

    assert not isinstance(failure.value, ServiceUnavailableError)
    assert failure.value.status == 400
    assert failure.value.url == stub.url
    assert len(stub.requests) == 1


def test_retries_end_with_service_unavailable_naming_url_and_status(
    stub: ArxivStub,
) -> None:
    stub.queue(*[Canned(status=503)] * 3)

    with (
        polite(max_attempts=3) as http,
        pytest.raises(ServiceUnavailableError) as failure,
    ):
        http.get(stub.url, {"id_list": new_id(1)}, what="1 id")

    assert failure.value.status == 503
    assert failure.value.url == stub.url
    assert len(stub.requests) == 3


def test_fetch_raises_when_arxiv_is_down_from_the_first_batch(
    stub: ArxivStub,
) -> None:
    stub.add(*(paper(n) for n in range(150)))
    stub.queue(*[Canned(status=503)] * 2)

    with polite(max_attempts=2) as http, pytest.raises(ServiceUnavailableError):
        ArxivClient(http, stub.url).fetch([new_id(n) for n in range(150)])

    assert len(stub.requests) == 2  # the second batch is not even tried


def test_fetch_keeps_the_first_batch_when_arxiv_goes_down_after_it(
    stub: ArxivStub, caplog: pytest.LogCaptureFixture
) -> None:
    stub.add(*(paper(n) for n in range(150)))

    with polite(max_attempts=2) as http:
        client = ArxivClient(http, stub.url)
        # The first batch is answered; then arXiv goes down for the second.
        original = client._query

        def query_then_fail(*args: object, **kwargs: object) -> object:
            if stub.requests:
                stub.queue(*[Canned(status=503)] * 2)
            return original(*args, **kwargs)  # type: ignore[arg-type]

        client._query = query_then_fail  # type: ignore[method-assign]
        found = client.fetch([new_id(n) for n in range(150)])

    assert len(found) == 100
    assert "50 of 150 ids left for a later run" in caplog.text


def test_a_retry_after_beyond_the_cap_gives_up_at_once(stub: ArxivStub) -> None:
    stub.queue(Canned(status=429, headers={"Retry-After": "3600"}))

    with polite(backoff_cap=60) as http, pytest.raises(ServiceUnavailableError):
        http.get(stub.url, {"id_list": new_id(1)}, what="1 id")

    assert len(stub.requests) == 1


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2024, 1, 6, 12, 0, 0, tzinfo=UTC)

    assert retry_after_seconds("5", now) == 5
    assert retry_after_seconds("Sat, 06 Jan 2024 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Sat, 06 Jan 2024 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("-3", now) is None
    assert retry_after_seconds(None, now) is None


# --- title search -----------------------------------------------------------------


def test_title_search_sends_one_quoted_phrase_without_syntax(
    stub: ArxivStub,
) -> None:
    stub.add(StubEntry(arxiv_id="2402.00001", title="Attention: Is All You Need?"))

    with polite() as http:
        hits = ArxivClient(http, stub.url).search_title(
            'Attention: Is "All" You Need?', max_results=3
        )

    query = stub.requests[0].query
    assert query["search_query"] == 'ti:"Attention Is All You Need"'
    assert query["max_results"] == "3"
    assert [hit.arxiv_id for hit in hits] == ["2402.00001"]


@pytest.mark.parametrize(
    ("title", "phrase"),
    [
        ("Graphs: (A) [Survey]", "Graphs A Survey"),
        ("Don't Stop: Self-Training", "Don't Stop Self-Training"),
        ("Cats AND Dogs OR Mice ANDNOT Birds", "Cats and Dogs or Mice andnot Birds"),
        ("-Negative +plus self-supervised", "Negative plus self-supervised"),
        ("Backslash \\ alone; ti:x", "Backslash alone ti x"),
        ("A cut title with a partial wor…", "A cut title with a partial"),
        ('"":()', ""),
    ],
)
def test_title_phrase_strips_query_syntax(title: str, phrase: str) -> None:
    assert title_phrase(title) == phrase


def test_an_empty_phrase_makes_no_request(stub: ArxivStub) -> None:
    with polite() as http:
        assert ArxivClient(http, stub.url).search_title('":()"') == []

    assert stub.requests == []


# --- good citizen ---------------------------------------------------------------


def test_one_info_line_per_request_with_status_and_time_and_no_secrets(
    stub: ArxivStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stub.queue(Canned(status=503))
    params = {
        "search": "graphs",
        "mailto": "someone@example.org",
        "api_key": "k3y-Secret",
    }

    with polite() as http:
        http.get(stub.url, params, what="probe")

    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) == len(stub.requests) == 2
    assert {line.name for line in lines} == {"bot.enrich.http"}
    messages = [line.getMessage() for line in lines]
    assert re.search(r"-> 503 \(probe, attempt 1/5\) in \d+ ms$", messages[0])
    assert re.search(r"-> 200 \(probe, attempt 2/5\) in \d+ ms$", messages[1])
    assert "search=graphs" in messages[1]
    assert "mailto=…" in messages[1]
    # Not at DEBUG either, from httpx or httpcore.
    assert "me@example.org" not in caplog.text
    assert "me%40example.org" not in caplog.text
    assert "k3y-Secret" not in caplog.text


def test_the_user_agent_names_scholar_digest(stub: ArxivStub) -> None:
    with polite(user_agent=user_agent("lab@example.org")) as http:
        ArxivClient(http, stub.url).fetch([new_id(1)])

    agent = stub.requests[0].headers["User-Agent"]
    assert agent.startswith("scholar-digest/")
    assert "lab@example.org" in agent
