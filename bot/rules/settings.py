"""The ``[settings]`` table of the rule files: how the digest as a whole looks."""

from __future__ import annotations

import difflib
import logging
import re
import string
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.addresses import is_plain_address
from bot.errors import RulesError
from bot.rules.files import read_rule_file, rule_files

log = logging.getLogger(__name__)

# ISO 639-1 codes summaries can be asked in; the extractive summarizer keeps
# the paper's own language, an LLM summarizer writes in this one.
LANGUAGES = frozenset(
    {
        "ar",
        "bn",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "es",
        "fa",
        "fi",
        "fr",
        "he",
        "hi",
        "hu",
        "id",
        "it",
        "ja",
        "ko",
        "nl",
        "no",
        "pl",
        "pt",
        "ro",
        "ru",
        "sv",
        "th",
        "tr",
        "uk",
        "vi",
        "zh",
    }
)


@dataclass(frozen=True)
class DigestSettings:
    """Settings of the digest as a whole; defaults when no rule file sets them."""

    title: str = "Scholar digest"
    language: str = "en"
    html_max_bytes: int = 95_000
    llm_daily_papers: int = 300
    llm_daily_spend_usd: float = 2.0
    send_at: str = "07:00"
    timezone: str = "UTC"
    empty_days: str = "note"
    recipients: tuple[str, ...] = ()
    subject: str = "{title} for {date}: {count}"
    max_per_section: int = 0
    max_total: int = 0
    earlier_papers: str = "hide"

    @property
    def send_time(self) -> time:
        """``send_at`` as a time of day (checked when the file was read)."""
        hours, minutes = self.send_at.split(":")
        return time(int(hours), int(minutes))

    @property
    def zone(self) -> ZoneInfo:
        """``timezone`` as a zone (checked when the file was read)."""
        return ZoneInfo(self.timezone)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)")
# Tables a rule file may hold; [[rule]] tables are read by bot.rules.loader.
_TABLES = ("settings", "rule", "subscriber")
_KEYS: dict[str, type] = {
    "title": str,
    "language": str,
    "html_max_bytes": int,
    "llm_daily_papers": int,
    "llm_daily_spend_usd": float,
    "send_at": str,
    "timezone": str,
    "empty_days": str,
    "recipients": list,
    "subject": str,
    "max_per_section": int,
    "max_total": int,
    "earlier_papers": str,
}
_SUBJECT_FIELDS = ("title", "date", "count")
_EARLIER = ("hide", "line", "full")
_SEND_AT = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_EMPTY_DAYS = ("note", "skip")


def load_digest_settings(rules_dir: Path, *, required: bool = False) -> DigestSettings:
    """Read ``[settings]`` from every ``*.toml`` in ``rules_dir``, in name order.

    Later files override earlier ones key by key. A missing folder means the
    defaults, unless ``required`` (the user named the folder). Any problem
    raises :class:`RulesError` naming file and line.
    """
    values: dict[str, Any] = {}
    if not rules_dir.is_dir():
        if required:
            raise RulesError(str(rules_dir), "no such rules folder")
        log.debug("no rules folder at %s; using defaults", rules_dir)
        return DigestSettings()
    for path in rule_files(rules_dir):
        values.update(_settings_in(path))
    return DigestSettings(**values)


def _settings_in(path: Path) -> dict[str, Any]:
    checked, problems = _read_settings(path)
    if problems:
        raise problems[0]
    return checked


def settings_problems(path: Path) -> list[RulesError]:
    """Every problem of the [settings] table of ``path``, not only the first."""
    return _read_settings(path)[1]


def _read_settings(path: Path) -> tuple[dict[str, Any], list[RulesError]]:
    """The checked [settings] of one file, and every problem found in it.

    A problem with the file as a whole (unreadable, not TOML, a stray
    table) is the only one reported: its keys cannot be trusted.
    """
    try:
        text = read_rule_file(path)
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [RulesError(str(path), f"cannot read: {exc}")]
    # Imported here: rule_text reads [[rule]] blocks, which need these settings.
    from bot.rules.rule_text import parse_toml

    document, line, problem, hint = parse_toml(text)
    if document is None:
        full = problem + (f" ({hint})" if hint else "")
        return {}, [RulesError(str(path), full, line)]

    for name, value in document.items():
        if name in _TABLES:
            continue
        line = _line_of(text, name)
        if not isinstance(value, dict):
            stray = f"{name!r} is outside any table: put it under [settings]"
            return {}, [RulesError(str(path), stray, line)]
        near = difflib.get_close_matches(name, list(_TABLES), n=1)
        hint = f" (did you mean [{near[0]}]?)" if near else ""
        return {}, [RulesError(str(path), f"unknown table [{name}]{hint}", line)]

    table = document.get("settings", {})
    if not isinstance(table, dict):
        where = _line_of(text, "settings")
        return {}, [RulesError(str(path), "[settings] must be a table", where)]
    return _checked_table(path, text, table)


