"""Part walking, charset decoding and header reading of raw mail."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest

from bot.errors import MessageParseError
from bot.parse.mime import (
    address_in,
    attached_messages,
    decode_bytes,
    header_text,
    load_message,
    parse_date,
    peek_message_id,
    text_parts,
)


def test_gb2312_label_on_gbk_bytes_decodes_as_gbk() -> None:
    data = "王喆 堃".encode("gbk")

    assert decode_bytes(data, "gb2312") == "王喆 堃"
    assert decode_bytes(data, "GB2312") == "王喆 堃"


def test_undeclared_iso_2022_jp_is_detected_by_its_escapes() -> None:
    data = "検索拡張".encode("iso2022_jp")

    assert decode_bytes(data, None) == "検索拡張"
    assert decode_bytes(data, "us-ascii") == "検索拡張"


def test_utf8_label_on_latin1_bytes_falls_back_to_cp1252() -> None:
    assert decode_bytes("Café – Müller".encode("cp1252"), "utf-8") == "Café – Müller"
    assert decode_bytes("Café".encode("latin-1"), "utf-8") == "Café"


def test_unknown_charset_reads_as_utf8_with_replacement() -> None:
    assert decode_bytes("naïve".encode(), "x-no-such-charset") == "naïve"
    assert decode_bytes(b"a\xffb", "x-no-such-charset") == "a\ufffdb"


def test_utf8_bom_is_dropped() -> None:
    assert decode_bytes(b"\xef\xbb\xbfhello", "utf-8") == "hello"


def test_latin1_never_fails_as_the_last_resort() -> None:
    # 0x81 is undefined in cp1252 and invalid as UTF-8.
    assert decode_bytes(b"\x81x", None) == "\x81x"


def test_html_meta_charset_is_used_when_mime_declares_none() -> None:
    message = load_message(
        b"From: a@b.org\nContent-Type: text/html\n\n"
        b'<meta charset="gb2312"><p>' + "王喆".encode("gbk") + b"</p>"
    )

    assert "王喆" in text_parts(message)[0].text


def test_header_with_broken_structure_is_read_raw() -> None:
    message = load_message(b"Message-ID: <<<>>\nSubject: ok\n\nbody")

    assert header_text(message, "Message-ID") == "<<<>>"
    assert header_text(message, "Subject") == "ok"
    assert header_text(message, "X-Missing") == ""


def test_raw_utf8_header_bytes_are_decoded() -> None:
    message = load_message("Subject: Grace Hopper的文章新增了 3 次引用\n\nx".encode())

    assert header_text(message, "Subject") == "Grace Hopper的文章新增了 3 次引用"


def test_control_characters_are_removed_from_headers() -> None:
    encoded = base64.b64encode("a\r\nb\x00c\x1bd\u2028e".encode()).decode()
    message = load_message(f"Subject: =?utf-8?b?{encoded}?=\n\nx".encode())

    assert header_text(message, "Subject") == "a b c d e"


@pytest.mark.parametrize(
    ("value", "address"),
    [
        (
            "Google 学术搜索快讯 <ScholarAlerts-NoReply@Google.com>",
            "scholaralerts-noreply@google.com",
        ),
        (
            "Google Scholar Alerts [mailto:scholaralerts-noreply@google.com]",
            "scholaralerts-noreply@google.com",
        ),
        ("reader@example.org digest-bot@example.net", "reader@example.org"),
        ("no address here", None),
        ("", None),
    ],
)
def test_address_in_finds_the_first_address(value: str, address: str | None) -> None:
    assert address_in(value) == address


def test_dates_parse_to_aware_datetimes_or_none() -> None:
    moment = parse_date("Fri, 23 Jan 2026 06:12:00 -0000")

    assert moment is not None and moment.utcoffset() is not None
    assert parse_date("vendredi 23 janvier 2026 07:12") is None
    assert parse_date("") is None


def test_peek_reads_the_message_id_from_the_headers_only() -> None:
    raw = b"Subject: x\r\nMessage-ID: <peek@x.org>\r\n\r\nMessage-ID: <body@x.org>\r\n"

    assert peek_message_id(raw) == "<peek@x.org>"
    assert peek_message_id(b"Subject: x\n\nbody") is None


def test_text_parts_skip_amp_attachments_and_attached_mail() -> None:
    inner = EmailMessage()
    inner["Subject"] = "inner"
    inner.set_content("inner text")
    outer = EmailMessage()
    outer["Subject"] = "outer"
    outer.set_content("plain")
    outer.add_alternative("<p>amp</p>", subtype="x-amp-html")
    outer.add_alternative("<p>html</p>", subtype="html")
    outer.make_mixed()
    outer.add_attachment("an attached note", filename="note.txt")
    outer.add_attachment(inner)

    parts = load_message(outer.as_bytes())

    assert [(p.subtype, p.text.strip()) for p in text_parts(parts)] == [
        ("plain", "plain"),
        ("html", "<p>html</p>"),
    ]


def test_attached_mail_is_found_in_every_form() -> None:
    inner = b"From: scholaralerts-noreply@google.com\nSubject: inner\n\nhello\n"
    outer = EmailMessage()
    outer["Subject"] = "outer"
    outer.set_content("note")
    outer.add_attachment(load_message(inner))
    outer.add_attachment(
        inner, "application", "octet-stream", filename="Предупреждение.eml"
    )
    raw = outer.as_bytes()
    # A base64 message/rfc822 part, which the stdlib leaves undecoded.
    raw = raw.replace(
        b"--" + outer.get_boundary().encode() + b"--",
        b"--" + outer.get_boundary().encode() + b"\n"
        b"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
        + base64.b64encode(inner)
        + b"\n--"
        + outer.get_boundary().encode()
        + b"--",
    )

    found = attached_messages(load_message(raw))

    assert [header_text(m, "Subject") for m in found] == ["inner"] * 3


def test_bytes_without_headers_are_not_mail() -> None:
    with pytest.raises(MessageParseError):
        load_message(b"\x00\x01\x02 plain noise with no header at all")


def test_bytes_codec_names_as_charset_do_not_crash() -> None:
    assert decode_bytes(b"plain", "hex") == "plain"
    assert decode_bytes(b"plain", "rot13") == "plain"
