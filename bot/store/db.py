"""Opening the SQLite store: WAL, full sync, a busy timeout, short transactions."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.errors import StoreError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000


def open_connection(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the store file with the pragmas we rely on.

    WAL lets ``ingest`` and ``digest`` read while the daemon writes;
    ``synchronous=FULL`` makes a commit survive a power cut, which is what
    "marked processed only after the papers are stored" depends on.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _enter_wal(conn)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open the store at {path}: {exc}") from exc
    log.debug("opened store %s", path)
    return conn


def _enter_wal(conn: sqlite3.Connection) -> None:
    # Switching a new file to WAL needs a moment alone with it, and SQLite
    # answers "locked" at once, without its busy handler, when two processes
    # (or the daemon's two threads) open a new store together: retry.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at the start so writers queue, not deadlock."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        hint = ""
        if "locked" in str(exc):
            hint = (
                f" (another scholar-digest kept the store busy for over "
                f"{BUSY_TIMEOUT_MS // 1000} s; try again when it is done)"
            )
        raise StoreError(f"cannot start a transaction: {exc}{hint}") from exc
    except sqlite3.Error as exc:
        raise StoreError(f"cannot start a transaction: {exc}") from exc
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot commit: {exc}") from exc
