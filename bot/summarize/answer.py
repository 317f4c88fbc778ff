"""Reading a model's answer into the five summary fields, as untrusted text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.summarize.base import Summary
from bot.summarize.extractive import trim_at_word
from bot.summarize.prompt import FIELDS, LANGUAGE_NAMES
from bot.text import clean_text

FIELD_LIMIT = 1_200
TLDR_LIMIT = 400
# Five fields of at most FIELD_LIMIT fit with room to spare. Decoding from
# every brace is quadratic on hostile text, so no more than this is read.
MAX_ANSWER = 20_000

# A list of lists of points is still a field; deeper is not a summary.
MAX_DEPTH = 3

SOURCE_SUFFIX = {
    "abstract": "(from the abstract)",
    "snippet": "(from the alert snippet)",
    "none": "(title only)",
}

_THINK_OPEN = re.compile(r"<think(?:ing)?>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think(?:ing)?>", re.IGNORECASE)
# Only where an object with a key may start: a decoder error costs time.
_OBJECT_START = re.compile(r'\{\s*"')
_NOT_LETTER = re.compile(r"[^a-z]")
_ENDS_SENTENCE = re.compile(r"[.!?。！？]$")
_ENDS_CJK = re.compile(r"[。！？]$")


@dataclass(frozen=True)
class ParsedAnswer:
    """The five cleaned fields of a usable answer, or what was wrong with it."""

    fields: dict[str, str] | None
    problem: str | None

    def __post_init__(self) -> None:
        if (self.fields is None) == (self.problem is None):
            raise ValueError("exactly one of fields and problem is set")


def parse_answer(content: str | None, reasoning: str | None = None) -> ParsedAnswer:
    """The JSON object in ``content``, else in the model's reasoning.

    Reasoning models think in ``<think>`` blocks or a separate reasoning field
    and sometimes leave the answer there, with ``content`` empty.
    """
    answer, thoughts = _split_thinking(content or "")
    found = _find_object(answer, last=False)
    if found is None:
        # Thinking drafts the answer before settling it: the last one counts.
        found = _find_object("\n".join([*thoughts, reasoning or ""]), last=True)
    if found is None:
        empty = not answer.strip() and not (reasoning or "").strip()
        problem = "empty answer" if empty else "no JSON object with the fields"
        return ParsedAnswer(None, problem)
    return _validate(found)


def _split_thinking(content: str) -> tuple[str, list[str]]:
    """The answer part of ``content`` and the thinking taken out of it.

    Everything before the last ``</think>`` is thinking, whether or not its
    opening tag survived (some servers drop it); a ``<think>`` never closed
    runs to the end.
    """
    thoughts = []
    close = list(_THINK_CLOSE.finditer(content))
    if close:
        thoughts.append(content[: close[-1].start()])
        content = content[close[-1].end() :]

    opened = _THINK_OPEN.search(content)
    if opened:
        thoughts.append(content[opened.end() :])
        content = content[: opened.start()]
    return content, thoughts


def _find_object(text: str, *, last: bool) -> dict[str, Any] | None:
    """The first (or last) JSON object holding a summary field, else a partial one.

    Decoding from each ``{`` with a real JSON decoder, rather than cutting at
    code fences, keeps a string that itself holds ``` intact (case K24).
    """
    decoder = json.JSONDecoder()
    # Thinking ends with its answer, an answer starts with it.
    text = text[-MAX_ANSWER:] if last else text[:MAX_ANSWER]
    complete: list[dict[str, Any]] = []
    partial: list[dict[str, Any]] = []
    for start in _OBJECT_START.finditer(text):
        try:
            value, _ = decoder.raw_decode(text, start.start())
        except (ValueError, RecursionError):  # deep nesting is no summary
            continue
        if not isinstance(value, dict):
            continue
        fields = _by_field(value)
        if len(fields) == len(FIELDS):
            complete.append(fields)
            if not last:
                break
        elif fields:
            partial.append(fields)

    for found in (complete, partial):
        if found:
            return found[-1] if last else found[0]
    return None


def _by_field(value: dict[str, Any]) -> dict[str, Any]:
    """The values of ``value`` under the summary field each key spells."""
    fields: dict[str, Any] = {}
    for key, item in value.items():
        name = _field_name(key)
        if name and name not in fields:
            fields[name] = item
    return fields


def _field_name(key: str) -> str | None:
    """``TL;DR``, ``TLDR``, ``Methods`` and ``Result`` name summary fields too."""
    name = _NOT_LETTER.sub("", key.lower())
    if name not in FIELDS and name.endswith("s"):
        name = name[:-1]
    return name if name in FIELDS else None


def _validate(found: dict[str, Any]) -> ParsedAnswer:
    """The cleaned fields, or the first missing or empty ones named."""
    fields = {name: clean_field(_as_text(found.get(name))) for name in FIELDS}
    fields = {name: _drop_label(name, text) for name, text in fields.items()}
    missing = [name for name in FIELDS if name not in found]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        return ParsedAnswer(None, f"missing field{plural}: {', '.join(missing)}")
    empty = [name for name in FIELDS if not fields[name]]
    if empty:
        plural = "s" if len(empty) > 1 else ""
        return ParsedAnswer(None, f"empty field{plural}: {', '.join(empty)}")
    return ParsedAnswer(fields, None)


def _as_text(value: Any, depth: int = 0) -> str:
    """A field's value as text: lists joined, numbers spelled, null empty."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list) and depth < MAX_DEPTH:
        return _join([clean_field(_as_text(item, depth + 1)) for item in value])
    return ""


def _join(parts: list[str]) -> str:
    """Items as sentences when they read as such, else separated by ``;``."""
    joined = ""
    for part in filter(None, parts):
        if not joined:
            joined = part
        elif _ENDS_CJK.search(joined):
            joined += part
        elif _ENDS_SENTENCE.search(joined):
            joined += " " + part
        else:
            joined += "; " + part
    return joined


def _drop_label(name: str, text: str) -> str:
    """``TL;DR: x`` in the tldr field is just ``x``."""
    match = _LABELS[name].match(text)
    return text[match.end() :] if match else text


_LABELS = {
    name: re.compile(rf"(?:{label})s?\s*[:：]\s*", re.IGNORECASE)
    for name, label in zip(FIELDS, (r"tl\W?dr", *FIELDS[1:]), strict=True)
}


# Markdown and HTML a model may add; a summary reaches the digest as text.
_FENCE = re.compile(r"`{3,}[\w+-]*")
_BACKTICKS = re.compile(r"`+")
_LINE_MARK = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+•][ \t]+|\d{1,3}[.)][ \t]+)",
    re.MULTILINE,
)
_MD_LINK = re.compile(
    r"!?\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)"
)
_MD_REF = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
# "Data: 10k samples" is prose; "data:text/html,..." is a link.
_URL = re.compile(
    r"\s*<?(?:\b[a-z][a-z0-9+.-]*://|\bwww\.|"
    r"\b(?:javascript|data|mailto|vbscript):(?=[^\s<>]))[^\s<>]*>?",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"[.,;:!?)\]'\"。，；：！？）]+$")
