"""Random secrets the bot makes once and keeps in its store."""

from __future__ import annotations

import secrets
import sqlite3
from datetime import UTC, datetime

from bot.store.db import transaction


def secret(conn: sqlite3.Connection, name: str, *, size: int = 32) -> bytes:
    """The secret called ``name``, made on first use and the same ever after."""
    row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
    if row is not None:
        return bytes(row["value"])
    with transaction(conn):
        # INSERT OR IGNORE: when two processes race, the first one's value wins.
        conn.execute(
            "INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)",
            (name, secrets.token_bytes(size), datetime.now(UTC).isoformat()),
        )
    row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
    return bytes(row["value"])
