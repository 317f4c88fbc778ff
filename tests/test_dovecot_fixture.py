"""The Dovecot fixture and the cuttable proxy behave as the IMAP tests rely on."""

from __future__ import annotations

import imaplib
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest
import trustme
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.servers import fixtures
from tests.servers.dovecot import DovecotServer
from tests.servers.tcp_proxy import CuttableProxy

ALERT = (
    b"From: Google Scholar Alerts <scholaralerts-noreply@google.com>\r\n"
    b"To: reader@example.org\r\n"
    b"Subject: New articles\r\n"
    b"Message-ID: <alert-1@scholar.example>\r\n"
    b"\r\n"
    b"One new paper.\r\n"
)
UNICODE_FOLDERS = ["Scholar/Entwürfe", "学术提醒", "2024", "Alerts v1.2"]
# Makes a FETCH answer far longer than what cut_on lets through.
LONG_ALERT = ALERT + b"x" * 20_000 + b"\r\n"


def through(proxy: CuttableProxy, *, timeout: float = 5.0) -> IMAPClient:
    return IMAPClient(proxy.host, proxy.port, ssl=False, timeout=timeout)


def test_implicit_tls_login_verifies_certificate_against_ca_file(
    dovecot: DovecotServer,
) -> None:
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    imap = IMAPClient(dovecot.host, dovecot.tls_port, ssl=True, ssl_context=context)

    imap.login(dovecot.user, dovecot.password)

    assert imap.select_folder("INBOX")[b"EXISTS"] == 0
    imap.logout()


