"""Reading messages from .eml files, folders, mbox files and Maildirs."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from bot.errors import IntakeError
from bot.intake.files import iter_raw_messages

MESSAGE = b"From: a@example.org\nSubject: %s\nMessage-ID: <%s@example.org>\n\nbody\n"


def message(n: int) -> bytes:
    return MESSAGE % (f"subject {n}".encode(), str(n).encode())


def test_one_eml_file_is_one_message(tmp_path: Path) -> None:
    path = tmp_path / "one.eml"
    path.write_bytes(message(1))
    found = list(iter_raw_messages(path))
    assert [m.raw for m in found] == [message(1)]
    assert found[0].origin == str(path)


def test_folder_yields_its_eml_files_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b.eml").write_bytes(message(2))
    (tmp_path / "a.eml").write_bytes(message(1))
    (tmp_path / "notes.txt").write_bytes(b"not mail")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.EML").write_bytes(message(3))
    found = [m.raw for m in iter_raw_messages(tmp_path)]
    assert found == [message(1), message(2), message(3)]


def test_mbox_yields_every_message(tmp_path: Path) -> None:
    path = tmp_path / "alerts.mbox"
    box = mailbox.mbox(path)
    for n in range(3):
        box.add(message(n))
    box.close()
    found = list(iter_raw_messages(path))
    assert len(found) == 3
    assert [m.origin for m in found] == [f"{path}#{n}" for n in range(3)]
    assert b"Subject: subject 2" in found[2].raw


def test_maildir_yields_every_message(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir")
    for n in range(2):
        box.add(message(n))
    found = list(iter_raw_messages(tmp_path / "Maildir"))
    assert sorted(b"subject 0" in m.raw for m in found) == [False, True]


def test_missing_path_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="no such file"):
        list(iter_raw_messages(tmp_path / "nowhere.eml"))
