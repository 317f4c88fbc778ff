"""A summarizer without a model: it quotes the paper's own sentences by role."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.models import AbstractSource, PaperRecord
from bot.summarize.base import Summary
from bot.text import clean_text

SOURCE_ABSTRACT = "extractive (from the abstract)"
SOURCE_SNIPPET = "extractive (from the alert snippet)"
SOURCE_NONE = "extractive (no text available)"

NOT_IN_ABSTRACT = "Not stated in the abstract."
NOT_IN_SNIPPET = (
    "Not stated in the alert's snippet; the full abstract was not available."
)
NO_TEXT = "No text was available for this paper: no abstract and no snippet."

TLDR_LIMIT = 200
# Abstracts run to a few thousand characters. Text beyond this is not read,
# so one oversized snippet cannot stall the digest of everything else.
MAX_TEXT = 20_000
SENTENCES_PER_FIELD = 2

# A period ends a sentence only before white space, so decimals ("3.4×") and
# dotted names ("cs.DC") never split; CJK stops need no space after them.
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+|[。．！？]+[」』）\"”’]*\s*")
_WORD_BEFORE_DOT = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_ENDS = re.compile(r"[.!?。．！？][\"'”’)\]」』）]*$")

# Abbreviations that end in a period inside a sentence in paper abstracts.
# "etc." is left out: it ends sentences as often as not, and the lower-case
# rule below keeps "etc. and" together.
_ABBREVIATIONS = frozenset(
    {
        *("e.g", "i.e", "et", "al", "cf", "vs", "approx", "resp", "incl", "ca"),
        *("fig", "figs", "eq", "eqs", "sec", "secs", "ref", "refs", "tab"),
        *("no", "nos", "vol", "pp"),
    }
)


class Role(StrEnum):
    """The four roles a sentence of an abstract can play in the summary."""

    METHOD = "method"
    RESULT = "result"
    MOTIVATION = "motivation"
    CONCLUSION = "conclusion"


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str]
    weight: int


def _cue(pattern: str, weight: int = 1) -> _Cue:
    return _Cue(re.compile(pattern, re.IGNORECASE), weight)


# Words after "we" that report a finding or an opinion, not what was done.
_NOT_DONE = r"(?:find|found|observe|show|conclude|believe|note|argue|hope|can|will)"

# Role order doubles as the tie-break: a sentence that both proposes and
# measures reads first as the contribution.
_CUES: dict[Role, tuple[_Cue, ...]] = {
    Role.METHOD: (
        _cue(
            r"\bwe (?:\w+ ){0,2}?(?:propose|present|introduce|design|develop|"
            r"build|derive|attach|devise|formulate|construct|describe|implement)",
            3,
        ),
        # Abstracts mostly say what the authors did as "We <verb>".
        _cue(rf"\bwe (?:\w+ly |also |then |first )?(?!{_NOT_DONE}\b)[a-z]+\b", 2),
        _cue(r"\b(?:this|the present|our) (?:paper|work|article|study)\b", 2),
        _cue(r"\b(?:proposes|presents|introduces|is proposed|are proposed)\b", 2),
        _cue(r"\bour (?:method|approach|framework|system|model|algorithm)\b"),
        _cue(r"提案|提出|本研究|本文|我们"),
    ),
    Role.RESULT: (
        _cue(r"\d\s*(?:%|×|x\b|-?fold\b|times\b|pp\b)|\bper ?cent\b", 2),
        _cue(r"\boutperform|\bsurpass|\bstate[- ]of[- ]the[- ]art\b", 2),
        _cue(r"\b(?:show|shows|showing|shown) that\b", 2),
        _cue(r"\bwe (?:\w+ )?(?:find|found|observe)\b", 2),
        _cue(r"\b(?:improv|reduc|achiev|halv|speed ?up|faster|lowers?\b|drops?\b)"),
        _cue(r"\b(?:accelerat(?:es|ed|ing|ion)|boosts?|gains?|cuts?)\b"),
        _cue(r"(?<![\w.-])\d+(?:[.,]\d+)?(?![\w-])"),
        _cue(r"向上|改善|提升|提高|降低|优于|実験|实验|正解率|精度"),
    ),
    Role.MOTIVATION: (
        _cue(r"^(?:however|but|despite|although|yet|unfortunately|while)\b", 2),
        _cue(r"\bhowever\b|\bchalleng|\bsuffer|\blimited\b|\blimitation", 2),
        _cue(r"\b(?:existing|despite|costly|lacks?|lacking|remains?|difficult)\b"),
        _cue(r"\b(?:bottleneck|expensive|struggle|fail|hinder|prohibitive|gaps?\b)"),
        _cue(r"\b(?:problem|issue|unclear|poorly understood|little is known)"),
        _cue(r"\b(?:but|yet|usually|often|typically|only)\b"),
        _cue(r"\b(?:ignor|degrad|stall|stale|lags?\b|wast|over-?provision)"),
        _cue(r"しかし|課題|問題|誤り|いまだ|然而|但是|挑战|问题|困难|不足"),
    ),
    Role.CONCLUSION: (
        _cue(r"\b(?:we conclude|in conclusion|lessons?|taken together)\b", 2),
        _cue(r"\b(?:these|our) (?:results|findings) (?:suggest|indicate|show)", 2),
        _cue(r"\bsuggest|\bdemonstrat|\bconclu|\benabl|\bimplication"),
        _cue(r"\bpaves? the way|\bsheds? light|\bopens? (?:up )?new|\bfuture"),
        _cue(r"示唆|表明|結論|结论|可能にする|有望"),
    ),
}

_HEADLINE = re.compile(
    r"\bwe (?:\w+ ){0,2}?(?:propose|present|introduce|show)\b"
    r"|\bth(?:is|e present) (?:paper|work|study) (?:proposes|presents|introduces|"
    r"shows)\b|提案|提出",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, keeping abbreviations and decimals whole."""
    text = clean_text(text)
    sentences: list[str] = []
    start = 0

    for match in _BOUNDARY.finditer(text):
        if _continues(text, match):
            continue
        sentence = text[start : match.end()].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()

    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _continues(text: str, match: re.Match[str]) -> bool:
    """Whether the stop at ``match`` sits inside a sentence rather than ending it."""
    if match.group()[0] in "。．！？":
        return False

    # A sentence never starts in lower case: "approx. three", "etc. and".
    if text[match.end() : match.end() + 1].islower():
        return True
    if match.group()[0] != ".":
        return False

    # Only the word right before the stop matters: a short window keeps
    # each look linear, however long the text.
    word = _WORD_BEFORE_DOT.search(text, max(0, match.start() - 40), match.start())
    if word is None:
        return False
    token = word.group(1)
    # A lone capital is an author's initial ("J. Smith").
    return token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper())


