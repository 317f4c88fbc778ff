"""Settings from environment variables (and an optional ``.env`` file).

Every setting is named ``SCHOLAR_DIGEST_*``; the README lists them all. Users'
tuning of the digest itself lives in the rule files, not here.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.addresses import is_plain_address
from bot.errors import ConfigError

PREFIX = "SCHOLAR_DIGEST_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class ImapSettings:
    """Where ``run`` reads alerts, and how it marks what it has read."""

    host: str | None = None
    port: int = 993
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    folder: str = "INBOX"
    tls: str = "implicit"
    move_to: str | None = None
    keyword: str = "$ScholarDigest"
    idle: bool = True
    idle_seconds: float = 600.0
    poll_seconds: float = 300.0
    timeout: float = 60.0
    backoff_max: float = 300.0


@dataclass(frozen=True)
class SmtpSettings:
    """Where digests are sent, and how hard a failed send is retried."""

    host: str | None = None
    port: int = 465
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: str = "implicit"
    sender: str | None = None
    timeout: float = 60.0
    retry_seconds: float = 30.0
    max_attempts: int = 20


@dataclass(frozen=True)
class Settings:
    """Every ``SCHOLAR_DIGEST_*`` setting, parsed and checked."""

    data_dir: Path = Path("data")
    rules_dir: Path = Path("rules")
    rules_dir_given: bool = False
    offline: bool = False
    max_message_bytes: int = 25_000_000
    max_attempts: int = 3
    log_level: str = "INFO"
    recipients: tuple[str, ...] = ()
    llm_model: str | None = None
    llm_api_base: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    llm_concurrency: int = 8
    llm_timeout: float = 60.0
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_min_interval: float = 3.0
    http_timeout: float = 15.0
    openalex_url: str = "https://api.openalex.org"
    contact_email: str | None = None
    ca_file: Path | None = None
    now: datetime | None = None
    imap: ImapSettings = field(default_factory=ImapSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)

    @property
    def store_path(self) -> Path:
        """The SQLite file inside the data folder."""
        return self.data_dir / "scholar-digest.sqlite3"

    @property
    def quarantine_dir(self) -> Path:
        """Where messages that failed too often are kept, byte for byte."""
        return self.data_dir / "quarantine"

    @property
    def lock_path(self) -> Path:
        """The file whose lock keeps a second ``run`` from starting."""
        return self.data_dir / "run.lock"

    @property
    def digests_dir(self) -> Path:
        """Where ``run`` and ``digest --send`` keep each day's digest files."""
        return self.data_dir / "digests"


def load_settings(
    environ: Mapping[str, str] | None = None, *, env_file: Path | None = None
) -> Settings:
    """Read settings from ``environ`` (default: the process environment).

    A ``.env`` file in the working directory (or ``env_file``) fills in what
    the environment does not set; the environment always wins.
    """
    values = dict(_read_env_file(env_file or Path(".env")))
    values.update(os.environ if environ is None else environ)
    env = _Env(values)

    return Settings(
        data_dir=Path(env.text("DATA_DIR") or "data"),
        rules_dir=Path(env.text("RULES_DIR") or "rules"),
        rules_dir_given=env.text("RULES_DIR") is not None,
        offline=env.flag("OFFLINE", default=False),
        max_message_bytes=env.integer("MAX_MESSAGE_BYTES", 25_000_000, minimum=1024),
        max_attempts=env.integer("MAX_ATTEMPTS", 3, minimum=1),
        log_level=env.choice(
            "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
        ),
        recipients=env.addresses("TO"),
        llm_model=env.text("LLM_MODEL"),
        llm_api_base=env.url("LLM_API_BASE"),
        llm_api_key=env.text("LLM_API_KEY"),
        llm_concurrency=env.integer("LLM_CONCURRENCY", 8, minimum=1, maximum=64),
        llm_timeout=env.number("LLM_TIMEOUT", 60.0),
        arxiv_api_url=env.url("ARXIV_API_URL") or Settings.arxiv_api_url,
        arxiv_min_interval=env.number("ARXIV_MIN_INTERVAL", 3.0),
        http_timeout=env.number("HTTP_TIMEOUT", 15.0),
        openalex_url=env.url("OPENALEX_URL") or Settings.openalex_url,
        contact_email=(env.addresses("CONTACT_EMAIL") or (None,))[0],
        ca_file=_existing_file(env, "CA_FILE"),
        now=env.instant("NOW"),
        imap=_imap_settings(env),
        smtp=_smtp_settings(env),
    )


