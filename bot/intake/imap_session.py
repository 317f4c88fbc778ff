"""One IMAP connection to the bot's mailbox: the only module that speaks IMAP.

Every imapclient, imaplib, socket and TLS error is translated here into
:class:`~bot.errors.MailboxError`; the listener above it only sees ours.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import PREFIX, ImapSettings
from bot.errors import (
    ConfigError,
    FolderNotFoundError,
    MailboxError,
    MailboxLoginError,
)
from bot.tls import client_context

log = logging.getLogger(__name__)

# How long one idle_check() blocks: the longest a stop request waits.
_IDLE_SLICE = 1.0


@dataclass(frozen=True)
class FetchedMessage:
    """One message's bytes, or its size when it was too large to fetch.

    ``gone`` means another client expunged it between SEARCH and FETCH.
    """

    uid: int
    raw: bytes | None
    size: int
    gone: bool = False


class MailboxSession:
    """A logged-in connection with the configured folder selected."""

    def __init__(self, client: Any, settings: ImapSettings, uidvalidity: int) -> None:
        self._client = client
        self._settings = settings
        self.uidvalidity = uidvalidity
        self.supports_idle = settings.idle and client.has_capability("IDLE")
        self._can_move = client.has_capability("MOVE")

    @property
    def folder(self) -> str:
        """The folder as configured (readable, not modified UTF-7)."""
        return self._settings.folder

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid``, ascending."""
        with self._translated("search"):
            # "UID n:*" always matches the newest message even when its UID
            # is below n (RFC 3501 6.4.8), so filter again here.
            found = self._client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def fetch(self, uids: Sequence[int], *, max_bytes: int) -> Iterator[FetchedMessage]:
        """The messages' bytes via BODY.PEEK[], which leaves \\Seen alone."""
        if not uids:
            return
        with self._translated("fetch sizes"):
            sizes = self._client.fetch(list(uids), ["RFC822.SIZE"])
        small = [uid for uid in uids if _size(sizes, uid) <= max_bytes]
        bodies: dict[int, Any] = {}
        if small:
            started = time.monotonic()
            with self._translated("fetch"):
                bodies = self._client.fetch(small, ["BODY.PEEK[]"])
            log.info(
                "IMAP %s: fetched %d message(s) in %.0f ms",
                self.folder,
                len(bodies),
                (time.monotonic() - started) * 1000,
            )
        for uid in uids:
            data = bodies.get(uid)
            raw = data.get(b"BODY[]") if data is not None else None
            gone = uid not in sizes or (raw is None and uid in small)
            yield FetchedMessage(uid, raw, _size(sizes, uid), gone=gone)

    def mark_processed(self, uid: int) -> None:
        """Move the message to the processed folder, or give it our keyword."""
        from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

        move_to = self._settings.move_to
        with self._translated("mark processed"):
            try:
                self._mark(uid, move_to)
            except IMAPClientAbortError:
                raise
            except IMAPClientError as exc:
                # A NO for this one message (a keyword the server will not
                # store, a full quota): the papers are stored and the
                # position moves on, so looping on it would help nobody.
                log.warning(
                    "IMAP %s: UID %d stays unmarked, the server said: %s",
                    self.folder,
                    uid,
                    exc,
                )

    def _mark(self, uid: int, move_to: str | None) -> None:
        if move_to and self._can_move:
            self._client.move([uid], move_to)
        elif move_to:
            # Without MOVE (RFC 6851): copy, then flag the original only.
            self._client.copy([uid], move_to)
            self._client.add_flags([uid], [b"\\Deleted"])
            if self._client.has_capability("UIDPLUS"):
                self._client.uid_expunge([uid])
        else:
            self._client.add_flags([uid], [self._settings.keyword.encode()])

    def wait_for_news(self, seconds: float, stop: threading.Event) -> bool:
        """IDLE for up to ``seconds``; True when the server announced new mail.

        Keepalives (``* OK Still here``) are ignored. A dead connection
        surfaces as :class:`MailboxError`: EOF and BYE at once, a silent one
        when DONE gets no answer within the socket timeout.
        """
        news = False
        deadline = time.monotonic() + seconds
        with self._translated("idle"):
            self._client.idle()
            while not news and not stop.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                responses = self._client.idle_check(timeout=_IDLE_SLICE)
                news = any(_announces_mail(r) for r in responses)
                if any(_is_bye(r) for r in responses):
                    raise MailboxError(self._host, "server said BYE", folder=None)
                if not responses and time.monotonic() - started < _IDLE_SLICE / 2:
                    # Readable yet no line: EOF. DONE on a closed socket raises.
                    break
            _, responses = self._client.idle_done()
        return news or any(_announces_mail(r) for r in responses)

    def noop(self) -> None:
        """A round trip, so a poll loop notices a dead connection too."""
        with self._translated("noop"):
            self._client.noop()

    def close(self) -> None:
        """Log out politely; a dead connection is simply dropped."""
        try:
            self._client.logout()
        except Exception:  # the connection may already be gone; nothing to save
            log.debug("IMAP logout failed", exc_info=True)
            try:
                self._client.shutdown()
            except Exception:  # same: closing a closed socket
                log.debug("IMAP shutdown failed", exc_info=True)

    @property
    def _host(self) -> str:
        return f"{self._settings.host}:{self._settings.port}"

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        try:
            yield
        except MailboxError:
            raise
        except Exception as exc:
            raise _mailbox_error(self._host, action, exc, self.folder) from exc


