"""Everything the rule files say, read together: settings, rules, subscribers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import RulesError
from bot.rules.loader import load_rules
from bot.rules.model import RuleSet
from bot.rules.secret_scan import redact
from bot.rules.settings import DigestSettings, load_digest_settings
from bot.rules.subscribers import Subscriber, load_subscribers


@dataclass(frozen=True)
class RuleBundle:
    """One consistent reading of a rules folder.

    ``own_rules`` holds each subscriber's own rules by audience; ``notes``
    go at the top of the next digest (a broken edit, say).
    """

    settings: DigestSettings = field(default_factory=DigestSettings)
    rules: RuleSet = field(default_factory=RuleSet)
    subscribers: tuple[Subscriber, ...] = ()
    own_rules: Mapping[str, RuleSet] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def rules_for(self, audience: str | None) -> RuleSet:
        """The shared rules, then the subscriber's own."""
        own = self.own_rules.get(audience or "", RuleSet())
        return self.rules.then(own)


def load_bundle(rules_dir: Path, *, required: bool = False) -> RuleBundle:
    """Read ``rules_dir`` whole; the first problem raises RulesError (file, line).

    The error never repeats a secret: it is logged, shown by ``status`` and
    put at the top of the next digest.
    """
    try:
        return _load(rules_dir, required=required)
    except RulesError as exc:
        raise RulesError(exc.path, redact(exc.problem), exc.line) from None


def _load(rules_dir: Path, *, required: bool) -> RuleBundle:
    settings = load_digest_settings(rules_dir, required=required)
    rules = load_rules(rules_dir, required=required)
    subscribers = tuple(load_subscribers(rules_dir))
    own = {
        subscriber.audience: load_rules(subscriber.rules_dir, required=True)
        for subscriber in subscribers
        if subscriber.rules_dir is not None
    }
    return RuleBundle(settings, rules, subscribers, own)
