"""One ``run`` per data folder: an exclusive lock the kernel drops on any exit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.errors import AlreadyRunningError
from bot.store.locks import file_lock, lock_holder


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold ``path`` locked for the duration; a second holder is refused."""
    with file_lock(path) as held:
        if not held:
            raise AlreadyRunningError(
                f"another scholar-digest run (pid {lock_holder(path)}) is using "
                f"{path.parent}; stop it first, or give this one its own "
                "SCHOLAR_DIGEST_DATA_DIR"
            )
        yield
