"""The SQLite store: messages seen, papers and their alerts, digests sent."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.store.db import open_connection
from bot.store.migrations import migrate


def open_store(path: Path) -> sqlite3.Connection:
    """Open the store at ``path`` and bring its schema up to date."""
    conn = open_connection(path)
    migrate(conn)
    return conn
