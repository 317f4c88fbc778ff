"""Resolving result links locally: rewriting layers, Scholar redirects, DOIs."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest

from bot.models import LinkKind
from bot.resolve import folt_of, is_opaque_link, resolve_link
from bot.resolve.doi import doi_from_url
from bot.resolve.scholar import is_scholar_host
from bot.resolve.unwrap import unwrap_link

ARXIV_ID = "2401.01234"
USER = "jane.doe"
ORG = "example.org"
SCHOLAR_TO_ARXIV = (
    f"https://scholar.google.com/scholar_url?url=https://arxiv.org/abs/{ARXIV_ID}"
    "&hl=en&sa=X&oi=scholaralrt&folt=rel"
)


def safelinks(inner: str, region: str = "eur02") -> str:
    """A SafeLinks wrapper whose data value names the test user, as real ones do."""
    data = f"05%7C01%7C{USER}%40{ORG}%7Cabc123%7C0%7C0%7C638000000000000000"
    return (
        f"https://{region}.safelinks.protection.outlook.com/?url={quote(inner, '')}"
        f"&data={data}&sdata=c2lnbmF0dXJl&reserved=0"
    )


def gmail(inner: str, host: str = "www.google.com") -> str:
    return f"https://{host}/url?q={quote(inner, ':/')}&source=gmail&ust=1&usg=AOv"


# -- case K03: country hosts, encoded targets, decoding exactly once -----------


@pytest.mark.parametrize(
    ("href", "url", "arxiv_id", "version"),
    [
        pytest.param(
            "http://scholar.google.ru/scholar_url?url=https%3A%2F%2Farxiv.org"
            f"%2Fabs%2F{ARXIV_ID}v2&hl=ru&sa=X&folt=rel",
            f"https://arxiv.org/abs/{ARXIV_ID}v2",
            ARXIV_ID,
            2,
            id="ru-fully-encoded-target",
        ),
        pytest.param(
            "https://scholar.google.co.uk/scholar_url?url=https://www.sciencedirect"
            ".com/science/article/pii/S0001234524000123%3Fvia%253Dihub&hl=en&pos=1",
            "https://www.sciencedirect.com/science/article/pii/S0001234524000123"
            "?via%3Dihub",
            None,
            None,
            id="co-uk-target-with-own-query",
        ),
    ],
)
def test_k03_any_scholar_tld_decodes_target_exactly_once(
    href: str, url: str, arxiv_id: str | None, version: int | None
) -> None:
    resolved = resolve_link(href)

    assert resolved.kind is LinkKind.DIRECT
    assert resolved.url == url
    assert (resolved.arxiv_id, resolved.arxiv_version) == (arxiv_id, version)


@pytest.mark.parametrize(
    "host",
    [
        "scholar.google.com",
        "scholar.google.co.uk",
        "scholar.google.ru",
        "scholar.google.com.au",
        "SCHOLAR.GOOGLE.DE",
        "scholar.google.com.",
        "scholar.google.рф",
        "scholar.google.xn--p1ai",
    ],
)
def test_scholar_host_is_recognised_under_any_country_domain(host: str) -> None:
    assert is_scholar_host(host)


@pytest.mark.parametrize(
    "host",
    [
        "scholar.google.evil.example",
        "scholar.googleusercontent.com",
        "google.com",
        "notscholar.google.com",
        "scholar.google.c0m",
    ],
)
def test_lookalike_host_is_not_scholar(host: str) -> None:
    assert not is_scholar_host(host)


def test_non_latin_scholar_host_redirect_is_read() -> None:
    href = "https://scholar.google.рф/scholar_url?url=https://arxiv.org/pdf/2601.08189"

    resolved = resolve_link(href)

    assert resolved.url == "https://arxiv.org/pdf/2601.08189"
    assert resolved.arxiv_id == "2601.08189"


def test_plus_in_target_stays_a_plus() -> None:
    href = (
        "https://scholar.google.com/scholar_url?url=https://example.org/find"
        "%3Fq%3Da+b%2Bc&hl=en"
    )

    assert resolve_link(href).url == "https://example.org/find?q=a+b+c"


def test_entities_in_target_are_not_unescaped_again() -> None:
    # The HTML parser unescapes the href once (K28); "&amp;" left after that
    # is part of the target and must survive.
    href = (
        "https://scholar.google.com/scholar_url?url=https://example.org/a"
        "%3Fx%3D1%26amp%3By%3D2"
    )

    assert resolve_link(href).url == "https://example.org/a?x=1&amp;y=2"


# -- Scholar links without a target ------------------------------------------


@pytest.mark.parametrize(
    ("href", "kind"),
    [
        (
            "https://scholar.google.com/scholar?cluster=1234567890123456789&hl=en"
            "&oi=scholaralrt&folt=rel",
            LinkKind.CLUSTER,
        ),
        (
            "https://scholar.google.co.uk/citations?view_op=view_citation&hl=en"
            "&citation_for_view=AbCdEf:xyz",
            LinkKind.CITATION,
        ),
        (
            "https://scholar.google.com/scholar_url?hl=en&folt=rel",
            LinkKind.NONE,
        ),
    ],
    ids=["cluster", "citation", "scholar-url-without-target"],
)
def test_scholar_link_without_target_keeps_its_kind_and_no_url(
    href: str, kind: LinkKind
) -> None:
    resolved = resolve_link(href)

    assert resolved.kind is kind
    assert resolved.url is None


def test_cluster_link_takes_arxiv_id_from_byline() -> None:
    href = "https://scholar.google.com/scholar?cluster=42&hl=en"
    byline = "A Author, B Author - arXiv preprint arXiv:2601.08189v2, 2026"

    resolved = resolve_link(href, byline)

    assert resolved.kind is LinkKind.CLUSTER
    assert (resolved.arxiv_id, resolved.arxiv_version) == ("2601.08189", 2)


def test_target_id_wins_over_byline_id() -> None:
    resolved = resolve_link(SCHOLAR_TO_ARXIV, "X - arXiv preprint arXiv:2601.08189")

    assert resolved.arxiv_id == ARXIV_ID


def test_other_scholar_page_is_its_own_target() -> None:
    href = "https://scholar.google.com/citations?user=AbCdEf&hl=en"

    resolved = resolve_link(href)

    assert (resolved.kind, resolved.url) == (LinkKind.DIRECT, href)


@pytest.mark.parametrize(
    ("href", "folt"),
    [
        (SCHOLAR_TO_ARXIV, "rel"),
        ("https://scholar.google.ru/scholar?cluster=1&folt=kw-top", "kw-top"),
        (safelinks(SCHOLAR_TO_ARXIV.replace("folt=rel", "folt=cit")), "cit"),
        ("https://scholar.google.com/scholar_url?url=https://x.org/&hl=en", None),
        ("https://example.org/page?folt=rel", None),
        ("", None),
    ],
    ids=["rel", "kw-top", "inside-safelinks", "absent", "not-scholar", "empty"],
)
def test_folt_is_read_from_scholar_links_only(href: str, folt: str | None) -> None:
    assert folt_of(href) == folt


# -- case K13: SafeLinks --------------------------------------------------------


@pytest.mark.parametrize("region", ["eur02", "nam12", "apc01", "gbr01", "can01"])
def test_k13_safelinks_around_scholar_url_unwraps_to_arxiv(
    region: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.resolve")

    resolved = resolve_link(safelinks(SCHOLAR_TO_ARXIV, region))

    assert resolved.kind is LinkKind.DIRECT
    assert resolved.url == f"https://arxiv.org/abs/{ARXIV_ID}"
    assert resolved.arxiv_id == ARXIV_ID
    assert USER not in repr(resolved)
    assert caplog.records, "the unwrapping should have been logged at DEBUG"
    assert USER not in caplog.text
    assert ORG not in caplog.text


def test_k13_outlook_office_safelink_form_unwraps(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.resolve")
    href = (
        "https://outlook.office.com/mail/safelink.html?url="
        f"{quote(SCHOLAR_TO_ARXIV, '')}&data=05%7C01%7C{USER}%40{ORG}%7C1"
    )

    resolved = resolve_link(href)

    assert resolved.url == f"https://arxiv.org/abs/{ARXIV_ID}"
    assert caplog.records
    assert USER not in caplog.text
    assert USER not in repr(resolved)


def test_k13_safelinks_without_url_logs_no_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.resolve")
    href = (
        "https://eur02.safelinks.protection.outlook.com/"
        f"?data=05%7C01%7C{USER}%40{ORG}&reserved=0"
    )

    resolved = resolve_link(href)

    assert (resolved.kind, resolved.url) == (LinkKind.NONE, None)
    assert caplog.records
    assert USER not in caplog.text


# -- case K15: Mimecast -----------------------------------------------------------


@pytest.mark.parametrize(
    "href",
    [
        "https://protect-eu.mimecast.com/s/AbCdEfGhIjKl?domain=scholar.google.com",
        "https://protect-us.mimecast.com/s/Zz09?domain=arxiv.org",
        "https://url.uk.m.mimecastprotect.com/s/AbC?domain=scholar.google.com",
        safelinks("https://protect-eu.mimecast.com/s/AbCd?domain=scholar.google.com"),
    ],
    ids=["eu", "us", "mimecastprotect", "inside-safelinks"],
)
def test_k15_mimecast_link_is_opaque_without_url(href: str) -> None:
    resolved = resolve_link(href)

    assert resolved.kind is LinkKind.OPAQUE
    assert resolved.url is None


def test_k15_opaque_check_names_mimecast_only() -> None:
    assert is_opaque_link("https://protect-eu.mimecast.com/s/AbCd?domain=x.org")
    assert not is_opaque_link("https://mimecast.com.example.org/s/AbCd")
    assert not is_opaque_link(SCHOLAR_TO_ARXIV)


# -- Gmail and Proofpoint layers -----------------------------------------------


@pytest.mark.parametrize("host", ["www.google.com", "google.com", "www.google.co.uk"])
def test_gmail_redirect_is_peeled(host: str) -> None:
    resolved = resolve_link(gmail(SCHOLAR_TO_ARXIV, host))

    assert resolved.url == f"https://arxiv.org/abs/{ARXIV_ID}"
    assert resolved.arxiv_id == ARXIV_ID


def test_google_page_that_is_not_a_redirect_is_kept() -> None:
    href = "https://www.google.com/search?q=graph+neural+networks"

    assert unwrap_link(href) == href


@pytest.mark.parametrize(
    ("href", "inner"),
    [
        pytest.param(
            "https://urldefense.proofpoint.com/v1/url?u=https%3A%2F%2Farxiv.org"
            "%2Fabs%2F2401.01234v3&k=7DHVtR%3D%0A&r=xyz&m=abc&s=def",
            "https://arxiv.org/abs/2401.01234v3",
            id="v1",
        ),
        pytest.param(
            "https://urldefense.proofpoint.com/v2/url?u=https-3A__scholar.google.com"
            "_scholar-5Furl-3Furl-3Dhttps-3A__arxiv.org_abs_hep-2Dth_9901001v1"
            "-26hl-3Den-26folt-3Dcit&d=DwMFaQ&c=org&r=user&m=x&s=y&e=",
            "https://scholar.google.com/scholar_url?url=https://arxiv.org/abs/"
            "hep-th/9901001v1&hl=en&folt=cit",
            id="v2",
        ),
        pytest.param(
            "https://urldefense.proofpoint.com/v2/url?u=https-3A__example.org_a-3Fx"
            "-3D1-26amp-3By-3D2&d=DwMFaQ&c=org",
            "https://example.org/a?x=1&y=2",
            id="v2-html-escaped-ampersand",
        ),
        pytest.param(
            "https://urldefense.com/v3/__https://scholar.google.com/scholar_url?url="
            "https://arxiv.org/abs/2401.01234v2&hl=en&folt=art__;!!OrgId!sig-x$",
            "https://scholar.google.com/scholar_url?url=https://arxiv.org/abs/"
            "2401.01234v2&hl=en&folt=art",
            id="v3-no-placeholders",
        ),
        pytest.param(
            "https://urldefense.com/v3/__https://example.org/p*20q?x=1*frag__;JSM"
            "!!OrgId!sig$",
            "https://example.org/p%20q?x=1#frag",
            id="v3-single-placeholders",
        ),
        pytest.param(
            "https://urldefense.com/v3/__https://example.org/a**Bb__;JSUl!!OrgId!s$",
            "https://example.org/a%%%b",
            id="v3-run-of-three",
        ),
        pytest.param(
            "https://urldefense.com/v3/__https://example.org/a**Bb*c__;JSUlIw!!Org!s$",
            "https://example.org/a%%%b#c",
            id="v3-run-then-single",
        ),
        pytest.param(
            "https://urldefense.com/v3/__https://example.org/caf*__;w6k!!OrgId!s$",
            "https://example.org/café",
            id="v3-non-ascii",
        ),
        pytest.param(
            "https://urldefense.com/v3/__https://example.org/x**_y__;"
            + "JSUl" * 21
            + "JSU!!OrgId!s$",
            "https://example.org/x" + "%" * 65 + "y",
            id="v3-longest-run",
        ),
    ],
)
def test_proofpoint_layer_is_peeled(href: str, inner: str) -> None:
    assert unwrap_link(href) == inner


def test_proofpoint_v2_around_scholar_resolves_old_scheme_arxiv_id() -> None:
    href = (
        "https://urldefense.proofpoint.com/v2/url?u=https-3A__scholar.google.com"
        "_scholar-5Furl-3Furl-3Dhttps-3A__arxiv.org_abs_hep-2Dth_9901001v1"
        "-26hl-3Den&d=DwMFaQ&c=org"
    )

    resolved = resolve_link(href)

    assert (resolved.arxiv_id, resolved.arxiv_version) == ("hep-th/9901001", 1)
    assert folt_of(href) is None


@pytest.mark.parametrize(
    "href",
    [
        "https://urldefense.com/v3/__https://example.org/a**Bb__;JQ!!OrgId!s$",
        "https://urldefense.com/v3/__https://example.org/a*__;!!OrgId!s$",
        "https://urldefense.com/v3/__https://example.org/a*__;J!!OrgId!s$",
        "https://urldefense.com/v3/__https://example.org/a*__;_w!!OrgId!s$",
        "https://urldefense.com/v3/nothing-here",
        "https://urldefense.proofpoint.com/v2/url?d=DwMFaQ&c=org",
    ],
    ids=[
        "run-longer-than-blob",
        "placeholder-without-blob",
        "truncated-base64",
        "not-utf8",
        "no-url",
        "v2-without-u",
    ],
)
def test_undecodable_proofpoint_link_gives_no_link(href: str) -> None:
    assert unwrap_link(href) is None
    assert resolve_link(href).kind is LinkKind.NONE


# -- nested layers ---------------------------------------------------------------


def test_nested_layers_are_peeled_outermost_first() -> None:
    proofpoint = "https://urldefense.com/v3/__" + SCHOLAR_TO_ARXIV + "__;!!OrgId!sig$"
    href = gmail(safelinks(proofpoint, "nam12"))

    resolved = resolve_link(href)

    assert resolved.url == f"https://arxiv.org/abs/{ARXIV_ID}"
    assert folt_of(href) == "rel"


def test_endless_nesting_gives_up_without_error() -> None:
    href = SCHOLAR_TO_ARXIV
    for _ in range(20):
        href = gmail(href)

    assert unwrap_link(href) is None
    assert resolve_link(href).kind is LinkKind.NONE


# -- DOIs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "doi"),
    [
        ("https://doi.org/10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        ("http://dx.doi.org/10.1038/S41586-021-03819-2", "10.1038/s41586-021-03819-2"),
        ("https://doi.org/10.1002%2Fanie.202012345", "10.1002/anie.202012345"),
        ("https://dl.acm.org/doi/10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        (
            "https://dl.acm.org/doi/pdf/10.1145/3292500.3330701?download=true",
            "10.1145/3292500.3330701",
        ),
        (
            "https://dl.acm.org/doi/abs/10.1145/3292500.3330701#sec",
            "10.1145/3292500.3330701",
        ),
        (
            "https://link.springer.com/chapter/10.1007/978-3-031-12345-6_7",
            "10.1007/978-3-031-12345-6_7",
        ),
        (
            "https://link.springer.com/article/10.1007/s10994-023-06300-1",
            "10.1007/s10994-023-06300-1",
        ),
        (
            "https://link.springer.com/content/pdf/10.1007/s10994-023-06300-1.pdf",
            "10.1007/s10994-023-06300-1",
        ),
        (
            "https://onlinelibrary.wiley.com/doi/10.1002/anie.202012345",
            "10.1002/anie.202012345",
        ),
        (
            "https://onlinelibrary.wiley.com/doi/epdf/10.1002/anie.202012345",
            "10.1002/anie.202012345",
        ),
        (
            "https://www.tandfonline.com/doi/full/10.1080/01621459.2023.2171234",
            "10.1080/01621459.2023.2171234",
        ),
        (
            "https://journals.sagepub.com/doi/10.1177/0956797620904990",
            "10.1177/0956797620904990",
        ),
        ("https://pubs.acs.org/doi/10.1021/jacs.3c01234", "10.1021/jacs.3c01234"),
        (
            "https://www.frontiersin.org/articles/10.3389/fpsyg.2020.01234/full",
            "10.3389/fpsyg.2020.01234",
        ),
        ("https://doi.org/10.1145/3292500.3330701.", "10.1145/3292500.3330701"),
        (
            "https://doi.org/10.1002/(SICI)1097-4636(199706)35:4",
            "10.1002/(sici)1097-4636(199706)35:4",
        ),
        (
            "https://doi.org/10.1234/arxiv.2202.01037",
            "10.1234/arxiv.2202.01037",
        ),
    ],
)
def test_doi_is_read_from_publisher_url(url: str, doi: str) -> None:
    assert doi_from_url(url) == doi


@pytest.mark.parametrize(
    "url",
    [
        "https://ieeexplore.ieee.org/document/10123456",
        "https://www.sciencedirect.com/science/article/pii/S0001234524000123",
        "https://doi.org/10.48550/arXiv.2202.01037",
        "https://arxiv.org/abs/2401.01234",
        "https://example.org/doi/not-a-doi",
        "https://doi.org/",
        "not a url",
    ],
    ids=["ieee", "sciencedirect", "arxiv-doi", "arxiv", "no-doi", "empty", "text"],
)
def test_url_without_publisher_doi_gives_none(url: str) -> None:
    assert doi_from_url(url) is None


def test_scholar_link_to_publisher_carries_doi() -> None:
    href = (
        "https://scholar.google.com/scholar_url?url=https://dl.acm.org/doi/abs/"
        "10.1145/3292500.3330701&hl=en&folt=kw"
    )

    resolved = resolve_link(href)

    assert resolved.doi == "10.1145/3292500.3330701"
    assert resolved.arxiv_id is None


def test_arxiv_doi_target_gives_arxiv_id_not_doi() -> None:
    resolved = resolve_link("https://doi.org/10.48550/ARXIV.2202.01037")

    assert (resolved.arxiv_id, resolved.doi) == ("2202.01037", None)


# -- garbage never raises -------------------------------------------------------


@pytest.mark.parametrize(
    "href",
    [
        None,
        "",
        "   ",
        "javascript:alert(1)",
        "not a url at all",
        "mailto:someone@example.org",
        "https://",
        "http://[::1",
        "https://scholar.google.com/scholar_url?url=javascript:alert(1)",
        "https://scholar.google.com/scholar_url?url=%ZZ%",
    ],
    ids=[
        "none",
        "empty",
        "blank",
        "javascript",
        "not-a-url",
        "mailto",
        "no-host",
        "broken-ipv6",
        "scholar-to-javascript",
        "bad-percent",
    ],
)
def test_garbage_link_resolves_to_no_link_without_raising(href: str | None) -> None:
    resolved = resolve_link(href, byline="garbage \u2122 byline")

    assert (resolved.kind, resolved.url) == (LinkKind.NONE, None)
    assert (resolved.arxiv_id, resolved.doi) == (None, None)


def test_very_long_link_is_kept_as_given() -> None:
    href = "https://example.org/" + "a" * 5000
    wrapped = safelinks(f"https://scholar.google.com/scholar_url?url={href}&hl=en")

    assert resolve_link(href).url == href
    assert resolve_link(wrapped).url == href


def test_blank_link_still_takes_arxiv_id_from_byline() -> None:
    resolved = resolve_link(None, "arXiv preprint arXiv:2601.08189")

    assert resolved.kind is LinkKind.NONE
    assert resolved.arxiv_id == "2601.08189"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        (
            "https://eur02.safelinks.protection.outlook.com/?url=https%3A%2F%2F"
            "arxiv.org%2Fabs%2F2401.01234&data=05%7C01%7Creader%40example.org",
            True,
        ),
        ("https://urldefense.proofpoint.com/v2/url?u=https-3A__arxiv.org&d=x", True),
        (
            "https://www.google.com/url?q=https://eur02.safelinks.protection."
            "outlook.com/?url%3Dhttps://arxiv.org/abs/2401.01234%26data%3Dx",
            True,
        ),
        ("https://www.google.com/url?q=https://arxiv.org/abs/2401.01234", False),
        ("https://arxiv.org/abs/2401.01234", False),
    ],
)
def test_rewritten_links_that_name_the_reader_are_recognised(
    href: str, expected: bool
) -> None:
    from bot.resolve.unwrap import holds_reader_data

    assert holds_reader_data(href) is expected
