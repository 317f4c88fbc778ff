"""Name and type an alert's digest section from its footer, subject and links."""

from __future__ import annotations

import re

from bot.models import AlertKind

# Reply and forward marks of common clients (Fwd, FW, TR, WG, 转发, RE, AW,
# RV, ENC, VS, SV, Doorst), possibly stacked: "RE: Fwd: TR: …".
_PREFIX = re.compile(
    r"^\s*(?:fwd?|fw|tr|wg|re|aw|rv|enc|vs|sv|doorst|转发|轉寄|转寄|回复|回覆)"
    r"\s*(?:\[\d+\])?\s*[:：]\s*",
    re.IGNORECASE,
)
# " - " (English), " – " (French), " — "; a bare hyphen is part of names.
_SEPARATOR = re.compile(r"\s[-–—]\s")
_CITED_BY_COUNT = re.compile(
    r"^\d+\s+new\s+citations?\s+to\s+articles\s+by\s+(?P<name>.+)$", re.IGNORECASE
)
_CITED_ZH = re.compile(r"^(?P<name>.+?)\s*的文章新增了\s*\d+\s*次引用")
_OPEN_QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»", "「": "」", "『": "』"}
# Recommendation mail carries no folt that is known; its subject is the hint.
_RECOMMENDED = re.compile(r"^recommended\s+articles?\b", re.IGNORECASE)

_KIND_BY_FOLT = {
    "rel": AlertKind.RELATED,
    "cit": AlertKind.CITATIONS,
    "art": AlertKind.ARTICLES,
    "kw": AlertKind.SEARCH,
    "kw-top": AlertKind.SEARCH,
}
_ARCHIVE = re.compile(r"^\s*(?P<archive>[A-Za-z][\w.-]*)\s+daily\b", re.IGNORECASE)


def strip_reply_prefixes(subject: str) -> str:
    """Remove forward and reply marks from the front of a subject, repeatedly."""
    while True:
        stripped = _PREFIX.sub("", subject, count=1)
        if stripped == subject:
            return subject.strip()
        subject = stripped


def name_from_subject(subject: str) -> str:
    """The person, paper or query a subject names; the whole subject otherwise.

    Subjects are labels only: any wording not known here still gives a name.
    """
    subject = strip_reply_prefixes(subject)

    match = _CITED_BY_COUNT.match(subject) or _CITED_ZH.match(subject)
    if match:
        return match.group("name").strip()

    quoted = _leading_quote(subject)
    if quoted is not None:
        return quoted

    # The alert type is a short phrase after the last dash; a query or a
    # name may contain " - " itself, so split at the last one.
    separators = list(_SEPARATOR.finditer(subject))
    if separators:
        head = subject[: separators[-1].start()].strip()
        if head:
            return head
    return subject


def _leading_quote(subject: str) -> str | None:
    # '"A - B" - new citations': the quoted title keeps its own dashes.
    closing = _OPEN_QUOTES.get(subject[:1])
    if closing is None:
        return None
    end = subject.find(closing, 1)
    if end < 0:
        return None
    rest = subject[end + 1 :]
    if rest.strip() and not _SEPARATOR.match(" " + rest.lstrip()):
        return None
    return subject[: end + 1]


def alert_name(followed: str | None, subject: str) -> str:
    """The section name: the footer's followed name, else the subject's."""
    # A footer name without a single letter or digit is a parse slip.
    if followed and any(ch.isalnum() for ch in followed):
        return followed.strip()
    return name_from_subject(subject)


def alert_kind(folt: str | None, subject: str) -> AlertKind:
    """The alert type from the ``folt`` of its links, else what can be told."""
    if folt:
        kind = _KIND_BY_FOLT.get(folt.strip().lower())
        if kind is not None:
            return kind
    if _RECOMMENDED.match(strip_reply_prefixes(subject)):
        return AlertKind.RECOMMENDED
    return AlertKind.UNKNOWN


def arxiv_archive(subject: str) -> str:
    """The listing's name: ``arXiv cs`` for the cs archive, else ``arXiv``.

    The "arXiv" prefix keeps a listing apart from a Scholar alert that follows
    a person or query called ``cs`` when the digest lists a paper's alerts.
    """
    match = _ARCHIVE.match(strip_reply_prefixes(subject))
    return f"arXiv {match.group('archive')}" if match else "arXiv"
