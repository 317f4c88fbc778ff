"""Sample mail builders: real MIME shapes, exact targets, an inbox that can't drift."""

from __future__ import annotations

import email
import html
import re
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from bot.samples.builder import (
    INBOX,
    LinkWrap,
    ListingPaper,
    ListingReplacement,
    SampleResult,
    build_arxiv_listing,
    build_scholar_alert,
    forward_as_attachment,
    forward_inline_apple,
    forward_inline_gmail,
    forward_inline_outlook,
    forward_inline_thunderbird,
    iter_bulk_alerts,
    wrap_link,
    write_sample_inbox,
)

DATE = datetime(2026, 11, 30, 6, 5, tzinfo=UTC)
DIRECT = "https://ieeexplore.ieee.org/document/11407736"
WITH_VIA = (
    "https://www.sciencedirect.com/science/article/pii/S0169023X26000418?via%3Dihub"
)
WITH_QUERY = "https://openreview.net/pdf?id=Hq4rW8uTz1"
WITH_AMPERSAND = "https://repository.example.edu/bitstream/1794/3310?seq=2&isAllowed=y"

TILED = SampleResult(
    title="Tiled Graph Neural Networks for Out-of-Core Training",
    link_target=WITH_VIA,
    authors=("V Nakashima", "O Brennan-Diaz"),
    venue="Data & Knowledge Engineering",
    year=2026,
    snippet=(
        "Training graph neural networks on graphs larger than device memory "
        "spends most of its time moving features. We tile the adjacency "
        "matrix so that each tile's features are loaded once per epoch"
    ),
    marker="[PDF]",
    highlights=("Graph",),
)
VERIFIED = SampleResult(
    title="Verified Crash Recovery for a Log-Structured Merge Tree",
    link_target=WITH_QUERY,
    authors=("E Lindholm",),
    venue=None,
    year=2026,
    snippet="We verify the recovery code of a production LSM engine and find",
)
BATCHED = SampleResult(
    title="Batched Bloom Filter Probes on Wide Vector Units",
    link_target=WITH_AMPERSAND,
    authors=("R Quintero", "S Haddad", "P Wu"),
    authors_truncated=True,
    venue="Proceedings of the VLDB Endowment",
    year=2025,
    snippet="Bloom filter probes stall on cache misses; batching them hides",
)
CLUSTERED = SampleResult(
    title="Incremental View Maintenance for Recursive Queries",
    link_target=None,
    cluster_id="8826104417390056612",
    authors=("M Ferraz",),
    venue=None,
    year=2024,
    snippet=None,
    marker="[CITATION]",
)
RESULTS = [TILED, VERIFIED, BATCHED, CLUSTERED]


def alert(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "subject": "Noor Haddad - new related research",
        "followed": "Noor Haddad",
        "folt": "rel",
        "results": RESULTS,
        "message_id": "000000000000test0001@google.com",
        "date": DATE,
    }
    arguments.update(overrides)
    return build_scholar_alert(**arguments)  # type: ignore[arg-type]


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None, f"no text/{kind} body"
    return str(part.get_content())


def title_anchors(page: str) -> list[tuple[str, str]]:
    """(href, visible title) of every result title link in an HTML page."""
    found = re.findall(
        r'<a href="([^"]*)" class="[^"]*gse_alrt_title"[^>]*>(.*?)</a>', page
    )
    return [
        (html.unescape(href), html.unescape(re.sub("<[^>]+>", "", text)))
        for href, text in found
    ]


def url_param(href: str) -> str:
    return parse_qs(urlsplit(href).query)["url"][0]


def html_pages(message: EmailMessage) -> Iterator[str]:
    """Every text/html body, including those of attached messages."""
    for part in message.walk():
        if part.get_content_type() == "text/html":
            yield str(part.get_content())


# --- Scholar alerts -------------------------------------------------------


def test_alert_is_multipart_alternative_text_before_html() -> None:
    message = parse(alert())
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert message.defects == []
    assert message["From"].addresses[0].addr_spec == "scholaralerts-noreply@google.com"
    assert message["Message-ID"] == "<000000000000test0001@google.com>"


