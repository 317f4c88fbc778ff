"""A summarizer without a model: it quotes the paper's own sentences by role."""

from __future__ import annotations

import re
import statistics
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

# A sentence Google Scholar cut still says something only with six words or
# more (a CJK character counts as 1/2.5 of a word, so fifteen make six) and
# 40% of the words of a typical whole sentence of the same text.
MIN_WORDS = 6
CJK_PER_WORD = 2.5
MIN_SHARE_OF_TYPICAL = 0.4

# A period ends a sentence only before white space, so decimals ("3.4×") and
# dotted names ("cs.DC") never split; CJK stops need no space after them.
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+|[。．！？]+[」』）\"”’]*\s*")
_WORD_BEFORE_DOT = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_ENDS = re.compile(r"[.!?。．！？][\"'”’)\]」』）]*$")

_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_WORD = re.compile(r"[^\W_]+")

# Where a TL;DR may end early: after a clause's punctuation, else before a
# conjunction that opens the next clause. A cut is made before the match.
_CLAUSE_MARK = re.compile(r"\s*(?:[,;:、，；：]|\s[—–]\s)")
_CLAUSE_WORD = re.compile(
    r"\s+(?=(?:and|but|while|whereas|which|so that|thereby|although|yet)\s)",
    re.IGNORECASE,
)
# Words that promise another after them: a TL;DR never ends on one.
_DANGLING = frozenset(
    {
        *("a", "an", "the", "this", "these", "those", "its", "their", "our"),
        *("and", "or", "but", "nor", "so", "yet", "than", "as", "if", "whether"),
        *("while", "whereas", "when", "where", "although", "because", "since"),
        *("which", "that", "whose", "who", "whom", "what", "how"),
        *("of", "to", "with", "by", "for", "in", "on", "at", "from", "into"),
        *("onto", "via", "per", "over", "under", "between", "among", "without"),
        *("within", "across", "through", "about", "against", "toward", "towards"),
        *("is", "are", "was", "were", "be", "been", "being", "has", "have", "had"),
        *("can", "could", "will", "would", "may", "might", "must", "should"),
        *("we", "it", "each", "every", "both", "such", "not", "also", "more"),
        *("many", "most", "some", "any", "several", "few", "other", "all"),
    }
)

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
_NOT_DONE = (
    r"(?:find|found|observe|show|conclude|believe|note|argue|hope|can|will"
    r"|demonstrate|report|confirm|achieve)"
)

# What the authors made: "we propose …", or "(we) give a join / derive a
# bound". A sentence saying so is the method even when it also measures.
_CONTRIBUTION = re.compile(
    r"\bwe (?:\w+ ){0,2}?(?:propose|present|introduce|design|develop|"
    r"build|derive|attach|devise|formulate|construct|describe|implement)"
    r"|\b(?:give|gives|derive|derives|present|presents|provide|provides)"
    r"\s+(?:\S+\s+){0,3}?(?:algorithm|join|bound|scheme|protocol|index|"
    r"estimator|proof|construction|data structure|technique|heuristic|"
    r"reduction|procedure|analysis)",
    re.IGNORECASE,
)

# Abstracts mostly say what the authors did as "We <verb>" opening a clause;
# "every failure we injected" is a relative clause, not a contribution.
_AUTHORS_DID = re.compile(
    r"(?:^|[,;:(]\s*|\b(?:and|then|here|paper|work|study|article|end|finally|"
    r"first|next|instead|specifically|further|thus|therefore)\s+)"
    rf"we (?:\w+ly |also |then |first |further )?(?!{_NOT_DONE}\b)[a-z]+\b",
    re.IGNORECASE,
)

