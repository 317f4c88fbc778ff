"""Find credentials pasted into a rule file, without ever repeating them.

Rule files are shared, versioned and mounted read-only into containers;
passwords and API keys live in ``SCHOLAR_DIGEST_*`` environment settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SECRETS_MESSAGE = "secrets belong in SCHOLAR_DIGEST_* settings, not rule files"

_SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "apikey", "key", "credential"}
)
_WORD_SPLIT = re.compile(r"[_\-.\s]+")
# Well-known credential shapes: OpenAI/Anthropic (sk-), GitHub, Slack, AWS.
_KNOWN_PREFIX = re.compile(
    r"(?<![A-Za-z0-9])(sk-|sk_live_|ghp_|gho_|ghs_|ghu_|github_pat_|xox[abposr]-"
    r"|AKIA|ASIA)(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{12,}"
)
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_LONG_RUN = re.compile(r"[A-Za-z0-9_\-]{32,}")
_LETTER_DIGIT = re.compile(r"[A-Za-z](?=\d)|\d(?=[A-Za-z])")
# Random keys mix letters and digits throughout; names and words do not.
_MIN_LETTER_DIGIT_SWITCHES = 4


@dataclass(frozen=True)
class SecretFinding:
    """A key or value that looks like a credential.

    ``probe`` is a piece of the file's text to find the line by; it may hold
    part of the secret and must never be shown or logged.
    """

    key: str
    reason: str
    probe: str
    in_value: bool


def is_secret_key(key: str) -> bool:
    """Whether a key is named like a credential (``api_key``, ``password`` ...)."""
    words = [word.removesuffix("s") for word in _WORD_SPLIT.split(key.casefold())]
    return any(word in _SECRET_WORDS for word in words)


def credential_reason(value: str) -> str | None:
    """Why a text value looks like a credential, or ``None``; never the value."""
    known = _KNOWN_PREFIX.search(value)
    if known:
        return f"it looks like an access key (it starts with {known.group(1)!r})"
    if _PRIVATE_KEY.search(value):
        return "it holds a private key"
    for run in _LONG_RUN.findall(value):
        if len(_LETTER_DIGIT.findall(run)) >= _MIN_LETTER_DIGIT_SWITCHES:
            return "it looks like a key or token (a long random-looking string)"
    return None


def redact(text: str) -> str:
    """``text`` with anything credential-shaped replaced by ``[secret]``.

    Every message about a rule file passes here: a secret pasted into the
    wrong key must not come back in an error, a log line or a digest.
    """
    text = _KNOWN_PREFIX.sub("[secret]", text)
    text = _PRIVATE_KEY.sub("[secret]", text)

    def hide(found: re.Match[str]) -> str:
        run = found.group(0)
        switches = len(_LETTER_DIGIT.findall(run))
        return "[secret]" if switches >= _MIN_LETTER_DIGIT_SWITCHES else run

    return _LONG_RUN.sub(hide, text)


def find_secrets(document: dict[str, Any]) -> Iterator[SecretFinding]:
    """Every secret-looking key and value anywhere in a parsed TOML document."""
    for key, value in document.items():
        if is_secret_key(key):
            yield SecretFinding(key, f"{key!r} is named like a secret", key, False)
            continue
        yield from _secrets_in_value(key, value)


def _secrets_in_value(key: str, value: Any) -> Iterator[SecretFinding]:
    if isinstance(value, dict):
        yield from find_secrets(value)
    elif isinstance(value, list):
        for item in value:
            yield from _secrets_in_value(key, item)
    elif isinstance(value, str):
        reason = credential_reason(value)
        if reason is not None:
            probe = value.strip().splitlines()[0][:24]
            yield SecretFinding(key, f"a value of {key!r}: {reason}", probe, True)
