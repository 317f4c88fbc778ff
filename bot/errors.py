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
    ├── DigestError          a digest could not be built or written
    ├── MailboxError         the IMAP mailbox failed (also a ConnectionError)
    │   ├── FolderNotFoundError
    │   └── MailboxLoginError    the server refused the user name or password
    ├── DeliveryError        SMTP failed (also a ConnectionError)
    │   ├── SendDeferredError    try again later (4xx, network, timeout)
    │   └── SendRefusedError     never again for this recipient (5xx)
    └── AlreadyRunningError  a second ``run`` found the data folder locked

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


class MailboxError(ScholarDigestError, ConnectionError):
    """The IMAP server could not be reached, refused us, or dropped the line."""

    def __init__(self, host: str, problem: str, *, folder: str | None = None) -> None:
        where = f"{host}, folder {folder!r}" if folder is not None else host
        super().__init__(f"IMAP {where}: {problem}")
        self.host = host
        self.folder = folder
        self.problem = problem


class FolderNotFoundError(MailboxError):
    """The configured folder does not exist on the server (names it readably)."""


class MailboxLoginError(MailboxError):
    """The server refused the login: retrying with the same password cannot help."""


class DeliveryError(ScholarDigestError, ConnectionError):
    """A digest could not be handed to the SMTP server."""

    def __init__(
        self,
        host: str,
        problem: str,
        *,
        recipient: str | None = None,
        code: int | None = None,
    ) -> None:
        to = f" for {recipient}" if recipient else ""
        status = f" ({code})" if code is not None else ""
        super().__init__(f"SMTP {host}{to}: {problem}{status}")
        self.host = host
        self.recipient = recipient
        self.code = code
        self.problem = problem


class SendDeferredError(DeliveryError):
    """A temporary failure (4xx, network, timeout): the digest stays in the outbox."""


class SendRefusedError(DeliveryError):
    """A permanent refusal (5xx) for one recipient; the others are unaffected."""


class AlreadyRunningError(ScholarDigestError):
    """Another ``scholar-digest run`` holds the lock on the data folder."""
