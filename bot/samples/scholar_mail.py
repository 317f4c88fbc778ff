"""Google Scholar alert emails built from plain data, in the shape real ones have."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import quote, quote_plus

from bot.samples import mime
from bot.samples.links import (
    LinkWrap,
    cluster_url,
    encode_target,
    scholar_url,
    wrap_link,
)
from bot.samples.scholar_markup import (
    LOCALES,
    AlertLinks,
    Locale,
    ResultLinks,
    SampleResult,
    amp_page,
    html_page,
    text_body,
)

__all__ = ["SampleResult", "build_scholar_alert"]

CLEARDOT = "https://scholar.google.com/scholar/images/cleardot.gif"
SCHOLAR_SENDER = "scholaralerts-noreply@google.com"


def build_scholar_alert(
    *,
    subject: str,
    followed: str,
    folt: str,
    results: Sequence[SampleResult],
    message_id: str,
    date: datetime,
    language: str = "en",
    sender_name: str = "Google Scholar Alerts",
    sender: str = SCHOLAR_SENDER,
    to: str = "reader@example.org",
    banner: bool = False,
    divider_after: int | None = None,
    transfer_encoding: mime.TransferEncoding = "quoted-printable",
    with_text_part: bool = True,
    with_amp_part: bool = False,
    host: str = "scholar.google.com",
    link_wrap: LinkWrap | None = None,
    extra_headers: mime.HeaderList = (),
) -> bytes:
    """Raw bytes of one Scholar alert: ``multipart/alternative``, text then HTML.

    ``followed`` is the person or query named in the footer; ``folt`` the
    alert type (``rel``, ``cit``, ``art``, ``kw``). ``divider_after`` puts
    the less-relevant divider after that result index. Tokens in links are
    seeded from ``message_id``, so equal arguments give equal bytes.
    """
    locale = LOCALES.get(language)
    if locale is None:
        raise ValueError(f"unsupported alert language {language!r}")
    if folt not in locale.following:
        raise ValueError(f"unknown alert type folt={folt!r}")

    rng = mime.seeded_rng("scholar", message_id)
    links = _make_links(results, locale, folt, followed, host, to, rng)
    if link_wrap is not None:
        links = _wrap_links(links, link_wrap, to)

    page = html_page(results, links, locale, folt, followed, banner, divider_after)
    parts = []
    if with_text_part:
        text = text_body(results, links, locale, folt, followed)
        parts.append(mime.leaf('text/plain; charset="UTF-8"', text, transfer_encoding))
    if with_amp_part:
        # AMP goes before text/html: clients pick the last part they can show.
        amp = amp_page(results, links, locale)
        amp_type = 'text/x-amp-html; charset="UTF-8"'
        parts.append(mime.leaf(amp_type, amp, transfer_encoding))
    parts.append(mime.leaf('text/html; charset="UTF-8"', page, transfer_encoding))
    entity = mime.multipart("alternative", mime.boundary(rng), parts)

    headers = [
        ("From", mime.address(sender_name, sender)),
        ("To", to),
        ("Subject", mime.header_value("Subject", subject)),
        ("Date", format_datetime(date)),
        ("Message-ID", mime.message_id(message_id)),
        *extra_headers,
    ]
    return mime.message(headers, entity)


def _make_links(
    results: Sequence[SampleResult],
    locale: Locale,
    folt: str,
    followed: str,
    host: str,
    to: str,
    rng: random.Random,
) -> AlertLinks:
    hl = locale.hl
    per_result = []
    for pos, result in enumerate(results):
        if result.link_target is None:
            assert result.cluster_id is not None  # enforced by SampleResult
            title = cluster_url(host, result.cluster_id, hl=hl, folt=folt, rng=rng)
            share_target = ""
        else:
            share_target = encode_target(result.link_target)
            target = encode_target(
                result.link_target, whole=result.whole_target_encoded
            )
            title = scholar_url(host, target, hl=hl, folt=folt, pos=pos, rng=rng)
        save = (
            f"https://{host}/citations?hl={hl}&update_op=email_library_add"
            f"&info={mime.token(rng, 12)}&citsig={mime.token(rng, 28)}"
        )
        share = (
            f"https://{host}/scholar_share?hl={hl}&oi=scholaralrt&ss=tw"
            f"&url={share_target}&rt={quote(result.title, safe='')}"
            f"&scisig={mime.token(rng, 28)}"
        )
        per_result.append(ResultLinks(title, save, share))

    if folt.startswith("kw"):
        followed_url = f"https://{host}/scholar?q={quote_plus(followed)}&hl={hl}"
    else:
        user = mime.token(rng, 7) + "AAAAJ"
        followed_url = f"https://{host}/citations?hl={hl}&user={user}"
    email_for = quote(to, safe="")
    alerts = f"https://{host}/scholar_alerts?view_op="
    pixel = scholar_url(host, CLEARDOT, hl=hl, folt=folt, pos=0, rng=rng)
    return AlertLinks(
        results=tuple(per_result),
        followed=followed_url,
        update=f"{alerts}list_alerts&hl={hl}",
        list_alerts=f"{alerts}list_alerts&hl={hl}&email_for_op={email_for}",
        cancel=(
            f"{alerts}cancel_alert_options&hl={hl}"
            f"&alert_id={mime.token(rng, 12)}&email_for_op={email_for}"
        ),
        pixel=pixel,
    )


def _wrap_links(links: AlertLinks, wrap: LinkWrap, recipient: str) -> AlertLinks:
    def wrapped(url: str) -> str:
        return wrap_link(url, wrap, recipient=recipient)

    # Filters rewrite anchors, not image sources: the pixel stays as sent.
    return AlertLinks(
        results=tuple(
            ResultLinks(wrapped(r.title), wrapped(r.save), wrapped(r.share))
            for r in links.results
        ),
        followed=wrapped(links.followed),
        update=wrapped(links.update),
        list_alerts=wrapped(links.list_alerts),
        cancel=wrapped(links.cancel),
        pixel=links.pixel,
    )
