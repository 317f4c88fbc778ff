"""What the rules see of a paper and its alerts, folded once for fast matching."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

# Rules read at most this much of a paper, so one pathological abstract
# cannot make a regular expression (or a keyword scan) run for long.
TITLE_LIMIT = 1_000
ABSTRACT_LIMIT = 20_000

# Combining marks right after a Latin or Greek letter are accents ("é" is
# e + U+0301, "ί" is ι + U+0301); after other letters they make another
# letter (バ vs ハ, Й vs И) and stay.
_LATIN_ACCENTS = re.compile(
    "(?<=[A-Za-z\u00c0-\u024f\u1e00-\u1eff\u0370-\u03ff\u1f00-\u1fff])"
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+"
)

# Latin letters that Unicode does not split into a base and an accent, but
# that names are often written without: "Sørensen" is searched as "sorensen".
_LATIN_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_SEARCH_LOWER = {0x131: "i", 0x17F: "s"}


def fold(text: str) -> str:
    """``text`` as rules compare it: case folded, Latin accents gone, one space.

    "Lévy  FLIGHTS" and "levy flights" fold to the same text, as do
    "Sørensen" and "Sorensen".
    """
    folded = text.casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded.translate(_LATIN_LETTERS))
        folded = unicodedata.normalize("NFC", _LATIN_ACCENTS.sub("", decomposed))
    return " ".join(folded.split())


def lower_for_search(text: str) -> str:
    """``text`` in lower case, to look for a regex's plain ASCII text in.

    Whatever ASCII text ``re.IGNORECASE`` finds in ``text`` is in the result
    in lower case. ``re`` also lets "İ" and "ı" match "i" and "ſ" match "s",
    where ``str.lower`` gives "i̇", "ı" and "ſ": those are mapped by hand.
    """
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return lowered.replace("\u0307", "").translate(_SEARCH_LOWER)


_Value = TypeVar("_Value")


class _ComputedOnce(Generic[_Value]):
    """A property computed on first read and then kept in the instance.

    ``functools.cached_property`` does the same but takes a lock on every
    first read in Python 3.11, which costs more than folding a short title.
    """

    def __init__(self, compute: Callable[[Any], _Value]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> _ComputedOnce[_Value]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> _Value: ...

    def __get__(self, instance: object, owner: type) -> Any:
        if instance is None:
            return self
        value = self.compute(instance)
        # Plain dict write: a frozen dataclass refuses setattr, not this.
        instance.__dict__[self.name] = value
        return value


@dataclass(frozen=True)
class AlertFacts:
    """One alert that carried the paper."""

    name: str
    kind: str  # an AlertKind value: "search", "citations", "arxiv_listing" ...
    source: str  # a SourceKind value: "scholar" or "arxiv_listing"
    forwarder: str | None = None


@dataclass(frozen=True)
class PaperFacts:
    """One paper as rules see it; the folded forms are computed on first use."""

    key: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    venue: str = ""
    categories: tuple[str, ...] = ()
    alerts: tuple[AlertFacts, ...] = ()

    @_ComputedOnce
    def plain_title(self) -> str:
        """The title as written, cut at :data:`TITLE_LIMIT` (for regexes)."""
        return self.title[:TITLE_LIMIT]

    @_ComputedOnce
    def plain_abstract(self) -> str:
        """The abstract as written, cut at :data:`ABSTRACT_LIMIT` (for regexes)."""
        return self.abstract[:ABSTRACT_LIMIT]

    @_ComputedOnce
    def plain_text(self) -> str:
        """Title and abstract on two lines (for ``text_regex``)."""
        return f"{self.plain_title}\n{self.plain_abstract}"

    @_ComputedOnce
    def lower_title(self) -> str:
        """:attr:`plain_title` in lower case (see :func:`lower_for_search`)."""
        return lower_for_search(self.plain_title)

    @_ComputedOnce
    def lower_abstract(self) -> str:
        """:attr:`plain_abstract` in lower case."""
        return lower_for_search(self.plain_abstract)

    @_ComputedOnce
    def lower_text(self) -> str:
        """:attr:`plain_text` in lower case."""
        return lower_for_search(self.plain_text)

    @_ComputedOnce
    def folded_title(self) -> str:
        """The title, folded (for keywords)."""
        return fold(self.plain_title)

    @_ComputedOnce
    def folded_abstract(self) -> str:
        """The abstract, folded (for keywords)."""
        return fold(self.plain_abstract)

    @_ComputedOnce
    def folded_text(self) -> str:
        """Title and abstract, folded; a line break keeps a phrase from spanning."""
        return f"{self.folded_title}\n{self.folded_abstract}"

    @_ComputedOnce
    def folded_authors(self) -> str:
        """Every author name folded, one a line (a needle never spans two)."""
        return "\n".join(fold(author) for author in self.authors)

    @_ComputedOnce
    def folded_venue(self) -> str:
        """The venue, folded."""
        return fold(self.venue)

    @_ComputedOnce
    def folded_categories(self) -> tuple[str, ...]:
        """arXiv categories in lower case: "cs.db", "math.co"."""
        return tuple(category.strip().casefold() for category in self.categories)

    @_ComputedOnce
    def folded_alert_names(self) -> str:
        """Every alert's name folded, one a line."""
        return "\n".join(fold(alert.name) for alert in self.alerts)

    @_ComputedOnce
    def alert_kinds(self) -> frozenset[str]:
        """The kinds of every alert that carried the paper."""
        return frozenset(alert.kind for alert in self.alerts)

    @_ComputedOnce
    def alert_sources(self) -> frozenset[str]:
        """The sources of every alert that carried the paper."""
        return frozenset(alert.source for alert in self.alerts)

    @_ComputedOnce
    def forwarders(self) -> frozenset[str]:
        """Every forwarding address, case folded."""
        return frozenset(
            alert.forwarder.strip().casefold()
            for alert in self.alerts
            if alert.forwarder
        )


def paper_facts(
    key: str,
    title: str,
    abstract: str | None = None,
    authors: Iterable[str] = (),
    venue: str | None = None,
    categories: Iterable[str] = (),
    alerts: Iterable[AlertFacts] = (),
) -> PaperFacts:
    """Build :class:`PaperFacts` from store-shaped values (``None``, lists)."""
    return PaperFacts(
        key=key,
        title=title,
        abstract=abstract or "",
        authors=tuple(authors),
        venue=venue or "",
        categories=tuple(categories),
        alerts=tuple(alerts),
    )
