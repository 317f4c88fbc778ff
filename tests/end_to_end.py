"""Raw bytes in, the four digest files out: one helper for the end-to-end tests."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.intake.pipeline import IngestLimits, IngestResult, ingest_message
from bot.jobs import make_digest
from bot.rules.settings import DigestSettings
from bot.store import open_store

OUTPUTS = ("digest.md", "digest.html", "digest.txt", "digest.json")
LIMITS = IngestLimits(max_message_bytes=25_000_000, max_attempts=3)


@dataclass
class DigestRun:
    """What one ingest-then-digest run left behind."""

    results: list[IngestResult]
    files: dict[str, str]
    conn: sqlite3.Connection
    store_path: Path

    @property
    def md(self) -> str:
        return self.files["digest.md"]

    @property
    def html(self) -> str:
        return self.files["digest.html"]

    @property
    def txt(self) -> str:
        return self.files["digest.txt"]

    @property
    def data(self) -> dict[str, Any]:
        loaded = json.loads(self.files["digest.json"])
        assert isinstance(loaded, dict)
        return loaded

    @property
    def papers(self) -> list[dict[str, Any]]:
        """Every paper of digest.json, in digest order."""
        return [p for section in self.data["sections"] for p in section["papers"]]

    def paper(self, needle: str) -> dict[str, Any]:
        """The one digest.json paper whose title contains ``needle``."""
        found = [p for p in self.papers if needle in p["title"]]
        assert len(found) == 1, (needle, [p["title"] for p in self.papers])
        return found[0]

    def store_bytes(self) -> bytes:
        """The SQLite file with its WAL and shared-memory files, as on disk."""
        folder = self.store_path.parent
        names = sorted(folder.glob(self.store_path.name + "*"))
        return b"".join(path.read_bytes() for path in names)

    def all_output(self) -> str:
        """The four digest files, joined, for 'appears nowhere' checks."""
        return "\n".join(self.files[name] for name in OUTPUTS)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.conn.execute(sql).fetchall()]


class DigestRunner:
    """Runs ingest and digest in fresh stores under one folder; closes them after."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.runs: list[DigestRun] = []

    def __call__(
        self, raws: list[bytes], *, limits: IngestLimits = LIMITS
    ) -> DigestRun:
        """Ingest ``raws`` in order into a fresh store, then write the digest."""
        name = f"run{len(self.runs)}"
        store_path = self.folder / name / "data" / "store.sqlite3"
        conn = open_store(store_path)
        results = [
            ingest_message(conn, raw, origin=f"{name}#{index}", limits=limits)
            for index, raw in enumerate(raws)
        ]
        out = self.folder / name / "digest"
        make_digest(conn, out, DigestSettings())
        files = {n: (out / n).read_text(encoding="utf-8") for n in OUTPUTS}
        run = DigestRun(results, files, conn, store_path)
        self.runs.append(run)
        return run

    def close(self) -> None:
        for run in self.runs:
            run.conn.close()
