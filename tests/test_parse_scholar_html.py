"""Behaviour of the Scholar alert HTML body parser."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

import bot.parse.scholar_body
from bot.parse.scholar_body import Byline
from bot.parse.scholar_html import parse_scholar_html
from bot.text import normalize_title
from tests.support import SHARED_SAMPLES

FIXTURES = Path(__file__).parent / "fixtures" / "bodies"
SAMPLES = SHARED_SAMPLES
SCHOLAR_URL = "https://scholar.google.com/scholar_url?url=https://example.org/{n}&amp;hl=en&amp;oi=scholaralrt&amp;pos={n}&amp;folt=rel"


def result(
    title: str,
    byline: str | None = "A Author - Venue, 2026",
    snippet: str | None = "A snippet&nbsp;…",
    *,
    n: int = 0,
    href: str | None = None,
    marker: str = "",
    anchor_class: str = "gse_alrt_title",
) -> str:
    """One result block in Scholar's shape."""
    link = SCHOLAR_URL.format(n=n) if href is None else href
    parts = [
        f'<h3>{marker} <a class="{anchor_class}" href="{link}">{title}</a></h3>',
        f'<div style="color:#006621">{byline}</div>' if byline is not None else "",
        f'<div class="gse_alrt_sni">{snippet}</div>' if snippet is not None else "",
        '<div><table><tr><td><a href="https://scholar.google.com/citations?'
        'hl=en&amp;update_op=email_library_add&amp;info=x">Save</a></td>'
        '<td><a href="https://scholar.google.com/scholar_share?hl=en&amp;'
        'url=https://example.org/">Twitter</a></td></tr></table></div><br>',
    ]
    return "\n".join(parts)


def page(*blocks: str) -> str:
    return "<html><body><div>" + "\n".join(blocks) + "</div></body></html>"


def sample_part(name: str, content_type: str) -> str:
    """The first part of that type in a sample message, decoded."""
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


def test_k01_all_results_banner_and_divider_are_not_papers() -> None:
    body = parse_scholar_html((FIXTURES / "all_results.html").read_text())

    assert [p.title for p in body.papers] == [
        "Paper one about caching",
        "Paper two about indexes",
        "Paper three about joins",
    ]
    assert body.problems == ()
    for paper in body.papers:
        shown = " ".join([paper.title, *paper.authors, paper.venue or ""])
        shown += paper.snippet or ""
        assert "Showing" not in shown
        assert "relevant" not in shown
    assert body.papers[2].authors == ("D Four", "E Five")
    assert body.papers[2].year == 2024
    assert body.papers[1].snippet == "Second paper snippet"
    assert body.followed == "caching joins"
    assert body.folt == "kw"


def test_k01_one_malformed_block_keeps_the_others() -> None:
    html = page(
        result("First good paper", n=0),
        '<h3><a class="gse_alrt_title" href="https://scholar.google.com/'
        'scholar_url?url=https://example.org/x&amp;pos=1"><b> </b></a></h3>'
        "<div>broken <span>byline",
        result("Second good paper", n=2),
        result("Third good paper", n=3),
    )

    body = parse_scholar_html(html)

    assert [p.title for p in body.papers] == [
        "First good paper",
        "Second good paper",
        "Third good paper",
    ]
    assert body.problems == ("result block 1: empty title",)


def test_an_exception_inside_one_block_is_recorded_with_its_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_split = bot.parse.scholar_body.split_byline

    def fragile_split(raw: str) -> Byline:
        if "BROKEN" in raw:
            raise RuntimeError("cannot read this byline")
        return real_split(raw)

    monkeypatch.setattr(bot.parse.scholar_body, "split_byline", fragile_split)
    html = page(
        result("Kept one", n=0),
        result("Lost one", "BROKEN - Nowhere, 2020", n=1),
        result("Kept two", n=2),
    )

    body = parse_scholar_html(html)

    assert [p.title for p in body.papers] == ["Kept one", "Kept two"]
    assert body.problems == ("result block 1: RuntimeError: cannot read this byline",)


def test_missing_byline_keeps_the_paper_and_records_a_problem() -> None:
    body = parse_scholar_html(page(result("No byline here", None, n=4)))

    assert [p.title for p in body.papers] == ["No byline here"]
    assert body.papers[0].snippet == "A snippet"
    assert body.papers[0].authors == ()
    assert body.problems == ("result block 0: no byline",)


