"""The IMAP listener against a real Dovecot on 127.0.0.1."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

from bot.config import Settings
from bot.errors import FolderNotFoundError, MailboxError, MailboxLoginError
from bot.store import open_store
from tests.imap_support import (
    alerts,
    imap_settings,
    read_once,
    running,
    wait_for,
)
from tests.servers.dovecot import DovecotServer
from tests.servers.fixtures import require_dovecot
from tests.servers.tcp_proxy import CuttableProxy

KEYWORD = "$ScholarDigest"


def message_rows(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT status, COUNT(*) AS n FROM messages GROUP BY status")
    return {row["status"]: row["n"] for row in rows}


def stored(settings: Settings) -> dict[str, int]:
    conn = open_store(settings.store_path)
    try:
        return message_rows(conn)
    finally:
        conn.close()


def test_catch_up_after_downtime_reads_only_what_is_new(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path)
    for raw in alerts(3, seed=1):
        dovecot.append("INBOX", raw)
    assert read_once(settings) == 3

    for raw in alerts(2, seed=2):
        dovecot.append("INBOX", raw)
    assert read_once(settings) == 2
    assert read_once(settings) == 0
    assert stored(settings) == {"parsed": 5}


def test_the_users_seen_flags_are_untouched_and_our_keyword_is_set(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path)
    unread, read = alerts(2, seed=3)
    first = dovecot.append("INBOX", unread)
    second = dovecot.append("INBOX", read, flags=[b"\\Seen"])
    read_once(settings)

    flags = dovecot.flags("INBOX")
    assert b"\\Seen" not in flags[first]
    assert b"\\Seen" in flags[second]
    assert all(KEYWORD.encode() in flags[uid] for uid in (first, second))


def test_processed_messages_move_to_the_configured_folder(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    dovecot.create_folder("Processed")
    settings = imap_settings(dovecot, tmp_path, IMAP_MOVE_TO="Processed")
    for raw in alerts(2, seed=4):
        dovecot.append("INBOX", raw)
    assert read_once(settings) == 2
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("Processed")) == 2
    assert all(b"\\Seen" not in f for f in dovecot.flags("Processed").values())


def test_a_message_appended_during_idle_is_ingested_within_seconds(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path, IMAP_IDLE_SECONDS="600")
    with running(settings) as runner:
        wait_for(
            lambda: runner.listener is not None and runner.listener.state.connected
        )
        time.sleep(0.5)  # in IDLE by now
        started = time.monotonic()
        dovecot.append("INBOX", alerts(1, seed=5)[0])
        wait_for(lambda: runner.processed == 1, seconds=10)
        took = time.monotonic() - started
    assert took < 5, f"took {took:.1f} s"
    assert stored(settings) == {"parsed": 1}


def test_polling_reads_new_mail_when_the_server_has_no_idle(
    dovecot_no_idle: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot_no_idle, tmp_path)
    with running(settings) as runner:
        wait_for(
            lambda: runner.listener is not None and runner.listener.state.connected
        )
        dovecot_no_idle.append("INBOX", alerts(1, seed=6)[0])
        wait_for(lambda: runner.processed == 1, seconds=10)
    assert stored(settings) == {"parsed": 1}


def test_a_connection_cut_during_idle_reconnects_and_catches_up(
    dovecot: DovecotServer, proxy_to_dovecot: CuttableProxy, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path, port=proxy_to_dovecot.port)
    with running(settings) as runner:
        wait_for(
            lambda: runner.listener is not None and runner.listener.state.connected
        )
        time.sleep(0.5)
        # Cut with no BYE; the message arrives while the bot is away.
        proxy_to_dovecot.refuse(True)
        proxy_to_dovecot.cut()
        dovecot.append("INBOX", alerts(1, seed=7)[0])
        time.sleep(1.5)
        assert runner.processed == 0
        proxy_to_dovecot.refuse(False)
        wait_for(lambda: runner.processed == 1, seconds=15)
        assert runner.listener is not None
        assert runner.listener.state.reconnects >= 1
    assert stored(settings) == {"parsed": 1}


def test_a_connection_cut_during_fetch_loses_and_doubles_nothing(
    dovecot: DovecotServer, proxy_to_dovecot: CuttableProxy, tmp_path: Path
) -> None:
    # Plaintext on loopback, so the proxy can see the FETCH go by.
    settings = imap_settings(
        dovecot, tmp_path, port=proxy_to_dovecot.port, IMAP_TLS="off"
    )
    for raw in alerts(3, seed=8):
        dovecot.append("INBOX", raw)
    proxy_to_dovecot.cut_on(b"BODY.PEEK[]")
    with running(settings) as runner:
        wait_for(lambda: runner.processed == 3, seconds=20)
        assert runner.listener is not None
        assert runner.listener.state.reconnects >= 1
    assert proxy_to_dovecot.connections >= 2
    assert stored(settings) == {"parsed": 3}
    flags = dovecot.flags("INBOX")
    assert all(KEYWORD.encode() in f for f in flags.values())


def test_a_silently_dead_connection_is_noticed_by_timeout(
    dovecot: DovecotServer, proxy_to_dovecot: CuttableProxy, tmp_path: Path
) -> None:
    settings = imap_settings(
        dovecot, tmp_path, port=proxy_to_dovecot.port, IMAP_IDLE_SECONDS="1"
    )
    with running(settings) as runner:
        wait_for(
            lambda: runner.listener is not None and runner.listener.state.connected
        )
        proxy_to_dovecot.blackhole(True)
        wait_for(
            lambda: (
                runner.listener is not None and runner.listener.state.reconnects >= 1
            )
        )
        proxy_to_dovecot.blackhole(False)
        proxy_to_dovecot.cut()  # the stalled sessions; new ones flow again
        dovecot.append("INBOX", alerts(1, seed=9)[0])
        wait_for(lambda: runner.processed == 1, seconds=20)
    assert stored(settings) == {"parsed": 1}


def test_a_new_uidvalidity_rescans_without_duplicates(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    dovecot.create_folder("Alerts")
    settings = imap_settings(dovecot, tmp_path, IMAP_FOLDER="Alerts")
    for raw in alerts(2, seed=10):
        dovecot.append("Alerts", raw)
    assert read_once(settings) == 2

    dovecot.recreate_folder("Alerts")
    dovecot.append("Alerts", alerts(1, seed=11)[0])
    # Every message is read again (UIDs started over) ...
    assert read_once(settings) == 3
    # ... but the store recognises the two it had.
    assert stored(settings) == {"parsed": 3}


@pytest.mark.parametrize("folder", ["Scholar/Entwürfe", "学术提醒", "2024"])
def test_unicode_and_numeric_folder_names_are_found(
    folder: str, dovecot: DovecotServer, tmp_path: Path
) -> None:
    dovecot.create_folder(folder)
    settings = imap_settings(dovecot, tmp_path, IMAP_FOLDER=folder)
    dovecot.append(folder, alerts(1, seed=12)[0])
    assert read_once(settings) == 1


def test_a_missing_folder_is_named_readably_with_what_exists(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    dovecot.create_folder("Scholar/Entwürfe")
    settings = imap_settings(dovecot, tmp_path, IMAP_FOLDER="Scholar/Entwurf")
    with pytest.raises(FolderNotFoundError) as caught:
        read_once(settings)
    text = str(caught.value)
    assert "'Scholar/Entwurf'" in text
    assert "Scholar/Entwürfe" in text
    assert "&" not in text  # not modified UTF-7


def test_a_refused_password_stops_the_listener_with_a_clear_error(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path, IMAP_PASSWORD="wrong")
    with running(settings) as runner:
        runner.thread.join(10)
    assert len(runner.errors) == 1
    assert isinstance(runner.errors[0], MailboxLoginError)
    assert "app password" in str(runner.errors[0])
    assert "wrong" not in str(runner.errors[0])


def test_implicit_tls_checks_the_certificate(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    dovecot.append("INBOX", alerts(1, seed=13)[0])
    trusted = imap_settings(
        dovecot, tmp_path, port=dovecot.tls_port, IMAP_TLS="implicit"
    )
    assert read_once(trusted) == 1

    untrusted = imap_settings(
        dovecot,
        tmp_path / "other",
        port=dovecot.tls_port,
        IMAP_TLS="implicit",
        CA_FILE="",
    )
    with pytest.raises(MailboxError, match="certificate"):
        read_once(untrusted)


def test_a_damaged_message_is_quarantined_and_the_rest_flow(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path)
    good_before, good_after = alerts(2, seed=14)
    damaged = Path("bot/samples/inbox/12-broken-truncated.eml").read_bytes()
    dovecot.append("INBOX", good_before)
    dovecot.append("INBOX", damaged)
    dovecot.append("INBOX", good_after)
    assert read_once(settings) == 3
    assert stored(settings) == {"parsed": 2, "quarantined": 1}
    assert list((settings.quarantine_dir).glob("*.eml"))
    assert read_once(settings) == 0


def test_a_server_restart_with_bye_is_ridden_out(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path, IMAP_IDLE_SECONDS="600")
    with running(settings) as runner:
        wait_for(
            lambda: runner.listener is not None and runner.listener.state.connected
        )
        time.sleep(0.5)
        dovecot.stop()  # sessions end with "* BYE" or EOF
        wait_for(
            lambda: (
                runner.listener is not None and runner.listener.state.reconnects >= 1
            )
        )
        dovecot.restart()
        dovecot.append("INBOX", alerts(1, seed=15)[0])
        wait_for(lambda: runner.processed == 1, seconds=20)
    assert stored(settings) == {"parsed": 1}


def test_keepalives_during_idle_are_ignored(
    tmp_path_factory: pytest.TempPathFactory, dovecot_ca: trustme.CA, tmp_path: Path
) -> None:
    require_dovecot()
    root = tmp_path_factory.mktemp("dovecot-chatty")
    # "* OK Still here" every second instead of every two minutes.
    chatty = "imap_idle_notify_interval = 1 secs\n"
    with DovecotServer.start(root, tls_ca=dovecot_ca, extra_config=chatty) as server:
        settings = imap_settings(server, tmp_path, IMAP_IDLE_SECONDS="600")
        dovecot_log = logging.getLogger("bot.intake.listener")
        with running(settings) as runner, _captured(dovecot_log) as lines:
            wait_for(
                lambda: runner.listener is not None and runner.listener.state.connected
            )
            time.sleep(3.5)
            assert runner.listener is not None
            assert runner.listener.state.reconnects == 0
            # Connected, caught up once, and no catch-up for a keepalive.
            assert sum("caught up" in line for line in lines) == 1
            server.append("INBOX", alerts(1, seed=16)[0])
            wait_for(lambda: runner.processed == 1, seconds=10)


def test_idle_is_reissued_at_the_configured_interval(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path, IMAP_IDLE_SECONDS="1")
    with (
        _captured(logging.getLogger("bot.intake.listener")) as lines,
        running(settings) as runner,
    ):
        wait_for(
            lambda: runner.listener is not None and runner.listener.state.connected
        )
        time.sleep(3.6)
        assert runner.listener is not None
        assert runner.listener.state.reconnects == 0
    idles = [line for line in lines if line.endswith(": idle")]
    assert 3 <= len(idles) <= 6


@contextmanager
def _captured(logger: logging.Logger) -> Iterator[list[str]]:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect(level=logging.INFO)
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def test_a_move_to_folder_that_does_not_exist_is_named_at_once(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path, IMAP_MOVE_TO="Done/Scholar")
    dovecot.append("INBOX", alerts(1, seed=17)[0])
    with pytest.raises(FolderNotFoundError, match=r"'Done/Scholar'.*IMAP_MOVE_TO"):
        read_once(settings)
    assert stored(settings) == {}
