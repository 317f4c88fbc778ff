"""The real-world cases of shared/cases.md, end to end: raw bytes in, four files out.

Each test builds small alerts, ingests them with ``ingest_message`` into a fresh
store and writes the digest, then checks the four files and the store.
"""

from __future__ import annotations

import base64
import html
import logging
import quopri
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.samples.builder import (
    LinkWrap,
    ListingPaper,
    SampleResult,
    build_arxiv_listing,
    build_scholar_alert,
    forward_as_attachment,
    forward_inline_apple,
    forward_inline_gmail,
    forward_inline_outlook,
)
from tests.end_to_end import OUTPUTS, DigestRun, DigestRunner
from tests.mail_builders import Result, scholar_alert, scholar_html, scholar_text

WHEN = datetime(2026, 3, 9, 6, 15, tzinfo=UTC)
READER = "Reader Example <reader@example.org>"


def alert(
    results: list[SampleResult],
    *,
    message_id: str,
    followed: str = "Ada Lovelace",
    folt: str = "rel",
    **options: Any,
) -> bytes:
    """A Scholar alert about ``followed`` holding ``results``."""
    subject = options.pop("subject", f"{followed} - new related research")
    return build_scholar_alert(
        subject=subject,
        followed=followed,
        folt=folt,
        results=results,
        message_id=message_id,
        date=options.pop("date", WHEN),
        **options,
    )


def paper_result(
    title: str, target: str, *, year: int = 2026, **options: Any
) -> SampleResult:
    """A plain result with a byline and a short snippet."""
    return SampleResult(
        title=title,
        link_target=target,
        authors=options.pop("authors", ("K Osei", "L Varga")),
        venue=options.pop("venue", "Journal of Examples"),
        year=year,
        snippet=options.pop(
            "snippet", f"We study {title.lower()} in depth and report what we"
        ),
        **options,
    )


def names_in(run: DigestRun) -> list[str]:
    return [section["name"] for section in run.data["sections"]]


def in_every_output(run: DigestRun, text: str) -> bool:
    return all(text in run.files[name] for name in OUTPUTS)


# K01 ------------------------------------------------------------------------

K01_RESULTS = [
    paper_result("Tail Latency of Learned Caches", "https://example.org/k01/a"),
    paper_result("Compaction Debt in Log-Structured Stores", "https://ex.org/k01/b"),
    paper_result("Sketches for Skewed Join Keys", "https://example.org/k01/c"),
]


def test_k01_banner_and_divider_never_become_papers_and_a_bad_block_costs_only_itself(
    digest_runner: DigestRunner, caplog: pytest.LogCaptureFixture
) -> None:
    banner_alert = alert(
        K01_RESULTS, message_id="k01-banner@google.com", banner=True, divider_after=0
    )
    # The middle block's title anchor is empty: that block alone is lost.
    damaged = scholar_html(
        (
            Result(
                "Bloom Filters Revisited", "A B - Venue, 2026", "https://a.org/1", "x."
            ),
            Result("", "C D - Venue, 2026", "https://a.org/2", "y."),
            Result(
                "Cuckoo Filters at Scale", "E F - Venue, 2026", "https://a.org/3", "z."
            ),
        ),
        followed="Grace Hopper",
    )
    damaged_alert = scholar_alert(
        "Grace Hopper - new related research",
        html_body=damaged,
        message_id="<k01-damaged@google.com>",
    ).as_bytes()

    with caplog.at_level(logging.WARNING):
        run = digest_runner([banner_alert, damaged_alert])

    titles = sorted(p["title"] for p in run.papers)
    assert titles == sorted(
        [r.title for r in K01_RESULTS]
        + ["Bloom Filters Revisited", "Cuckoo Filters at Scale"]
    )
    for paper in run.papers:
        shown = " ".join([*paper["authors"], paper["abstract"] or "", paper["title"]])
        assert "less relevant" not in shown
        assert "Update alert" not in shown
        assert "Showing" not in shown
    for phrase in ("Showing less relevant", "Update alert", "less relevant to this"):
        assert phrase not in run.all_output()

    warnings = [
        r.getMessage() for r in caplog.records if "result block 1" in r.getMessage()
    ]
    assert warnings, caplog.text
    assert "<k01-damaged@google.com>" in warnings[0]
    assert run.rows("SELECT status, papers_found FROM messages ORDER BY id") == [
        ("parsed", 3),
        ("parsed", 2),
    ]