def test_k02_cluster_link_result_is_kept() -> None:
    cluster = (
        "https://scholar.google.com/scholar?cluster=1234567890&amp;hl=en"
        "&amp;oi=scholaralrt&amp;folt=rel"
    )
    body = parse_scholar_html(
        page(
            result("A normal paper", n=0),
            result("A paper known only by its cluster", href=cluster),
        )
    )

    assert len(body.papers) == 2
    clustered = body.papers[1]
    assert clustered.title == "A paper known only by its cluster"
    assert clustered.link == (
        "https://scholar.google.com/scholar?cluster=1234567890&hl=en"
        "&oi=scholaralrt&folt=rel"
    )
    # No pos= in a cluster link: the block index stands in.
    assert clustered.position == 1


@pytest.mark.parametrize(
    "japanese_title_html",
    ["深層学習による<b>画像</b>認識の研究", "深層学習による画像認識の研究"],
)
def test_k05_same_byline_different_years_are_four_papers_and_japanese_text_is_kept(
    japanese_title_html: str,
) -> None:
    byline = "J de Vries, K Jansen&nbsp;- Psychological Test Reports, {year}"
    battery = page(
        result("The ABC test battery: norms", byline.format(year=2026), n=0),
        result("De ABC-testbatterij: normen", byline.format(year=2026), n=1),
        result("The ABC test battery: norms", byline.format(year=2025), n=2),
        result("De ABC-testbatterij: normen", byline.format(year=2025), n=3),
    )
    japanese = page(
        result(
            japanese_title_html,
            "山田 太郎, 佐藤 花子&nbsp;- 情報処理学会論文誌, 2026",
            "本研究では、深層学習を用いた画像認識手法を提案する。<br>"
            "実験により有効性を示す&nbsp;…",
        )
    )

    papers = parse_scholar_html(battery).papers
    paper = parse_scholar_html(japanese).papers[0]

    assert [(p.title, p.year) for p in papers] == [
        ("The ABC test battery: norms", 2026),
        ("De ABC-testbatterij: normen", 2026),
        ("The ABC test battery: norms", 2025),
        ("De ABC-testbatterij: normen", 2025),
    ]
    assert {p.authors for p in papers} == {("J de Vries", "K Jansen")}
    assert paper.title == "深層学習による画像認識の研究"
    # Scholar's <br> inside Japanese text joins without a space.
    assert paper.snippet == (
        "本研究では、深層学習を用いた画像認識手法を提案する。実験により有効性を示す"
    )
    assert paper.authors == ("山田 太郎", "佐藤 花子")
    assert paper.venue == "情報処理学会論文誌"


def test_k07_highlighted_title_is_single_spaced_and_cut_title_flagged() -> None:
    long_title = "Towards " + "very " * 25 + "long titles"
    cut = long_title[:140]
    html = page(
        result(
            "Efficient <b>graph</b> neural <font color=red>networks</font>",
            "M Ahmed, C Dubois&nbsp;- Molecules, 2026",
            n=0,
        ),
        result(
            f"{cut}&nbsp;…",
            "E Rossi, B Tanaka, N Osei&nbsp;…&nbsp;- Information Processing &amp;"
            "&nbsp;…, 2026",
            n=1,
        ),
    )

    whole, truncated = parse_scholar_html(html).papers

    assert whole.title == "Efficient graph neural networks"
    assert not whole.title_truncated
    assert (whole.authors, whole.venue, whole.year) == (
        ("M Ahmed", "C Dubois"),
        "Molecules",
        2026,
    )
    assert truncated.title == cut.rstrip()
    assert truncated.title_truncated
    assert truncated.authors == ("E Rossi", "B Tanaka", "N Osei")
    assert truncated.authors_truncated
    # A cut venue keeps its mark: nothing matches on venues, readers see the cut.
    assert truncated.venue == "Information Processing & …"
    assert truncated.year == 2026


def test_k28_title_with_entities_and_tex_keeps_raw_text_and_normalizes() -> None:
    title = (
        r"Spin &amp;amp; charge order in La$_{2-x}$Sr$_x$CuO$_4$: a L\'evy-flight view"
    )
    arxiv_spelling = (
        "Spin & charge order in\n  La$_{2-x}$Sr$_x$CuO$_4$:  a L\\'evy-flight view"
    )

    paper = parse_scholar_html(page(result(title))).papers[0]

    assert paper.title == (
        r"Spin & charge order in La$_{2-x}$Sr$_x$CuO$_4$: a L\'evy-flight view"
    )
    assert normalize_title(paper.title) == normalize_title(arxiv_spelling)


def test_hyphenated_author_names_are_not_split() -> None:
    html = page(
        result(
            "Scaling Laws",
            "S Müller-Lüdenscheidt, K Al-Sayed - arXiv preprint arXiv:2612.00987v3,"
            " 2026",
        )
    )

    paper = parse_scholar_html(html).papers[0]

    assert paper.authors == ("S Müller-Lüdenscheidt", "K Al-Sayed")
    assert paper.venue == "arXiv preprint arXiv:2612.00987v3"
    assert (paper.arxiv_id, paper.arxiv_version) == ("2612.00987", 3)