# A tag needs name=value attributes, so "p <q and r> s" in a formula stays;
# browsers also take "/" between them, as in "<svg/onload=...>".
_TAG = re.compile(
    r"<!--.*?-->|</?[A-Za-z][\w:-]*"
    r"(?:[\s/]+[\w:-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>]+))*\s*/?>",
    re.DOTALL,
)
# Each pass removes text, so a few settle anything but a crafted nest,
# whose brackets then go.
_MAX_PASSES = 4
_ANGLE = re.compile(r"[<>]")
# Emphasis spans a phrase; the bound keeps a run of stray "_" from going
# quadratic.
_STRONG = re.compile(r"(\*\*|__|~~)(.{1,300}?)\1", re.DOTALL)
_EMPHASIS = re.compile(r"(?<!\w)([*_])(?=\S)(.{1,300}?)(?<=\S)\1(?!\w)", re.DOTALL)


def clean_field(text: str) -> str:
    """``text`` from a model as one plain line: no markup, no links, capped.

    Renderers escape again; this keeps a model's links and markup, and
    anything a paper talked it into writing, out of the digest.
    """
    # Bounds the work below; only a field more markup than text loses words.
    text = _TAG.sub(" ", text[: FIELD_LIMIT * 4])
    text = _FENCE.sub(" ", text)
    text = _LINE_MARK.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF.sub(r"\1", text)
    text = _URL.sub(_keep_trailing, text)
    text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _BACKTICKS.sub("", text)
    # clean_text drops invisible characters, which can join what is left
    # into a new link or tag ("ht\u200btps://…"): strip until nothing changes.
    text = clean_text(text)
    for _ in range(_MAX_PASSES):
        again = clean_text(_URL.sub(_keep_trailing, _TAG.sub(" ", text)))
        if again == text:
            break
        text = again
    else:
        text = _ANGLE.sub(" ", text)
    return trim_at_word(text, FIELD_LIMIT)