# K02 ------------------------------------------------------------------------


def test_k02_cluster_result_is_kept_without_a_link(digest_runner: DigestRunner) -> None:
    normal = paper_result("Vector Search on a Budget", "https://example.org/k02")
    cluster = SampleResult(
        title="Learned Optimizers in Practice: Lessons from Deployment",
        link_target=None,
        cluster_id="14593026718830157742",
        authors=("N Ferreira", "K Osei"),
        venue=None,
        year=2025,
        snippet=None,
        marker="[CITATION]",
    )
    run = digest_runner([alert([normal, cluster], message_id="k02@google.com")])

    assert len(run.papers) == 2
    kept = run.paper("Learned Optimizers in Practice")
    assert kept["url"] is None
    assert kept["key"].startswith("title:2025:")
    assert run.paper("Vector Search")["url"] == "https://example.org/k02"
    assert ("cluster",) in run.rows("SELECT link_kind FROM paper_sources")
    assert "scholar?cluster" not in run.all_output()
    assert "### [2] Learned Optimizers in Practice: Lessons from Deployment\n" in run.md


# K03 ------------------------------------------------------------------------

K03_PII = "S0306437926000123"


def test_k03_country_hosts_and_encoded_targets_decode_exactly_once(
    digest_runner: DigestRunner,
) -> None:
    arxiv = paper_result(
        "Streaming Joins with Bounded Memory",
        "https://arxiv.org/abs/2601.04411v2",
        whole_target_encoded=True,
    )
    direct = paper_result(
        "Columnar Storage for Sensor Data",
        f"https://www.sciencedirect.com/science/article/pii/{K03_PII}?via%3Dihub",
    )
    uk = alert([arxiv], message_id="k03-uk@google.com", host="scholar.google.co.uk")
    ru = alert(
        [direct],
        message_id="k03-ru@google.com",
        host="scholar.google.ru",
        followed="Grace Hopper",
    )
    assert b"url=https%3A%2F%2Farxiv.org" in quopri.decodestring(uk)
    assert b"%3Fvia%253Dihub" in quopri.decodestring(ru)

    run = digest_runner([uk, ru])

    on_arxiv = run.paper("Streaming Joins")
    assert (on_arxiv["arxiv_id"], on_arxiv["arxiv_version"]) == ("2601.04411", 2)
    assert on_arxiv["url"] == "https://arxiv.org/abs/2601.04411"
    science = run.paper("Columnar Storage")
    expected = f"https://www.sciencedirect.com/science/article/pii/{K03_PII}?via%3Dihub"
    assert science["url"] == expected
    assert f'<a href="{expected}"' in run.html
    assert f"]({expected})" in run.md
    assert f"    {expected}\n" in run.txt
    assert "via%253D" not in run.all_output()
    assert "via=ihub" not in run.all_output()


# K05 ------------------------------------------------------------------------

K05_BYLINE = {"authors": ("A Jansen", "B de Vries", "C Bakker"), "venue": "Assessment"}
K05_RESULTS = [
    paper_result(
        "Amsterdam Memory Battery: Norms for Adults", "https://ex.org/1", **K05_BYLINE
    ),
    paper_result(
        "Amsterdamse Geheugenbatterij: normen voor volwassenen",
        "https://ex.org/2",
        **K05_BYLINE,
    ),
    paper_result(
        "Amsterdam Memory Battery: Norms for Adults",
        "https://ex.org/3",
        year=2025,
        **K05_BYLINE,
    ),
    paper_result(
        "Amsterdamse Geheugenbatterij: normen voor volwassenen",
        "https://ex.org/4",
        year=2025,
        **K05_BYLINE,
    ),
]
K05_JA_TITLE = "深層学習による日本語文書の自動要約\u3000―評価データセットの構築―"
K05_JA_SNIPPET = (
    "本研究では、日本語の学術文書を対象とした自動要約の評価用データセットを構築した。"
    "既存の英語データセットとは異なり、専門用語の多い長文に対応するため、"
    "三名の専門家が要約を作成し、その一致度を測定した。"
)