def test_implicit_tls_rejects_a_client_that_does_not_trust_the_ca(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(trustme.CA().cert_pem.bytes())
    context = ssl.create_default_context(cafile=str(other_ca))

    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(dovecot.host, dovecot.tls_port, ssl=True, ssl_context=context)


def test_starttls_upgrades_the_plain_port_before_login(dovecot: DovecotServer) -> None:
    imap = IMAPClient(dovecot.host, dovecot.port, ssl=False)
    assert b"STARTTLS" in imap.capabilities()

    imap.starttls(dovecot.ssl_context())
    imap.login(dovecot.user, dovecot.password)

    assert imap.noop()
    imap.logout()


def test_plaintext_login_works_on_loopback(dovecot: DovecotServer) -> None:
    imap = IMAPClient(dovecot.host, dovecot.port, ssl=False)

    imap.login(dovecot.user, dovecot.password)

    assert imap.list_folders()
    imap.logout()


def test_wrong_password_is_refused_without_delay(dovecot: DovecotServer) -> None:
    imap = IMAPClient(dovecot.host, dovecot.port, ssl=False)
    started = time.monotonic()

    with pytest.raises(LoginError):
        imap.login(dovecot.user, "not-the-password")

    assert time.monotonic() - started < 1.0
    imap.shutdown()


@pytest.mark.parametrize("name", UNICODE_FOLDERS)
def test_unicode_folder_can_be_created_and_selected(
    dovecot: DovecotServer, name: str
) -> None:
    dovecot.create_folder(name)

    assert name in dovecot.folders()
    with dovecot.client("tls") as imap:
        assert imap.select_folder(name)[b"EXISTS"] == 0


def test_append_returns_ascending_uids_and_keeps_flags(
    dovecot: DovecotServer,
) -> None:
    dovecot.create_folder("学术提醒")

    first = dovecot.append("学术提醒", ALERT, flags=[b"\\Seen"])
    second = dovecot.append("学术提醒", ALERT)

    assert second > first
    assert dovecot.uids("学术提醒") == [first, second]
    assert dovecot.flags("学术提醒") == {first: (b"\\Seen",), second: ()}


def test_delete_messages_empties_the_folder(dovecot: DovecotServer) -> None:
    dovecot.append("INBOX", ALERT)
    dovecot.append("INBOX", ALERT)

    dovecot.delete_messages("INBOX")

    assert dovecot.uids("INBOX") == []


def test_idle_is_advertised_by_default(dovecot: DovecotServer) -> None:
    with dovecot.client() as imap:
        assert imap.has_capability("IDLE")


def test_idle_is_not_advertised_when_disabled(
    dovecot_no_idle: DovecotServer,
) -> None:
    bare = IMAPClient(dovecot_no_idle.host, dovecot_no_idle.port, ssl=False)
    assert b"IDLE" not in bare.capabilities()
    bare.shutdown()

    with dovecot_no_idle.client() as imap:
        assert not imap.has_capability("IDLE")
        assert imap.has_capability("UIDPLUS")


@pytest.mark.parametrize("folder", ["Scholar/Entwürfe", "INBOX"])
def test_recreate_folder_changes_uidvalidity_and_keeps_messages(
    dovecot: DovecotServer, folder: str
) -> None:
    if folder != "INBOX":
        dovecot.create_folder(folder)
    dovecot.append(folder, ALERT, flags=[b"\\Seen"])
    dovecot.append(folder, ALERT)
    before = dovecot.uidvalidity(folder)

    after = dovecot.recreate_folder(folder)

    assert after != before
    assert dovecot.uidvalidity(folder) == after
    assert sorted(dovecot.flags(folder).values()) == [(), (b"\\Seen",)]


def test_recreated_folder_shows_new_uidvalidity_to_a_session_that_reselects(
    dovecot: DovecotServer,
) -> None:
    dovecot.create_folder("2024")
    dovecot.append("2024", ALERT)
    dovecot.append("2024", ALERT)
    watcher = IMAPClient(dovecot.host, dovecot.port, ssl=False, timeout=5)
    watcher.login(dovecot.user, dovecot.password)
    before = watcher.select_folder("2024")[b"UIDVALIDITY"]

    after = dovecot.recreate_folder("2024")

    assert watcher.select_folder("2024")[b"UIDVALIDITY"] == after != before
    assert watcher.search() == [1, 2]
    watcher.logout()


def test_recreating_inbox_drops_a_session_that_has_it_selected(
    dovecot: DovecotServer,
) -> None:
    dovecot.append("INBOX", ALERT)
    watcher = IMAPClient(dovecot.host, dovecot.port, ssl=False, timeout=5)
    watcher.login(dovecot.user, dovecot.password)
    watcher.select_folder("INBOX")

    dovecot.recreate_folder("INBOX")

    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        watcher.noop()
    watcher.shutdown()


def test_kick_disconnects_every_session(dovecot: DovecotServer) -> None:
    sessions = [
        IMAPClient(dovecot.host, dovecot.port, ssl=False, timeout=5) for _ in "ab"
    ]
    for imap in sessions:
        imap.login(dovecot.user, dovecot.password)

    dovecot.kick()

    # doveadm answers before the sessions are gone: allow a moment.
    for imap in sessions:
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                imap.noop()
                time.sleep(0.1)
        imap.shutdown()


def test_restart_keeps_ports_and_mail(dovecot: DovecotServer) -> None:
    uid = dovecot.append("INBOX", ALERT)
    ports = (dovecot.port, dovecot.tls_port)

    dovecot.restart()

    assert (dovecot.port, dovecot.tls_port) == ports
    assert dovecot.uids("INBOX") == [uid]


def test_stop_ends_every_dovecot_process(tmp_path: Path) -> None:
    fixtures.require_dovecot()
    server = DovecotServer.start(tmp_path / "server")
    with server.client() as imap:
        imap.select_folder("INBOX")
        assert server.child_pids()

        server.close()

        assert not server.running
        assert server.child_pids() == []
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            imap.noop()


def test_proxy_forwards_a_whole_session(
    dovecot: DovecotServer, proxy_to_dovecot: CuttableProxy
) -> None:
    uid = dovecot.append("INBOX", LONG_ALERT)
    imap = through(proxy_to_dovecot)
    imap.starttls(dovecot.ssl_context())
    imap.login(dovecot.user, dovecot.password)
    imap.select_folder("INBOX")

    fetched = imap.fetch([uid], [b"BODY.PEEK[]"])

    assert fetched[uid][b"BODY[]"] == LONG_ALERT
    assert proxy_to_dovecot.connections == 1
    imap.logout()


@pytest.mark.parametrize("reset", [False, True], ids=["eof", "reset"])
def test_cut_makes_the_client_fail_without_bye(
    dovecot: DovecotServer, proxy_to_dovecot: CuttableProxy, reset: bool
) -> None:
    imap = through(proxy_to_dovecot)
    imap.login(dovecot.user, dovecot.password)
    imap.select_folder("INBOX")

    proxy_to_dovecot.cut(reset=reset)

    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        imap.noop()
    assert proxy_to_dovecot.live_connections == 0
    imap.shutdown()


def test_blackhole_makes_a_client_with_a_timeout_time_out(
    dovecot: DovecotServer, proxy_to_dovecot: CuttableProxy
) -> None:
    imap = through(proxy_to_dovecot, timeout=0.5)
    imap.login(dovecot.user, dovecot.password)

    proxy_to_dovecot.blackhole(True)

    started = time.monotonic()
    with pytest.raises((TimeoutError, imaplib.IMAP4.abort)):
        imap.noop()
    assert time.monotonic() - started < 3
    assert proxy_to_dovecot.live_connections == 1
    imap.shutdown()


def test_blackhole_off_lets_new_sessions_through(
    dovecot: DovecotServer, proxy_to_dovecot: CuttableProxy
) -> None:
    proxy_to_dovecot.blackhole(True)
    proxy_to_dovecot.blackhole(False)

    imap = through(proxy_to_dovecot)
    imap.login(dovecot.user, dovecot.password)

    assert imap.noop()
    imap.logout()


def test_cut_on_fetch_drops_the_connection_mid_answer(
    dovecot: DovecotServer, proxy_to_dovecot: CuttableProxy
) -> None:
    uid = dovecot.append("INBOX", LONG_ALERT)
    imap = through(proxy_to_dovecot)
    imap.login(dovecot.user, dovecot.password)
    imap.select_folder("INBOX")
    fired = proxy_to_dovecot.cut_on(b"FETCH", allow=100)

    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        imap.fetch([uid], [b"BODY.PEEK[]"])

    assert fired.wait(5)
    assert dovecot.uids("INBOX") == [uid]
    imap.shutdown()


def test_refuse_closes_new_connections_until_turned_off(
    dovecot: DovecotServer, proxy_to_dovecot: CuttableProxy
) -> None:
    proxy_to_dovecot.refuse(True)

    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        through(proxy_to_dovecot)

    proxy_to_dovecot.refuse(False)
    imap = through(proxy_to_dovecot)
    imap.login(dovecot.user, dovecot.password)
    imap.logout()
    assert proxy_to_dovecot.connections == 2


def test_closed_proxy_leaves_no_thread_or_listener(dovecot: DovecotServer) -> None:
    proxy = CuttableProxy(dovecot.host, dovecot.port)
    imap = through(proxy)
    imap.login(dovecot.user, dovecot.password)
    port = proxy.port

    proxy.close()

    assert not any(t.name == f"cuttable-proxy-{port}" for t in threading.enumerate())
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        imap.noop()
    imap.shutdown()


def test_proxy_refuses_to_forward_past_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        CuttableProxy("192.0.2.1", 143)


@pytest.mark.parametrize("variable", ["CI", "SCHOLAR_DIGEST_REQUIRE_DOVECOT"])
def test_missing_dovecot_fails_where_it_is_required(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setattr(fixtures, "find_dovecot", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("SCHOLAR_DIGEST_REQUIRE_DOVECOT", raising=False)
    monkeypatch.setenv(variable, "1")

    with pytest.raises(pytest.fail.Exception, match=variable):
        fixtures.require_dovecot()


def test_missing_dovecot_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fixtures, "find_dovecot", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("SCHOLAR_DIGEST_REQUIRE_DOVECOT", raising=False)

    with pytest.raises(pytest.skip.Exception, match="apt-get install dovecot-imapd"):
        fixtures.require_dovecot()
