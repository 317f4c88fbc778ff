"""Text clean-up shared by every stage: invisible characters, TeX, one title form."""

from __future__ import annotations

import html
import re
import unicodedata

# Bidi controls and zero-width characters ride along in titles copied through
# mail clients; they break matching and can reorder text on screen.
_INVISIBLE = re.compile(
    "[\u200b\u200c\u200d\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]"
)
_SPACES = re.compile(r"\s+")
_TEX_ACCENT = re.compile(r"\\[`'^\"~=.uvHckrb]\s*\{?([A-Za-z])\}?")
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+\s*")
_TEX_MATH = re.compile(r"(?<!\\)\$([^$]*)\$")
_NON_WORD = re.compile(r"[^\w]+")
ELLIPSIS = "\u2026"


def clean_text(value: str) -> str:
    """Drop invisible characters and collapse every run of white space."""
    value = _INVISIBLE.sub("", value).replace("\u00a0", " ")
    return _SPACES.sub(" ", value).strip()


def strip_ellipsis(value: str) -> tuple[str, bool]:
    """Remove a trailing cut mark (``…`` or ``...``); say whether there was one."""
    value = value.rstrip()
    for mark in (ELLIPSIS, "..."):
        if value.endswith(mark):
            return value[: -len(mark)].rstrip(" \u00a0,;-"), True
    return value, False


def strip_tex(value: str) -> str:
    """Turn TeX in titles into plain text: accents, math delimiters, commands."""
    value = _TEX_ACCENT.sub(lambda m: _accented(m.group(0), m.group(1)), value)
    value = _TEX_MATH.sub(lambda m: m.group(1), value)
    value = _TEX_COMMAND.sub("", value)
    return value.replace("{", "").replace("}", "").replace("_", "").replace("^", "")


def _accented(command: str, letter: str) -> str:
    marks = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303"}
    mark = marks.get(command[1])
    if mark is None:
        return letter
    return unicodedata.normalize("NFC", letter + mark)


def normalize_title(value: str) -> str:
    """The one normal form titles are compared in.

    Entities are unescaped once, TeX removed, accents folded, punctuation and
    white space collapsed and case folded, so a Scholar title and arXiv's
    title for the same paper compare equal.
    """
    value = strip_tex(html.unescape(clean_text(value)))
    value, _ = strip_ellipsis(value)
    value = unicodedata.normalize("NFKD", value)
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", value.casefold()).strip()