def open_session(settings: ImapSettings, *, ca_file: Path | None) -> MailboxSession:
    """Connect, secure, log in and select the folder; errors name what failed."""
    if not settings.host:
        raise ConfigError(PREFIX + "IMAP_HOST", "set it to your IMAP server's name")
    if not settings.user or settings.password is None:
        raise ConfigError(
            PREFIX + "IMAP_USER",
            "set SCHOLAR_DIGEST_IMAP_USER and SCHOLAR_DIGEST_IMAP_PASSWORD",
        )
    # Imported here: only the listener needs imapclient.
    from imapclient import IMAPClient

    host = f"{settings.host}:{settings.port}"
    context = client_context(ca_file)
    started = time.monotonic()
    try:
        client = IMAPClient(
            settings.host,
            port=settings.port,
            ssl=settings.tls == "implicit",
            ssl_context=context,
            timeout=settings.timeout,
        )
    except Exception as exc:
        raise _mailbox_error(host, "connect", exc, None) from exc
    try:
        if settings.tls == "starttls":
            client.starttls(context)
        _login(client, host, settings.user, settings.password)
        uidvalidity = _select(client, host, settings.folder)
        if settings.move_to and not client.folder_exists(settings.move_to):
            # Checked now: otherwise every message would be read, then fail
            # to move, again on every reconnect.
            raise FolderNotFoundError(
                host,
                "SCHOLAR_DIGEST_IMAP_MOVE_TO names a folder the server does not "
                "have; create it first",
                folder=settings.move_to,
            )
    except MailboxError:
        _drop(client)
        raise
    except Exception as exc:
        _drop(client)
        raise _mailbox_error(host, "log in", exc, None) from exc
    log.info(
        "IMAP %s: connected (%s) as %s, folder %r selected in %.0f ms",
        host,
        "plaintext" if settings.tls == "off" else "TLS",
        settings.user,
        settings.folder,
        (time.monotonic() - started) * 1000,
    )
    return MailboxSession(client, settings, uidvalidity)


def _login(client: Any, host: str, user: str, password: str) -> None:
    from imapclient.exceptions import LoginError

    try:
        client.login(user, password)
    except LoginError as exc:
        raise MailboxLoginError(
            host,
            f"login refused for {user!r}: check SCHOLAR_DIGEST_IMAP_USER and "
            "SCHOLAR_DIGEST_IMAP_PASSWORD (Gmail and Fastmail want an app password)",
        ) from exc


def _select(client: Any, host: str, folder: str) -> int:
    # imapclient encodes the name to modified UTF-7 (RFC 3501 5.1.3) itself.
    try:
        info = client.select_folder(folder, readonly=False)
    except Exception as exc:
        if isinstance(exc, OSError | ssl.SSLError):
            raise
        listed = _folder_names(client)
        if folder not in listed:
            shown = ", ".join(repr(name) for name in sorted(listed)[:20])
            raise FolderNotFoundError(
                host, f"no such folder; the server has {shown}", folder=folder
            ) from exc
        raise MailboxError(host, f"cannot select: {exc}", folder=folder) from exc
    return int(info[b"UIDVALIDITY"])


def _folder_names(client: Any) -> list[str]:
    try:
        # A name like 2024 comes back as an int; make every name text.
        return [str(name) for _, _, name in client.list_folders()]
    except Exception:  # listing is only for a better message
        log.debug("IMAP LIST failed", exc_info=True)
        return []


def _mailbox_error(
    host: str, action: str, exc: BaseException, folder: str | None
) -> MailboxError:
    if isinstance(exc, socket.timeout | TimeoutError):
        problem = f"{action}: no answer within the timeout (connection dead?)"
    elif isinstance(exc, ssl.SSLCertVerificationError):
        problem = (
            f"{action}: the server's certificate is not trusted ({exc.verify_message})"
            "; set SCHOLAR_DIGEST_CA_FILE for a private CA"
        )
    elif isinstance(exc, ConnectionRefusedError):
        problem = f"{action}: connection refused"
    elif isinstance(exc, ssl.SSLError):
        problem = (
            f"{action}: the TLS handshake failed ({exc.reason or exc}); does "
            "SCHOLAR_DIGEST_IMAP_TLS match the port (implicit for 993, starttls "
            "for 143)?"
        )
    else:
        text = exc.args[0] if exc.args else type(exc).__name__
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        problem = f"{action}: {text}"
    return MailboxError(host, problem, folder=folder)


def _drop(client: Any) -> None:
    try:
        client.shutdown()
    except Exception:  # already closed
        log.debug("IMAP shutdown failed", exc_info=True)


def _size(sizes: dict[int, Any], uid: int) -> int:
    data = sizes.get(uid) or {}
    return int(data.get(b"RFC822.SIZE", 0))


def _announces_mail(response: Any) -> bool:
    return (
        isinstance(response, tuple)
        and len(response) >= 2
        and response[1] in (b"EXISTS", b"RECENT")
    )


def _is_bye(response: Any) -> bool:
    return isinstance(response, tuple) and bool(response) and response[0] == b"BYE"
