"""Inline-forward header blocks: found in any client's layout, cut cleanly."""

from __future__ import annotations

import pytest

from bot.parse.forwarded import (
    find_forwarded_headers,
    html_to_text,
    strip_forward_html,
    strip_forward_text,
)
from bot.parse.scholar_html import parse_scholar_html
from tests.mail_builders import SAMPLES, scholar_html, scholar_text

SCHOLAR = "Google Scholar Alerts <scholaralerts-noreply@google.com>"


@pytest.mark.parametrize(
    "block",
    [
        # Outlook, German
        f"Von: {SCHOLAR}\nGesendet: Freitag, 23. Januar 2026 07:12\n"
        "An: Reader <reader@example.org>\nBetreff: Ada Lovelace - neue Artikel\n",
        # Outlook, Spanish
        f"De: {SCHOLAR}\nEnviado: viernes, 23 de enero de 2026 7:12\n"
        "Para: reader@example.org\nAsunto: Ada Lovelace - nuevos artículos\n",
        # Outlook, French, no-break space before the colon
        f"De\u00a0: {SCHOLAR}\nEnvoyé\u00a0: vendredi 23 janvier 2026 07:12\n"
        "À\u00a0: reader@example.org\nObjet\u00a0: Ada Lovelace – nouveaux articles\n",
        # Outlook, Chinese, full-width colons
        f"发件人：{SCHOLAR}\n发送时间：2026年1月23日 7:12\n"
        "收件人：reader@example.org\n主题：Ada Lovelace - 新文章\n",
        # Outlook plain text with the address as a mailto
        "From: Google Scholar Alerts [mailto:scholaralerts-noreply@google.com]\n"
        "Sent: Friday, January 23, 2026 7:12 AM\nTo: Reader\n"
        "Subject: Ada Lovelace - new articles\n",
        # Gmail plain text renders the labels bold
        f"*From:* {SCHOLAR}\n*Date:* Fri, 23 Jan 2026 at 07:12\n"
        "*Subject:* Ada Lovelace - new articles\n*To:* <reader@example.org>\n",
        # Thunderbird, Japanese
        "件名: Ada Lovelace - 新しい論文\n日付: Fri, 23 Jan 2026 06:12:00 +0000\n"
        f"差出人: {SCHOLAR}\n宛先: reader@example.org\n",
    ],
)
def test_localised_header_blocks_give_original_sender_and_subject(block: str) -> None:
    text = "Pour info.\n\n-------- Forwarded Message --------\n" + block + "\n"
    text += scholar_text()

    headers, body = strip_forward_text(text)

    assert headers is not None
    assert headers.sender == "scholaralerts-noreply@google.com"
    assert headers.subject is not None and headers.subject.startswith("Ada Lovelace")
    assert body.lstrip().startswith("Sparse Attention for Streaming Joins")
    assert "Pour info" not in body


def test_wrapped_recipient_line_does_not_break_the_block() -> None:
    text = (
        f"From: {SCHOLAR}\nSent: Friday, January 23, 2026 7:12 AM\n"
        "To: Reader One <one@example.org>; Reader Two <two@example.org>;\n"
        "    Reader Three <three@example.org>\n"
        "Subject: Ada Lovelace - new articles\n\nbody\n"
    )

    headers = find_forwarded_headers(text)

    assert headers is not None
    assert headers.subject == "Ada Lovelace - new articles"


def test_forward_of_a_forward_gives_the_innermost_headers() -> None:
    text = (
        "---------- Forwarded message ---------\n"
        "From: Colleague <colleague@example.org>\nDate: Fri, 23 Jan 2026\n"
        "Subject: Fwd: Ada Lovelace - new articles\nTo: reader@example.org\n\n"
        "Thought you'd like this.\n\n"
        "---------- Forwarded message ---------\n"
        f"From: {SCHOLAR}\nDate: Fri, 23 Jan 2026\n"
        "Subject: Ada Lovelace - new articles\nTo: colleague@example.org\n\n"
        + scholar_text()
    )

    headers, body = strip_forward_text(text)

    assert headers is not None
    assert headers.sender == "scholaralerts-noreply@google.com"
    assert headers.subject == "Ada Lovelace - new articles"
    assert "Thought you'd like this" not in body
    assert "colleague@example.org" not in body


def test_quoted_forward_is_unquoted() -> None:
    quoted = "\n".join("> " + line for line in scholar_text().splitlines())
    text = f"From: {SCHOLAR}\nSubject: Ada Lovelace - new articles\n\n{quoted}\n"

    _, body = strip_forward_text(text)

    assert body.lstrip().startswith("Sparse Attention for Streaming Joins")
    assert "\n> " not in body


def test_text_without_a_block_is_left_alone() -> None:
    text = scholar_text()

    headers, body = strip_forward_text(text)

    assert headers is None
    assert body == text


def test_arxiv_listing_is_not_mistaken_for_a_forward_block() -> None:
    listing = (SAMPLES / "arxiv-listing-cs.eml").read_text().split("\n\n", 1)[1]

    assert find_forwarded_headers(listing) is None


def test_html_block_is_cut_and_the_alert_markup_is_kept() -> None:
    alert = scholar_html()
    page = (
        "<div>Note: the <b>Subject</b> is interesting.<br>"
        '<div class="gmail_quote"><div class="gmail_attr">'
        "---------- Forwarded message ---------<br>"
        "From: <strong>Google Scholar Alerts</strong> "
        "&lt;scholaralerts-noreply@google.com&gt;<br>"
        "Date: Fri, 23 Jan 2026<br>Subject: Ada Lovelace - new articles<br>"
        "To: &lt;reader@example.org&gt;<br></div><br>"
        + alert.split("<body>", 1)[1].split("</body>", 1)[0]
        + "</div></div>"
    )

    headers, stripped = strip_forward_html(page)

    assert headers is not None
    assert headers.subject == "Ada Lovelace - new articles"
    visible = html_to_text(stripped)
    assert "Forwarded message" not in visible
    assert "reader@example.org" not in visible
    assert "Note:" not in visible
    assert parse_scholar_html(stripped).papers == parse_scholar_html(alert).papers


def test_html_without_a_block_is_returned_unchanged() -> None:
    page = scholar_html()

    headers, stripped = strip_forward_html(page)

    assert headers is None
    assert stripped == page


def test_html_to_text_puts_blocks_and_breaks_on_their_own_lines() -> None:
    text = html_to_text(
        "<html><head><style>p{x:y}</style></head><body><p><b>De&nbsp;:</b> A"
        "<br><b>Objet&nbsp;:</b> B</p><div>C</div>tail<script>x()</script></body>"
    )

    lines = [line.strip() for line in text.split("\n") if line.strip()]
    assert lines == ["De\u00a0: A", "Objet\u00a0: B", "C", "tail"]


def test_deeply_nested_html_does_not_hit_the_recursion_limit() -> None:
    page = "<div>" * 3000 + "From: a@b.org<br>Subject: s<br>x" + "</div>" * 3000

    headers, _ = strip_forward_html(page)

    assert headers is not None and headers.subject == "s"