def _checked_table(
    path: Path, text: str, table: dict[str, Any]
) -> tuple[dict[str, Any], list[RulesError]]:
    # Each key checked on its own, so one file's every mistake is reported.
    checked: dict[str, Any] = {}
    problems: list[RulesError] = []
    for key, value in table.items():
        line = _line_of(text, key)
        expected = _KEYS.get(key)
        if expected is None:
            near = difflib.get_close_matches(key, list(_KEYS), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            problems.append(
                RulesError(str(path), f"unknown setting {key!r}{hint}", line)
            )
            continue
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # "2" means 2.0 dollars
        if not isinstance(value, expected) or isinstance(value, bool):
            problems.append(
                RulesError(str(path), _type_problem(key, expected, value), line)
            )
            continue
        one = {key: value}
        try:
            _check_values(path, text, one)
        except RulesError as exc:
            problems.append(exc)
            continue
        checked.update(one)
    problems.sort(key=lambda problem: problem.line or 0)
    return checked, problems


def _type_problem(key: str, expected: type, value: object) -> str:
    hint = " (write the number without quotes)" if isinstance(value, str) else ""
    if expected is int:
        return f"{key} must be a whole number, not {value!r}{hint}"
    if expected is float:
        return f"{key} must be a number, not {value!r}{hint}"
    if expected is list:
        return f'{key} must be a list in brackets, as in {key} = ["you@example.org"]'
    return f"{key} must be text in quotes, not {value!r}"


def _check_values(path: Path, text: str, values: dict[str, Any]) -> None:
    language = values.get("language")
    if language is not None and language not in LANGUAGES:
        near = difflib.get_close_matches(language, sorted(LANGUAGES), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise RulesError(
            str(path),
            f"unknown language {language!r}: use an ISO 639-1 code{hint}",
            _line_of(text, "language"),
        )
    for key in ("llm_daily_papers", "llm_daily_spend_usd"):
        if values.get(key, 0) < 0:
            raise RulesError(
                str(path), f"{key} must not be negative", _line_of(text, key)
            )
    _check_schedule(path, text, values)
    size = values.get("html_max_bytes")
    if size is not None and not 20_000 <= size <= 10_000_000:
        raise RulesError(
            str(path),
            "html_max_bytes must be between 20000 and 10000000",
            _line_of(text, "html_max_bytes"),
        )


def _check_schedule(path: Path, text: str, values: dict[str, Any]) -> None:
    send_at = values.get("send_at")
    if send_at is not None and not _SEND_AT.fullmatch(send_at):
        raise RulesError(
            str(path),
            f'send_at must be a 24-hour time like "07:00", not {send_at!r}',
            _line_of(text, "send_at"),
        )
    zone = values.get("timezone")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RulesError(
                str(path),
                f"unknown time zone {zone!r}: use a name like "
                '"Europe/Berlin", "Asia/Shanghai" or "UTC"',
                _line_of(text, "timezone"),
            ) from None
    empty = values.get("empty_days")
    if empty is not None and empty not in _EMPTY_DAYS:
        raise RulesError(
            str(path),
            f'empty_days must be "note" or "skip", not {empty!r}',
            _line_of(text, "empty_days"),
        )
    for key in ("max_per_section", "max_total"):
        if values.get(key, 0) < 0:
            raise RulesError(
                str(path), f"{key} must be 0 (no cap) or more", _line_of(text, key)
            )
    earlier = values.get("earlier_papers")
    if earlier is not None and earlier not in _EARLIER:
        raise RulesError(
            str(path),
            f'earlier_papers must be "hide", "line" or "full", not {earlier!r}',
            _line_of(text, "earlier_papers"),
        )
    subject = values.get("subject")
    if subject is not None:
        _check_subject(path, subject, _line_of(text, "subject"))
    if "recipients" in values:
        values["recipients"] = _checked_addresses(
            path, values["recipients"], _line_of(text, "recipients")
        )


def _check_subject(path: Path, subject: str, line: int | None) -> None:
    try:
        fields = [
            name
            for _, name, _, _ in string.Formatter().parse(subject)
            if name is not None
        ]
    except ValueError as exc:
        raise RulesError(
            str(path), f"subject: {exc} (write {{ and }} as {{{{ }}}})", line
        ) from None
    for name in fields:
        if name not in _SUBJECT_FIELDS:
            raise RulesError(
                str(path),
                f"subject: unknown field {{{name}}}; use {{title}}, {{date}} and "
                "{count}",
                line,
            )
    if any(ch in subject for ch in "\r\n"):
        raise RulesError(str(path), "subject must be one line", line)
    try:
        # Filled as the mailer will fill it: positional {} and format specs
        # such as {count:d} fail here, not when a digest is being sent.
        subject.format(title="Scholar digest", date="Fri 4 Dec 2026", count="1 paper")
    except (ValueError, IndexError, KeyError, AttributeError) as exc:
        raise RulesError(
            str(path),
            f"subject cannot be filled ({exc}): use plain {{title}}, {{date}} and "
            "{count}",
            line,
        ) from None


def _checked_addresses(
    path: Path, found: list[Any], line: int | None
) -> tuple[str, ...]:
    addresses: list[str] = []
    for item in found:
        if not isinstance(item, str) or not is_plain_address(item.strip()):
            raise RulesError(
                str(path), f"recipients: not an email address: {item!r}", line
            )
        addresses.append(item.strip())
    return tuple(addresses)


def _line_of(text: str, key: str) -> int | None:
    """The line of ``key`` in the [settings] table (or of a top-level table).

    Keys of [[rule]] and [[subscriber]] tables share names with settings
    (``title``, ``language``), so only lines outside those tables count.
    """
    pattern = re.compile(rf"^\s*\[?{re.escape(key)}\]?\s*(=|$)")
    header = re.compile(r"^\s*\[")
    in_other_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        if header.match(line) and not pattern.match(line):
            in_other_table = not line.strip().startswith("[settings]")
            continue
        if not in_other_table and pattern.match(line):
            return number
    return None
