"""Which files of a rules folder are rule files, and how they are read."""

from __future__ import annotations

from pathlib import Path


def rule_files(folder: Path) -> list[Path]:
    """The ``*.toml`` files of ``folder`` in name order.

    Names starting with a dot are left out: editors keep lock files such as
    ``.#rules.toml`` (Emacs, often a dangling link) and macOS writes
    ``._rules.toml`` beside the real one.
    """
    return sorted(
        path for path in folder.glob("*.toml") if not path.name.startswith(".")
    )


def read_rule_file(path: Path) -> str:
    """The text of a rule file; a byte order mark (Windows Notepad) is dropped."""
    return path.read_text(encoding="utf-8-sig")