def test_k05_four_papers_with_the_same_byline_stay_four_and_japanese_survives_every_output(  # noqa: E501
    digest_runner: DigestRunner,
) -> None:
    japanese = SampleResult(
        title=K05_JA_TITLE,
        link_target="https://www.jstage.jst.go.jp/article/jsai/41/2/41_A-1/_article/-char/ja/",
        authors=("山田 太郎", "佐藤 花子"),
        venue="人工知能学会論文誌",
        year=2026,
        snippet=K05_JA_SNIPPET,
    )
    battery = alert(K05_RESULTS, message_id="k05-nl@google.com", followed="A Jansen")
    ja = alert([japanese], message_id="k05-ja@google.com", followed="山田 太郎")

    run = digest_runner([battery, ja])

    assert len(run.papers) == 5
    years = [(p["title"][:9], p["year"]) for p in run.papers[:4]]
    assert years == [
        ("Amsterdam", 2026),
        ("Amsterdam", 2026),
        ("Amsterdam", 2025),
        ("Amsterdam", 2025),
    ]
    assert len({p["key"] for p in run.papers}) == 5
    for paper in run.papers[:4]:
        assert paper["authors"] == ["A Jansen", "B de Vries", "C Bakker"]

    ja_paper = run.paper("深層学習")
    assert ja_paper["title"] == K05_JA_TITLE
    assert ja_paper["abstract"] == K05_JA_SNIPPET
    assert ja_paper["authors"] == ["山田 太郎", "佐藤 花子"]
    for text in (K05_JA_TITLE, K05_JA_SNIPPET, "人工知能学会論文誌", "山田 太郎"):
        assert in_every_output(run, text), text
    assert "山田 太郎" in names_in(run)


# K07 ------------------------------------------------------------------------

K07_FULL = (
    "Efficient graph neural networks for large-scale traffic forecasting with "
    "adaptive spatio-temporal attention and memory-bounded message passing layers"
)
K07_CUT = K07_FULL[:139].rstrip()


def k07_alerts() -> tuple[bytes, bytes]:
    cut = SampleResult(
        title=K07_CUT,
        truncated=True,
        highlights=("graph",),
        link_target="https://example.org/k07/cut",
        authors=("A Kim", "B Lee\u00a0"),
        authors_truncated=True,
        venue="Transportation Research Part C",
        year=2026,
        snippet="Traffic forecasting needs long horizons. We propose a model that",
    )
    whole = replace(
        cut,
        title=K07_FULL,
        truncated=False,
        authors=("A Kim", "B Lee", "C Park", "D Choi"),
        authors_truncated=False,
        link_target="https://example.org/k07/whole",
    )
    return (
        alert([cut], message_id="k07-cut@google.com", followed="Ada Lovelace"),
        alert([whole], message_id="k07-whole@google.com", followed="Grace Hopper"),
    )


def test_k07_cut_title_is_flagged_then_replaced_by_the_whole_one(
    digest_runner: DigestRunner,
) -> None:
    cut_alert, whole_alert = k07_alerts()
    assert b"<b>graph</b>" in quopri.decodestring(cut_alert)

    alone = digest_runner([cut_alert])
    (paper,) = alone.papers
    assert paper["title"] == K07_CUT
    assert paper["title"].startswith("Efficient graph neural networks")
    assert paper["truncated_title"] is True
    assert paper["authors"] == ["A Kim", "B Lee"]
    assert paper["authors_truncated"] is True
    assert (paper["venue"], paper["year"]) == ("Transportation Research Part C", 2026)
    assert "Title cut in the alert." in alone.md
    assert K07_CUT + "…" in alone.html

    for order in ([cut_alert, whole_alert], [whole_alert, cut_alert]):
        run = digest_runner(order)
        (merged,) = run.papers
        assert merged["title"] == K07_FULL
        assert merged["truncated_title"] is False
        assert merged["authors"] == ["A Kim", "B Lee", "C Park", "D Choi"]
        assert merged["authors_truncated"] is False
        assert sorted(merged["alerts"]) == ["Ada Lovelace", "Grace Hopper"]
        assert "Title cut" not in run.all_output()
        assert K07_FULL in run.txt.replace("\n    ", " ")


# K08 ------------------------------------------------------------------------


def k08_results(stem: str) -> tuple[Result, ...]:
    return (
        Result(
            f"{stem}: a first study",
            "王 伟, 李 娜 - 计算机学报, 2026",
            f"https://ex.cn/{stem}/1",
            "我们提出了一种方法。",
        ),
        Result(
            f"{stem}: a second study",
            "张 敏 - 软件学报, 2025",
            f"https://ex.cn/{stem}/2",
            "实验表明效果更好。",
        ),
    )