def _imap_settings(env: _Env) -> ImapSettings:
    tls = env.choice("IMAP_TLS", "implicit", ("implicit", "starttls", "off"))
    host = env.text("IMAP_HOST")
    _refuse_plaintext_off_loopback("IMAP_TLS", tls, host)
    keyword = env.text("IMAP_KEYWORD") or ImapSettings.keyword
    if not _IMAP_ATOM.fullmatch(keyword):
        raise ConfigError(
            PREFIX + "IMAP_KEYWORD",
            f"{keyword!r} is not an IMAP keyword (letters, digits, $ _ - . only)",
        )
    idle_seconds = env.number("IMAP_IDLE_SECONDS", ImapSettings.idle_seconds)
    if not 1 <= idle_seconds <= 1500:
        # RFC 2177: servers may drop an IDLE after 30 minutes; stay well under.
        raise ConfigError(
            PREFIX + "IMAP_IDLE_SECONDS", "must be from 1 to 1500 (25 minutes)"
        )
    return ImapSettings(
        host=host,
        port=env.integer("IMAP_PORT", 993, minimum=1, maximum=65535),
        user=env.text("IMAP_USER"),
        password=env.text("IMAP_PASSWORD"),
        folder=env.text("IMAP_FOLDER") or "INBOX",
        tls=tls,
        move_to=env.text("IMAP_MOVE_TO"),
        keyword=keyword,
        idle=env.flag("IMAP_IDLE", default=True),
        idle_seconds=idle_seconds,
        poll_seconds=max(env.number("IMAP_POLL_SECONDS", 300.0), 1.0),
        timeout=max(env.number("IMAP_TIMEOUT", 60.0), 1.0),
        backoff_max=max(env.number("IMAP_BACKOFF_MAX", 300.0), 1.0),
    )


def _smtp_settings(env: _Env) -> SmtpSettings:
    tls = env.choice("SMTP_TLS", "implicit", ("implicit", "starttls", "off"))
    host = env.text("SMTP_HOST")
    _refuse_plaintext_off_loopback("SMTP_TLS", tls, host)
    sender = env.addresses("SMTP_FROM")
    return SmtpSettings(
        host=host,
        port=env.integer("SMTP_PORT", 465, minimum=1, maximum=65535),
        user=env.text("SMTP_USER"),
        password=env.text("SMTP_PASSWORD"),
        tls=tls,
        sender=sender[0] if sender else None,
        timeout=max(env.number("SMTP_TIMEOUT", 60.0), 1.0),
        retry_seconds=env.number("SMTP_RETRY_SECONDS", 30.0),
        max_attempts=env.integer("SMTP_MAX_ATTEMPTS", 20, minimum=1),
    )


# Keywords are IMAP atoms; this is the conservative subset every server takes.
_IMAP_ATOM = re.compile(r"[$A-Za-z0-9_.\-]{1,64}")
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: where plaintext may go."""
    if host is None:
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _refuse_plaintext_off_loopback(name: str, tls: str, host: str | None) -> None:
    # A password or a digest in plaintext is only acceptable on this machine.
    if tls == "off" and host is not None and not is_loopback(host):
        raise ConfigError(
            PREFIX + name,
            f"off (plaintext) is only allowed for a server on this machine "
            f"(127.0.0.1, ::1, localhost), not {host!r}; use implicit or starttls",
        )


def _existing_file(env: _Env, name: str) -> Path | None:
    raw = env.text(name)
    if raw is None:
        return None
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ConfigError(PREFIX + name, f"no such file: {raw}")
    return path


class _Env:
    """Typed reads of ``SCHOLAR_DIGEST_*`` values with errors naming the setting."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def text(self, name: str) -> str | None:
        value = self._values.get(PREFIX + name, "").strip()
        return value or None

    def flag(self, name: str, *, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ConfigError(
            PREFIX + name, f"expected 1 or 0 (or true/false), got {raw!r}"
        )

    def integer(
        self, name: str, default: int, *, minimum: int, maximum: int | None = None
    ) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw.replace("_", ""))
        except ValueError:
            raise ConfigError(
                PREFIX + name, f"expected a whole number, got {raw!r}"
            ) from None
        if value < minimum or (maximum is not None and value > maximum):
            limit = f"from {minimum}" + (f" to {maximum}" if maximum else " up")
            raise ConfigError(PREFIX + name, f"{value} is out of range ({limit})")
        return value

    def number(self, name: str, default: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(
                PREFIX + name, f"expected a number, got {raw!r}"
            ) from None
        if value < 0:
            raise ConfigError(PREFIX + name, "must not be negative")
        return value

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        raw = self.text(name)
        if raw is None:
            return default
        for option in allowed:
            if raw.lower() == option.lower():
                return option
        raise ConfigError(PREFIX + name, f"expected one of {', '.join(allowed)}")

    def instant(self, name: str) -> datetime | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise ConfigError(
                PREFIX + name, f"expected an ISO 8601 time, got {raw!r}"
            ) from None
        if value.tzinfo is None:
            raise ConfigError(PREFIX + name, f"give a UTC offset, as in {raw}+00:00")
        return value

    def url(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        if not raw.lower().startswith(("http://", "https://")) or " " in raw:
            raise ConfigError(PREFIX + name, f"expected an http(s) URL, got {raw!r}")
        return raw

    def addresses(self, name: str) -> tuple[str, ...]:
        raw = self.text(name) or ""
        found = tuple(part.strip() for part in raw.split(",") if part.strip())
        for address in found:
            if not is_plain_address(address):
                raise ConfigError(
                    PREFIX + name,
                    f"not a plain email address: {address!r} (write name@example."
                    "org, without a display name; non-ASCII is not supported)",
                )
        return found


def _read_env_file(path: Path) -> Mapping[str, str]:
    if not path.is_file():
        return {}
    # Imported here: python-dotenv is only needed when a .env file exists.
    from dotenv import dotenv_values

    return {key: value for key, value in dotenv_values(path).items() if value}
