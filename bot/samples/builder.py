"""Builders of realistic raw mail, and the bundled sample inbox made with them.

Regenerate the committed inbox with ``python -m bot.samples.builder``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.samples import inbox_papers as papers
from bot.samples import mime
from bot.samples.arxiv_mail import (
    ListingPaper,
    ListingReplacement,
    build_arxiv_listing,
)
from bot.samples.bulk import iter_bulk_alerts
from bot.samples.forward_attached import forward_as_attachment
from bot.samples.forward_inline import (
    forward_inline_apple,
    forward_inline_gmail,
    forward_inline_outlook,
    forward_inline_thunderbird,
)
from bot.samples.links import LinkWrap, wrap_link
from bot.samples.scholar_mail import SampleResult, build_scholar_alert

__all__ = [
    "LinkWrap",
    "ListingPaper",
    "ListingReplacement",
    "SampleResult",
    "build_arxiv_listing",
    "build_scholar_alert",
    "forward_as_attachment",
    "forward_inline_apple",
    "forward_inline_gmail",
    "forward_inline_outlook",
    "forward_inline_thunderbird",
    "iter_bulk_alerts",
    "sample_inbox_files",
    "wrap_link",
    "write_sample_inbox",
]

INBOX = Path(__file__).parent / "inbox"


def _at(hour: int, minute: int, day: int = 8) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def sample_inbox_files() -> dict[str, bytes]:
    """File name to raw bytes for every message of the sample inbox."""
    related = build_scholar_alert(
        subject="Margit Halvorsen - new related research",
        followed="Margit Halvorsen",
        folt="rel",
        results=[papers.KV_PREFETCH, papers.STREAM_HISTOGRAMS, papers.MOE_ROUTING],
        message_id="0000000000004f1e8a0c7b2d93e6@google.com",
        date=_at(5, 18),
    )
    citations = build_scholar_alert(
        subject="Henrik Solberg的文章新增了 3 次引用",
        followed="Henrik Solberg",
        folt="cit",
        results=[
            papers.ELASTIC_STREAMS,
            papers.KV_PREFETCH_CITING,
            papers.OPTIMIZER_SURVEY,
        ],
        message_id="000000000000a3d95c1f06e2b847@google.com",
        date=_at(5, 41),
        language="zh",
        sender_name="Google 学术搜索快讯",
    )
    search = build_scholar_alert(
        subject='"learned index structures" - new results',
        followed='"learned index structures"',
        folt="kw",
        results=[
            papers.SKEWED_INDEXES,
            papers.PMEM_INDEXES,
            papers.EMBEDDING_PARTITIONS,
        ],
        message_id="0000000000007be0d4a2f9c61e05@google.com",
        date=_at(6, 2),
        host="scholar.google.co.uk",
        banner=True,
        divider_after=1,
    )
    articles = build_scholar_alert(
        subject="Aiko Brandt-Yamazaki - new articles",
        followed="Aiko Brandt-Yamazaki",
        folt="art",
        results=[papers.TEXT_TO_SQL_ERRORS, papers.PROVENANCE_VIEWS],
        message_id="000000000000e91c37b5a08d4f62@google.com",
        date=_at(6, 27),
        transfer_encoding="base64",
        with_amp_part=True,
    )
    return {
        "01-scholar-related-en.eml": related,
        "02-scholar-citations-zh.eml": citations,
        "03-scholar-search-couk.eml": search,
        "04-scholar-articles-ja.eml": articles,
        "05-arxiv-listing-cs.eml": _listing(),
        "06-forward-gmail.eml": forward_inline_gmail(
            related,
            forwarder="Ines Duarte <ines.duarte@example.org>",
            message_id="CAJx7qV2kYp0mZ4rT9sWnLd3Hf8uE1bQ@mail.gmail.com",
            date=_at(8, 4),
            note="For the digest.",
        ),
        "07-forward-outlook-fr.eml": forward_inline_outlook(
            search,
            forwarder="Élodie Marchand <elodie.marchand@example.fr>",
            message_id=(
                "PAXPR02MB7731C2E9A4B05D1F@PAXPR02MB7731.eurprd02.prod.outlook.com"
            ),
            date=_at(8, 17),
            language="fr",
            note="À ajouter au résumé, merci.",
        ),
        "08-forward-attachment-two.eml": forward_as_attachment(
            [citations, articles],
            forwarder="Dmitri Volkov <d.volkov@example.org>",
            note="Пересылаю два оповещения Scholar.\n",
            filename="Оповещение Google Академии.eml",
            message_id="5e0f1a7c-93d2-4b61-8a4e-2c7d90b3f118@example.org",
            date=_at(8, 30),
            subject="Fwd: два оповещения",
        ),
        "09-scholar-safelinks.eml": _safelinks_alert(),
        "10-scholar-mimecast.eml": _mimecast_alert(),
        "11-newsletter.eml": _newsletter(),
        "12-broken-truncated.eml": _broken_alert(),
    }


def write_sample_inbox(folder: Path) -> list[Path]:
    """Write every sample message into ``folder``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, raw in sample_inbox_files().items():
        path = folder / name
        path.write_bytes(raw)
        written.append(path)
    return written


