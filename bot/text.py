"""Text clean-up shared by every stage: invisible characters, TeX, one title form."""

from __future__ import annotations

import html
import re
import unicodedata

# Bidi controls (every Bidi_Control character, the Arabic letter mark too)
# and zero-width characters ride along in titles copied through mail
# clients; they break matching and can reorder text on screen.
# Control characters other than white space go too: a terminal that prints
# a stored title must not read escape sequences from an email.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]"
)
# A run of white space becomes one space, but a lone ideographic space
# (U+3000) is part of Japanese and Chinese text as written and stays.
_SPACES = re.compile(r"\s{2,}|[^\S \u3000]")
# Chinese and Japanese (not Korean) are written without spaces: a line break
# between two such characters joins them, as CSS Text 3 renders it, so a
# snippet wrapped by Scholar's <br> reads as it was written.
_UNSPACED = (
    "\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff01-\uff60\U00020000-\U0003134f"
)
_UNSPACED_BREAK = re.compile(rf"(?<=[{_UNSPACED}])[ \t\r]*\n\s*(?=[{_UNSPACED}])")
_TEX_LETTER = {"i": "ı", "j": "ȷ", "o": "ø", "O": "Ø", "ss": "ß", "l": "ł", "L": "Ł"}
_TEX_LETTER_COMMAND = re.compile(r"\\(ss|[ijoOlL])(?![A-Za-z])\s*")
# A letter command (`\\c`, `\\v` ...) needs a brace or a space after it, so
# `\\cite` is not read as a cedilla on "i".
_TEX_ACCENT = re.compile(
    r"\\(?:([`'^\"~=.])\s*|([uvHckrb])(?:\s+|(?=\{)))"
    r"(?:\{\s*([A-Za-zıȷ])\s*\}|([A-Za-zıȷ]))"
)
# TeX accent commands and the combining marks they stand for.
_TEX_MARKS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+\s*")
_TEX_MATH = re.compile(r"(?<!\\)\$([^$]*)\$")
_NON_WORD = re.compile(r"[^\w]+")
ELLIPSIS = "\u2026"


def clean_text(value: str) -> str:
    """Drop invisible characters and collapse every run of white space.

    A line break between two Chinese or Japanese characters is dropped
    instead: those scripts put no space between words.
    """
    if value.isascii() and value.isprintable() and "  " not in value:
        return value.strip()  # the common case, with nothing to clean
    value = _INVISIBLE.sub("", value).replace("\u00a0", " ")
    if "\n" in value:
        value = _UNSPACED_BREAK.sub("", value)
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
    # Dotless i and friends first, so `\\'{\\i}` becomes an accented i.
    value = _TEX_LETTER_COMMAND.sub(lambda m: _TEX_LETTER[m.group(1)], value)
    value = _TEX_ACCENT.sub(
        lambda m: _accented(m.group(1) or m.group(2), m.group(3) or m.group(4)), value
    )
    value = _TEX_MATH.sub(lambda m: m.group(1), value)
    value = _TEX_COMMAND.sub("", value)
    return value.replace("{", "").replace("}", "").replace("_", "").replace("^", "")


def _accented(command: str, letter: str) -> str:
    mark = _TEX_MARKS.get(command)
    letter = {"ı": "i", "ȷ": "j"}.get(letter, letter) if mark else letter
    if mark is None:
        return letter
    return unicodedata.normalize("NFC", letter + mark)


def normalize_title(value: str) -> str:
    """The one normal form titles are compared in.

    Entities are unescaped once, TeX removed, Latin accents folded, punctuation and
    white space collapsed and case folded, so a Scholar title and arXiv's
    title for the same paper compare equal. A title with no letter or digit
    at all (only punctuation or emoji) keeps its symbols, so two such titles
    stay two papers.
    """
    value = strip_tex(html.unescape(clean_text(value)))
    value, _ = strip_ellipsis(value)
    value = _fold_latin_accents(unicodedata.normalize("NFKD", value))
    words = _NON_WORD.sub(" ", value.casefold()).strip()
    return words or "".join(value.casefold().split())


def _fold_latin_accents(decomposed: str) -> str:
    """Drop combining marks on Latin letters only, then recompose the rest.

    "Lévy" and "Levy" are one spelling, but a kana's voicing mark (バ vs ハ)
    or the breve of Cyrillic Й makes another letter, so those marks stay.
    """
    kept: list[str] = []
    base_is_latin = False
    for char in decomposed:
        if unicodedata.combining(char):
            if base_is_latin:
                continue
        else:
            base_is_latin = char < "\u0250" or "\u1e00" <= char <= "\u1eff"
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))