def test_non_ascii_subject_and_sender_are_rfc2047_encoded() -> None:
    raw = alert(
        subject="Noor Haddad的文章新增了 4 次引用",
        folt="cit",
        language="zh",
        sender_name="Google 学术搜索快讯",
    )
    head = raw.split(b"\n\n", 1)[0]
    assert head.isascii()
    assert b"=?utf-8?b?" in head
    message = parse(raw)
    assert message["Subject"] == "Noor Haddad的文章新增了 4 次引用"
    assert message["From"].addresses[0].display_name == "Google 学术搜索快讯"


def test_chinese_alert_localises_footer_and_links() -> None:
    page = body(parse(alert(folt="cit", language="zh")), "html")
    assert "是因为您关注了 <a href=" in page
    assert ">Noor Haddad</a> 的文章的新引用" in page
    hrefs = [href for href, _ in title_anchors(page)]
    assert all(parse_qs(urlsplit(h).query)["hl"] == ["zh-CN"] for h in hrefs)


def test_amp_part_sits_between_text_and_html() -> None:
    message = parse(alert(with_amp_part=True))
    types = [p.get_content_type() for p in message.iter_parts()]
    assert types == ["text/plain", "text/x-amp-html", "text/html"]
    assert body(message, "html").startswith("<!doctype html><html><head>")


def test_html_only_alert_has_no_text_part() -> None:
    message = parse(alert(with_text_part=False))
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/html"]


@pytest.mark.parametrize("encoding", ["base64", "8bit"])
def test_every_transfer_encoding_decodes_to_the_same_bodies(encoding: str) -> None:
    reference = parse(alert())
    other_raw = alert(transfer_encoding=encoding)
    other = parse(other_raw)
    assert body(other, "html") == body(reference, "html")
    assert body(other, "plain") == body(reference, "plain")
    assert f"Content-Transfer-Encoding: {encoding}".encode() in other_raw
    assert (b'class="gse_alrt_title"' in other_raw) == (encoding == "8bit")


def test_quoted_printable_lines_fit_76_columns_and_escape_equals() -> None:
    raw = alert()
    body_bytes = raw.split(b"\n\n", 1)[1]
    assert max(len(line) for line in body_bytes.splitlines()) <= 76
    assert b"href=3D" in raw
    assert b'href="' not in raw


def test_result_targets_round_trip_through_the_url_parameter() -> None:
    page = body(parse(alert()), "html")
    hrefs = [href for href, _ in title_anchors(page)]
    assert [url_param(h) for h in hrefs[:3]] == [WITH_VIA, WITH_QUERY, WITH_AMPERSAND]
    # Encoded exactly once: a second decode would corrupt the %3D target.
    assert "pii/S0169023X26000418%3Fvia%253Dihub&" in hrefs[0]
    assert unquote(url_param(hrefs[0])) != WITH_VIA
    assert hrefs[0].startswith("https://scholar.google.com/scholar_url?url=https://")
    assert [parse_qs(urlsplit(h).query)["pos"] for h in hrefs[:3]] == [
        ["0"],
        ["1"],
        ["2"],
    ]


def test_wholly_encoded_target_still_decodes_once() -> None:
    encoded = SampleResult(
        title="Columnar Compression for Time-Series Joins",
        link_target="https://arxiv.org/abs/2611.20417v3",
        authors=("H Ito",),
        venue="arXiv preprint arXiv:2611.20417",
        year=2026,
        snippet="Time-series joins decompress more data than they need",
        whole_target_encoded=True,
    )
    page = body(parse(alert(results=[encoded], host="scholar.google.ru")), "html")
    [(href, _)] = title_anchors(page)
    assert href.startswith("https://scholar.google.ru/scholar_url?url=https%3A%2F%2F")
    assert url_param(href) == "https://arxiv.org/abs/2611.20417v3"


def test_text_part_carries_the_same_links_as_the_html() -> None:
    message = parse(alert())
    text_links = re.findall(r"^<(https://[^>]+)>$", body(message, "plain"), re.M)
    html_links = [href for href, _ in title_anchors(body(message, "html"))]
    assert text_links[: len(html_links)] == html_links


