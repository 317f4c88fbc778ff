"""Peel the layers that Gmail and corporate mail filters wrap around links.

Every layer is decoded once, outermost first, locally: no link is ever visited.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

log = logging.getLogger(__name__)

# Real mail nests two or three layers; more than this is a loop or an attack.
MAX_LAYERS = 8

_GOOGLE_HOST = re.compile(r"(?:www\.)?google\.(?:(?:co|com)\.)?[a-z]{2,}")
_SAFELINKS_LABELS = ".safelinks.protection."
_PROOFPOINT_HOSTS = frozenset({"urldefense.proofpoint.com", "urldefense.com"})
_MIMECAST_HOST = re.compile(
    r"protect(?:-[a-z0-9]+)?\.mimecast\.com|[a-z0-9.-]+\.mimecastprotect\.com"
)

# v3 keeps the URL readable and swaps awkward characters for ``*``; the swapped
# characters follow, base64url-encoded, after ``__;`` and before ``!!``.
_PROOFPOINT_V3 = re.compile(
    r"https?://urldefense(?:\.proofpoint)?\.com/v3/__(?P<url>.+?)"
    r"__;(?P<blob>[A-Za-z0-9_-]*)(?:!|$)",
    re.IGNORECASE,
)
_V3_PLACEHOLDER = re.compile(r"\*(\*.)?")
# Proofpoint's published decoder: ``**`` and one letter of this alphabet stand
# for a run of 2, 3, ... 65 swapped characters.
_V3_RUN_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits
_V3_RUN_LENGTHS = {
    letter: length for length, letter in enumerate(_V3_RUN_ALPHABET + "-_", start=2)
}


def split_url(text: str) -> SplitResult | None:
    """Split an http(s) URL with a host; None for anything else or malformed."""
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None

    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts


def host_of(parts: SplitResult) -> str:
    """The lower-case host without port or trailing dot."""
    return (parts.hostname or "").rstrip(".")


def query_pairs(query: str) -> list[tuple[str, str]]:
    """Split a raw query string, percent-decoding names and values exactly once.

    A literal ``+`` stays a plus: targets keep theirs unencoded, and turning it
    into a space would corrupt them.
    """
    return parse_qsl(query.replace("+", "%2B"), keep_blank_values=True)


def query_value(query: str, name: str) -> str | None:
    """The first non-empty value of ``name``, decoded once, or None."""
    for key, value in query_pairs(query):
        if key == name and value.strip():
            return value.strip()
    return None


def is_opaque_link(href: str) -> bool:
    """Whether the link is a token that only its issuer can resolve (Mimecast)."""
    parts = split_url(href.strip())
    return parts is not None and _MIMECAST_HOST.fullmatch(host_of(parts)) is not None


def unwrap_link(href: str) -> str | None:
    """The link inside every rewriting layer, or None when there is none usable.

    None means: not an http(s) URL, a layer that names no target or cannot be
    decoded, or more than ``MAX_LAYERS`` layers. A link with no layer comes back
    as given; so does an opaque one, which :func:`is_opaque_link` recognises.
    """
    return _peel_all(href)[0]


def holds_reader_data(href: str) -> bool:
    """Whether a layer of ``href`` (SafeLinks, Proofpoint) carries the reader's data.

    Such a link must not be kept or shown: its parameters name the reader.
    """
    return any(layer.reader_data for layer in _peel_all(href)[1])


def _peel_all(href: str) -> tuple[str | None, tuple[_Layer, ...]]:
    """The innermost link (or None, as :func:`unwrap_link`) and the layers met."""
    current = href.strip()
    met: list[_Layer] = []
    for _ in range(MAX_LAYERS + 1):
        parts = split_url(current)
        if parts is None:
            return None, tuple(met)

        layer = _layer_of(parts)
        if layer is None:
            return current, tuple(met)

        met.append(layer)
        inner = layer.peel(parts, current)
        if inner is None:
            # The layer's query holds user addresses: name the layer only.
            log.debug("%s layer holds no readable link", layer.name)
            return None, tuple(met)
        current = inner.strip()
        log.debug("peeled a %s layer", layer.name)

    log.debug("gave up after %d rewriting layers", MAX_LAYERS)
    return None, tuple(met)


@dataclass(frozen=True)
class _Layer:
    """One kind of rewriting: how to recognise it and how to take it off."""

    name: str
    applies: Callable[[SplitResult], bool]
    peel: Callable[[SplitResult, str], str | None]
    # The layer's parameters name the reader (SafeLinks' data, Proofpoint's
    # signature over the recipient); Gmail's redirect names nobody.
    reader_data: bool = True


def _layer_of(parts: SplitResult) -> _Layer | None:
    for layer in _LAYERS:
        if layer.applies(parts):
            return layer
    return None


def _is_gmail(parts: SplitResult) -> bool:
    return parts.path == "/url" and _GOOGLE_HOST.fullmatch(host_of(parts)) is not None


def _is_safelinks(parts: SplitResult) -> bool:
    # The region label varies, and so does the parent domain outside
    # Microsoft's commercial cloud: the two labels in the middle do not.
    host = host_of(parts)
    if _SAFELINKS_LABELS in f".{host}":
        return True
    return host == "outlook.office.com" and parts.path == "/mail/safelink.html"


def _is_proofpoint(version: str) -> Callable[[SplitResult], bool]:
    def applies(parts: SplitResult) -> bool:
        if host_of(parts) not in _PROOFPOINT_HOSTS:
            return False
        if version == "v3":
            return parts.path.startswith("/v3/")
        return parts.path == f"/{version}/url"

    return applies


def _peel_gmail(parts: SplitResult, href: str) -> str | None:
    return query_value(parts.query, "q") or query_value(parts.query, "url")


def _peel_safelinks(parts: SplitResult, href: str) -> str | None:
    return query_value(parts.query, "url")


def _peel_proofpoint_v1(parts: SplitResult, href: str) -> str | None:
    inner = query_value(parts.query, "u")
    return _html_ampersands(inner) if inner else None


def _peel_proofpoint_v2(parts: SplitResult, href: str) -> str | None:
    # v2 has its own escape: "-" stands for "%" and "_" for "/"; the raw value
    # is read so that the only percent-decoding is the one after the swap.
    for field in parts.query.split("&"):
        name, _, value = field.partition("=")
        if name == "u" and value:
            swapped = value.translate(str.maketrans("-_", "%/"))
            return _html_ampersands(unquote(swapped))
    return None


def _peel_proofpoint_v3(parts: SplitResult, href: str) -> str | None:
    match = _PROOFPOINT_V3.match(href)
    if match is None:
        return None

    blob = match["blob"]
    try:
        swapped = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
        characters = swapped.decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return _fill_placeholders(match["url"], characters)


def _fill_placeholders(text: str, characters: str) -> str | None:
    """Put back the characters v3 swapped for ``*`` (one) or ``**X`` (a run)."""
    pieces: list[str] = []
    used = 0
    end = 0
    for match in _V3_PLACEHOLDER.finditer(text):
        run = match[1]
        count = 1 if run is None else _V3_RUN_LENGTHS.get(run[1], 0)
        if count == 0 or used + count > len(characters):
            return None

        pieces.append(text[end : match.start()])
        pieces.append(characters[used : used + count])
        used += count
        end = match.end()

    pieces.append(text[end:])
    return "".join(pieces)


def _html_ampersands(url: str) -> str:
    # Proofpoint encodes the href as written in the HTML, so its "&" arrive as
    # "&amp;". Only that entity is undone: a full unescape would turn a
    # parameter such as "&copy=" into "©=".
    return url.replace("&amp;", "&")


_LAYERS = (
    _Layer("Gmail redirect", _is_gmail, _peel_gmail, reader_data=False),
    _Layer("SafeLinks", _is_safelinks, _peel_safelinks),
    _Layer("Proofpoint v1", _is_proofpoint("v1"), _peel_proofpoint_v1),
    _Layer("Proofpoint v2", _is_proofpoint("v2"), _peel_proofpoint_v2),
    _Layer("Proofpoint v3", _is_proofpoint("v3"), _peel_proofpoint_v3),
)
