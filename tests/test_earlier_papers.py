"""A paper sent on an earlier day that a new alert carries again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.samples.bulk import iter_bulk_alerts
from tests.support import run_cli


def carried_again(raw: bytes) -> bytes:
    """The same alert as a new message: new Message-ID, same papers."""
    head, _, body = raw.partition(b"\n\n")
    lines = [
        b"Message-ID: <again-1@google.com>"
        if line.lower().startswith(b"message-id:")
        else line
        for line in head.split(b"\n")
    ]
    return b"\n".join(lines) + b"\n\n" + body


def run_twice(tmp_path: Path, mode: str) -> tuple[dict, dict, dict]:  # type: ignore[type-arg]
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "digest.toml").write_text(f'[settings]\nearlier_papers = "{mode}"\n')
    env = {
        "SCHOLAR_DIGEST_DATA_DIR": str(tmp_path / "data"),
        "SCHOLAR_DIGEST_RULES_DIR": str(rules),
    }
    raw = next(iter_bulk_alerts(1, seed=61)).replace(b"\r\n", b"\n")
    (tmp_path / "first.eml").write_bytes(raw)
    (tmp_path / "again.eml").write_bytes(carried_again(raw))
    digests = []
    for name in ("first.eml", "again.eml", None):
        if name is not None:
            done = run_cli("ingest", "--from", name, cwd=tmp_path, env=env)
            assert done.returncode == 0, done.stderr
        out = f"out-{len(digests)}"
        done = run_cli("digest", "--out", out, cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        digests.append(json.loads((tmp_path / out / "digest.json").read_text()))
    return digests[0], digests[1], digests[2]


def titles(digest: dict) -> list[str]:  # type: ignore[type-arg]
    return [e["title"] for s in digest["sections"] for e in s["papers"]]


def test_hidden_by_default(tmp_path: Path) -> None:
    first, again, _ = run_twice(tmp_path, "hide")
    assert titles(first)
    assert titles(again) == []
    assert not any("Again in a new alert" in note for note in again["notes"])


def test_one_line_each_names_the_day_it_was_sent(tmp_path: Path) -> None:
    first, again, later = run_twice(tmp_path, "line")
    assert titles(again) == []
    lines = [n for n in again["notes"] if n.startswith("Again in a new alert")]
    assert len(lines) == len(titles(first))
    assert all(any(t in line for line in lines) for t in titles(first))
    # Listed again once: the next digest does not repeat them.
    assert not any("Again in a new alert" in n for n in later["notes"])


@pytest.mark.parametrize("mode", ["full"])
def test_in_full_again_with_a_note(tmp_path: Path, mode: str) -> None:
    first, again, later = run_twice(tmp_path, mode)
    assert sorted(titles(again)) == sorted(titles(first))
    entries = [e for s in again["sections"] for e in s["papers"]]
    assert all(
        any("a new alert carried it again" in n for n in e["notes"]) for e in entries
    )
    assert titles(later) == []
