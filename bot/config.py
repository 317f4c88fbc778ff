"""Settings from environment variables (and an optional ``.env`` file).

Every setting is named ``SCHOLAR_DIGEST_*``; the README lists them all. Users'
tuning of the digest itself lives in the rule files, not here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError

PREFIX = "SCHOLAR_DIGEST_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class ImapSettings:
    """Where the listener reads alerts (used from the email-loop issue on)."""

    host: str | None = None
    port: int = 993
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    folder: str = "INBOX"
    tls: str = "implicit"


@dataclass(frozen=True)
class SmtpSettings:
    """Where digests are sent (used from the email-loop issue on)."""

    host: str | None = None
    port: int = 465
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: str = "implicit"
    sender: str | None = None


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
        imap=ImapSettings(
            host=env.text("IMAP_HOST"),
            port=env.integer("IMAP_PORT", 993, minimum=1, maximum=65535),
            user=env.text("IMAP_USER"),
            password=env.text("IMAP_PASSWORD"),
            folder=env.text("IMAP_FOLDER") or "INBOX",
            tls=env.choice("IMAP_TLS", "implicit", ("implicit", "starttls", "off")),
        ),
        smtp=SmtpSettings(
            host=env.text("SMTP_HOST"),
            port=env.integer("SMTP_PORT", 465, minimum=1, maximum=65535),
            user=env.text("SMTP_USER"),
            password=env.text("SMTP_PASSWORD"),
            tls=env.choice("SMTP_TLS", "implicit", ("implicit", "starttls", "off")),
            sender=env.text("SMTP_FROM"),
        ),
    )


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
            if "@" not in address or any(ch in address for ch in "\r\n <>"):
                raise ConfigError(PREFIX + name, f"not an email address: {address!r}")
        return found


def _read_env_file(path: Path) -> Mapping[str, str]:
    if not path.is_file():
        return {}
    # Imported here: python-dotenv is only needed when a .env file exists.
    from dotenv import dotenv_values

    return {key: value for key, value in dotenv_values(path).items() if value}