def test_cluster_result_has_no_target_and_no_snippet() -> None:
    page = body(parse(alert()), "html")
    href, title = title_anchors(page)[3]
    parts = urlsplit(href)
    assert parts.path == "/scholar"
    assert parse_qs(parts.query)["cluster"] == ["8826104417390056612"]
    assert "url" not in parse_qs(parts.query)
    assert title == "Incremental View Maintenance for Recursive Queries"
    assert page.count('class="gse_alrt_sni"') == 3


def test_byline_uses_no_break_space_dash_and_keeps_hyphenated_names() -> None:
    page = body(parse(alert()), "html")
    assert (
        "V Nakashima, O Brennan-Diaz&nbsp;- Data &amp; Knowledge Engineering, 2026"
        in page
    )
    assert "R Quintero, S Haddad, P Wu…&nbsp;- Proceedings of the VLDB" in page
    assert (
        '<div style="color:#006621;line-height:18px">E Lindholm&nbsp;- 2026</div>'
        in page
    )


def test_truncated_title_and_highlights_render_like_scholar() -> None:
    cut = SampleResult(
        title="Learned Cost Models for Query Optimization over Heterogeneous",
        link_target=DIRECT,
        authors=("J Ruiz",),
        venue="Information Systems",
        year=2026,
        snippet="Cost models trained on one engine transfer poorly to another",
        truncated=True,
        highlights=("Cost", "Query"),
    )
    message = parse(alert(results=[cut], folt="kw", followed="learned cost model"))
    page = body(message, "html")
    assert "Learned <b>Cost</b> Models for <b>Query</b> Optimization" in page
    assert "Heterogeneous&nbsp;…</a></h3>" in page
    assert "Heterogeneous\u00a0…\n<https://" in body(message, "plain")


def test_highlight_missing_from_title_is_refused() -> None:
    with pytest.raises(ValueError, match="highlights not in title"):
        SampleResult("Plain Title", DIRECT, (), None, None, None, highlights=("X",))


def test_banner_and_divider_sit_outside_the_results() -> None:
    page = body(parse(alert(banner=True, divider_after=1, folt="kw")), "html")
    banner = page.index("Showing less relevant results")
    divider = page.index("less relevant to this alert")
    anchors = [m.start() for m in re.finditer("gse_alrt_title", page)]
    assert banner < anchors[1]  # [0] is the <style> rule
    assert anchors[2] < divider < anchors[3]
    assert len(title_anchors(page)) == len(RESULTS)


def test_footer_pixel_and_alert_links_are_present() -> None:
    page = body(parse(alert()), "html")
    assert "This message was sent by Google Scholar because you're following" in page
    assert "update_op=email_library_add" in page
    assert "scholar_share?" in page
    assert "view_op=list_alerts" in page
    assert "view_op=cancel_alert_options" in page
    pixel = re.search(r'<img src="([^"]+)" width="1" height="1"', page)
    assert pixel is not None
    assert url_param(html.unescape(pixel.group(1))).endswith("/cleardot.gif")


def test_same_arguments_give_same_bytes_and_tokens_follow_message_id() -> None:
    assert alert() == alert()
    first = title_anchors(body(parse(alert()), "html"))[0][0]
    other = alert(message_id="000000000000test0002@google.com")
    second = title_anchors(body(parse(other), "html"))[0][0]
    assert (
        parse_qs(urlsplit(first).query)["ei"] != parse_qs(urlsplit(second).query)["ei"]
    )
    assert url_param(first) == url_param(second)


# --- Link wrappers --------------------------------------------------------

SCHOLAR_LINK = (
    "https://scholar.google.com/scholar_url?url=https://www.sciencedirect.com"
    "/science/article/pii/S0169023X26000418%3Fvia%253Dihub&hl=en"
)


def test_safelinks_wraps_the_link_and_carries_the_recipient() -> None:
    wrapped = wrap_link(SCHOLAR_LINK, LinkWrap.SAFELINKS, recipient="ana@example.org")
    parts = urlsplit(wrapped)
    assert parts.hostname is not None
    assert parts.hostname.endswith(".safelinks.protection.outlook.com")
    query = parse_qs(parts.query)
    assert query["url"] == [SCHOLAR_LINK]
    assert "ana@example.org" in query["data"][0]
    assert url_param(query["url"][0]) == WITH_VIA


