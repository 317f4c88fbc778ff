"""Shared fixtures: a fresh store and the shared sample inbox."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import open_store
from tests.support import SHARED_SAMPLES


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = open_store(tmp_path / "data" / "store.sqlite3")
    yield connection
    connection.close()


@pytest.fixture
def shared_samples() -> Path:
    if not SHARED_SAMPLES.is_dir():
        pytest.skip(f"the shared sample inbox is not at {SHARED_SAMPLES}")
    return SHARED_SAMPLES