def test_k08_three_chinese_alerts_are_named_after_their_query_or_person(
    digest_runner: DigestRunner,
) -> None:
    def zh(subject: str, stem: str, folt: str, sender: str, number: int) -> bytes:
        results = k08_results(stem)
        return scholar_alert(
            subject,
            sender=sender,
            html_body=scholar_html(results, folt=folt, hl="zh-CN", followed=None),
            text_body=scholar_text(results, folt=folt, hl="zh-CN", followed=None),
            message_id=f"<k08-{number}@google.com>",
        ).as_bytes()

    alerts = [
        zh(
            "大语言模型 - 新的结果",
            "Query",
            "kw",
            "Google 学术搜索快讯 <scholaralerts-noreply@google.com>",
            1,
        ),
        zh(
            "王小明 - 新的相关研究工作",
            "Related",
            "rel",
            "Google 学术搜索快讯 <scholaralerts-noreply@google.com>",
            2,
        ),
        # Recognised by its structure alone: a relay rewrote the sender.
        zh(
            "李华的文章新增了 3 次引用",
            "Cited",
            "cit",
            "Relay <alerts@relay.example.org>",
            3,
        ),
    ]
    assert b"=?utf-8?" in alerts[0].lower()

    run = digest_runner(alerts)

    assert [r.outcome.value for r in run.results] == ["stored"] * 3
    assert names_in(run) == ["大语言模型", "王小明", "李华"]
    assert len(run.papers) == 6
    kinds = run.rows("SELECT DISTINCT alert_name, alert_kind FROM paper_sources")
    assert kinds == [
        ("大语言模型", "search"),
        ("王小明", "related"),
        ("李华", "citations"),
    ]
    for name in ("大语言模型", "王小明", "李华"):
        assert in_every_output(run, name)


# K10 ------------------------------------------------------------------------

K10_TARGETS = [
    ("https://arxiv.org/abs/2401.01234v3", "2401.01234"),
    ("http://arxiv.org/pdf/1607.01990", "1607.01990"),
    ("https://arxiv.org/pdf/2401.01234v2.pdf", "2401.01234"),
    ("https://arxiv.org/abs/math/0601001", "math/0601001"),
    ("https://arxiv.org/abs/math.GT/0309136", "math/0309136"),
    ("https://arxiv.org/pdf/hep-th/9901001v1", "hep-th/9901001"),
    ("https://doi.org/10.48550/arXiv.2202.01037", "2202.01037"),
    ("https://doi.org/10.48550/ARXIV.2202.01037", "2202.01037"),
    ("https://export.arxiv.org/abs/0704.0001", "0704.0001"),
    ("https://arxiv.org/html/2401.01234v1", "2401.01234"),
]


def test_k10_arxiv_ids_in_every_link_form_reach_digest_json(
    digest_runner: DigestRunner,
) -> None:
    # Each id is its own paper: a title per id, so only the id decides merging.
    titles = {
        "2401.01234": "Speculative Decoding with Draft Trees",
        "1607.01990": "Layer Normalisation Revisited",
        "math/0601001": "On Knot Invariants of Small Crossing Number",
        "math/0309136": "Heegaard Splittings of Graph Manifolds",
        "hep-th/9901001": "Branes at Conical Singularities",
        "2202.01037": "Masked Autoencoders for Point Clouds",
        "0704.0001": "Calculation of Prompt Diphoton Production",
    }
    results = [
        paper_result(titles[expected], target, venue="arXiv preprint")
        for target, expected in K10_TARGETS
    ]
    impostor = paper_result(
        "A Journal Named arXiv Notes", "https://doi.org/10.5555/arXiv.2202.01037"
    )

    run = digest_runner([alert([*results, impostor], message_id="k10@google.com")])

    found = {p["arxiv_id"]: p for p in run.papers if p["arxiv_id"]}
    assert set(found) == set(titles)
    assert found["2401.01234"]["arxiv_version"] == 3
    assert found["hep-th/9901001"]["arxiv_version"] == 1
    assert found["1607.01990"]["arxiv_version"] is None
    for arxiv_id, paper in found.items():
        assert paper["key"] == f"arxiv:{arxiv_id}"
        assert paper["url"] == f"https://arxiv.org/abs/{arxiv_id}"
        assert paper["pdf_url"] == f"https://arxiv.org/pdf/{arxiv_id}"
        assert paper["title"] == titles[arxiv_id]
    other = run.paper("A Journal Named arXiv Notes")
    assert other["arxiv_id"] is None
    assert other["doi"] == "10.5555/arxiv.2202.01037"
    assert len(run.papers) == len(titles) + 1