def test_gmail_redirect_wraps_the_link_in_q() -> None:
    wrapped = wrap_link(SCHOLAR_LINK, LinkWrap.GMAIL, recipient="ana@example.org")
    assert wrapped.startswith("https://www.google.com/url?q=")
    assert parse_qs(urlsplit(wrapped).query)["q"] == [SCHOLAR_LINK]


def test_proofpoint_v2_decodes_by_its_documented_substitutions() -> None:
    wrapped = wrap_link(SCHOLAR_LINK, LinkWrap.PROOFPOINT_V2, recipient="a@b.org")
    encoded = parse_qs(urlsplit(wrapped).query)["u"][0]
    assert "/" not in encoded and "%" not in encoded
    assert unquote(encoded.replace("-", "%").replace("_", "/")) == SCHOLAR_LINK


def test_mimecast_link_is_opaque() -> None:
    wrapped = wrap_link(SCHOLAR_LINK, LinkWrap.MIMECAST, recipient="a@b.org")
    parts = urlsplit(wrapped)
    assert parts.hostname == "protect-eu.mimecast.com"
    assert parts.path.startswith("/s/")
    assert parse_qs(parts.query) == {"domain": ["scholar.google.com"]}
    assert "sciencedirect" not in wrapped


def test_wrapped_alert_rewrites_every_anchor_but_not_the_pixel() -> None:
    page = body(parse(alert(link_wrap=LinkWrap.SAFELINKS)), "html")
    anchors = re.findall(r'<a href="([^"]+)"', page)
    assert anchors
    assert all(".safelinks.protection.outlook.com/?url=" in a for a in anchors)
    assert re.search(r'<img src="https://scholar\.google\.com/scholar_url', page)
    title_href = title_anchors(page)[0][0]
    assert url_param(url_param(title_href)) == WITH_VIA


# --- Forwards -------------------------------------------------------------

FORWARDER = "Ana Lima <ana.lima@example.org>"


def targets(page: str) -> list[str]:
    found = []
    for href, _ in title_anchors(page):
        query = parse_qs(urlsplit(href).query)
        found.append(query["url"][0] if "url" in query else query["cluster"][0])
    return found


EXPECTED_TARGETS = [WITH_VIA, WITH_QUERY, WITH_AMPERSAND, "8826104417390056612"]


def test_gmail_forward_quotes_the_alert_with_prefixed_classes() -> None:
    raw = forward_inline_gmail(
        alert(), forwarder=FORWARDER, message_id="g1@mail.gmail.com", date=DATE
    )
    message = parse(raw)
    assert message["Subject"] == "Fwd: Noor Haddad - new related research"
    assert message["From"].addresses[0].addr_spec == "ana.lima@example.org"
    page = body(message, "html")
    assert 'class="gmail_quote"' in page
    assert "---------- Forwarded message ---------" in body(message, "plain")
    assert re.search(r'class="m_\d+gse_alrt_title"', page)
    assert 'class="gse_alrt_title"' not in page
    assert targets(page) == EXPECTED_TARGETS


def test_outlook_forward_is_base64_with_a_french_header_block() -> None:
    raw = forward_inline_outlook(
        alert(),
        forwarder="Élodie Roux <e.roux@example.fr>",
        message_id="o1@example.fr",
        date=DATE,
    )
    message = parse(raw)
    encodings = [p["Content-Transfer-Encoding"] for p in message.iter_parts()]
    assert encodings == ["base64", "base64"]
    assert message["Subject"] == "TR: Noor Haddad - new related research"
    assert message["From"].addresses[0].display_name == "Élodie Roux"
    page = body(message, "html")
    assert "<b>De&nbsp;:</b> Google Scholar Alerts" in page
    assert "<b>Envoyé&nbsp;:</b> lundi 30 novembre 2026 06:05" in page
    assert "<b>Objet&nbsp;:</b>" in page
    assert "Objet\u00a0: Noor Haddad" in body(message, "plain")
    assert targets(page) == EXPECTED_TARGETS


def test_apple_forward_puts_the_alert_html_in_a_second_html_part() -> None:
    original = alert()
    message = parse(
        forward_inline_apple(
            original, forwarder=FORWARDER, message_id="a1@example.org", date=DATE
        )
    )
    assert message.get_content_type() == "multipart/mixed"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/html", "text/html"]
    assert "Begin forwarded message:" in str(parts[0].get_content())
    assert title_anchors(str(parts[0].get_content())) == []
    assert parts[1].get_content() == body(parse(original), "html")


