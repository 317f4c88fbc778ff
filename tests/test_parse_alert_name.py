"""Section names and alert types from footers, subjects and folt codes."""

from __future__ import annotations

import pytest

from bot.models import AlertKind
from bot.parse.alert_name import (
    alert_kind,
    alert_name,
    arxiv_archive,
    name_from_subject,
    strip_reply_prefixes,
)


@pytest.mark.parametrize(
    ("subject", "name"),
    [
        ("Ada Lovelace - new articles", "Ada Lovelace"),
        ("Ada Lovelace - new related research", "Ada Lovelace"),
        ("Jean-Paul Sartre - new citations", "Jean-Paul Sartre"),
        ("Ada Lovelace – nouveaux articles", "Ada Lovelace"),
        ("Ada Lovelace — neue Artikel", "Ada Lovelace"),
        (
            '"retrieval augmented generation" - new results',
            '"retrieval augmented generation"',
        ),
        ('"Deep Nets - A Survey" - new citations', '"Deep Nets - A Survey"'),
        ("graph - neural - networks - new results", "graph - neural - networks"),
        ("12 new citations to articles by Grace Hopper", "Grace Hopper"),
        ("1 new citation to articles by Grace Hopper", "Grace Hopper"),
        ("Grace Hopper的文章新增了 3 次引用", "Grace Hopper"),
        ("王芳的文章新增了 12 次引用", "王芳"),
        ("图神经网络 - 新的结果", "图神经网络"),
        ("李华 - 新的相关研究工作", "李华"),
        ("New citations to my articles", "New citations to my articles"),
        ("Recommended articles", "Recommended articles"),
        ("Ada Lovelace - 新しい論文", "Ada Lovelace"),
        ("Fwd: Ada Lovelace - new articles", "Ada Lovelace"),
        ("RE: FW: TR: WG: Ada Lovelace - new articles", "Ada Lovelace"),
        ("转发: 李华 - 新的相关研究工作", "李华"),
        ("Fwd：李华 - 新的相关研究工作", "李华"),
    ],
)
def test_subject_names_the_person_or_query(subject: str, name: str) -> None:
    assert name_from_subject(subject) == name


def test_forward_prefixes_are_stripped_repeatedly_but_not_inside_words() -> None:
    assert strip_reply_prefixes("Fwd: FW: Re: x - y") == "x - y"
    assert (
        strip_reply_prefixes("Transformers - new results")
        == "Transformers - new results"
    )
    assert strip_reply_prefixes("Fwd:") == ""


def test_footer_name_wins_and_blank_or_punctuation_footers_do_not() -> None:
    assert alert_name("Katherine Johnson", "Ada Lovelace - new articles") == (
        "Katherine Johnson"
    )
    assert alert_name("  ", "Ada Lovelace - new articles") == "Ada Lovelace"
    assert alert_name(".", "Ada Lovelace - new articles") == "Ada Lovelace"
    assert alert_name(None, "Ada Lovelace - new articles") == "Ada Lovelace"


@pytest.mark.parametrize(
    ("folt", "subject", "kind"),
    [
        ("rel", "x - y", AlertKind.RELATED),
        ("cit", "x - y", AlertKind.CITATIONS),
        ("art", "x - y", AlertKind.ARTICLES),
        ("kw", "x - y", AlertKind.SEARCH),
        ("kw-top", "x - y", AlertKind.SEARCH),
        ("KW", "x - y", AlertKind.SEARCH),
        (None, "x - new related research", AlertKind.UNKNOWN),
        ("zzz", "x - y", AlertKind.UNKNOWN),
        (None, "Recommended articles", AlertKind.RECOMMENDED),
        (None, "Fwd: Recommended articles", AlertKind.RECOMMENDED),
    ],
)
def test_kind_comes_from_folt(folt: str | None, subject: str, kind: AlertKind) -> None:
    assert alert_kind(folt, subject) is kind


def test_arxiv_archive_from_the_listing_subject() -> None:
    assert arxiv_archive("cs daily Subj-class mailing 2601 60") == "arXiv cs"
    assert arxiv_archive("Fwd: math daily Subj-class mailing 32") == "arXiv math"
    assert arxiv_archive("astro-ph daily Subj-class mailing") == "arXiv astro-ph"
    assert arxiv_archive("something else") == "arXiv"