def _scores(sentence: str) -> dict[Role, int]:
    return {
        role: sum(cue.weight for cue in cues if cue.pattern.search(sentence))
        for role, cues in _CUES.items()
    }


def _assign_roles(sentences: Sequence[str]) -> dict[Role, list[int]]:
    """Sentence indexes per role, each sentence first going to its best role."""
    scores = [_scores(sentence) for sentence in sentences]
    chosen: dict[Role, list[int]] = {role: [] for role in Role}

    for index, score in enumerate(scores):
        best = max(Role, key=lambda role: score[role])
        if score[best] > 0:
            chosen[best].append(index)

    # A sentence that both proposes and measures can fill an otherwise empty
    # role when its cue for that role is strong; a weak one would only echo it.
    for role in Role:
        if not chosen[role]:
            candidates = [i for i, score in enumerate(scores) if score[role] > 1]
            candidates.sort(key=lambda i: -scores[i][role])
            chosen[role] = sorted(candidates[:1])
    return chosen


def headline_index(
    sentences: Sequence[str], method: Sequence[int], whole: Sequence[int]
) -> int:
    """The sentence that best says what the paper did.

    A stated contribution ("we propose", "we show") first, else the first
    method sentence, else the first sentence; only ``whole`` ones qualify.
    """
    for index in whole:
        if _HEADLINE.search(sentences[index]):
            return index
    complete = set(whole)
    for index in method:
        if index in complete:
            return index
    return whole[0] if whole else 0


