"""Moments the bot remembers across restarts, such as when it first ran."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.store.db import transaction


def remember_first(conn: sqlite3.Connection, name: str, now: datetime) -> datetime:
    """When ``name`` first happened: ``now`` the first time, the same ever after."""
    with transaction(conn):
        # INSERT OR IGNORE: when two processes race, the first one's time wins.
        conn.execute(
            "INSERT OR IGNORE INTO moments (name, at) VALUES (?, ?)",
            (name, now.isoformat()),
        )
    row = conn.execute("SELECT at FROM moments WHERE name = ?", (name,)).fetchone()
    return datetime.fromisoformat(row["at"])