def test_thunderbird_forward_has_a_localised_header_table() -> None:
    message = parse(
        forward_inline_thunderbird(
            alert(), forwarder=FORWARDER, message_id="t1@example.org", date=DATE
        )
    )
    assert message["Content-Transfer-Encoding"] == "8bit"
    page = body(message, "html")
    assert "-------- Weitergeleitete Nachricht --------" in page
    assert "Betreff: </th><td>Noor Haddad - new related research</td>" in page
    assert targets(page) == EXPECTED_TARGETS


def test_forward_as_attachment_keeps_each_alert_whole() -> None:
    first = alert()
    second = alert(message_id="000000000000test0002@google.com", results=[VERIFIED])
    raw = forward_as_attachment(
        [first, second],
        forwarder=FORWARDER,
        note="Две подборки.",
        filename="Оповещение Scholar.eml",
        message_id="f1@example.org",
        date=DATE,
    )
    assert b"filename*0*=utf-8''%D0%9E" in raw
    assert first in raw and second in raw
    message = parse(raw)
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == [
        "text/plain",
        "message/rfc822",
        "message/rfc822",
    ]
    assert parts[0].get_content() == "Две подборки.\n"
    assert [p.get_filename() for p in parts[1:]] == [
        "Оповещение Scholar.eml",
        "Оповещение Scholar (2).eml",
    ]
    inner = [p.get_content() for p in parts[1:]]
    assert [m["Message-ID"] for m in inner] == [
        "<000000000000test0001@google.com>",
        "<000000000000test0002@google.com>",
    ]


def test_ascii_attachment_name_is_a_plain_quoted_parameter() -> None:
    raw = forward_as_attachment(
        [alert()],
        forwarder=FORWARDER,
        note="fyi",
        filename="alert.eml",
        message_id="f2@example.org",
        date=DATE,
    )
    assert b'Content-Disposition: attachment; filename="alert.eml"' in raw


# --- arXiv listings -------------------------------------------------------

LISTED = ListingPaper(
    arxiv_id="2611.31402",
    title=(
        "Workload-Aware Placement of Learned Indexes Across Tiered Storage in "
        "Cloud Data Warehouses"
    ),
    authors=('Bj\\"orn Str\\"om', "Leila Amari", "Tom\\'as Rivas"),
    categories=("cs.DB", "cs.DC"),
    abstract=(
        "Cloud warehouses keep indexes on fast storage whether or not they "
        "earn their place. We place each learned index on the tier that "
        "minimises expected query cost and move it as the workload shifts, "
        "cutting storage spend by a third at equal latency."
    ),
    submitted=datetime(2026, 11, 29, 14, 2, 7, tzinfo=UTC),
    size_kb=611,
    comments="12 pages",
)
CROSS = ListingPaper(
    arxiv_id="2611.30988",
    title="Mixture-of-Depths Routing for Retrieval Models",
    authors=("Iris Halloran",),
    categories=("cs.IR", "cs.DB"),
    abstract="Retrieval models spend equal compute on every passage.",
    submitted=datetime(2026, 11, 29, 9, 0, 0, tzinfo=UTC),
    size_kb=402,
    cross_list=True,
)
REPLACED = ListingReplacement(
    arxiv_id="2607.08812",
    title="Concurrency Control for Agentic Database Workloads",
    authors=("Pavel Ostrowski", "Mina Cho"),
    categories=("cs.DB",),
    replaced=datetime(2026, 11, 29, 17, 30, 0, tzinfo=UTC),
    size_kb=880,
)


def listing() -> str:
    raw = build_arxiv_listing(
        archive="cs",
        papers=[CROSS, LISTED],
        replacements=[REPLACED],
        message_id="listing-1@arxiv.org",
        date=datetime(2026, 11, 30, 1, 0, 0, tzinfo=UTC),
    )
    message = parse(raw)
    assert message["Subject"].startswith("cs daily Subj-class mailing")
    assert message.get_content_type() == "text/plain"
    return body(message, "plain")