def _listing() -> bytes:
    return build_arxiv_listing(
        archive="cs",
        papers=[
            papers.COLUMNAR_KNN,
            papers.SERVERLESS_REPLAY,
            papers.EMBEDDING_PARTITIONS_LISTED,
        ],
        replacements=[papers.HASH_JOINS_REVISED],
        message_id="20261208011244.29417.551@arxiv.org",
        date=datetime(2026, 12, 8, 1, 12, 44, tzinfo=UTC),
        subject_names=(
            "Databases",
            "Distributed, Parallel, and Cluster Computing",
        ),
    )


def _safelinks_alert() -> bytes:
    # Delivered by a mailbox rule at an Office 365 tenant: Google's From is
    # kept, every anchor is a SafeLinks redirect carrying the user's address.
    return build_scholar_alert(
        subject="Tomasz Wierzbicki - new related research",
        followed="Tomasz Wierzbicki",
        folt="rel",
        results=[papers.COMPACTION_DEBT, papers.STREAM_HISTOGRAMS],
        message_id="0000000000002c6a9e17d0f4b538@google.com",
        date=_at(7, 5),
        to="t.wierzbicki@example.com",
        link_wrap=LinkWrap.SAFELINKS,
        extra_headers=[
            ("X-Forwarded-For", "t.wierzbicki@example.com digest@example.net"),
            ("X-Forwarded-To", "digest@example.net"),
            ("Delivered-To", "digest@example.net"),
        ],
    )


def _mimecast_alert() -> bytes:
    return build_scholar_alert(
        subject="2 new citations to articles by Ruth Adeyemi",
        followed="Ruth Adeyemi",
        folt="cit",
        results=[papers.GEO_QUORUMS, papers.MOE_ROUTING_CITING],
        message_id="000000000000d5b1f37a6c092e84@google.com",
        date=_at(7, 26),
        to="r.adeyemi@example.ac.uk",
        link_wrap=LinkWrap.MIMECAST,
        extra_headers=[("Delivered-To", "digest@example.net")],
    )


def _newsletter() -> bytes:
    # Not an alert, although it links to arXiv: a reader must skip it.
    arxiv = "https://arxiv.org/abs/2612.05198"
    text = (
        "The Query Plan, issue 87\n\n"
        "This week: compressed joins, a compaction post-mortem and our holiday\n"
        "reading list.\n\n"
        f"Paper of the week: nearest-neighbour joins that skip decompression\n"
        f"<{arxiv}>\n\n"
        "Unsubscribe: <https://queryplan.example.com/unsubscribe?u=8d1f20>\n"
    )
    html = (
        "<html><body><h1>The Query Plan, issue 87</h1>"
        "<p>This week: compressed joins, a compaction post-mortem and our "
        "holiday reading list.</p>"
        f'<h3><a href="{arxiv}">Paper of the week: nearest-neighbour joins that '
        "skip decompression</a></h3>"
        '<p><a href="https://queryplan.example.com/unsubscribe?u=8d1f20">'
        "Unsubscribe</a></p></body></html>"
    )
    rng = mime.seeded_rng("newsletter")
    entity = mime.multipart(
        "alternative",
        mime.boundary(rng),
        [
            mime.leaf('text/plain; charset="utf-8"', text, "quoted-printable"),
            mime.leaf('text/html; charset="utf-8"', html, "quoted-printable"),
        ],
    )
    headers = [
        ("From", "The Query Plan <editor@queryplan.example.com>"),
        ("To", "digest@example.net"),
        ("Subject", "The Query Plan #87: compressed joins and compaction debt"),
        ("Date", "Tue, 08 Dec 2026 09:00:00 +0000"),
        ("Message-ID", "<issue-87.20261208@queryplan.example.com>"),
        ("List-Id", "The Query Plan <weekly.queryplan.example.com>"),
        ("List-Unsubscribe", "<https://queryplan.example.com/unsubscribe?u=8d1f20>"),
    ]
    return mime.message(headers, entity)


def _broken_alert() -> bytes:
    # Cut inside the first result's title in the text part, before any link,
    # then line noise: no result survives, no closing boundary, no HTML part.
    whole = build_scholar_alert(
        subject="Margit Halvorsen - new related research",
        followed="Margit Halvorsen",
        folt="rel",
        results=[papers.STREAM_HISTOGRAMS, papers.SKEWED_INDEXES],
        message_id="000000000000096f4c2be8d1a7f3@google.com",
        date=_at(6, 50),
        transfer_encoding="8bit",
    )
    cut = whole.index(papers.STREAM_HISTOGRAMS.title.encode()) + 24
    rng = mime.seeded_rng("broken")
    noise = bytes(rng.randrange(256) for _ in range(96))
    return whole[:cut] + b"\x00\x00\xff\xfe=\n=ZZ\x1b[0m" + noise


if __name__ == "__main__":
    for written in write_sample_inbox(INBOX):
        print(written)