# K13 ------------------------------------------------------------------------

K13_VICTIM = "m.kowalczyk@corp-mail.example"


def test_k13_safelinks_address_reaches_no_output_no_store_and_no_log(
    digest_runner: DigestRunner, caplog: pytest.LogCaptureFixture
) -> None:
    on_arxiv = paper_result(
        "Quantised Attention Kernels", "https://arxiv.org/abs/2602.01111"
    )
    publisher = paper_result(
        "Cache-Aware Joins", "https://dl.acm.org/doi/10.1145/3700001.3700009"
    )
    wrapped = alert(
        [on_arxiv, publisher],
        message_id="k13@google.com",
        to=K13_VICTIM,
        link_wrap=LinkWrap.SAFELINKS,
        transfer_encoding="8bit",
    )
    assert b"safelinks.protection.outlook.com" in wrapped
    assert quote_address(K13_VICTIM).encode() in wrapped
    # The same alert under the outlook.office.com form, forwarded as attachment.
    office = re.sub(
        rb"https://[a-z0-9]+\.safelinks\.protection\.outlook\.com/\?",
        b"https://outlook.office.com/mail/safelink.html?",
        wrapped.replace(b"k13@google.com", b"k13-office@google.com"),
    )
    forwarded = forward_as_attachment(
        [office],
        forwarder=READER,
        note="See attached.",
        filename="alert.eml",
        message_id="k13-fwd@example.org",
        date=WHEN,
    )

    with caplog.at_level(logging.DEBUG):
        run = digest_runner([wrapped, forwarded])

    assert [r.outcome.value for r in run.results] == ["stored", "stored"]
    assert run.paper("Quantised")["url"] == "https://arxiv.org/abs/2602.01111"
    assert run.paper("Cache-Aware")["url"] == (
        "https://dl.acm.org/doi/10.1145/3700001.3700009"
    )
    assert len(run.papers) == 2
    store = run.store_bytes()
    for form in (K13_VICTIM, quote_address(K13_VICTIM), "corp-mail.example"):
        assert form not in run.all_output()
        assert form.encode() not in store
        assert form not in caplog.text
    assert "safelinks" not in run.all_output()


def quote_address(address: str) -> str:
    return address.replace("@", "%40")


# K15 ------------------------------------------------------------------------


def test_k15_mimecast_papers_are_shown_by_title_without_any_link(
    digest_runner: DigestRunner,
) -> None:
    results = [
        paper_result(
            "Quorum Reads Across Regions", "https://ieeexplore.ieee.org/document/1"
        ),
        paper_result(
            "Routing Experts Under Memory Budgets", "https://arxiv.org/abs/2603.00001"
        ),
    ]
    run = digest_runner(
        [alert(results, message_id="k15@google.com", link_wrap=LinkWrap.MIMECAST)]
    )

    assert [p["title"] for p in run.papers] == [r.title for r in results]
    for paper in run.papers:
        assert paper["url"] is None
        assert paper["pdf_url"] is None
        assert paper["key"].startswith("title:2026:")
    assert "mimecast" not in run.all_output().lower()
    assert "### [1] Quorum Reads Across Regions\n" in run.md
    assert "[1] Quorum Reads Across Regions</h3>" in run.html
    assert "<a href" not in run.html.split('id="toc"')[1].replace('href="#', "")
    assert run.rows("SELECT DISTINCT link_kind, link FROM paper_sources") == [
        ("opaque", None)
    ]


# K17 ------------------------------------------------------------------------

K17_RESULTS = (
    Result(
        "Lock-Free Skip Lists Revisited",
        "P Novak - arXiv preprint arXiv:2601.07777, 2026",
        "https://arxiv.org/abs/2601.07777v2",
        "Skip lists are simple. We show that",
    ),
    Result(
        "Adaptive Radix Trees on GPUs",
        "R Sato - VLDB, 2025",
        "https://www.vldb.org/pvldb/vol18/p99-sato.pdf?x=1%26y=2",
        "Tries map well to GPUs. We",
    ),
)


