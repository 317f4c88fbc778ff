"""The mailbox listener: catch up by UID, then IDLE (or poll), reconnecting forever.

It runs in a worker thread because imapclient blocks; it has its own store
connection, and every message goes through :func:`ingest_message`.
"""

from __future__ import annotations

import hashlib
import logging
import random
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.errors import (
    ConfigError,
    FolderNotFoundError,
    MailboxError,
    MailboxLoginError,
    ScholarDigestError,
    StoreError,
)
from bot.intake.imap_session import FetchedMessage, MailboxSession, open_session
from bot.intake.pipeline import IngestLimits, IngestResult, Outcome, ingest_message
from bot.store.db import transaction
from bot.store.messages import MessageStatus, record_outcome
from bot.store.positions import MailboxPosition, read_position, save_position

log = logging.getLogger(__name__)

# Messages fetched per FETCH command during a catch-up: few round trips,
# bounded memory (each is at most SCHOLAR_DIGEST_MAX_MESSAGE_BYTES).
_BATCH = 20


@dataclass
class ListenerState:
    """What the listener is doing, for logs and tests."""

    connected: bool = False
    messages_processed: int = 0
    reconnects: int = 0
    last_error: str | None = None


class MailboxListener:
    """Reads the configured folder into the store until asked to stop."""

    def __init__(
        self,
        settings: Settings,
        conn: sqlite3.Connection,
        limits: IngestLimits,
        *,
        stop: threading.Event | None = None,
        caught_up: threading.Event | None = None,
        on_result: Callable[[IngestResult], None] | None = None,
    ) -> None:
        self._settings = settings
        self._imap = settings.imap
        self._conn = conn
        self._limits = limits
        self.stop = stop or threading.Event()
        self._on_result = on_result
        self.state = ListenerState()
        # Set after the first catch-up of a run (or when it could not be
        # done): the daemon waits for it before a missed digest goes out.
        self.caught_up = caught_up or threading.Event()
        self.progressed = False
        self.account = f"{self._imap.user}@{self._imap.host}:{self._imap.port}"

    def run_once(self) -> int:
        """Connect, catch up, disconnect; the number of messages read."""
        session = open_session(self._imap, ca_file=self._settings.ca_file)
        try:
            return self.catch_up(session)
        finally:
            session.close()

    def run_forever(self) -> None:
        """Catch up, then wait for news, reconnecting with capped backoff.

        Configuration mistakes (no host, a folder that does not exist, a
        refused password) end the loop: retrying cannot fix them.
        """
        failures = 0
        while not self.stop.is_set():
            try:
                session = open_session(self._imap, ca_file=self._settings.ca_file)
            except (ConfigError, FolderNotFoundError, MailboxLoginError):
                raise
            except MailboxError as exc:
                failures += 1
                self._pause_after(exc, failures)
                continue
            self.state.connected = True
            self.progressed = False
            try:
                self._serve(session)
                failures = 0
            except MailboxError as exc:
                # A session that got work done earns a quick reconnect; one
                # that fails the same way each time backs off like a refusal.
                failures = 1 if self.progressed else failures + 1
                self._pause_after(exc, failures)
            except StoreError as exc:
                # The store is busy or full: nothing was marked on the server,
                # so the next session reads the same messages again.
                failures += 1
                self._pause_after(exc, failures)
            finally:
                self.state.connected = False
                session.close()

    def catch_up(self, session: MailboxSession, *, quiet: bool = False) -> int:
        """Read every message above the stored position; return how many."""
        folder = session.folder
        position = read_position(self._conn, self.account, folder)
        if position is None or position.uidvalidity != session.uidvalidity:
            if position is not None:
                log.warning(
                    "IMAP %s: UIDVALIDITY changed (%d -> %d): rescanning the folder; "
                    "messages already stored are recognised",
                    folder,
                    position.uidvalidity,
                    session.uidvalidity,
                )
            position = MailboxPosition(session.uidvalidity, 0)
        uids = session.uids_after(position.last_uid)
        done = 0
        for start in range(0, len(uids), _BATCH):
            if self.stop.is_set():
                break
            batch = uids[start : start + _BATCH]
            fetched = session.fetch(batch, max_bytes=self._limits.max_message_bytes)
            for message in fetched:
                self._process(session, message)
                done += 1
        level = logging.DEBUG if quiet and not done else logging.INFO
        log.log(level, "IMAP %s: caught up %d message(s)", folder, done)
        self.progressed = True
        return done

    def _serve(self, session: MailboxSession) -> None:
        self.catch_up(session)
        self.caught_up.set()
        while not self.stop.is_set():
            if session.supports_idle:
                log.info("IMAP %s: idle", session.folder)
                news = session.wait_for_news(self._imap.idle_seconds, self.stop)
            else:
                self.stop.wait(self._imap.poll_seconds)
                session.noop()
                news = True
            # After every round, news or not: a server announces mail that
            # arrives during a FETCH in that FETCH's answer, and imapclient
            # does not pass such notices on. A UID SEARCH is cheap.
            if not self.stop.is_set():
                self.catch_up(session, quiet=not news)

    def _process(self, session: MailboxSession, message: FetchedMessage) -> None:
        origin = f"imap:{session.folder}#{message.uid}"
        if message.gone:
            log.info(
                "IMAP %s: UID %d was deleted before it could be read",
                session.folder,
                message.uid,
            )
            self._save_position(session, message.uid)
            return
        if message.raw is None:
            self._record_too_large(session, message, origin)
        else:
            result = ingest_message(
                self._conn, message.raw, origin=origin, limits=self._limits
            )
            # A message that failed is tried again at once until it is stored
            # or quarantined (its bytes kept): the position must move on.
            while result.outcome is Outcome.FAILED:
                result = ingest_message(
                    self._conn, message.raw, origin=origin, limits=self._limits
                )
            if self._on_result is not None:
                self._on_result(result)
        # The papers are committed; only now is the message marked on the
        # server, then the position saved. A crash in between re-reads it,
        # and the content hash recognises it.
        session.mark_processed(message.uid)
        self._save_position(session, message.uid)
        self.state.messages_processed += 1

    def _save_position(self, session: MailboxSession, uid: int) -> None:
        with transaction(self._conn):
            save_position(
                self._conn,
                self.account,
                session.folder,
                MailboxPosition(session.uidvalidity, uid),
            )

    def _record_too_large(
        self, session: MailboxSession, message: FetchedMessage, origin: str
    ) -> None:
        # Too big to fetch: it stays on the server untouched, and status says so.
        where = f"{self.account}/{session.folder}/{session.uidvalidity}"
        identity = f"{where}/{message.uid}"
        with transaction(self._conn):
            record_outcome(
                self._conn,
                digest=hashlib.sha256(identity.encode()).hexdigest(),
                message_id=None,
                origin=origin,
                sender=None,
                subject=None,
                status=MessageStatus.QUARANTINED,
                error=(
                    f"{message.size} bytes, over SCHOLAR_DIGEST_MAX_MESSAGE_BYTES; "
                    "left unread on the server"
                ),
            )
        log.warning(
            "IMAP %s: UID %d is %d bytes, over the size cap: left on the server",
            session.folder,
            message.uid,
            message.size,
        )

    def _pause_after(self, exc: ScholarDigestError, failures: int) -> None:
        # The mailbox is away: the digest must not wait for it.
        self.caught_up.set()
        self.state.reconnects += 1
        self.state.last_error = str(exc)
        # Jitter keeps many bots from hammering a recovering server in step.
        jitter = random.uniform(0.8, 1.2)  # noqa: S311 - not for security
        delay = min(self._imap.backoff_max, 2.0 ** (failures - 1) * jitter)
        log.warning("%s; reconnecting in %.0f s", str(exc).rstrip(". "), delay)
        self.stop.wait(delay)