def _keep_trailing(match: re.Match[str]) -> str:
    """The sentence's own punctuation after a removed URL."""
    url = match.group()
    found = _TRAILING.search(url)
    trailing = found.group() if found else ""
    body = url[: len(url) - len(trailing)]

    # A closing bracket that a bracket in the URL opened belongs to the URL,
    # as in "javascript:alert(1)" or a Wikipedia link.
    for opening, closing in ("()", "[]"):
        unclosed = body.count(opening) - body.count(closing)
        while unclosed > 0 and trailing.startswith(closing):
            trailing, unclosed = trailing[1:], unclosed - 1
    return trailing


def summary_from_fields(
    fields: dict[str, str], *, model: str, text_kind: str
) -> Summary:
    """A :class:`Summary` whose source names the model and the text it read."""
    suffix = SOURCE_SUFFIX.get(text_kind)
    if suffix is None:
        raise ValueError(f"unknown text kind: {text_kind!r}")
    clean = {name: clean_field(fields[name]) for name in FIELDS}
    return Summary(
        tldr=trim_at_word(clean["tldr"], TLDR_LIMIT),
        motivation=clean["motivation"],
        method=clean["method"],
        result=clean["result"],
        conclusion=clean["conclusion"],
        source=f"llm {model} {suffix}",
    )


# The letters a summary in each language is mostly written in. Languages in
# Latin script cannot be told apart this way ("de" answered in English
# passes); a script that is plainly wrong can.
_LATIN = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_SCRIPTS = {
    "zh": _HAN,
    "ja": _HAN + "\u3040-\u30ff",
    "ko": _HAN + "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f",
    "ru": "\u0400-\u04ff",
    "uk": "\u0400-\u04ff",
    "el": "\u0370-\u03ff\u1f00-\u1fff",
    "ar": "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff",
    "fa": "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff",
    "he": "\u0590-\u05ff",
    "hi": "\u0900-\u097f",
    "bn": "\u0980-\u09ff",
    "th": "\u0e00-\u0e7f",
}
# Every other language the prompt names is written in Latin script.
_LATIN_LANGUAGES = frozenset(LANGUAGE_NAMES) - frozenset(_SCRIPTS)
# A CJK summary names methods and datasets in Latin letters, and one Han
# character stands for a word of several Latin letters: a low share of the
# expected script still reads as that language.
_MIN_SHARE = {"latin": 0.5, "other": 0.2}
# Too few letters of its own to judge: an acronym, a line quoting the title.
_MIN_LETTERS = 60
_WORD = re.compile(r"\w+")
WRONG_LANGUAGE = "not written in"


def language_problem(
    fields: dict[str, str], language: str, name: str, *, quoted: str = ""
) -> str | None:
    """What is wrong with the language of ``fields``, or None.

    ``language`` is the ISO 639-1 code asked for, ``name`` its English name.
    Words found in ``quoted`` (the paper's title) are left out: a summary
    may name the paper's terms as written. Only the script is checked, and
    an unknown code is never a problem.
    """
    code = language.strip().lower()
    if code in _SCRIPTS:
        expected, share = re.compile(f"[{_SCRIPTS[code]}]"), _MIN_SHARE["other"]
    elif code in _LATIN_LANGUAGES:
        expected, share = re.compile(f"[{_LATIN}]"), _MIN_SHARE["latin"]
    else:
        return None

    known = {word.casefold() for word in _WORD.findall(quoted)}
    words = [
        word
        for text in fields.values()
        for word in _WORD.findall(text)
        if word.casefold() not in known
    ]
    text = " ".join(words)
    letters = sum(1 for char in text if char.isalpha())
    if letters < _MIN_LETTERS:
        return None
    if len(expected.findall(text)) / letters >= share:
        return None
    return f"{WRONG_LANGUAGE} {name}"
