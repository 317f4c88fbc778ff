"""Decide whether a record found by a lookup is our paper; no I/O.

A confident wrong match is worse than no match (a wrong abstract makes a
wrong summary), so titles must agree closely and neither the year nor the
authors may contradict ours.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from bot.enrich.found import FoundRecord
from bot.models import PaperRecord
from bot.text import normalize_title

# Normal forms this alike differ by punctuation, TeX or a typo. The ratio
# alone lets a changed word through in a long title ("with" → "without"),
# so each word on one side only also needs a look-alike on the other.
MIN_TITLE_RATIO = 0.93
MIN_WORD_RATIO = 0.8
# A cut title shorter than this is a prefix of too many other titles.
MIN_PREFIX_WORDS = 4
MIN_PREFIX_CHARS = 20
# Preprint and publication are often dated a year apart, rarely more.
MAX_YEAR_GAP = 1

# How closely titles agree, best first; ranks candidates in best_candidate.
_EXACT, _SIMILAR, _PREFIX = 3, 2, 1
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
# Part and volume numbers up to xxxix; "civic" or "mix" are words.
_ROMAN = re.compile(r"x{0,3}(?:ix|iv|v?i{0,3})")
_DIGITS = re.compile(r"\d+")
# Words that come and go between two copies of one title ("&" is "and"),
# or are what is left of TeX ("$\\alpha$"); "no" changes the meaning.
_FREE_WORDS = frozenset({"the", "and"})
_MAX_FREE_LENGTH = 2
_NAME_PARTS = re.compile(r"[^\W\d_]+")
# Letters that Unicode does not decompose into a base letter and a mark.
_UNDECOMPOSED = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe"})


def accept_candidate(paper: PaperRecord, candidate: FoundRecord) -> bool:
    """Whether ``candidate`` is ``paper``: titles agree, nothing contradicts."""
    return _agreement(paper, candidate) is not None


def is_specific_title(title: str) -> bool:
    """Whether ``title`` is long enough to name one paper rather than many."""
    return _long_enough(normalize_title(title))


def best_candidate(
    paper: PaperRecord, candidates: Iterable[FoundRecord]
) -> FoundRecord | None:
    """The accepted candidate that agrees best, or None.

    Closer titles win, then the same year, then shared authors; earlier
    candidates win ties. Two different titles that agree equally well are
    ambiguous and give None, as is a cut title that is a prefix of two
    different titles ("Part I" and "Part II"), whatever else agrees.
    """
    ranked: list[tuple[tuple[int, int, int], FoundRecord]] = []
    for candidate in candidates:
        score = _agreement(paper, candidate)
        if score is not None:
            ranked.append((score, candidate))
    if not ranked:
        return None

    best_score = max(score for score, _ in ranked)
    tied = [candidate for score, candidate in ranked if score == best_score]
    if best_score[0] == _PREFIX:
        # The words Scholar cut are unknown: a year or an author more in
        # common does not say which of two continuations is ours.
        tied = [candidate for _, candidate in ranked]
    if len({normalize_title(candidate.title) for candidate in tied}) > 1:
        return None
    # Same title twice (OpenAlex keeps preprint and article apart): prefer
    # the one that carries an abstract.
    return next((c for c in tied if c.abstract), tied[0])


def _agreement(
    paper: PaperRecord, candidate: FoundRecord
) -> tuple[int, int, int] | None:
    """(title, year, authors) agreement, or None when the candidate is not ours."""
    title = _title_agreement(paper, candidate.title)
    if title is None:
        return None

    if paper.year and candidate.year:
        gap = abs(paper.year - candidate.year)
        if gap > MAX_YEAR_GAP:
            return None
        year = 1 if gap == 0 else 0
    else:
        year = 0

    shared = _shared_surnames(paper.authors, candidate.authors)
    if shared == 0:
        return None
    if not is_specific_title(paper.title) and (shared < 1 or year < 1):
        # "Introduction" or "Editorial" names thousands of papers: a short
        # title needs a shared author and the same year besides.
        return None
    return title, year, max(shared, 0)


def _title_agreement(paper: PaperRecord, theirs_raw: str) -> int | None:
    ours = normalize_title(paper.title)
    theirs = normalize_title(theirs_raw)
    if not ours or not theirs:
        return None
    # "Pre-training" against "Pretraining": the same words, spaced apart.
    if _compact(ours) == _compact(theirs):
        return _EXACT
    if _similar(ours, theirs):
        return _SIMILAR
    if paper.title_truncated and _is_prefix(ours, theirs):
        return _PREFIX
    return None


def _is_prefix(cut: str, whole: str) -> bool:
    if len(whole) <= len(cut) or not _long_enough(cut):
        return False
    # The cut may fall where the other copy has a hyphen, not a space.
    return whole.startswith(cut) or _compact(whole).startswith(_compact(cut))


def _similar(ours: str, theirs: str) -> bool:
    if _ratio(ours, theirs) < MIN_TITLE_RATIO:
        return False
    # Near-equal titles that differ in a number are different papers:
    # "... GPT-3" and "... GPT-4", "Part II" and "Part III".
    if _numbers(ours) != _numbers(theirs):
        return False

    our_words, their_words = Counter(ours.split()), Counter(theirs.split())
    only_ours = list((our_words - their_words).elements())
    only_theirs = list((their_words - our_words).elements())
    return _look_alike(only_ours, only_theirs) and _look_alike(only_theirs, only_ours)


def _look_alike(words: list[str], others: list[str]) -> bool:
    """Whether each word is a spelling variant of one of ``others`` or free."""
    for word in words:
        if word in _FREE_WORDS or (len(word) <= _MAX_FREE_LENGTH and word != "no"):
            continue
        if not any(_ratio(word, other) >= MIN_WORD_RATIO for other in others):
            return False
    return True


def _numbers(title: str) -> list[str]:
    romans = [word for word in title.split() if _ROMAN.fullmatch(word)]
    return sorted(_DIGITS.findall(title) + romans)


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _compact(title: str) -> str:
    return title.replace(" ", "")


def _long_enough(prefix: str) -> bool:
    return len(prefix) >= MIN_PREFIX_CHARS and len(prefix.split()) >= MIN_PREFIX_WORDS


def _shared_surnames(ours: Sequence[str], theirs: Sequence[str]) -> int:
    """Surnames shared by the two author lists; -1 when either is unknown.

    Scholar writes "J Lindqvist", OpenAlex "Johan Lindqvist" and sometimes
    "Zhang Wei" for "Wei Zhang": a surname counts as shared when it is the
    last word of a name on one side and any word of a name on the other.
    """
    our_names = [_name_words(name) for name in ours]
    their_names = [_name_words(name) for name in theirs]
    our_names = [words for words in our_names if words]
    their_names = [words for words in their_names if words]
    if not our_names or not their_names:
        return -1

    our_words = {word for words in our_names for word in words}
    their_words = {word for words in their_names for word in words}
    shared = {words[-1] for words in our_names if words[-1] in their_words}
    shared |= {words[-1] for words in their_names if words[-1] in our_words}
    return len(shared)


def _name_words(name: str) -> list[str]:
    """A name's words, accent- and case-folded, without initials or suffixes."""
    # "Lindqvist, Johan" is surname first; the usual order puts it last.
    if "," in name:
        surname, _, given = name.partition(",")
        name = f"{given} {surname}"
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_UNDECOMPOSED))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = _NAME_PARTS.findall(folded)
    return [w for w in words if len(w) > 1 and w not in _NAME_SUFFIXES]