def test_listing_puts_new_papers_before_cross_lists_before_replacements() -> None:
    text = listing()
    ids = re.findall(r"^arXiv:(\S+)(.*)$", text, re.M)
    assert ids == [
        ("2611.31402", ""),
        ("2611.30988", " (*cross-listing*)"),
        ("2607.08812", ""),
    ]
    assert text.index("2611.30988") < text.index("%%--%%--") < text.index("2607.08812")
    assert (
        "received from  Sat 28 Nov 26 19:00:00 GMT  to  Sun 29 Nov 26 19:00:00 GMT"
        in text
    )


def test_listing_blocks_wrap_like_arxiv() -> None:
    text = listing()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert (
        "Title: Workload-Aware Placement of Learned Indexes Across Tiered Storage"
        " in\n  Cloud Data Warehouses" in text
    )
    assert 'Authors: Bj\\"orn Str\\"om, Leila Amari and Tom\\\'as Rivas' in text
    assert "Date: Sun, 29 Nov 2026 14:02:07 GMT   (611kb)" in text
    assert "\\\\ ( https://arxiv.org/abs/2611.31402 ,  611kb)" in text


def test_listing_replacement_has_no_abstract() -> None:
    text = listing()
    replacement = text[text.index("arXiv:2607.08812") :]
    assert "replaced with revised version Sun, 29 Nov 2026 17:30:00 GMT" in replacement
    assert not re.search(r"^  \S", replacement, re.M)


# --- The bundled inbox ----------------------------------------------------


def test_committed_inbox_equals_what_the_builder_writes_now(tmp_path: Path) -> None:
    written = write_sample_inbox(tmp_path)
    committed = sorted(INBOX.glob("*.eml"))
    assert [p.name for p in committed] == sorted(p.name for p in written)
    for path in committed:
        assert path.read_bytes() == (tmp_path / path.name).read_bytes(), path.name


def test_inbox_readme_lists_exactly_the_committed_messages() -> None:
    readme = (INBOX / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`(\d\d-[\w-]+\.eml)`", readme))
    assert listed == {p.name for p in INBOX.glob("*.eml")}


def test_inbox_parses_and_only_the_broken_message_has_defects() -> None:
    for path in sorted(INBOX.glob("*.eml")):
        message = parse(path.read_bytes())
        defects = [type(d).__name__ for part in message.walk() for d in part.defects]
        if path.name.startswith("12-"):
            assert "CloseBoundaryNotFoundDefect" in defects
            assert message.get_body(preferencelist=("html",)) is None
        else:
            assert defects == [], path.name


def test_inbox_repeats_papers_across_alerts_for_dedupe() -> None:
    titles: Counter[str] = Counter()
    for path in sorted(INBOX.glob("*.eml")):
        for page in html_pages(parse(path.read_bytes())):
            titles.update(
                title.removesuffix("\u00a0…") for _, title in title_anchors(page)
            )
    assert sum(titles.values()) == 26
    assert len(titles) == 12
    assert titles["Cost-Aware Speculative Prefetching for Disaggregated KV Caches"] == 4


# --- Bulk alerts for the benchmark ----------------------------------------


def test_bulk_generator_yields_a_thousand_alerts_in_little_memory() -> None:
    tracemalloc.start()
    try:
        alerts = iter_bulk_alerts(1000, seed=7)
        assert iter(alerts) is alerts  # a generator, not a list built up front
        count = sum(1 for raw in alerts if raw.startswith(b"From: "))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 1000
    # Streaming peaks well under 1 MB; holding all 1,000 (~11 KB each) would not.
    assert peak < 4 * 1024 * 1024


def test_bulk_alerts_parse_vary_and_repeat_papers() -> None:
    batch = list(iter_bulk_alerts(120, seed=3))
    assert batch == list(iter_bulk_alerts(120, seed=3))
    messages = [parse(raw) for raw in batch]
    assert len({m["Message-ID"] for m in messages}) == 120
    encodings = {
        p["Content-Transfer-Encoding"] for m in messages for p in m.iter_parts()
    }
    assert encodings == {"quoted-printable", "base64", "8bit"}
    assert len({m["Subject"].split(" - ")[-1] for m in messages}) > 3
    titles = Counter(t for m in messages for _, t in title_anchors(body(m, "html")))
    assert max(titles.values()) > 1