def k17_message(body: bytes, encoding: str, message_id: str) -> bytes:
    head = (
        "From: Google Scholar Alerts <scholaralerts-noreply@google.com>\n"
        "To: reader@example.org\n"
        "Subject: Ada Lovelace - new related research\n"
        "Date: Mon, 09 Mar 2026 06:15:00 +0000\n"
        f"Message-ID: <{message_id}>\n"
        "MIME-Version: 1.0\n"
        'Content-Type: text/html; charset="UTF-8"\n'
        f"Content-Transfer-Encoding: {encoding}\n\n"
    )
    return head.encode() + body


def k17_quoted_printable(page: str) -> bytes:
    encoded = quopri.encodestring(page.encode(), quotetabs=False).decode()
    # Three more soft breaks inside the first result link, one right before
    # ".org", as long lines get split by relays.
    link_at = encoded.index("scholar_url")
    for marker in (".org", "scholar_url", "=3Dhttps"):
        at = encoded.index(marker, link_at - 20)
        encoded = encoded[:at] + "=\n" + encoded[at:]
    assert "\r" not in encoded
    return encoded.encode()


def test_k17_quoted_printable_and_base64_copies_give_the_same_digest(
    digest_runner: DigestRunner,
) -> None:
    page = scholar_html(K17_RESULTS)
    qp = k17_message(
        k17_quoted_printable(page), "quoted-printable", "k17-qp@google.com"
    )
    b64 = k17_message(base64.encodebytes(page.encode()), "base64", "k17-b64@google.com")
    assert b"=\n.org" in qp

    from_qp = digest_runner([qp])
    from_b64 = digest_runner([b64])
    both = digest_runner([qp, b64])

    assert from_qp.papers == from_b64.papers
    assert [p["url"] for p in from_qp.papers] == [
        "https://arxiv.org/abs/2601.07777",
        "https://www.vldb.org/pvldb/vol18/p99-sato.pdf?x=1&y=2",
    ]
    assert from_qp.papers[0]["arxiv_version"] == 2
    for leftover in ("=3D", "..org", "arxiv=", "=.org", "=https"):
        assert leftover not in from_qp.all_output()
    for paper in from_qp.papers:
        shown = [paper["title"], paper["abstract"], paper["venue"], *paper["authors"]]
        assert not any("=" in text for text in shown), shown
    assert len(both.papers) == 2
    assert both.papers == from_qp.papers


# K19 ------------------------------------------------------------------------

K19_FILENAME = "Предупреждение Scholar.eml"


def test_k19_alerts_attached_as_messages_give_their_papers_and_the_note_none(
    digest_runner: DigestRunner,
) -> None:
    first = alert(
        [
            paper_result("Elastic Stream Operators", "https://example.org/k19/1"),
            paper_result("Backpressure in Dataflow", "https://example.org/k19/2"),
        ],
        message_id="k19-a@google.com",
    )
    second = alert(
        [
            paper_result("Persistent Memory Indexes", "https://example.org/k19/3"),
            paper_result("Learned Bloom Filters", "https://example.org/k19/4"),
        ],
        message_id="k19-b@google.com",
        followed="Grace Hopper",
    )
    note = "Hi, please add these.\nFrom: someone\nWe propose nothing.\n"

    def attached(alerts: list[bytes], number: int) -> bytes:
        return forward_as_attachment(
            alerts,
            forwarder=READER,
            note=note,
            filename=K19_FILENAME,
            message_id=f"k19-fwd-{number}@example.org",
            date=WHEN,
        )

    one = attached([first], 1)
    assert b"filename*" in one
    single = digest_runner([one])
    double = digest_runner([attached([first, second], 2)])

    assert sorted(p["title"] for p in single.papers) == [
        "Backpressure in Dataflow",
        "Elastic Stream Operators",
    ]
    assert len(double.papers) == 4
    assert names_in(double) == ["Ada Lovelace", "Grace Hopper"]
    for run in (single, double):
        assert "please add these" not in run.all_output()
        assert "We propose nothing" not in run.all_output()
        assert set(run.rows("SELECT forwarder FROM paper_sources")) == {
            ("reader@example.org",)
        }


# K20 ------------------------------------------------------------------------