def test_byline_without_dash_is_all_authors() -> None:
    paper = parse_scholar_html(page(result("T", "A Author, B Author"))).papers[0]

    assert paper.authors == ("A Author", "B Author")
    assert (paper.venue, paper.year) == (None, None)


def test_byline_with_name_and_year_only() -> None:
    paper = parse_scholar_html(page(result("T", "J Smith&nbsp;- 2019"))).papers[0]

    assert paper.authors == ("J Smith",)
    assert (paper.venue, paper.year) == (None, 2019)


def test_gmail_prefixed_class_names_are_recognised() -> None:
    html = page(
        result("Forwarded paper", anchor_class="m_-8812345gse_alrt_title", n=5)
    ).replace('class="gse_alrt_sni"', 'class="m_-8812345gse_alrt_sni"')

    body = parse_scholar_html(html)

    assert body.is_scholar
    assert [p.title for p in body.papers] == ["Forwarded paper"]
    assert body.papers[0].snippet == "A snippet"
    assert body.papers[0].position == 5


def test_empty_headings_tracking_pixel_and_footer_are_not_papers() -> None:
    pixel = (
        '<img src="https://scholar.google.com/scholar_url?url=https://scholar.'
        'google.com/scholar/images/cleardot.gif&amp;hl=en&amp;folt=rel" width="1">'
    )
    html = page(
        "<h3></h3><h3> </h3>",
        result("The only paper"),
        "<p>This message was sent by Google Scholar because you're following "
        '<a href="https://scholar.google.com/citations?hl=en&amp;user=ABC">'
        "Ada Lovelace</a>.</p>",
        '<p><a href="https://scholar.google.com/scholar_alerts?view_op=list_alerts">'
        "List alerts</a></p>",
        pixel,
    )

    body = parse_scholar_html(html)

    assert [p.title for p in body.papers] == ["The only paper"]
    assert body.followed == "Ada Lovelace"
    assert body.problems == ()


def test_pixel_alone_marks_a_scholar_body_without_papers() -> None:
    html = (
        '<p>Nothing new.</p><img src="https://scholar.google.com/scholar_url?'
        'url=https://scholar.google.com/scholar/images/cleardot.gif">'
    )

    body = parse_scholar_html(html)

    assert body.is_scholar
    assert body.papers == ()


def test_ordinary_html_is_not_scholar() -> None:
    body = parse_scholar_html("<h3><a href='https://example.org'>Hi</a></h3><p>x</p>")

    assert not body.is_scholar
    assert body.papers == ()


def test_cites_line_is_read_and_share_row_is_not_a_paper() -> None:
    block = result("Citing paper").replace(
        "<div><table>",
        '<div style="color:#777">Cites: Vector Database Systems: A Survey</div>'
        "<div><table>",
    )

    body = parse_scholar_html(page(block))

    assert len(body.papers) == 1
    assert body.papers[0].cites == "Vector Database Systems: A Survey"


@pytest.mark.parametrize(
    ("marker_html", "expected"),
    [
        ('<span style="font-size:11px">[PDF]</span>', "PDF"),
        ("<span>[HTML]</span>", "HTML"),
        ("<span>[BOOK]</span>", "BOOK"),
        ("<span>PDF</span>", "PDF"),
        ("<span>[引用]</span>", "CITATION"),
        ("", None),
    ],
)
def test_marker_span_is_read_in_bracketed_and_bare_forms(
    marker_html: str, expected: str | None
) -> None:
    paper = parse_scholar_html(page(result("T", marker=marker_html))).papers[0]

    assert paper.marker == expected
    assert paper.title == "T"


def test_citation_result_has_no_snippet() -> None:
    html = page(
        result(
            "Only cited",
            "P Silva, Q Li…&nbsp;- 2025",
            None,
            marker="<span>[CITATION]</span>",
        )
    )

    paper = parse_scholar_html(html).papers[0]

    assert paper.marker == "CITATION"
    assert paper.snippet is None
    assert paper.authors == ("P Silva", "Q Li")
    assert paper.authors_truncated
    assert paper.year == 2025


def test_clean_href_is_kept_over_the_gmail_redirect() -> None:
    html = page(
        '<h3><a class="gse_alrt_title" href="https://scholar.google.com/scholar_url?'
        'url=https://example.org/a&amp;pos=7" data-saferedirecturl="https://www.'
        'google.com/url?q=https://scholar.google.com/x&amp;source=gmail">Kept</a></h3>'
        "<div>A - B, 2020</div>",
        '<h3><a class="gse_alrt_title" data-saferedirecturl="https://www.google.com/'
        'url?q=https://scholar.google.com/y">Redirect only</a></h3>'
        "<div>A - B, 2020</div>",
    )

    first, second = parse_scholar_html(html).papers

    assert (
        first.link
        == "https://scholar.google.com/scholar_url?url=https://example.org/a&pos=7"
    )
    assert first.position == 7
    assert second.link == "https://www.google.com/url?q=https://scholar.google.com/y"


