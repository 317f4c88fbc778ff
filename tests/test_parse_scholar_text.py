"""Behaviour of the Scholar alert plain-text body parser."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest

from bot.parse.scholar_html import parse_scholar_html
from bot.parse.scholar_text import parse_scholar_text
from tests.support import SHARED_SAMPLES

SAMPLES = SHARED_SAMPLES
LINK = "<https://scholar.google.com/scholar_url?url=https://example.org/{n}&hl=en&pos={n}&folt=art>"
FOOTER = (
    "This message was sent by Google Scholar because you're following new "
    "articles written by J. R. Tolkien."
)


def sample_part(name: str, content_type: str) -> str:
    """The first Scholar part of that type in a sample message, decoded."""
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample {path} not available")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    for part in message.walk():
        if part.get_content_type() == content_type:
            assert isinstance(part, EmailMessage)
            text = part.get_content()
            if "scholar" in text:
                return str(text)
    raise AssertionError(f"no {content_type} part in {name}")


def block(title: str, byline: str, *snippet: str, n: int = 0) -> str:
    return "\n".join([title, LINK.format(n=n), byline, *snippet])


def test_results_footer_and_followed_person_are_read() -> None:
    text = "\n\n".join(
        [
            block("First paper", "A One, B Two - Journal, 2026", "Snippet one …", n=0),
            block("Second paper", "C Three - 2025", "Snippet two …", n=1),
            FOOTER,
        ]
    )

    body = parse_scholar_text(text)

    assert [p.title for p in body.papers] == ["First paper", "Second paper"]
    assert body.papers[0].authors == ("A One", "B Two")
    assert (body.papers[0].venue, body.papers[0].year) == ("Journal", 2026)
    assert body.papers[1].snippet == "Snippet two"
    assert body.followed == "J. R. Tolkien"
    assert body.folt == "art"
    assert body.is_scholar
    assert body.problems == ()


def test_title_wrapped_over_two_lines_is_joined() -> None:
    text = block(
        "[PDF] A rather long title that the mail wrapped\nonto a second line",
        "A Author - Venue, 2024",
        "Snippet …",
    )

    paper = parse_scholar_text(text).papers[0]

    assert paper.title == "A rather long title that the mail wrapped onto a second line"
    assert paper.marker == "PDF"


def test_wrapped_byline_runs_to_the_line_ending_in_a_year() -> None:
    text = block(
        "Title",
        "A Author, B Author, C Author, D Author - Proceedings of the Very Long",
        "Conference Name, 2023",
        "The snippet starts here …",
    )

    paper = parse_scholar_text(text).papers[0]

    assert paper.authors == ("A Author", "B Author", "C Author", "D Author")
    assert paper.venue == "Proceedings of the Very Long Conference Name"
    assert paper.year == 2023
    assert paper.snippet == "The snippet starts here"


def test_snippet_line_ending_in_a_year_is_not_byline() -> None:
    text = block(
        "Title",
        "A Author, B Author",
        "We revisit the benchmark released in",
        "2019 and extend it …",
    )

    paper = parse_scholar_text(text).papers[0]

    assert paper.authors == ("A Author", "B Author")
    assert paper.year is None
    assert paper.snippet == "We revisit the benchmark released in 2019 and extend it"


def test_banner_and_forward_header_before_results_are_not_papers() -> None:
    text = "\n\n".join(
        [
            "---------- Forwarded message ---------\n"
            "From: Google Scholar Alerts <scholaralerts-noreply@google.com>",
            "Showing less relevant results because there are no great results.",
            block("Only paper", "S Müller-Lüdenscheidt - 2019", "Snippet …"),
            "Showing most relevant results above and less relevant results below.",
            FOOTER,
        ]
    )

    body = parse_scholar_text(text)

    assert [p.title for p in body.papers] == ["Only paper"]
    assert body.papers[0].authors == ("S Müller-Lüdenscheidt",)
    assert body.papers[0].year == 2019
    assert "Showing" not in (body.papers[0].snippet or "")


def test_cites_line_and_citation_result_without_snippet() -> None:
    text = "\n\n".join(
        [
            block("Citing paper", "A B - V, 2026", "Snippet …", "Cites: My survey"),
            "[CITATION] Only cited\n"
            "<https://scholar.google.com/scholar?cluster=42&hl=en&folt=cit>\n"
            "P Silva, Q Li… - 2025",
        ]
    )

    citing, cited = parse_scholar_text(text).papers

    assert citing.cites == "My survey"
    assert citing.snippet == "Snippet"
    assert cited.marker == "CITATION"
    assert cited.title == "Only cited"
    assert cited.snippet is None
    assert cited.authors_truncated
    assert cited.link == "https://scholar.google.com/scholar?cluster=42&hl=en&folt=cit"
    assert cited.position == 1


def test_link_without_title_is_a_problem_and_the_others_are_kept() -> None:
    text = "\n\n".join(
        [
            block("Good one", "A - V, 2020", n=0),
            LINK.format(n=1) + "\nB - W, 2021",
            block("Good two", "C - X, 2022", n=2),
        ]
    )

    body = parse_scholar_text(text)

    assert [p.title for p in body.papers] == ["Good one", "Good two"]
    assert body.problems == ("result block 1: empty title",)


def test_localised_footer_names_the_followed_person() -> None:
    text = (
        block("论文", "周 明, 李 华 - Springer, 2026", "摘要 …")
        + "\n\n\nGoogle 学术搜索向您发送这封邮件，"
        + "是因为您关注了 Grace Hopper 的文章的新引用。\n"
    )

    body = parse_scholar_text(text)

    assert body.followed == "Grace Hopper"
    assert body.papers[0].snippet == "摘要"
    assert body.papers[0].authors == ("周 明", "李 华")


def test_unknown_footer_sentence_gives_no_followed_name() -> None:
    text = (
        block("T", "A - V, 2020")
        + "\n\nDiese Nachricht wurde von Google gesendet, weil."
    )

    body = parse_scholar_text(text)

    assert body.followed is None
    assert len(body.papers) == 1


def test_crlf_line_ends_are_read() -> None:
    text = block("Title", "A Author - Venue, 2020", "Snippet …").replace("\n", "\r\n")

    paper = parse_scholar_text(text).papers[0]

    assert paper.title == "Title"
    assert paper.link is not None
    assert paper.link.endswith("folt=art")


def test_ordinary_text_is_not_scholar() -> None:
    body = parse_scholar_text("Hi,\n\nsee <https://example.org/page>\n\nBye")

    assert not body.is_scholar
    assert body.papers == ()


@pytest.mark.parametrize(
    ("name", "followed"),
    [
        ("scholar-related-research-en.eml", "Ada Lovelace"),
        ("scholar-citations-zh.eml", "Grace Hopper"),
        ("scholar-search-results-en.eml", '"retrieval augmented generation"'),
        ("forward-inline-gmail.eml", "Ada Lovelace"),
        ("forward-as-attachment.eml", "Grace Hopper"),
    ],
)
def test_sample_text_parts_agree_with_their_html_parts(
    name: str, followed: str
) -> None:
    from_text = parse_scholar_text(sample_part(name, "text/plain"))
    from_html = parse_scholar_html(sample_part(name, "text/html"))

    assert len(from_text.papers) == 3
    assert from_text.problems == ()
    assert from_text.papers == from_html.papers
    assert from_text.followed == followed
    assert from_text.folt == from_html.folt


def test_mimecast_wrapped_links_still_make_a_scholar_body() -> None:
    link = "<https://protect-eu.mimecast.com/s/AbCdEf?domain=scholar.google.com>"
    text = f"Wrapped paper\n{link}\nA Author - Venue, 2026\nSnippet …"

    body = parse_scholar_text(text)

    assert body.is_scholar
    assert body.papers[0].link == link.strip("<>")
    assert body.papers[0].position == 0