# Role order doubles as the tie-break: a sentence that both proposes and
# measures reads first as the contribution.
_CUES: dict[Role, tuple[_Cue, ...]] = {
    Role.METHOD: (
        _Cue(_CONTRIBUTION, 3),
        _Cue(_AUTHORS_DID, 2),
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


def count_words(text: str) -> float:
    """How many words ``text`` holds, a CJK character counting 1/2.5 of one."""
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + cjk / CJK_PER_WORD


def usable_sentences(sentences: Sequence[str], *, cut: bool) -> list[int]:
    """Indexes of the sentences that may fill a field, in text order.

    A repeated sentence counts once. When ``cut``, the last sentence is where
    the text was cut off, and it is kept only if it still carries meaning.
    """
    whole = sentences[:-1] if cut else sentences
    typical = statistics.median(count_words(s) for s in whole) if whole else 0.0
    seen: set[str] = set()
    usable: list[int] = []

    for index, sentence in enumerate(sentences):
        key = sentence.casefold()
        if key in seen:
            continue
        seen.add(key)
        if cut and index == len(sentences) - 1:
            words = count_words(sentence)
            if words < MIN_WORDS or words < MIN_SHARE_OF_TYPICAL * typical:
                continue
        usable.append(index)
    return usable


def _scores(sentence: str) -> dict[Role, int]:
    return {
        role: sum(cue.weight for cue in cues if cue.pattern.search(sentence))
        for role, cues in _CUES.items()
    }


def _best_role(sentence: str, score: dict[Role, int]) -> Role | None:
    # A sentence that says what the authors did is the method even when it
    # also reports a result; the result field then needs another sentence.
    if _CONTRIBUTION.search(sentence) or _AUTHORS_DID.search(sentence):
        return Role.METHOD
    best = max(Role, key=lambda role: score[role])
    return best if score[best] > 0 else None


def _assign_roles(
    sentences: Sequence[str], usable: Sequence[int]
) -> dict[Role, list[int]]:
    """Sentence indexes per role; each sentence fills one role at most."""
    scores = {index: _scores(sentences[index]) for index in usable}
    chosen: dict[Role, list[int]] = {role: [] for role in Role}

    for index in usable:
        role = _best_role(sentences[index], scores[index])
        if role is not None:
            chosen[role].append(index)

    # Abstracts open with the problem: a sentence before the first method or
    # result sentence that no cue claimed is still the reason for the work.
    claimed = set().union(*chosen.values())
    work = chosen[Role.METHOD] + chosen[Role.RESULT]
    first_work = min(work, default=len(sentences))
    motivation = chosen[Role.MOTIVATION]
    for index in usable:
        if index >= first_work or len(motivation) >= SENTENCES_PER_FIELD:
            break
        if index not in claimed:
            motivation.append(index)
    motivation.sort()

    # A role left empty may take a sentence with a strong cue for it from a
    # role that keeps another sentence; one alone stays where it is.
    for role in Role:
        if chosen[role]:
            continue
        spare = [i for other in Role if len(chosen[other]) > 1 for i in chosen[other]]
        strong = [i for i in spare if scores[i][role] > 1]
        if not strong:
            continue
        moved = max(strong, key=lambda i: scores[i][role])
        for other in Role:
            if moved in chosen[other]:
                chosen[other].remove(moved)
        chosen[role].append(moved)
    return chosen


def _tldr_index(
    sentences: Sequence[str], usable: Sequence[int], roles: dict[Role, list[int]]
) -> int | None:
    """The sentence that best says what the paper does or finds.

    A stated contribution ("we propose", "we show") first, else the first
    method sentence, else the first result, else the first usable sentence.
    """
    for index in usable:
        if _HEADLINE.search(sentences[index]):
            return index
    for role in (Role.METHOD, Role.RESULT):
        if roles[role]:
            return min(roles[role])
    return usable[0] if usable else None


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


def trim_tldr(sentence: str, *, cut: bool = False, limit: int = TLDR_LIMIT) -> str:
    """``sentence`` as a TL;DR of at most ``limit`` characters.

    A longer sentence, or one the text was cut inside (``cut``), ends early
    at its last clause boundary that keeps six words, else at a word; never
    on a word that needs another after it. ``…`` marks what was left off.
    """
    text = sentence.removesuffix("…").rstrip() if cut else sentence
    if not cut and len(text) <= limit:
        return text

    window = text[: limit - 1]
    head = _clause_head(window) or (
        trim_at_word(text, limit)[:-1] if len(text) > limit else window
    )
    head = _drop_dangling(head)
    # Ending where Scholar cut, it reads as the fields quote it: " …".
    return sentence if cut and head == text else head + "…"


def _clause_head(text: str) -> str | None:
    """``text`` up to its last clause boundary that leaves a meaningful head."""
    for pattern in (_CLAUSE_MARK, _CLAUSE_WORD):
        for match in reversed(list(pattern.finditer(text))):
            head = text[: match.start()]
            # A cut inside brackets would leave one open.
            if count_words(head) >= MIN_WORDS and head.count("(") <= head.count(")"):
                return head
    return None


def _drop_dangling(text: str) -> str:
    words = text.rstrip(" ,;:-–—、，；：").split(" ")
    while len(words) > 1 and words[-1].strip(",;:").casefold() in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(" ,;:-–—、，；：")


def _quote(sentences: Sequence[str], indexes: Sequence[int]) -> str:
    return " ".join(sentences[i] for i in sorted(indexes)[:SENTENCES_PER_FIELD])


def summarize_text(text: str, *, from_snippet: bool, title: str = "") -> Summary:
    """An extractive :class:`Summary` of an abstract or of an alert's snippet.

    Only the first ``MAX_TEXT`` characters are read; a text cut there ends in
    a partial sentence as a snippet does. ``title`` is the TL;DR when no
    sentence carries meaning.
    """
    sentences = split_sentences(text[:MAX_TEXT])
    cut = (
        bool(sentences)
        and (from_snippet or len(text) > MAX_TEXT)
        and not _ENDS.search(sentences[-1])
    )
    if cut and not sentences[-1].endswith("…"):
        # Scholar's cut shows as such wherever the fragment is quoted.
        sentences[-1] += " …"
    usable = usable_sentences(sentences, cut=cut)
    roles = _assign_roles(sentences, usable)
    headline = _tldr_index(sentences, usable, roles)

    # The last sentence stands in for a conclusion only in a whole abstract:
    # a snippet's last sentence is where Google Scholar cut the text.
    if not roles[Role.CONCLUSION] and not from_snippet:
        used = {headline}.union(*roles.values())
        if cut:
            used.add(len(sentences) - 1)
        unused = [i for i in usable if i not in used]
        roles[Role.CONCLUSION] = unused[-1:]

    if headline is not None:
        last = cut and headline == len(sentences) - 1
        tldr = trim_tldr(sentences[headline], cut=last)
    else:
        tldr = title or trim_tldr(sentences[0] if sentences else "", cut=cut)
    missing = NOT_IN_SNIPPET if from_snippet else NOT_IN_ABSTRACT

    def field(role: Role) -> str:
        return _quote(sentences, roles[role]) or missing

    return Summary(
        tldr=tldr,
        motivation=field(Role.MOTIVATION),
        method=field(Role.METHOD),
        result=field(Role.RESULT),
        conclusion=field(Role.CONCLUSION),
        source=SOURCE_SNIPPET if from_snippet else SOURCE_ABSTRACT,
    )


def summarize_paper(paper: PaperRecord) -> Summary:
    """Summarize from the abstract, else the snippet, else say there was no text.

    Without text the four fields carry one identical note, which the HTML
    and plain-text digests show once under the four labels joined.
    """
    abstract = clean_text(paper.abstract or "")
    snippet = clean_text(paper.snippet or "")
    title = clean_text(paper.title)

    if abstract and paper.abstract_source != AbstractSource.SNIPPET:
        return summarize_text(abstract, from_snippet=False, title=title)
    if abstract or snippet:
        return summarize_text(abstract or snippet, from_snippet=True, title=title)
    return Summary(
        tldr=title,
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