def whole_sentences(sentences: Sequence[str], *, from_snippet: bool) -> list[int]:
    """Indexes of complete sentences: a snippet's cut last one is left out."""
    indexes = list(range(len(sentences)))
    if from_snippet and len(sentences) > 1 and not _ENDS.search(sentences[-1]):
        indexes.pop()
    return indexes


def trim_at_word(text: str, limit: int = TLDR_LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, marked ``…``."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    # Text without spaces (Japanese, Chinese) is cut at a character instead.
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def _quote(sentences: Sequence[str], indexes: Sequence[int]) -> str:
    return " ".join(sentences[i] for i in indexes[:SENTENCES_PER_FIELD])


def summarize_text(text: str, *, from_snippet: bool) -> Summary:
    """An extractive :class:`Summary` of an abstract or of an alert's snippet.

    Only the first ``MAX_TEXT`` characters are read; a text cut there loses
    its last, partial sentence as a snippet does.
    """
    cut = len(text) > MAX_TEXT
    sentences = split_sentences(text[:MAX_TEXT])
    whole = whole_sentences(sentences, from_snippet=from_snippet or cut)
    if len(whole) < len(sentences) and not sentences[-1].endswith("…"):
        # Scholar's cut shows as such wherever the fragment is quoted.
        sentences[-1] += " …"
    missing = NOT_IN_SNIPPET if from_snippet else NOT_IN_ABSTRACT
    source = SOURCE_SNIPPET if from_snippet else SOURCE_ABSTRACT
    roles = _assign_roles(sentences)
    headline = headline_index(sentences, roles[Role.METHOD], whole)

    # The last sentence stands in for a conclusion only in a whole abstract:
    # a snippet's last sentence is where Google Scholar cut the text.
    if not roles[Role.CONCLUSION] and not from_snippet:
        used = {headline}.union(*roles.values())
        unused = [i for i in range(len(sentences)) if i not in used]
        roles[Role.CONCLUSION] = unused[-1:]

    def field(role: Role) -> str:
        return _quote(sentences, roles[role]) or missing

    return Summary(
        tldr=trim_at_word(sentences[headline]),
        motivation=field(Role.MOTIVATION),
        method=field(Role.METHOD),
        result=field(Role.RESULT),
        conclusion=field(Role.CONCLUSION),
        source=source,
    )


def summarize_paper(paper: PaperRecord) -> Summary:
    """Summarize from the abstract, else the snippet, else say there was no text."""
    abstract = clean_text(paper.abstract or "")
    snippet = clean_text(paper.snippet or "")

    if abstract and paper.abstract_source != AbstractSource.SNIPPET:
        return summarize_text(abstract, from_snippet=False)
    if abstract or snippet:
        return summarize_text(abstract or snippet, from_snippet=True)
    return Summary(
        tldr=clean_text(paper.title),
        motivation=NO_TEXT,
        method=NO_TEXT,
        result=NO_TEXT,
        conclusion=NO_TEXT,
        source=SOURCE_NONE,
    )


class ExtractiveSummarizer:
    """Quotes each paper's own sentences; needs no model and no network.

    The quoted sentences stay in the paper's language whatever ``language``
    asks for; only the "not stated" notes are fixed English text.
    """

    name = "extractive"

    def summarize_all(
        self, papers: Sequence[PaperRecord], language: str
    ) -> dict[str, Summary]:
        """One extractive summary per paper, keyed by the paper's store key."""
        return {paper.key: summarize_paper(paper) for paper in papers}
