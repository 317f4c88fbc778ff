"""Markup of one Scholar alert: its HTML page, the AMP twin and the text part."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from bot.text import ELLIPSIS

_STYLE = (
    "body{font-family:arial,sans-serif}.gse_alrt_title{text-decoration:none}"
    ".gse_alrt_sni br{line-height:17px}"
)
_PAGE = "font-family:arial,sans-serif;font-size:13px;color:#222;max-width:600px"
_EMPTY_H3 = (
    '<h3 style="font-weight:lighter;font-size:18px;line-height:20px;"></h3>\n'
    '<h3 style="font-weight:normal;font-size:18px;line-height:20px;"></h3>'
)
_H3 = "font-weight:normal;margin:0;font-size:17px;line-height:20px;"
_TITLE = "font-size:17px;color:#1a0dab;line-height:22px"
_MARKER = "font-size:11px;font-weight:bold;color:#1a0dab;vertical-align:2px"
_BYLINE = "color:#006621;line-height:18px"
_GREY = "color:#777;font-size:13px;margin:8px 0"
_SNIPPET_WIDTH = 62


@dataclass(frozen=True)
class SampleResult:
    """One alert result as plain data; the builder adds every bit of markup.

    ``title`` is the text as shown, so a ``truncated`` title is already cut;
    ``highlights`` are words of it that Scholar wraps in ``<b>``.
    """

    title: str
    link_target: str | None
    authors: tuple[str, ...]
    venue: str | None
    year: int | None
    snippet: str | None
    marker: str | None = None
    truncated: bool = False
    cites: str | None = None
    cluster_id: str | None = None
    authors_truncated: bool = False
    highlights: tuple[str, ...] = ()
    whole_target_encoded: bool = False

    def __post_init__(self) -> None:
        if (self.link_target is None) == (self.cluster_id is None):
            raise ValueError(f"{self.title!r}: give a link target or a cluster id")
        missing = [word for word in self.highlights if word not in self.title]
        if missing:
            raise ValueError(f"{self.title!r}: highlights not in title: {missing}")


@dataclass(frozen=True)
class Locale:
    """The words of an alert in one account language."""

    hl: str
    save: str
    list_alerts: str
    cancel_alert: str
    banner: str
    update_alert: str
    divider: str
    sentence: str  # "{what}" is the followed thing, already linked
    following: Mapping[str, str]  # folt -> phrase around "{name}"


LOCALES = {
    "en": Locale(
        hl="en",
        save="Save",
        list_alerts="List alerts",
        cancel_alert="Cancel alert",
        banner="Showing less relevant results because there are no great results.",
        update_alert="Update alert",
        divider="The results below are less relevant to this alert.",
        sentence=(
            "This message was sent by Google Scholar because you're following {what}."
        ),
        following={
            "rel": "new articles related to research by {name}",
            "cit": "new citations to articles written by {name}",
            "art": "new articles written by {name}",
            "kw": "new results for {name}",
            "kw-top": "new results for {name}",
        },
    ),
    "zh": Locale(
        hl="zh-CN",
        save="保存",
        list_alerts="列出提醒",
        cancel_alert="取消提醒",
        banner="由于没有非常相关的结果，这里显示的是相关性较低的结果。",
        update_alert="修改提醒",
        divider="以下结果与此提醒的相关性较低。",
        sentence="Google 学术搜索向您发送这封邮件，是因为您关注了 {what}。",
        following={
            "rel": "{name} 的新的相关研究工作",
            "cit": "{name} 的文章的新引用",
            "art": "{name} 的新文章",
            "kw": "{name} 的新结果",
            "kw-top": "{name} 的新结果",
        },
    ),
}


@dataclass(frozen=True)
class ResultLinks:
    """The links of one result, final (already wrapped when a filter wraps)."""

    title: str
    save: str
    share: str


@dataclass(frozen=True)
class AlertLinks:
    """Every link of one alert, made once so the HTML and text parts agree."""

    results: tuple[ResultLinks, ...]
    followed: str
    update: str
    list_alerts: str
    cancel: str
    pixel: str


def html_page(
    results: Sequence[SampleResult],
    links: AlertLinks,
    locale: Locale,
    folt: str,
    followed: str,
    banner: bool,
    divider_after: int | None,
) -> str:
    """The ``text/html`` document: empty headings, results, footer, pixel."""
    body = [f'<div style="{_PAGE}">', _EMPTY_H3]
    if banner:
        body.append(
            f'<div style="{_GREY}">{escape(locale.banner)} '
            f'<a href="{escape(links.update)}">{escape(locale.update_alert)}</a>'
            "</div>"
        )
    for index, (result, result_links) in enumerate(
        zip(results, links.results, strict=True)
    ):
        body.append(_result_html(result, result_links, locale, with_actions=True))
        if index == divider_after:
            body.append(f'<div style="{_GREY}">{escape(locale.divider)}</div>')

    name_link = (
        f'<a href="{escape(links.followed)}">{escape(followed, quote=False)}</a>'
    )
    what = locale.following[folt].format(name=name_link)
    sentence = locale.sentence.format(what=what)
    body += [
        f'<p style="font-size:12px;line-height:15px;color:#777">{sentence}</p>',
        f'<p><a href="{escape(links.list_alerts)}">{locale.list_alerts}</a></p>',
        f'<p><a href="{escape(links.cancel)}">{locale.cancel_alert}</a></p>',
        "</div>",
        f'<img src="{escape(links.pixel)}" width="1" height="1" alt=""></body></html>',
    ]
    head = (
        '<!doctype html><html><head><meta http-equiv="Content-Type" '
        'content="text/html; charset=UTF-8">\n'
        f"<style>{_STYLE}</style></head><body>"
    )
    return head + "\n" + "\n".join(body)


def amp_page(results: Sequence[SampleResult], links: AlertLinks, locale: Locale) -> str:
    """A ``text/x-amp-html`` twin of the page, which readers must ignore."""
    blocks = [
        _result_html(result, result_links, locale, with_actions=False)
        for result, result_links in zip(results, links.results, strict=True)
    ]
    head = (
        "<!doctype html><html amp4email data-css-strict><head>"
        '<meta charset="utf-8">'
        '<script async src="https://cdn.ampproject.org/v0.js"></script>'
        "<style amp4email-boilerplate>body{visibility:hidden}</style></head>"
    )
    return head + "<body>\n" + "\n".join(blocks) + "\n</body></html>"


def _result_html(
    result: SampleResult,
    links: ResultLinks,
    locale: Locale,
    *,
    with_actions: bool,
) -> str:
    marker = ""
    if result.marker:
        marker = f'<span style="{_MARKER}">{escape(result.marker)}</span> '
    title = escape(result.title, quote=False)
    for word in result.highlights:
        safe_word = escape(word, quote=False)
        title = title.replace(safe_word, f"<b>{safe_word}</b>", 1)
    if result.truncated:
        title += "&nbsp;" + ELLIPSIS
    lines = [
        f'<h3 style="{_H3}">{marker}<a href="{escape(links.title)}" '
        f'class="gse_alrt_title" style="{_TITLE}">{title}</a></h3>',
        f'<div style="{_BYLINE}">{_byline(result, "&nbsp;- ", html=True)}</div>',
    ]
    if result.snippet:
        snippet = " <br>".join(
            escape(line, quote=False) for line in _snippet_lines(result.snippet)
        )
        lines.append(
            f'<div class="gse_alrt_sni" style="line-height:17px">'
            f"{snippet}&nbsp;{ELLIPSIS}</div>"
        )
    if result.cites:
        lines.append(f'<div style="color:#777">Cites: {escape(result.cites)}</div>')
    if with_actions:
        lines.append(_actions_html(links, locale))
    return "\n".join(lines)


def _actions_html(links: ResultLinks, locale: Locale) -> str:
    return (
        '<div style="width:auto"><table cellpadding="0" cellspacing="0" border="0">'
        '<tbody><tr><td style="padding-right:4px">'
        f'<a href="{escape(links.save)}" style="text-decoration:none">'
        f'<img alt="{locale.save}" src="https://scholar.google.com/intl/en/scholar/'
        'images/1x/save-32.png" border="0" height="16" width="16">'
        f'<span style="color:#1a0dab">&nbsp;{locale.save}</span></a></td>'
        f'<td><a href="{escape(links.share)}"><img alt="Twitter" '
        'src="https://scholar.google.com/intl/en/scholar/images/1x/tw-32.png" '
        'height="16" width="16"></a></td></tr></tbody></table></div><br>'
    )


def _byline(result: SampleResult, dash: str, *, html: bool) -> str:
    def text(value: str) -> str:
        return escape(value, quote=False) if html else value

    authors = text(", ".join(result.authors))
    if result.authors_truncated:
        authors += ELLIPSIS
    tail = ", ".join(part for part in (result.venue, str(result.year or "")) if part)
    return f"{authors}{dash}{text(tail)}" if tail else authors


def _snippet_lines(snippet: str) -> list[str]:
    return textwrap.wrap(snippet, _SNIPPET_WIDTH, break_on_hyphens=False)


def text_body(
    results: Sequence[SampleResult],
    links: AlertLinks,
    locale: Locale,
    folt: str,
    followed: str,
) -> str:
    """The ``text/plain`` part: title, ``<link>``, byline, snippet per result."""
    lines: list[str] = []
    for result, result_links in zip(results, links.results, strict=True):
        title = f"{result.marker} {result.title}" if result.marker else result.title
        if result.truncated:
            title += "\u00a0" + ELLIPSIS
        lines += [title, f"<{result_links.title}>", _byline(result, " - ", html=False)]
        if result.snippet:
            snippet = _snippet_lines(result.snippet)
            snippet[-1] += " " + ELLIPSIS
            lines += snippet
        if result.cites:
            lines.append(f"Cites: {result.cites}")
        lines.append("")

    what = locale.following[folt].format(name=followed)
    lines += [
        "",
        locale.sentence.format(what=what),
        "",
        locale.list_alerts,
        f"<{links.list_alerts}>",
        "",
        locale.cancel_alert,
        f"<{links.cancel}>",
    ]
    return "\n".join(lines) + "\n"
