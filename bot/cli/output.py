"""Terminal output: logging set-up and a progress bar only when a person watches."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
)

stderr_console = Console(stderr=True)


def interactive() -> bool:
    """A person is watching: progress bars are welcome (not cron, not Docker logs)."""
    return sys.stderr.isatty()


def setup_logging(level: str) -> None:
    """One handler on the root logger; library chatter kept at WARNING."""
    handler: logging.Handler
    if interactive():
        handler = RichHandler(console=stderr_console, show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "LiteLLM", "litellm", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class ProgressReporter:
    """Advances a bar when interactive; does nothing under cron or in Docker."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._progress = progress
        self._task = task

    def advance(self) -> None:
        """Count one more item done."""
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)


@contextmanager
def progress(label: str, total: int | None = None) -> Iterator[ProgressReporter]:
    """A progress bar on stderr for a long loop, or a silent stand-in."""
    if not interactive():
        yield ProgressReporter(None, None)
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=stderr_console,
        transient=True,
    )
    with bar:
        task = bar.add_task(label, total=total)
        yield ProgressReporter(bar, task)
