"""Raw message bytes to ParsedMessage: recognition, forwards, encodings, samples."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from bot.errors import MessageParseError, MessageTooLargeError
from bot.models import AlertKind, ParsedMessage, SourceKind
from bot.parse import message as message_module
from bot.parse.message import parse_message
from bot.text import normalize_title
from tests.mail_builders import (
    SAMPLES,
    TWO_RESULTS,
    Result,
    fixture,
    forward_envelope,
    scholar_alert,
    scholar_html,
    scholar_text,
)


def _titles(parsed: ParsedMessage) -> list[str]:
    return [paper.title for alert in parsed.alerts for paper in alert.papers]


def _links(parsed: ParsedMessage) -> list[str | None]:
    return [paper.link for alert in parsed.alerts for paper in alert.papers]


# --- recognition ------------------------------------------------------------


def test_k08_chinese_alerts_recognised_by_sender_and_structure_and_named() -> None:
    sender = "Google 学术搜索快讯 <scholaralerts-noreply@google.com>"
    cases = [
        ("图神经网络 - 新的结果", "kw", "图神经网络", AlertKind.SEARCH),
        ("李华 - 新的相关研究工作", "rel", "李华", AlertKind.RELATED),
        ("王芳的文章新增了 3 次引用", "cit", "王芳", AlertKind.CITATIONS),
    ]
    for subject, folt, name, kind in cases:
        alert = scholar_alert(
            subject,
            sender=sender,
            html_body=scholar_html(folt=folt, hl="zh-CN", followed=None),
            text_body=scholar_text(folt=folt, hl="zh-CN", followed=None),
        )
        raw = alert.as_bytes()
        assert b"=?utf-8?" in raw  # the subject really is RFC 2047 encoded

        parsed = parse_message(raw)

        assert parsed.subject == subject
        assert parsed.sender == "scholaralerts-noreply@google.com"
        assert len(parsed.alerts) == 1
        assert parsed.alerts[0].alert.name == name
        assert parsed.alerts[0].alert.kind is kind
        assert len(parsed.alerts[0].papers) == 2
        assert all("hl=zh-CN" in (link or "") for link in _links(parsed))

    # Not from Google, no forward block: the body's structure decides.
    relayed = scholar_alert(
        "图神经网络 - 新的结果",
        sender="Relay <relay@example.org>",
        html_body=scholar_html(folt="kw", hl="zh-CN", followed=None),
        text_body=scholar_text(folt="kw", hl="zh-CN", followed=None),
    )
    parsed = parse_message(relayed.as_bytes())
    assert parsed.skip_reason is None
    assert parsed.alerts[0].alert.name == "图神经网络"
    assert parsed.alerts[0].alert.source is SourceKind.SCHOLAR
    assert parsed.forwarder == "relay@example.org"
    assert len(parsed.alerts[0].papers) == 2


def test_scholarcitations_sender_is_recognised() -> None:
    alert = scholar_alert(
        "Grace Hopper - new citations",
        sender="Google Scholar Citations <ScholarCitations-NoReply@google.com>",
        html_body=scholar_html(folt="cit", followed=None),
    )

    parsed = parse_message(alert.as_bytes())

    assert parsed.sender == "scholarcitations-noreply@google.com"
    assert parsed.alerts[0].alert.kind is AlertKind.CITATIONS
    assert parsed.alerts[0].alert.name == "Grace Hopper"


def test_alert_with_unknown_subject_wording_is_still_parsed() -> None:
    alert = scholar_alert("Ада Лавлейс – новые статьи по теме", html_body=None)

    parsed = parse_message(alert.as_bytes())

    assert _titles(parsed) == [r.title for r in TWO_RESULTS]
    # The footer names the person, whatever the subject says.
    assert parsed.alerts[0].alert.name == "Ada Lovelace"


def test_footer_name_wins_over_subject() -> None:
    alert = scholar_alert(
        "Something odd - new related research",
        html_body=scholar_html(followed="Katherine Johnson"),
    )

    parsed = parse_message(alert.as_bytes())

    assert parsed.alerts[0].alert.name == "Katherine Johnson"


def test_x_amp_html_part_is_ignored() -> None:
    amp_only = (
        Result("AMP Only Paper", "X Y - Nowhere, 2026", "https://x.org/1", "s"),
    )
    alert = scholar_alert()
    alert.add_alternative(scholar_html(amp_only), subtype="x-amp-html")
    # Gmail puts the AMP copy between the plain text and the HTML.
    alert.get_payload().insert(1, alert.get_payload().pop())

    parsed = parse_message(alert.as_bytes())

    assert b"text/x-amp-html" in alert.as_bytes()
    assert _titles(parsed) == [r.title for r in TWO_RESULTS]
    assert "AMP Only Paper" not in _titles(parsed)


def test_text_plain_is_the_fallback_without_html() -> None:
    alert = EmailMessage()
    alert["From"] = "Google Scholar Alerts <scholaralerts-noreply@google.com>"
    alert["Subject"] = "Ada Lovelace - new related research"
    alert["Message-ID"] = "<plain-only@google.com>"
    alert.set_content(scholar_text())

    parsed = parse_message(alert.as_bytes())

    assert _titles(parsed) == [r.title for r in TWO_RESULTS]
    assert parsed.alerts[0].papers[0].link == (
        "https://scholar.google.com/scholar_url?url=https://arxiv.org/abs/2601.04411"
        "&hl=en&sa=X&d=4000&ei=Tst0&scisig=Sig0&oi=scholaralrt&html=&pos=0&folt=rel"
    )


def test_html_part_is_preferred_over_text_plain() -> None:
    html_only = (Result("Only In Html", "A B - Venue, 2026", "https://x.org/h", "s"),)
    alert = scholar_alert(html_body=scholar_html(html_only))

    parsed = parse_message(alert.as_bytes())

    assert _titles(parsed) == ["Only In Html"]


def test_newsletter_is_skipped_with_a_reason() -> None:
    news = EmailMessage()
    news["From"] = "Weekly News <News@Example.com>"
    news["Subject"] = "This week - new articles"
    news["Message-ID"] = "<news-1@example.com>"
    news.set_content("Our top stories.\nhttps://example.com/story - read more\n")
    news.add_alternative('<p><a href="https://example.com/story">Story</a></p>')

    parsed = parse_message(news.as_bytes())

    assert parsed.alerts == ()
    assert parsed.skip_reason is not None
    assert "news@example.com" in parsed.skip_reason
    assert parsed.message_id == "<news-1@example.com>"
    assert parsed.forwarder is None


def test_google_sender_without_structure_keeps_an_empty_alert_with_a_problem() -> None:
    odd = scholar_alert(html_body="<p>Your alert is paused.</p>", text_body="Paused.")

    parsed = parse_message(odd.as_bytes())

    assert parsed.skip_reason is None
    assert parsed.alerts[0].papers == ()
    assert parsed.alerts[0].problems


def test_automatic_forward_keeps_google_sender_and_names_the_hop() -> None:
    alert = scholar_alert()
    alert["X-Forwarded-For"] = "Reader@Example.org digest-bot@example.net"
    alert["X-Forwarded-To"] = "digest-bot@example.net"

    forwarded = parse_message(alert.as_bytes())
    direct = parse_message(scholar_alert().as_bytes())

    assert forwarded.forwarder == "reader@example.org"
    assert forwarded.sender == "scholaralerts-noreply@google.com"
    assert direct.forwarder is None
    assert _links(forwarded) == _links(direct)


def test_alert_carries_its_message_id_and_date() -> None:
    parsed = parse_message(scholar_alert(message_id="<own-id@google.com>").as_bytes())

    alert = parsed.alerts[0].alert
    assert alert.message_id == "<own-id@google.com>"
    assert alert.sent_at is not None
    assert alert.sent_at.isoformat() == "2026-01-23T06:12:00+00:00"


def test_unparseable_date_gives_no_sent_at() -> None:
    alert = scholar_alert()
    alert.replace_header("Date", "sometime last week")

    parsed = parse_message(alert.as_bytes())

    assert parsed.alerts[0].alert.sent_at is None
    assert len(parsed.alerts[0].papers) == 2


# --- encodings ---------------------------------------------------------------


def test_k17_quoted_printable_soft_breaks_and_base64_give_identical_papers() -> None:
    qp_raw = fixture("k17-quoted-printable.eml")
    assert b"\r\n" not in qp_raw  # bare LF line ends, as the case asks
    assert b"=   \n" in qp_raw  # a soft break with transport-added blanks
    b64 = EmailMessage()
    b64["From"] = "Google Scholar Alerts <scholaralerts-noreply@google.com>"
    b64["Subject"] = "Ada Lovelace - new related research"
    b64["Message-ID"] = "<k17-b64@google.com>"
    b64.set_content(fixture("k17-alert.html"), "text", "html", cte="base64")
    b64.set_param("charset", "utf-8")

    from_qp = parse_message(qp_raw)
    from_b64 = parse_message(b64.as_bytes())

    assert _links(from_qp) == _links(from_b64)
    assert _titles(from_qp) == _titles(from_b64)
    assert _links(from_qp) == [
        "https://scholar.google.com/scholar_url?url=https://arxiv.org/abs/2601.07777"
        "&hl=en&sa=X&d=51&oi=scholaralrt&html=&pos=0&folt=rel",
        "https://scholar.google.com/scholar_url?url=https://openreview.net/forum"
        "%3Fid%3DAb12Cd&hl=en&sa=X&d=52&oi=scholaralrt&html=&pos=1&folt=rel",
    ]
    for link in _links(from_qp):
        assert link is not None
        assert "=3D" not in link
        assert "..org" not in link and "..com" not in link
        assert "= " not in link and not link.endswith("=")
    assert _titles(from_qp)[0] == "Latency-Aware Routing in Sparse Mixture Models"


def test_gb2312_labelled_gbk_body_decodes_as_gbk() -> None:
    # 喆 and 堃 are in GBK but not in GB2312: a strict gb2312 decoder fails.
    title = "基于图的检索增强生成"
    results = (
        Result(title, "王喆, 李堃 - 计算机学报, 2026", "https://x.cn/1", "摘要"),
    )
    body = scholar_html(results, hl="zh-CN", followed=None).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")
    alert = EmailMessage()
    alert["From"] = "Google 学术搜索快讯 <scholaralerts-noreply@google.com>"
    alert["Subject"] = "图检索 - 新的结果"
    alert.set_content(body, "text", "html", cte="base64")
    alert.set_param("charset", "gb2312")

    parsed = parse_message(alert.as_bytes())

    assert _titles(parsed) == [title]
    assert parsed.alerts[0].papers[0].authors == ("王喆", "李堃")


def test_iso_2022_jp_body_without_declared_charset_decodes() -> None:
    title = "大規模言語モデルの検索拡張"
    results = (
        Result(title, "山田 太郎 - 情報処理学会論文誌, 2026", "https://x.jp/1", "s"),
    )
    body = scholar_text(results, hl="ja", followed=None).encode("iso2022_jp")
    raw = (
        b"From: Google Scholar Alerts <scholaralerts-noreply@google.com>\n"
        b"Subject: =?iso-2022-jp?b?GyRCOFQ4bBsoQg==?= - new results\n"
        b"Message-ID: <jis@google.com>\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: text/plain\n"
        b"Content-Transfer-Encoding: 7bit\n\n" + body
    )

    parsed = parse_message(raw)

    assert _titles(parsed) == [title]
    assert parsed.alerts[0].papers[0].venue == "情報処理学会論文誌"


def test_utf8_label_on_latin1_bytes_falls_back_instead_of_replacing() -> None:
    body = scholar_text(
        (
            Result(
                "Café Society Networks", "J Müller - Revue, 2026", "https://x.fr/", "s"
            ),
        )
    ).encode("cp1252")
    alert = EmailMessage()
    alert["From"] = "Google Scholar Alerts <scholaralerts-noreply@google.com>"
    alert["Subject"] = "x - new results"
    alert.set_content(body, "text", "plain", cte="base64")
    alert.set_param("charset", "utf-8")

    parsed = parse_message(alert.as_bytes())

    assert _titles(parsed) == ["Café Society Networks"]
    assert parsed.alerts[0].papers[0].authors == ("J Müller",)


def test_subject_ampersand_stays_plain_text() -> None:
    alert = scholar_alert(
        '"retrieval & ranking" - new results',
        html_body=scholar_html(folt="kw", followed=None),
    )

    parsed = parse_message(alert.as_bytes())

    assert parsed.subject == '"retrieval & ranking" - new results'
    assert parsed.alerts[0].alert.name == '"retrieval & ranking"'
    assert "&amp;" not in parsed.subject + parsed.alerts[0].alert.name


def test_cr_lf_in_encoded_subject_is_removed() -> None:
    raw = (
        scholar_alert()
        .as_bytes()
        .replace(
            b"Subject: Ada Lovelace - new related research",
            # "Ada Lovelace\r\nBcc: x@example.org\t\x00- new related research"
            b"Subject: =?utf-8?b?QWRhIExvdmVsYWNlDQpCY2M6IHhAZXhhbXBsZS5vcmcJAC0gbmV3"
            b"IHJlbGF0ZWQgcmVzZWFyY2g=?=",
        )
    )

    parsed = parse_message(raw)

    texts = [parsed.subject, parsed.alerts[0].alert.subject]
    for text in texts:
        assert not any(ch in text for ch in "\r\n\t\x00")
    assert parsed.subject == "Ada Lovelace Bcc: x@example.org - new related research"


def test_broken_headers_never_cost_the_message() -> None:
    raw = scholar_alert().as_bytes()
    raw = raw.replace(b"Message-ID: <alert-1@google.com>", b"Message-ID: <<<>>")
    raw = raw.replace(
        b"Subject: Ada Lovelace - new related research",
        b"Subject: =?bogus-charset?q?Ada_Lovelace?= \xe2\x80\x93 new related research",
    )

    parsed = parse_message(raw)

    assert parsed.message_id is not None and "<<<" in parsed.message_id
    assert len(parsed.alerts[0].papers) == 2
    assert "new related research" in parsed.subject


# --- size and garbage --------------------------------------------------------


def test_too_large_message_raises_with_message_id_and_body_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = scholar_alert(message_id="<big-1@google.com>").as_bytes()

    def must_not_parse(raw: bytes) -> None:
        raise AssertionError("the body of an oversized message was parsed")

    monkeypatch.setattr(message_module, "load_message", must_not_parse)
    with pytest.raises(MessageTooLargeError) as caught:
        parse_message(raw, max_bytes=1000)

    assert caught.value.message_id == "<big-1@google.com>"
    assert str(len(raw)) in str(caught.value)


def test_message_at_the_cap_is_parsed() -> None:
    raw = scholar_alert().as_bytes()

    parsed = parse_message(raw, max_bytes=len(raw))

    assert len(parsed.alerts[0].papers) == 2


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
        bytes(range(255, -1, -1)) * 16,
        b"\n\n\n",
        b"Subject: hi\n\n" + b"\xff\xfe=?=\x00" * 100,
    ],
)
def test_garbage_bytes_give_a_skip_reason_or_a_parse_error(raw: bytes) -> None:
    try:
        parsed = parse_message(raw)
    except MessageParseError as exc:
        assert exc.problem
        return
    assert parsed.alerts == ()
    assert parsed.skip_reason


def test_empty_bytes_are_not_mail() -> None:
    with pytest.raises(MessageParseError):
        parse_message(b"")


# --- forwarded as attachment ---------------------------------------------------


def test_k19_attached_alert_with_rfc2231_name_yields_inner_papers() -> None:
    parsed = parse_message(fixture("k19-attached-alert.eml"))

    assert _titles(parsed) == [
        "Compiler Passes as Rewrite Rules",
        "Debugging Optimised Code at Scale",
    ]
    # The note quotes a Scholar link, and still is no paper.
    assert "Distributed Snapshots Revisited" not in _titles(parsed)
    assert parsed.forwarder == "reader@example.org"
    assert parsed.sender == "reader@example.org"
    assert parsed.message_id == "<k19-outer@example.org>"
    assert parsed.subject == "Fw: citations this week"
    alert = parsed.alerts[0].alert
    assert alert.message_id == "<k19-inner@google.com>"
    assert alert.name == "Grace Hopper"
    assert alert.kind is AlertKind.CITATIONS
    assert alert.sent_at is not None and alert.sent_at.day == 22


def test_k19_two_attached_alerts_yield_four_papers() -> None:
    first = scholar_alert(message_id="<first@google.com>")
    second = scholar_alert(
        "Grace Hopper - new citations",
        html_body=scholar_html(
            (
                Result("Third Paper", "C D - Venue, 2026", "https://x.org/3", "s"),
                Result("Fourth Paper", "E F - Venue, 2025", "https://x.org/4", "s"),
            ),
            folt="cit",
            followed=None,
        ),
        message_id="<second@google.com>",
    )
    outer = forward_envelope("Fw: two alerts", "<two@example.org>")
    outer.set_content("Both alerts attached.\n")
    for inner in (first, second):
        outer.add_attachment(inner, filename="Предупреждение Scholar.eml")
    raw = outer.as_bytes()
    assert b"filename*0*=utf-8''" in raw  # RFC 2231, non-ASCII name

    parsed = parse_message(raw)

    assert len(_titles(parsed)) == 4
    assert _titles(parsed)[2:] == ["Third Paper", "Fourth Paper"]
    assert [a.alert.message_id for a in parsed.alerts] == [
        "<first@google.com>",
        "<second@google.com>",
    ]
    assert [a.alert.name for a in parsed.alerts] == ["Ada Lovelace", "Grace Hopper"]
    assert parsed.forwarder == "reader@example.org"
    assert "Both alerts attached" not in " ".join(_titles(parsed))


def test_attached_non_alert_gives_a_skip_reason() -> None:
    inner = EmailMessage()
    inner["From"] = "friend@example.org"
    inner["Subject"] = "lunch?"
    inner.set_content("Lunch on Friday?")
    outer = forward_envelope("Fw: lunch", "<lunch@example.org>")
    outer.set_content("fyi")
    outer.add_attachment(inner)

    parsed = parse_message(outer.as_bytes())

    assert parsed.alerts == ()
    assert parsed.skip_reason is not None and "attached" in parsed.skip_reason


# --- forwarded inline -----------------------------------------------------------


def _body_html(page: str) -> str:
    return page.split("<body>", 1)[1].split("</body>", 1)[0]


def _gmail_forward() -> EmailMessage:
    message = forward_envelope(
        "Fwd: Ada Lovelace - new related research", "<gmail-fwd@mail.gmail.com>"
    )
    message.set_content(
        "For the digest.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Google Scholar Alerts <scholaralerts-noreply@google.com>\n"
        "Date: Fri, 23 Jan 2026 at 07:12\n"
        "Subject: Ada Lovelace - new related research\n"
        "To: <reader@example.org>\n\n\n" + scholar_text()
    )
    message.add_alternative(
        '<div dir="ltr">For the digest.<br><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">---------- Forwarded message ---------'
        '<br>From: <strong class="gmail_sendername" dir="auto">Google Scholar '
        'Alerts</strong> <span dir="auto">&lt;scholaralerts-noreply@google.com'
        "&gt;</span><br>Date: Fri, 23 Jan 2026 at 07:12<br>Subject: Ada Lovelace -"
        " new related research<br>To: &lt;reader@example.org&gt;<br></div><br><br>"
        + _body_html(scholar_html())
        + "</div></div>"
    )
    return message


def _outlook_forward() -> EmailMessage:
    message = forward_envelope(
        "TR: Ada Lovelace – nouveaux articles liés", "<outlook-fwd@example.org>"
    )
    header_block = (
        "De : Google Scholar Alerts <scholaralerts-noreply@google.com>\n"
        "Envoyé : vendredi 23 janvier 2026 07:12\n"
        "À : Reader <reader@example.org>\n"
        "Objet : Ada Lovelace – nouveaux articles liés\n"
    )
    message.set_content(
        "Pour le digest.\n\n________________________________\n"
        + header_block
        + "\n"
        + scholar_text(),
        cte="base64",
    )
    message.add_alternative(
        '<html><head><style>p.MsoNormal{margin:0}</style></head><body lang="FR">'
        '<div class="WordSection1"><p class="MsoNormal">Pour le digest.</p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt">'
        '<p class="MsoNormal"><b>De&nbsp;:</b> Google Scholar Alerts '
        "&lt;scholaralerts-noreply@google.com&gt;<br><b>Envoyé&nbsp;:</b> "
        "vendredi 23 janvier 2026 07:12<br><b>À&nbsp;:</b> Reader "
        "&lt;reader@example.org&gt;<br><b>Objet&nbsp;:</b> Ada Lovelace – "
        "nouveaux articles liés</p></div><div>"
        + _body_html(scholar_html())
        + "</div></div></body></html>",
        subtype="html",
        cte="base64",
    )
    return message


def _apple_forward() -> EmailMessage:
    message = forward_envelope(
        "Fwd: Ada Lovelace - new related research", "<apple-fwd@example.org>"
    )
    message.set_content(
        "For the digest.\n\nBegin forwarded message:\n\n"
        "From: Google Scholar Alerts <scholaralerts-noreply@google.com>\n"
        "Subject: Ada Lovelace - new related research\n"
        "Date: 23 January 2026 at 07:12:00 CET\n"
        "To: reader@example.org\n\n" + scholar_text()
    )
    mixed = EmailMessage()
    mixed.set_content(
        '<html><body>For the digest.<br><div><br><blockquote type="cite">'
        "<div>Begin forwarded message:</div><br>"
        "<div><b>From: </b>Google Scholar Alerts &lt;scholaralerts-noreply@"
        "google.com&gt;</div><div><b>Subject: </b><b>Ada Lovelace - new related "
        "research</b></div><div><b>Date: </b>23 January 2026 at 07:12:00 CET</div>"
        "<div><b>To: </b>reader@example.org</div><br></blockquote></div>"
        "</body></html>",
        subtype="html",
    )
    mixed.add_attachment(scholar_html(), subtype="html", disposition="inline")
    mixed.add_attachment(
        "<html><body><div><br></div></body></html>",
        subtype="html",
        disposition="inline",
    )
    message.make_alternative()
    message.attach(mixed)
    return message


def test_k20_inline_forwards_from_gmail_outlook_and_apple_mail_yield_the_same_papers() -> None:  # noqa: E501  # fmt: skip
    direct = parse_message(scholar_alert().as_bytes())
    forwards = {
        "gmail": _gmail_forward(),
        "outlook": _outlook_forward(),
        "apple": _apple_forward(),
    }
    assert b"base64" in forwards["outlook"].as_bytes()
    assert forwards["apple"].get_payload()[1].get_content_type() == "multipart/mixed"

    for client, message in forwards.items():
        parsed = parse_message(message.as_bytes())

        assert _titles(parsed) == _titles(direct), client
        assert _links(parsed) == _links(direct), client
        assert parsed.forwarder == "reader@example.org", client
        assert parsed.sender == "reader@example.org", client
        assert parsed.alerts[0].alert.name == "Ada Lovelace", client
        assert parsed.alerts[0].alert.message_id == message["Message-ID"], client
        papers = parsed.alerts[0].papers
        assert [p.authors for p in papers] == [
            p.authors for p in direct.alerts[0].papers
        ]
        shown = " ".join(
            " ".join((p.title, p.snippet or "", p.venue or "", *p.authors))
            for p in papers
        )
        for leaked in (
            "scholaralerts-noreply",
            "reader@",
            "Objet",
            "Envoy",
            "Subject",
            "Forwarded",
            "forwarded",
            "For the digest",
            "Pour le digest",
        ):
            assert leaked not in shown, (client, leaked)


def test_inline_forward_names_the_section_from_the_original_subject() -> None:
    message = _outlook_forward()
    # Without the footer only the forwarded Objet line can name the section.
    html_part = message.get_payload()[1]
    page = html_part.get_content()
    footer = page[page.index('<p style="color:#777">') : page.index("</p>\n</div>")]
    html_part.set_content(page.replace(footer, ""), subtype="html", cte="base64")
    assert "following" not in html_part.get_content()

    parsed = parse_message(message.as_bytes())

    assert parsed.subject == "TR: Ada Lovelace – nouveaux articles liés"
    assert parsed.alerts[0].alert.subject == "Ada Lovelace – nouveaux articles liés"
    assert parsed.alerts[0].alert.name == "Ada Lovelace"


def test_thunderbird_forward_with_localised_header_table() -> None:
    message = forward_envelope("Fwd: Ada Lovelace - new related research", "<tb@x.org>")
    message.set_content(
        '<div class="moz-forward-container"><br><br>'
        "-------- Message transféré --------\n"
        '<table class="moz-email-headers-table"><tbody>'
        "<tr><th>Sujet&nbsp;: </th><td>Ada Lovelace - new related research</td></tr>"
        "<tr><th>Date&nbsp;: </th><td>Fri, 23 Jan 2026 06:12:00 +0000</td></tr>"
        "<tr><th>De&nbsp;: </th><td>Google Scholar Alerts "
        '<a href="mailto:scholaralerts-noreply@google.com">&lt;scholaralerts-noreply'
        "@google.com&gt;</a></td></tr>"
        "<tr><th>Pour&nbsp;: </th><td>reader@example.org</td></tr>"
        "</tbody></table><br><br>" + _body_html(scholar_html()) + "</div>",
        subtype="html",
    )

    parsed = parse_message(message.as_bytes())

    assert _titles(parsed) == [r.title for r in TWO_RESULTS]
    alert = parsed.alerts[0].alert
    assert alert.subject == "Ada Lovelace - new related research"
    assert alert.sent_at is not None and alert.sent_at.hour == 6


# --- arXiv listings ---------------------------------------------------------------


def test_arxiv_listing_recognised_by_sender() -> None:
    parsed = parse_message((SAMPLES / "arxiv-listing-cs.eml").read_bytes())

    assert parsed.sender == "no-reply@arxiv.org"
    alert = parsed.alerts[0].alert
    assert alert.kind is AlertKind.ARXIV_LISTING
    assert alert.source is SourceKind.ARXIV_LISTING
    assert alert.name == "arXiv cs"
    assert [p.arxiv_id for p in parsed.alerts[0].papers] == [
        "2601.20001",
        "2601.20002",
        "2601.19876",
    ]


def test_arxiv_listing_forwarded_inline_is_recognised() -> None:
    sample = parse_message((SAMPLES / "arxiv-listing-cs.eml").read_bytes())
    listing = (SAMPLES / "arxiv-listing-cs.eml").read_text().split("\n\n", 1)[1]
    message = forward_envelope(
        "Fwd: cs daily Subj-class mailing 2601 60", "<arxiv-fwd@example.org>"
    )
    message.set_content(
        "Today's listing.\n\n---------- Forwarded message ---------\n"
        "From: send mail ONLY to cs <no-reply@arXiv.org>\n"
        "Date: Fri, 23 Jan 2026 at 02:00\n"
        "Subject: cs daily Subj-class mailing 2601 60\n"
        "To: <reader@example.org>\n\n" + listing
    )

    parsed = parse_message(message.as_bytes())

    assert parsed.forwarder == "reader@example.org"
    alert = parsed.alerts[0].alert
    assert alert.kind is AlertKind.ARXIV_LISTING
    assert alert.name == "arXiv cs"
    assert alert.message_id == "<arxiv-fwd@example.org>"
    assert [p.arxiv_id for p in parsed.alerts[0].papers] == [
        p.arxiv_id for p in sample.alerts[0].papers
    ]


# --- the shared sample inbox --------------------------------------------------


SAMPLE_COUNTS = {
    "scholar-related-research-en.eml": (3, "Ada Lovelace"),
    "scholar-citations-zh.eml": (3, "Grace Hopper"),
    "scholar-search-results-en.eml": (3, '"retrieval augmented generation"'),
    "arxiv-listing-cs.eml": (3, "arXiv cs"),
    "forward-inline-gmail.eml": (3, "Ada Lovelace"),
    "forward-as-attachment.eml": (3, "Grace Hopper"),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_COUNTS))
def test_sample_gives_the_paper_count_of_its_readme(name: str) -> None:
    count, section = SAMPLE_COUNTS[name]

    parsed = parse_message((SAMPLES / name).read_bytes())

    assert parsed.skip_reason is None
    assert len(parsed.alerts) == 1
    assert len(parsed.alerts[0].papers) == count
    assert parsed.alerts[0].alert.name == section


def test_all_samples_give_18_refs_and_12_distinct_papers() -> None:
    papers = [
        paper
        for name in SAMPLE_COUNTS
        for alert in parse_message((SAMPLES / name).read_bytes()).alerts
        for paper in alert.papers
    ]

    assert len(papers) == 18
    assert len({normalize_title(p.title) for p in papers}) == 12
