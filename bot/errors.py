"""The one exception tree of scholar-digest.

Every error the bot raises on purpose derives from :class:`ScholarDigestError`;
errors from libraries are translated at the boundary that called them, with
``raise ... from exc`` so the original stays visible in tracebacks::

    ScholarDigestError
    ├── ConfigError          a setting is missing or malformed (names the setting)
    ├── RulesError           a rule file is broken (names the file and line)
    ├── IntakeError          an input path cannot be read (names the path)
    ├── MessageError         one message cannot be processed (names its Message-ID)
    │   ├── MessageTooLargeError
    │   └── MessageParseError
    ├── StoreError           the SQLite store failed
    │   └── MigrationError
    └── DigestError          a digest could not be built or written

The CLI turns any of these into one line on stderr and a non-zero exit.
"""

from __future__ import annotations


class ScholarDigestError(Exception):
    """Root of every error raised on purpose by scholar-digest."""


class ConfigError(ScholarDigestError):
    """A setting is missing or has a value that cannot be used."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem


class RulesError(ScholarDigestError):
    """A rule file cannot be used; carries the file and, when known, the line."""

    def __init__(self, path: str, problem: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class IntakeError(ScholarDigestError):
    """An input path given to ``ingest`` cannot be read as mail."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class MessageError(ScholarDigestError):
    """One message cannot be processed; every other message keeps flowing."""

    def __init__(self, message_id: str | None, problem: str) -> None:
        super().__init__(f"message {message_id or '(no Message-ID)'}: {problem}")
        self.message_id = message_id
        self.problem = problem


class MessageTooLargeError(MessageError):
    """The message is over the configured size cap and is not parsed."""


class MessageParseError(MessageError):
    """The message could not be parsed as mail at all."""


class StoreError(ScholarDigestError):
    """The SQLite store could not be opened, read or written."""


class MigrationError(StoreError):
    """A schema migration failed; the store is left at the previous version."""


class DigestError(ScholarDigestError):
    """A digest could not be built or written."""
