"""The bundled sample inbox the demo runs on, and builders for realistic mail."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

from bot.intake.files import RawMessage


def sample_inbox() -> Iterator[RawMessage]:
    """Every message of the bundled inbox, in file-name order."""
    folder = resources.files("bot.samples") / "inbox"
    entries = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".eml")),
        key=lambda entry: entry.name,
    )
    for entry in entries:
        yield RawMessage(f"sample:{entry.name}", entry.read_bytes())