def test_unclosed_tags_do_not_raise_and_keep_every_result() -> None:
    html = (
        '<div><h3><a class="gse_alrt_title" href="u1">First title<div>A One - V, 2020'
        '<div class="gse_alrt_sni">first snippet'
        '<h3><a class="gse_alrt_title" href="u2">Second <b>title</h3>'
        "<div>B Two - W, 2021<div class=gse_alrt_sni>second snippet"
    )

    body = parse_scholar_html(html)

    assert [(p.title, p.authors, p.year) for p in body.papers] == [
        ("First title", ("A One",), 2020),
        ("Second title", ("B Two",), 2021),
    ]
    assert [p.snippet for p in body.papers] == ["first snippet", "second snippet"]


def test_invisible_characters_are_removed_from_titles() -> None:
    paper = parse_scholar_html(
        page(result("Bidi\u200e \u202aclean\u202c\u200b title"))
    ).papers[0]

    assert paper.title == "Bidi clean title"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "scholar-related-research-en.eml",
            [
                "arxiv.org/pdf/2612.01234",
                "10.1145/3700001.3700002",
                "openreview.net/pdf",
            ],
        ),
        (
            "scholar-citations-zh.eml",
            [
                "10.1007/978-3-031-00001-2_7",
                "arxiv.org/abs/2611.04567v2",
                "scholar?cluster=",
            ],
        ),
        (
            "scholar-search-results-en.eml",
            [
                "www.mdpi.com/",
                "sciencedirect.com/science/article/pii/",
                "arxiv.org/abs/2612.00987",
            ],
        ),
        (
            "forward-inline-gmail.eml",
            [
                "arxiv.org/pdf/2612.01234",
                "10.1145/3700001.3700002",
                "openreview.net/pdf",
            ],
        ),
        (
            "forward-as-attachment.eml",
            [
                "10.1007/978-3-031-00001-2_7",
                "arxiv.org/abs/2611.04567v2",
                "scholar?cluster=",
            ],
        ),
    ],
)
def test_sample_html_parts_give_the_listed_papers(
    name: str, expected: list[str]
) -> None:
    body = parse_scholar_html(sample_part(name, "text/html"))

    assert body.is_scholar
    assert body.problems == ()
    assert len(body.papers) == len(expected)
    for paper, target in zip(body.papers, expected, strict=True):
        assert paper.link is not None
        assert target in paper.link
    assert [p.position for p in body.papers] == [0, 1, 2]


def test_sample_search_alert_details() -> None:
    body = parse_scholar_html(sample_part("scholar-search-results-en.eml", "text/html"))

    first, second, third = body.papers
    assert first.title == "Efficient graph neural networks for molecules"
    assert first.marker == "PDF"
    assert second.title_truncated
    assert second.title.endswith("Human Agreement Studies Across")
    assert third.authors == ("S Müller-Lüdenscheidt", "K Al-Sayed")
    assert third.arxiv_id == "2612.00987"
    assert body.followed == '"retrieval augmented generation"'
    assert body.folt == "kw"


def test_sample_chinese_citation_alert_names_the_followed_person() -> None:
    body = parse_scholar_html(sample_part("scholar-citations-zh.eml", "text/html"))

    assert body.followed == "Grace Hopper"
    assert body.folt == "cit"
    assert body.papers[0].authors == ("周 明", "李 华", "王 芳")
    assert body.papers[0].cites == "Vector Database Management Systems: A Survey"
    assert body.papers[2].marker == "CITATION"
    assert body.papers[2].snippet is None


def test_parts_of_the_next_result_never_join_this_one() -> None:
    bare = result("Cited only", "P Silva - 2025", None, n=0).replace(
        "<div><table>", "<div><span>no share row</span></div><div>"
    )
    citing = result("Citing", n=1).replace(
        "<div><table>", '<div style="color:#777">Cites: Some survey</div><div><table>'
    )

    first, second = parse_scholar_html(page(bare, citing)).papers

    assert (first.snippet, first.cites) == (None, None)
    assert (second.snippet, second.cites) == ("A snippet", "Some survey")


def test_footer_with_empty_link_text_names_nobody() -> None:
    html = page(
        result("Paper"),
        "<p>Sent because you're following new articles related to research by "
        '<a href="https://scholar.google.com/citations?hl=en&amp;user=X"></a>.</p>',
    )

    assert parse_scholar_html(html).followed is None
