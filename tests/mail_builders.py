"""Small Scholar alerts and forwards of them, built from readable pieces for tests."""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from tests.support import SHARED_SAMPLES

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
SAMPLES = SHARED_SAMPLES
SCHOLAR_FROM = "Google Scholar Alerts <scholaralerts-noreply@google.com>"


@dataclass(frozen=True)
class Result:
    """One result as the test wants it to appear in an alert."""

    title: str
    byline: str
    target: str
    snippet: str


TWO_RESULTS = (
    Result(
        "Sparse Attention for Streaming Joins",
        "K Osei, L Varga - arXiv preprint arXiv:2601.04411, 2026",
        "https://arxiv.org/abs/2601.04411",
        "Streaming joins keep large windows in memory. We show that",
    ),
    Result(
        "Write-Optimised Indexes on Persistent Memory",
        "M Brandt, N Ito - Proceedings of the VLDB Endowment, 2025",
        "https://www.vldb.org/pvldb/vol18/p1234-brandt.pdf",
        "Persistent memory makes small writes cheap but not free. We",
    ),
)


def result_link(result: Result, position: int, folt: str, hl: str) -> str:
    """A scholar_url link the way Scholar writes it (target not encoded)."""
    return (
        f"https://scholar.google.com/scholar_url?url={result.target}&hl={hl}"
        f"&sa=X&d={4000 + position}&ei=Tst{position}&scisig=Sig{position}"
        f"&oi=scholaralrt&html=&pos={position}&folt={folt}"
    )


def scholar_html(
    results: tuple[Result, ...] = TWO_RESULTS,
    *,
    folt: str = "rel",
    hl: str = "en",
    followed: str | None = "Ada Lovelace",
) -> str:
    """The HTML body of an alert, in the shape Scholar sends."""
    blocks = []
    for position, result in enumerate(results):
        href = html.escape(result_link(result, position, folt, hl))
        authors, venue = result.byline.split(" - ", 1)
        blocks.append(
            f'<h3 style="font-weight:normal;margin:0"><a href="{href}" '
            f'class="gse_alrt_title">{html.escape(result.title)}</a></h3>\n'
            f'<div style="color:#006621">{html.escape(authors)}&nbsp;- '
            f"{html.escape(venue)}</div>\n"
            f'<div class="gse_alrt_sni">{html.escape(result.snippet)}&nbsp;…</div>'
            "<br>\n"
        )
    footer = ""
    if followed is not None:
        footer = (
            '<p style="color:#777">This message was sent by Google Scholar because '
            "you're following new articles related to research by "
            '<a href="https://scholar.google.com/citations?hl=en&amp;user=AAAA">'
            f"{html.escape(followed)}</a>.</p>\n"
        )
    return (
        '<html><body><div style="font-family:arial,sans-serif">\n'
        '<h3 style="font-weight:lighter"></h3>\n'
        + "".join(blocks)
        + footer
        + "</div></body></html>\n"
    )


def scholar_text(
    results: tuple[Result, ...] = TWO_RESULTS,
    *,
    folt: str = "rel",
    hl: str = "en",
    followed: str | None = "Ada Lovelace",
) -> str:
    """The text/plain body of the same alert."""
    blocks = [
        f"{r.title}\n<{result_link(r, i, folt, hl)}>\n{r.byline}\n{r.snippet} …\n"
        for i, r in enumerate(results)
    ]
    footer = ""
    if followed is not None:
        footer = (
            "\nThis message was sent by Google Scholar because you're following "
            f"new articles related to research by {followed}.\n"
        )
    return "\n".join(blocks) + footer


def scholar_alert(
    subject: str = "Ada Lovelace - new related research",
    *,
    sender: str = SCHOLAR_FROM,
    html_body: str | None = None,
    text_body: str | None = None,
    message_id: str = "<alert-1@google.com>",
) -> EmailMessage:
    """A complete alert message with a text and an HTML alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "reader@example.org"
    message["Subject"] = subject
    message["Date"] = "Fri, 23 Jan 2026 06:12:00 +0000"
    message["Message-ID"] = message_id
    message.set_content(text_body if text_body is not None else scholar_text())
    message.add_alternative(
        html_body if html_body is not None else scholar_html(), subtype="html"
    )
    return message


def forward_envelope(subject: str, message_id: str) -> EmailMessage:
    """The outer headers of a message a reader sends to the bot."""
    message = EmailMessage()
    message["From"] = "Reader <Reader@Example.org>"
    message["To"] = "digest-bot@example.net"
    message["Subject"] = subject
    message["Date"] = "Fri, 23 Jan 2026 08:01:00 +0000"
    message["Message-ID"] = message_id
    return message


def fixture(name: str) -> bytes:
    """The bytes of a hand-written fixture under tests/fixtures/mail/."""
    return (FIXTURES / name).read_bytes()