def test_k20_inline_forwards_from_three_clients_give_the_same_two_papers(
    digest_runner: DigestRunner,
) -> None:
    original = alert(
        [
            paper_result(
                "Skew-Aware Partitioning for Joins",
                "https://arxiv.org/abs/2602.02222",
                authors=("M Brandt", "N Ito"),
            ),
            paper_result(
                "Compaction Scheduling Under Latency Budgets",
                "https://example.org/k20",
                authors=("T Okafor",),
            ),
        ],
        message_id="k20@google.com",
    )
    common = {"forwarder": READER, "date": WHEN, "note": "FYI - see below"}
    forwards = {
        "gmail": forward_inline_gmail(original, message_id="k20-g@x.org", **common),
        "outlook": forward_inline_outlook(
            original, message_id="k20-o@x.org", language="fr", **common
        ),
        "apple": forward_inline_apple(original, message_id="k20-a@x.org", **common),
    }
    assert b"base64" in forwards["outlook"]
    reference = digest_runner([original]).papers

    for client, raw in forwards.items():
        run = digest_runner([raw])
        assert run.papers == reference, client
        assert len(run.papers) == 2
        shown = [
            text
            for p in run.papers
            for text in (*p["authors"], p["abstract"] or "", p["venue"] or "")
        ]
        for text in shown:
            for label in ("From", "De :", "Envoyé", "Objet", "Subject", "Date:"):
                assert label not in text, (client, text)
            assert "reader@example.org" not in text
            assert "scholaralerts-noreply" not in text
            assert "FYI" not in text
        assert "FYI" not in run.all_output()
        assert names_in(run) == ["Ada Lovelace"]


# K28 ------------------------------------------------------------------------

K28_TITLE = r"Spin & charge order in La$_{2-x}$Sr$_x$CuO$_4$: a L\'evy-flight view"


def test_k28_entities_tex_and_dollars_render_escaped_exactly_once(
    digest_runner: DigestRunner,
) -> None:
    # Scholar escaped the ampersand twice: the HTML source says &amp;amp;.
    scholar = alert(
        [
            paper_result(
                K28_TITLE.replace("&", "&amp;"),
                "https://journals.aps.org/prb/abstract/10.1103/PhysRevB.113.045101",
            ),
            paper_result(
                "What a <b>$391M</b> grant bought",
                "https://example.org/k28/grant",
                snippet="The programme cost $391M & took *five* years [1]. We",
            ),
        ],
        message_id="k28@google.com",
        followed="Ada Lovelace",
        transfer_encoding="8bit",
    )
    assert b"Spin &amp;amp; charge" in scholar
    listing = build_arxiv_listing(
        archive="cond-mat",
        papers=[
            ListingPaper(
                arxiv_id="2603.04567",
                title=K28_TITLE,
                authors=("Ana Souza", "Piotr Nowak"),
                categories=("cond-mat.str-el",),
                abstract="We model stripes as L\\'evy flights and fit $391M samples.",
                submitted=WHEN,
                size_kb=800,
            )
        ],
        replacements=[],
        message_id="k28-listing@arxiv.org",
        date=WHEN,
    )
    # arXiv wraps the title with a line break and keeps double spaces.
    listing = listing.replace(
        b"Title: Spin & charge order in La", b"Title: Spin  &  charge order\n  in La"
    )

    run = digest_runner([scholar, listing])

    assert len(run.papers) == 2
    paper = run.paper("Spin")
    assert paper["arxiv_id"] == "2603.04567"
    assert paper["title"] in (K28_TITLE, K28_TITLE.replace("&", " & "))
    assert "&amp;amp;" not in run.all_output()
    assert "&amp;" not in run.txt + run.files["digest.json"] + run.md
    assert html.escape(paper["title"], quote=True) in run.html
    assert run.html.count("Spin &amp; charge") >= 1
    assert "Spin & charge" not in run.html
    assert "La$\\_{2-x}$Sr$\\_x$CuO$\\_4$: a L\\\\'evy-flight view" in run.md
    grant = run.paper("grant bought")
    assert grant["title"] == "What a <b>$391M</b> grant bought"
    assert grant["abstract"] == "The programme cost $391M & took *five* years [1]. We"
    assert "What a &lt;b&gt;$391M&lt;/b&gt; grant bought" in run.html
    assert "What a &lt;b&gt;$391M&lt;/b&gt; grant bought" in run.md
    assert "The programme cost $391M &amp; took *five* years [1]" in run.html
    assert "The programme cost $391M & took \\*five\\* years \\[1\\]" in run.md
    assert "The programme cost $391M & took *five* years [1]" in run.txt
    assert "<b>" not in run.html
