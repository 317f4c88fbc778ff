"""``[[subscriber]]`` tables: who may receive a digest, and what feeds it.

Several people may forward alerts to one bot mailbox. Each subscriber gets
their own digest, fed by the alerts they forwarded (or the forwarders and
alert names listed), in their language, with their own rule files applied
after the shared ones. Nobody else is ever mailed.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.addresses import is_plain_address
from bot.errors import RulesError
from bot.rules.files import read_rule_file, rule_files
from bot.rules.rule_text import RuleFileText
from bot.rules.settings import LANGUAGES
from bot.store.papers import StoredPaper

SUBSCRIBER_KEYWORDS = ("address", "name", "language", "alerts", "forwarders", "rules")


@dataclass(frozen=True)
class Subscriber:
    """One person the bot mails, and which alerts feed their digest.

    ``forwarders`` and ``alerts`` empty: everything goes to them (the
    single-user case, and SCHOLAR_DIGEST_TO). A ``[[subscriber]]`` with
    neither listed is fed by the alerts they forwarded themselves.
    """

    address: str
    name: str | None = None
    language: str | None = None
    alerts: tuple[str, ...] = ()
    forwarders: tuple[str, ...] = ()
    rules_dir: Path | None = None

    @property
    def audience(self) -> str:
        """The key of this subscriber's digests in the store."""
        return self.address.lower()

    @property
    def takes_everything(self) -> bool:
        """True when no forwarder or alert narrows the feed."""
        return not self.alerts and not self.forwarders

    def is_fed_by(self, paper: StoredPaper) -> bool:
        """True when one of the alerts that carried ``paper`` feeds this digest."""
        if self.takes_everything:
            return True
        forwarders = {address.lower() for address in self.forwarders}
        names = [name.casefold() for name in self.alerts]
        for seen in paper.alerts_seen:
            if seen.forwarder and seen.forwarder.lower() in forwarders:
                return True
            if any(name in seen.name.casefold() for name in names):
                return True
        return False


def is_stranger(subscribers: Sequence[Subscriber], forwarder: str) -> bool:
    """True when ``forwarder`` feeds nobody's digest: stored, never answered."""
    if not subscribers:
        return False
    address = forwarder.lower()
    for subscriber in subscribers:
        if subscriber.forwarders:
            if address in {f.lower() for f in subscriber.forwarders}:
                return False
        elif address == subscriber.audience:
            return False
    return True


def load_subscribers(rules_dir: Path) -> list[Subscriber]:
    """Every ``[[subscriber]]`` in ``rules_dir/*.toml``, in name order.

    Raises :class:`RulesError` naming file and line on the first problem.
    """
    found: list[Subscriber] = []
    lines: dict[str, str] = {}
    if not rules_dir.is_dir():
        return found
    for path in rule_files(rules_dir):
        for subscriber, where in _subscribers_in(path, rules_dir):
            if subscriber.audience in lines:
                raise RulesError(
                    str(path),
                    f"{subscriber.address} is listed twice (first at "
                    f"{lines[subscriber.audience]})",
                    where,
                )
            lines[subscriber.audience] = f"{path.name}:{where}"
            found.append(subscriber)
    return found


def _subscribers_in(path: Path, rules_dir: Path) -> list[tuple[Subscriber, int | None]]:
    try:
        text = read_rule_file(path)
        document = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        # The settings reader reports unreadable files with their line.
        return []
    tables = document.get("subscriber", [])
    located = RuleFileText(text, table="subscriber")
    if not isinstance(tables, list):
        raise RulesError(
            str(path),
            "write subscribers as [[subscriber]] (two brackets), one per person",
            located.rule_line(0),
        )
    return [
        (_subscriber(path, rules_dir, table, index, located), located.rule_line(index))
        for index, table in enumerate(tables)
    ]


def _subscriber(
    path: Path, rules_dir: Path, table: dict[str, Any], index: int, text: RuleFileText
) -> Subscriber:
    def fail(key: str, problem: str) -> RulesError:
        return RulesError(str(path), problem, text.key_line(index, key))

    for key in table:
        if key not in SUBSCRIBER_KEYWORDS:
            near = difflib.get_close_matches(key, SUBSCRIBER_KEYWORDS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise fail(key, f"unknown subscriber key {key!r}{hint}")
    address = table.get("address")
    if address is None:
        raise fail("address", 'every [[subscriber]] needs address = "name@example.org"')
    if not isinstance(address, str) or not is_plain_address(address.strip()):
        raise fail(
            "address", f"subscriber address must be name@example.org, not {address!r}"
        )
    language = table.get("language")
    if language is not None and language not in LANGUAGES:
        raise fail("language", f"unknown language {language!r}: use an ISO 639-1 code")
    alerts = _texts(table, "alerts", fail)
    forwarders = _texts(table, "forwarders", fail)
    for forwarder in forwarders:
        if not is_plain_address(forwarder):
            raise fail("forwarders", f"not an email address: {forwarder!r}")
    rules = table.get("rules")
    folder = None
    if rules is not None:
        if (
            not isinstance(rules, str)
            or not rules
            or "/" in rules
            or rules.startswith(".")
        ):
            raise fail(
                "rules", 'rules names a folder beside this file, as in rules = "ada"'
            )
        folder = rules_dir / rules
        if not folder.is_dir():
            raise fail("rules", f"no folder {folder} for this subscriber's own rules")
    name = table.get("name")
    if name is not None and not isinstance(name, str):
        raise fail("name", "name must be text in quotes")
    if not alerts and not forwarders:
        # Fed by what they forward themselves: one bot, several readers.
        forwarders = (address.strip(),)
    return Subscriber(address.strip(), name, language, alerts, forwarders, folder)


def _texts(table: dict[str, Any], key: str, fail: Any) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        raise fail(key, f'{key} must be a list of text, as in {key} = ["..."]')
    return tuple(item.strip() for item in value)
