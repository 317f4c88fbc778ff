"""Reading raw messages from files: one .eml, a folder of them, an mbox, a Maildir."""

from __future__ import annotations

import logging
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.errors import IntakeError

log = logging.getLogger(__name__)

_MBOX_MAGIC = b"From "


@dataclass(frozen=True)
class RawMessage:
    """Message bytes exactly as stored, with where they came from."""

    origin: str
    raw: bytes


def iter_raw_messages(path: Path) -> Iterator[RawMessage]:
    """Every message under ``path``, in a stable order.

    A Maildir is a folder with ``cur``/``new``; any other folder is searched
    for ``*.eml`` files; a file starting with ``From `` is an mbox; any other
    file is one message.
    """
    if not path.exists():
        raise IntakeError(str(path), "no such file or folder")
    if path.is_dir():
        if (path / "cur").is_dir() or (path / "new").is_dir():
            yield from _maildir(path)
        else:
            yield from _eml_folder(path)
        return
    head = _read_head(path)
    if head.startswith(_MBOX_MAGIC):
        yield from _mbox(path)
    else:
        yield RawMessage(str(path), _read_bytes(path))


def _eml_folder(folder: Path) -> Iterator[RawMessage]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".eml")
    if not files:
        log.warning("no .eml files in %s", folder)
    for file in files:
        if file.is_file():
            yield RawMessage(str(file), _read_bytes(file))


def _mbox(path: Path) -> Iterator[RawMessage]:
    try:
        box = mailbox.mbox(path, create=False)
        keys = sorted(box.keys())
    except (OSError, mailbox.Error) as exc:
        raise IntakeError(str(path), f"cannot read as mbox: {exc}") from exc
    try:
        for index, key in enumerate(keys):
            yield RawMessage(f"{path}#{index}", box.get_bytes(key))
    finally:
        box.close()


def _maildir(path: Path) -> Iterator[RawMessage]:
    try:
        box = mailbox.Maildir(path, factory=None, create=False)
        # Maildir keys start with the delivery time: sorting keeps arrival order.
        keys = sorted(box.keys())
    except (OSError, mailbox.Error) as exc:
        raise IntakeError(str(path), f"cannot read as Maildir: {exc}") from exc
    for key in keys:
        yield RawMessage(f"{path}/{key}", box.get_bytes(key))


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(len(_MBOX_MAGIC))
    except OSError as exc:
        raise IntakeError(str(path), f"cannot read: {exc.strerror or exc}") from exc


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IntakeError(str(path), f"cannot read: {exc.strerror or exc}") from exc
