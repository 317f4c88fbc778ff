"""Locks on files in the data folder, held with flock(2).

The kernel drops an flock when its process ends, however it ends: a process
killed with SIGKILL never leaves a stale lock behind, unlike a pid file or a
time-based claim in the store.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from bot.errors import ScholarDigestError


@contextmanager
def file_lock(path: Path, *, wait: float = 0.0) -> Iterator[bool]:
    """Try to hold ``path`` for the block; yields False if another holds it.

    Waits up to ``wait`` seconds for the other holder to finish. While held,
    the file names the holder's pid, for error messages.
    """
    handle = _open(path)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield True
    finally:
        handle.close()


def lock_holder(path: Path) -> str:
    """The pid written by the current holder of ``path``, or ``unknown``."""
    try:
        return path.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


def _open(path: Path) -> TextIO:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("a+", encoding="utf-8")
    except OSError as exc:
        raise ScholarDigestError(f"cannot open the lock file {path}: {exc}") from exc
