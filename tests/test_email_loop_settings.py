"""Settings of the email loop: TLS rules, keywords, schedule keys, the run lock."""

from __future__ import annotations

import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.daemon.lock import run_lock
from bot.errors import AlreadyRunningError, ConfigError, RulesError
from bot.rules.settings import load_digest_settings


def settings_from(env: dict[str, str], tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_settings(env, env_file=tmp_path / "absent.env")


@pytest.mark.parametrize("kind", ["IMAP", "SMTP"])
def test_plaintext_is_refused_for_a_server_off_this_machine(
    kind: str, tmp_path: Path
) -> None:
    env = {
        f"SCHOLAR_DIGEST_{kind}_HOST": "mail.example.org",
        f"SCHOLAR_DIGEST_{kind}_TLS": "off",
    }
    with pytest.raises(ConfigError, match=rf"SCHOLAR_DIGEST_{kind}_TLS.*this machine"):
        settings_from(env, tmp_path)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.3.4.5"])
def test_plaintext_is_allowed_for_a_loopback_test_server(
    host: str, tmp_path: Path
) -> None:
    env = {"SCHOLAR_DIGEST_SMTP_HOST": host, "SCHOLAR_DIGEST_SMTP_TLS": "off"}
    assert settings_from(env, tmp_path).smtp.tls == "off"


def test_imap_keyword_must_be_an_atom(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="IMAP_KEYWORD"):
        settings_from({"SCHOLAR_DIGEST_IMAP_KEYWORD": "\\Seen"}, tmp_path)
    with pytest.raises(ConfigError, match="IMAP_KEYWORD"):
        settings_from({"SCHOLAR_DIGEST_IMAP_KEYWORD": "two words"}, tmp_path)


def test_idle_interval_stays_well_under_29_minutes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="IMAP_IDLE_SECONDS"):
        settings_from({"SCHOLAR_DIGEST_IMAP_IDLE_SECONDS": "1740"}, tmp_path)
    default = settings_from({}, tmp_path).imap.idle_seconds
    assert default < 29 * 60 / 2


def test_smtp_from_must_be_one_address(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SMTP_FROM"):
        settings_from({"SCHOLAR_DIGEST_SMTP_FROM": "bot@x.org\r\nBcc: a@b"}, tmp_path)


def test_fixed_now_needs_an_offset(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="UTC offset"):
        settings_from({"SCHOLAR_DIGEST_NOW": "2026-12-04T07:00"}, tmp_path)
    fixed = settings_from({"SCHOLAR_DIGEST_NOW": "2026-12-04T07:00+01:00"}, tmp_path)
    assert fixed.now is not None and fixed.now.utcoffset() is not None


def test_ca_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"CA_FILE.*no such file"):
        settings_from({"SCHOLAR_DIGEST_CA_FILE": str(tmp_path / "nope.pem")}, tmp_path)


def write_rules(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "digest.toml").write_text(body, encoding="utf-8")
    return folder


def test_schedule_keys_are_read_from_the_rules(tmp_path: Path) -> None:
    folder = write_rules(
        tmp_path,
        '[settings]\nsend_at = "6:30"\ntimezone = "Asia/Shanghai"\n'
        'empty_days = "skip"\nrecipients = ["a@example.org", "b@example.org"]\n',
    )
    loaded = load_digest_settings(folder)
    assert loaded.send_time == time(6, 30)
    assert str(loaded.zone) == "Asia/Shanghai"
    assert loaded.empty_days == "skip"
    assert loaded.recipients == ("a@example.org", "b@example.org")


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('send_at = "7 am"', "24-hour time"),
        ('send_at = "24:00"', "24-hour time"),
        ('timezone = "Mars/Olympus"', "unknown time zone"),
        ('empty_days = "never"', '"note" or "skip"'),
        ('recipients = ["not-an-address"]', "not an email address"),
        ('recipients = ["a@b.org, c@d.org"]', "not an email address"),
        ('recipients = "a@b.org"', "list in brackets"),
    ],
)
def test_bad_schedule_keys_name_file_and_line(
    line: str, fragment: str, tmp_path: Path
) -> None:
    folder = write_rules(tmp_path, f"[settings]\ntitle = 'x'\n{line}\n")
    with pytest.raises(RulesError, match=fragment) as caught:
        load_digest_settings(folder)
    assert caught.value.line == 3
    assert caught.value.path.endswith("digest.toml")


def test_a_second_run_on_the_same_data_folder_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "run.lock"
    with (
        run_lock(lock),
        pytest.raises(AlreadyRunningError, match="pid"),
        run_lock(lock),
    ):
        pass
    # Released on exit: the next run may start.
    with run_lock(lock):
        pass


def test_a_killed_run_leaves_no_stale_lock(tmp_path: Path) -> None:
    lock = tmp_path / "run.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from bot.daemon.lock import run_lock\n"
            f"with run_lock(Path({str(lock)!r})):\n"
            "    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(AlreadyRunningError), run_lock(lock):
            pass
    finally:
        holder.kill()
        holder.wait()
    with run_lock(lock):
        pass
