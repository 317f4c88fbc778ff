"""Alerts forwarded inline from Gmail, Outlook, Apple Mail and Thunderbird."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.samples import mime
from bot.samples.forward_source import (
    BOT_MAILBOX,
    OUTLOOK,
    THUNDERBIRD,
    clock12,
    envelope,
    month_name,
    outlook_date,
    read_original,
    weekday_name,
)


def forward_inline_gmail(
    raw_alert: bytes,
    *,
    forwarder: str,
    message_id: str,
    date: datetime,
    to: str = BOT_MAILBOX,
    note: str = "",
) -> bytes:
    """The alert forwarded inline from Gmail: a quote ``div`` holding its HTML.

    Gmail prefixes the alert's classes (``m_<digits>gse_alrt_title``).
    """
    original = read_original(raw_alert)
    rng = mime.seeded_rng("gmail", message_id)
    sent = original.date
    day, month = weekday_name("en", sent)[:3], month_name("en", sent)[:3]
    when = f"{day}, {month} {sent.day}, {sent.year} at {clock12(sent)}"
    text = "\n".join(
        [
            note,
            "",
            "---------- Forwarded message ---------",
            f"From: {original.sender_name} <{original.sender_addr}>",
            f"Date: {when}",
            f"Subject: {original.subject}",
            f"To: <{original.to}>",
            "",
            "",
            original.text or "",
        ]
    )
    body = original.html_body.replace(
        'class="gse_', f'class="m_{mime.digits(rng, 19)}gse_'
    )
    html = (
        f'<div dir="ltr">{escape(note, quote=False)}<br><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">---------- Forwarded message ---------'
        f'<br>From: <strong class="gmail_sendername" dir="auto">'
        f"{escape(original.sender_name, quote=False)}</strong> "
        f'<span dir="auto">&lt;{escape(original.sender_addr)}&gt;</span><br>'
        f"Date: {when}<br>Subject: {escape(original.subject, quote=False)}<br>"
        f"To: &lt;{escape(original.to)}&gt;<br></div><br><br>"
        f"{body}</div></div>"
    )
    entity = mime.multipart(
        "alternative",
        mime.boundary(rng),
        [
            mime.leaf('text/plain; charset="UTF-8"', text, "quoted-printable"),
            mime.leaf('text/html; charset="UTF-8"', html, "quoted-printable"),
        ],
    )
    headers = envelope(forwarder, to, "Fwd: " + original.subject, date, message_id)
    return mime.message(headers, entity)


def forward_inline_outlook(
    raw_alert: bytes,
    *,
    forwarder: str,
    message_id: str,
    date: datetime,
    language: str = "fr",
    to: str = BOT_MAILBOX,
    note: str = "",
) -> bytes:
    """The alert forwarded inline from Outlook desktop, both bodies in base64.

    A localised ``De :/Envoyé :/À :/Objet :`` block sits above the alert.
    """
    labels = OUTLOOK[language]
    original = read_original(raw_alert)
    rng = mime.seeded_rng("outlook", message_id)
    sent = outlook_date(language, original.date)
    rows = [
        (labels.sender, f"{original.sender_name} <{original.sender_addr}>"),
        (labels.sent, sent),
        (labels.to, original.to),
        (labels.subject, original.subject),
    ]
    text = "\n".join(
        [
            note,
            "",
            "_" * 32,
            *(f"{label}{labels.colon} {value}" for label, value in rows),
            "",
            original.text or "",
        ]
    )
    colon = escape(labels.colon).replace("\u00a0", "&nbsp;")
    block = "<br>".join(
        f"<b>{escape(label)}{colon}</b> {escape(value, quote=False)}"
        for label, value in rows
    )
    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns="http://www.w3.org/TR/REC-html40"><head>'
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">'
        "<style>p.MsoNormal{margin:0cm;font-size:11.0pt;"
        'font-family:"Calibri",sans-serif}</style></head>\n'
        f'<body lang="{language.upper()}" link="#0563C1" vlink="#954F72" '
        'style="word-wrap:break-word">\n<div class="WordSection1">\n'
        f'<p class="MsoNormal">{escape(note, quote=False)}<o:p></o:p></p>\n'
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;'
        'padding:3.0pt 0cm 0cm 0cm">\n'
        f'<p class="MsoNormal">{block}<o:p></o:p></p>\n</div>\n'
        f"{original.html_body}\n</div>\n</body></html>"
    )
    entity = mime.multipart(
        "alternative",
        mime.boundary(rng),
        [
            mime.leaf('text/plain; charset="utf-8"', text, "base64"),
            mime.leaf('text/html; charset="utf-8"', html, "base64"),
        ],
    )
    subject = labels.prefix + original.subject
    headers = [
        *envelope(forwarder, to, subject, date, message_id),
        ("Thread-Topic", mime.header_value("Thread-Topic", original.subject)),
        ("Content-Language", f"{language}-{language.upper()}"),
    ]
    return mime.message(headers, entity)


def forward_inline_apple(
    raw_alert: bytes,
    *,
    forwarder: str,
    message_id: str,
    date: datetime,
    to: str = BOT_MAILBOX,
    note: str = "",
) -> bytes:
    """The alert forwarded from Apple Mail: ``multipart/mixed`` of two HTML parts.

    The first part holds the note and the header block, the second the
    alert's own HTML document, as Apple Mail sends an inline forward.
    """
    original = read_original(raw_alert)
    rng = mime.seeded_rng("apple", message_id)
    when = (
        f"{original.date.day} {month_name('en', original.date)} {original.date.year} "
        f"at {original.date:%H:%M:%S} UTC"
    )
    rows = [
        ("From", f"{original.sender_name} <{original.sender_addr}>"),
        ("Subject", original.subject),
        ("Date", when),
        ("To", original.to),
    ]
    block = "".join(
        f'<div style="margin:0px"><b>{label}: </b>{escape(value)}<br></div>'
        for label, value in rows
    )
    note_html = (
        '<html><head><meta http-equiv="content-type" content="text/html; '
        'charset=utf-8"></head><body style="overflow-wrap: break-word;">'
        f'<div>{escape(note, quote=False)}</div><div><br><blockquote type="cite">'
        f"<div>Begin forwarded message:</div><br>{block}<br>"
        "</blockquote></div></body></html>"
    )
    entity = mime.multipart(
        "mixed",
        "Apple-Mail=_" + mime.token(rng, 32, mime.HEX).upper(),
        [
            mime.leaf("text/html;\n\tcharset=utf-8", note_html, "quoted-printable"),
            mime.leaf("text/html;\n\tcharset=utf-8", original.html, "quoted-printable"),
        ],
    )
    headers = [
        *envelope(forwarder, to, "Fwd: " + original.subject, date, message_id),
        ("X-Mailer", "Apple Mail (2.3826.400.131.1.6)"),
    ]
    return mime.message(headers, entity)


def forward_inline_thunderbird(
    raw_alert: bytes,
    *,
    forwarder: str,
    message_id: str,
    date: datetime,
    language: str = "de",
    to: str = BOT_MAILBOX,
    note: str = "",
) -> bytes:
    """The alert forwarded from Thunderbird: one 8bit HTML body.

    A localised separator line and a ``moz-email-headers-table`` precede the
    alert's HTML.
    """
    separator, labels = THUNDERBIRD[language]
    original = read_original(raw_alert)
    th = '<th valign="BASELINE" nowrap="nowrap" align="RIGHT">'
    sender = (
        f"{escape(original.sender_name, quote=False)} "
        f'<a class="moz-txt-link-rfc2396E" href="mailto:{original.sender_addr}">'
        f"&lt;{original.sender_addr}&gt;</a>"
    )
    recipient = (
        f'<a class="moz-txt-link-abbreviated" href="mailto:{original.to}">'
        f"{original.to}</a>"
    )
    rows = [
        (labels.subject, escape(original.subject, quote=False)),
        (labels.sent, escape(original.date_header)),
        (labels.sender, sender),
        (labels.to, recipient),
    ]
    colon = labels.colon.replace("\u00a0", "&nbsp;")
    table = "".join(
        f"<tr>{th}{label}{colon} </th><td>{value}</td></tr>\n" for label, value in rows
    )
    html = (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta http-equiv="content-type" content="text/html; charset=UTF-8">\n'
        f"</head>\n<body>\n<p>{escape(note, quote=False)}</p>\n"
        f'<div class="moz-forward-container"><br>\n<br>\n{separator}\n'
        '<table class="moz-email-headers-table" border="0" cellpadding="0" '
        f'cellspacing="0">\n<tbody>\n{table}</tbody>\n</table>\n<br>\n<br>\n'
        f"{original.html_body}\n</div>\n</body>\n</html>"
    )
    entity = mime.leaf("text/html; charset=UTF-8", html, "8bit")
    headers = [
        *envelope(forwarder, to, labels.prefix + original.subject, date, message_id),
        ("User-Agent", "Mozilla Thunderbird"),
        ("Content-Language", language),
    ]
    return mime.message(headers, entity)
