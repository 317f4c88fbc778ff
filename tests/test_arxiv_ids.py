"""arXiv identifiers found in links and bylines, in one canonical form."""

from __future__ import annotations

import pytest

from bot.resolve import arxiv_id_from_text, resolve_link
from bot.resolve.arxiv_ids import arxiv_id_from_url

# -- case K10: every id form ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "arxiv_id", "version"),
    [
        ("https://arxiv.org/abs/2401.01234v3", "2401.01234", 3),
        ("http://arxiv.org/pdf/1607.01990", "1607.01990", None),
        ("https://arxiv.org/pdf/2401.01234v2.pdf", "2401.01234", 2),
        ("https://arxiv.org/abs/math/0601001", "math/0601001", None),
        ("https://arxiv.org/abs/math.GT/0309136", "math/0309136", None),
        ("https://arxiv.org/pdf/hep-th/9901001v1", "hep-th/9901001", 1),
        ("https://doi.org/10.48550/arXiv.2202.01037", "2202.01037", None),
        ("https://doi.org/10.48550/ARXIV.2202.01037", "2202.01037", None),
        ("https://export.arxiv.org/abs/0704.0001", "0704.0001", None),
        ("https://arxiv.org/html/2401.01234v1", "2401.01234", 1),
    ],
)
def test_k10_every_arxiv_link_form_gives_id_and_version(
    url: str, arxiv_id: str, version: int | None
) -> None:
    assert arxiv_id_from_url(url) == (arxiv_id, version)


@pytest.mark.parametrize(
    "url",
    [
        "https://doi.org/10.1234/arxiv.2202.01037",
        "https://doi.org/10.1234/arXiv.2202.01037",
        "10.1234/arXiv.2202.01037",
    ],
)
def test_k10_doi_containing_arxiv_under_another_prefix_is_not_arxiv(url: str) -> None:
    assert arxiv_id_from_url(url) is None
    assert resolve_link(url).arxiv_id is None


def test_k10_subject_class_form_and_short_form_agree() -> None:
    long_form = arxiv_id_from_url("https://arxiv.org/abs/math.GT/0309136v2")
    short_form = arxiv_id_from_url("https://arxiv.org/abs/math/0309136v2")

    assert long_form == short_form == ("math/0309136", 2)


# -- more link forms ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "arxiv_id", "version"),
    [
        ("https://www.arxiv.org/abs/2401.01234", "2401.01234", None),
        ("https://ARXIV.ORG/abs/2401.01234v12", "2401.01234", 12),
        ("https://arxiv.org/abs/2401.01234v3/", "2401.01234", 3),
        ("https://arxiv.org/abs/2401.01234?context=cs.LG#S2", "2401.01234", None),
        ("https://arxiv.org/pdf/math/0611800v2", "math/0611800", 2),
        ("https://arxiv.org/abs/cond-mat/9912345", "cond-mat/9912345", None),
        ("https://arxiv.org/abs/1412.6980", "1412.6980", None),
        ("https://arxiv.org/abs/1501.00001", "1501.00001", None),
        ("http://dx.doi.org/10.48550/arxiv.2202.01037", "2202.01037", None),
        ("https://doi.org/10.48550%2FarXiv.2202.01037", "2202.01037", None),
        ("10.48550/arXiv.2202.01037", "2202.01037", None),
        ("doi:10.48550/ARXIV.2202.01037", "2202.01037", None),
    ],
)
def test_arxiv_link_variant_gives_id(
    url: str, arxiv_id: str, version: int | None
) -> None:
    assert arxiv_id_from_url(url) == (arxiv_id, version)


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/abs/2413.01234",
        "https://arxiv.org/abs/2400.01234",
        "https://arxiv.org/abs/2401.1234",
        "https://arxiv.org/abs/1412.69801",
        "https://arxiv.org/abs/0612.1234",
        "https://arxiv.org/abs/2401.012345",
        "https://arxiv.org/abs/2401.01234v0",
        "https://arxiv.org/abs/math/0613001",
        "https://arxiv.org/list/cs.AI/recent",
        "https://arxiv.org/",
        "https://example.org/abs/2401.01234",
        "https://notarxiv.org/abs/2401.01234",
        "arXiv:2401.01234",
        "",
    ],
    ids=[
        "month-13",
        "month-00",
        "four-digits-after-2014",
        "five-digits-before-2015",
        "before-new-scheme",
        "six-digits",
        "version-zero",
        "old-scheme-month-13",
        "listing-page",
        "front-page",
        "other-host",
        "lookalike-host",
        "text-not-url",
        "empty",
    ],
)
def test_url_without_valid_arxiv_id_gives_none(url: str) -> None:
    assert arxiv_id_from_url(url) is None


# -- bylines and other text ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "arxiv_id", "version"),
    [
        (
            "A Author, B Author - arXiv preprint arXiv:2601.08189, 2026",
            "2601.08189",
            None,
        ),
        ("arXiv:2601.08189v2", "2601.08189", 2),
        ("A Author\u00a0- arXiv preprint arXiv:2601.08189.", "2601.08189", None),
        ("ARXIV: 2601.08189", "2601.08189", None),
        ("arXiv preprint arXiv:hep-th/9901001, 1999", "hep-th/9901001", None),
        ("arXiv preprint arXiv:math.GT/0309136v1", "math/0309136", 1),
        ("see https://arxiv.org/abs/2401.01234v3 for details", "2401.01234", 3),
        ("doi: 10.48550/arXiv.2202.01037", "2202.01037", None),
        ("arXiv:2613.00001 and then arXiv:2601.08189", "2601.08189", None),
    ],
)
def test_arxiv_id_is_found_in_byline_text(
    text: str, arxiv_id: str, version: int | None
) -> None:
    assert arxiv_id_from_text(text) == (arxiv_id, version)


@pytest.mark.parametrize(
    "text",
    [
        "A Author - arXiv preprint arXiv:2601.0818\u2026",
        "A Author - arXiv preprint arXiv \u2026",
        "A Author - Nature 2401.01234, 2024",
        "Journal of Things 12 (2401), 1234-5678",
        "10.1234/arXiv.2202.01037",
        "arXiv:2601.081890",
        "",
    ],
    ids=[
        "id-cut-by-ellipsis",
        "no-id-after-cut",
        "bare-number",
        "volume-and-pages",
        "other-prefix-doi",
        "too-many-digits",
        "empty",
    ],
)
def test_text_without_introduced_arxiv_id_gives_none(text: str) -> None:
    assert arxiv_id_from_text(text) is None
