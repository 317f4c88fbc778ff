"""Scholar result links, and the wrappers mail filters put around links."""

from __future__ import annotations

import random
from enum import StrEnum
from urllib.parse import quote, urlsplit

from bot.samples.mime import HEX, digits, seeded_rng, token

# Scholar leaves a target's scheme and slashes literal and percent-encodes
# only what would break its own query string (? = & % # + and spaces), once.
_TARGET_SAFE = ":/@!$'()*,;[]"
_SAFELINKS_REGIONS = ("eur01", "eur02", "eur04", "nam02", "nam12", "apc01")
_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


class LinkWrap(StrEnum):
    """A rewriting layer that a forward or a corporate filter adds to links."""

    SAFELINKS = "safelinks"  # Microsoft Defender for Office 365
    GMAIL = "gmail"  # www.google.com/url?q=…
    PROOFPOINT_V2 = "proofpoint_v2"  # urldefense.proofpoint.com/v2/url?u=…
    MIMECAST = "mimecast"  # protect-eu.mimecast.com/s/<token>: opaque


def encode_target(target: str, *, whole: bool = False) -> str:
    """The ``url`` parameter value for ``target``, as Scholar writes it.

    ``whole`` encodes the scheme and slashes too (``https%3A%2F%2F…``), which
    some senders do.
    """
    return quote(target, safe="" if whole else _TARGET_SAFE)


def scholar_url(
    host: str,
    encoded_target: str,
    *,
    hl: str,
    folt: str,
    pos: int,
    rng: random.Random,
) -> str:
    """A ``scholar_url`` redirect link with plausible tracking parameters."""
    params = [
        ("url", encoded_target),
        ("hl", hl),
        ("sa", "X"),
        ("d", digits(rng, 19)),
        ("ei", token(rng, 22)),
        ("scisig", token(rng, 28)),
        ("oi", "scholaralrt"),
        ("hist", f"{token(rng, 12)}:{digits(rng, 18)}:{token(rng, 28)}"),
        ("html", ""),
        ("pos", str(pos)),
        ("folt", folt),
    ]
    query = "&".join(f"{name}={value}" for name, value in params)
    return f"https://{host}/scholar_url?{query}"


def cluster_url(
    host: str, cluster_id: str, *, hl: str, folt: str, rng: random.Random
) -> str:
    """A ``scholar?cluster=`` link: a result with no target of its own."""
    hist = token(rng, 22)
    return (
        f"https://{host}/scholar?cluster={cluster_id}&hl={hl}"
        f"&oi=scholaralrt&hist={hist}&html=&folt={folt}"
    )


def wrap_link(url: str, wrap: LinkWrap, *, recipient: str) -> str:
    """``url`` as it reads after the ``wrap`` layer rewrote it.

    Tokens are derived from the URL and recipient, so output is reproducible.
    SafeLinks' ``data`` carries the recipient's address, as the real one does.
    """
    rng = seeded_rng("wrap", wrap.value, recipient, url)
    if wrap is LinkWrap.SAFELINKS:
        return _safelinks(url, recipient, rng)
    if wrap is LinkWrap.GMAIL:
        return (
            f"https://www.google.com/url?q={quote(url, safe=':/?')}"
            f"&source=gmail&ust={digits(rng, 16)}&usg=AOvVaw{token(rng, 22)}"
        )
    if wrap is LinkWrap.PROOFPOINT_V2:
        return _proofpoint_v2(url, rng)
    domain = urlsplit(url).hostname or ""
    return f"https://protect-eu.mimecast.com/s/{token(rng, 24)}?domain={domain}"


def _safelinks(url: str, recipient: str, rng: random.Random) -> str:
    region = seeded_rng("region", recipient).choice(_SAFELINKS_REGIONS)
    data = "|".join(
        [
            "05",
            "02",
            recipient,
            token(rng, 32, HEX),
            token(rng, 32, HEX),
            "0",
            "0",
            digits(rng, 18),
            "Unknown",
            token(rng, 64, _BASE64),
            "0",
            "",
            "",
            "",
        ]
    )
    sdata = token(rng, 43, _BASE64) + "="
    return (
        f"https://{region}.safelinks.protection.outlook.com/?url={quote(url, safe='')}"
        f"&data={quote(data, safe='')}&sdata={quote(sdata, safe='')}&reserved=0"
    )


def _proofpoint_v2(url: str, rng: random.Random) -> str:
    # v2 writes '/' as '_' and every other special byte as '-XX', so a
    # literal '-' or '_' must itself be escaped to decode unambiguously.
    encoded = "".join(_proofpoint_char(char) for char in url)
    keys = "&".join(f"{name}={token(rng, 43)}" for name in ("c", "r", "m", "s"))
    return f"https://urldefense.proofpoint.com/v2/url?u={encoded}&d=DwMFaQ&{keys}&e="


def _proofpoint_char(char: str) -> str:
    if char == "/":
        return "_"
    if char == "." or (char.isascii() and char.isalnum()):
        return char
    return "".join(f"-{byte:02X}" for byte in char.encode("utf-8"))
