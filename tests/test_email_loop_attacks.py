"""Hostile tests of the email loop: odd servers, odd settings, odd timing.

Every server here is started by the test on 127.0.0.1: a real Dovecot, a
real aiosmtpd, or a small scripted IMAP server for what Dovecot never does.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import socketserver
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import trustme
from aiosmtpd.controller import Controller

from bot.config import Settings, SmtpSettings, load_settings
from bot.daemon.schedule import Schedule
from bot.deliver.smtp import send_email
from bot.errors import (
    ConfigError,
    DeliveryError,
    RulesError,
    SendDeferredError,
    SendRefusedError,
)
from bot.intake.imap_session import MailboxSession
from bot.rules.settings import load_digest_settings
from bot.store import open_store
from tests.email_loop import RECIPIENTS, MailWorld, parsed
from tests.imap_support import (
    alerts,
    imap_settings,
    read_once,
    running,
    wait_for,
)
from tests.servers.dovecot import DovecotServer
from tests.servers.fixtures import require_dovecot
from tests.servers.smtp import (
    SENDER,
    ScriptedHandler,
    SmtpServer,
    TestCertificates,
    free_port,
)
from tests.support import run_cli

FRIDAY_MORNING = "2026-12-04T08:00:00+00:00"
SMTP_LOGIN = ("digest-bot", "Sm7p-pa55w0rd-very-secret")


def message_rows(settings: Settings) -> list[sqlite3.Row]:
    conn = open_store(settings.store_path)
    try:
        return list(conn.execute("SELECT status, origin, error FROM messages"))
    finally:
        conn.close()


# -- IMAP against Dovecot -----------------------------------------------------


def test_mail_arriving_during_a_catch_up_is_read_without_waiting_for_more_mail(
    dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A message lands after the catch-up's UID SEARCH, while the bot fetches
    # and marks: the server's "* n EXISTS" rides on the answer to one of
    # those commands, not on the IDLE that follows.
    settings = imap_settings(dovecot, tmp_path, IMAP_IDLE_SECONDS="1")
    first, late = alerts(2, seed=101)
    dovecot.append("INBOX", first)
    original = MailboxSession.uids_after
    calls: list[int] = []

    def search_then_deliver(self: MailboxSession, last_uid: int) -> list[int]:
        found = original(self, last_uid)
        calls.append(last_uid)
        if len(calls) == 1:
            dovecot.append("INBOX", late)
        return found

    monkeypatch.setattr(MailboxSession, "uids_after", search_then_deliver)
    with running(settings) as runner:
        arrived = wait_for(lambda: runner.processed == 2, seconds=6)
    assert arrived, (
        f"the late message was not read within 6 s (3+ IDLE rounds); "
        f"processed {runner.processed}"
    )


def test_a_message_expunged_between_search_and_fetch_is_skipped_not_quarantined(
    dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = imap_settings(dovecot, tmp_path)
    keep, doomed = alerts(2, seed=102)
    dovecot.append("INBOX", keep)
    doomed_uid = dovecot.append("INBOX", doomed)
    original = MailboxSession.uids_after

    def search_then_expunge(self: MailboxSession, last_uid: int) -> list[int]:
        found = original(self, last_uid)
        if doomed_uid in found:
            # Another mail client deletes it meanwhile.
            dovecot.delete_messages("INBOX", [doomed_uid])
        return found

    monkeypatch.setattr(MailboxSession, "uids_after", search_then_expunge)
    read_once(settings)
    rows = message_rows(settings)
    assert [row["status"] for row in rows] == ["parsed"], [dict(r) for r in rows]


def test_a_move_to_folder_that_does_not_exist_stops_the_listener_naming_it(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path, IMAP_MOVE_TO="Processed/Scholar")
    for raw in alerts(2, seed=103):
        dovecot.append("INBOX", raw)
    with running(settings) as runner:
        stopped = wait_for(lambda: not runner.thread.is_alive(), seconds=8)
        reconnects = runner.reconnects
    assert stopped, (
        f"still retrying after 8 s ({reconnects} reconnects); "
        f"last error: {runner.listener.state.last_error if runner.listener else None}"
    )
    assert len(runner.errors) == 1
    assert "Processed/Scholar" in str(runner.errors[0])
    assert "IMAP_MOVE_TO" in str(runner.errors[0])


def test_a_keyword_the_server_refuses_does_not_hold_up_later_alerts(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    # The settings take keywords up to 64 characters; Dovecot's default
    # mail_max_keyword_length is 50.
    keyword = "$" + "K" * 59
    settings = imap_settings(dovecot, tmp_path, IMAP_KEYWORD=keyword)
    for raw in alerts(3, seed=104):
        dovecot.append("INBOX", raw)
    with running(settings) as runner:
        wait_for(lambda: runner.processed == 3 or bool(runner.errors), seconds=8)
        processed, errors = runner.processed, list(runner.errors)
        last_error = runner.listener.state.last_error if runner.listener else None
    stored = [row["status"] for row in message_rows(settings)]
    refused_clearly = any("IMAP_KEYWORD" in str(exc) for exc in errors)
    assert refused_clearly or stored == ["parsed"] * 3, (
        f"stored {stored}, processed {processed}, errors {errors}, "
        f"last error {last_error}"
    )


@pytest.mark.parametrize(
    "folder",
    [
        "Scholar Alerts",
        "R&D",
        "Entwürfe & Co",
        'Say "hi"',
        "back\\slash",
        "&-",
        "007",
        "Alerts/2024",
    ],
)
def test_odd_folder_names_are_selected_and_remembered(
    folder: str, dovecot: DovecotServer, tmp_path: Path
) -> None:
    try:
        dovecot.create_folder(folder)
    except Exception as exc:  # the server's limits, not the bot's
        pytest.skip(f"Dovecot will not create {folder!r}: {exc}")
    settings = imap_settings(dovecot, tmp_path, IMAP_FOLDER=folder)
    first, second = alerts(2, seed=106)
    dovecot.append(folder, first)
    assert read_once(settings) == 1
    dovecot.append(folder, second)
    assert read_once(settings) == 1
    assert read_once(settings) == 0
    flags = dovecot.flags(folder)
    assert all(b"$ScholarDigest" in found for found in flags.values())


def test_processed_mail_moves_into_a_folder_with_an_odd_unicode_name(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    target = 'Erledigt/Entwürfe & "Co"'
    dovecot.create_folder(target)
    settings = imap_settings(dovecot, tmp_path, IMAP_MOVE_TO=target)
    for raw in alerts(2, seed=107):
        dovecot.append("INBOX", raw)
    assert read_once(settings) == 2
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids(target)) == 2


def test_a_message_over_the_size_cap_is_left_unfetched_and_the_rest_flow(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path, MAX_MESSAGE_BYTES="40000")
    small_before, small_after = alerts(2, seed=108)
    huge = small_before.replace(
        b"\r\n\r\n", b"\r\nX-Padding: " + b"x" * 60 + b"\r\n\r\n", 1
    )
    huge = huge.rstrip(b"\r\n") + b"\r\n" + (b"y" * 76 + b"\r\n") * 800
    dovecot.append("INBOX", small_before)
    big_uid = dovecot.append("INBOX", huge)
    dovecot.append("INBOX", small_after)
    assert read_once(settings) == 3
    rows = message_rows(settings)
    statuses = sorted(row["status"] for row in rows)
    assert statuses == ["parsed", "parsed", "quarantined"], [dict(r) for r in rows]
    (big,) = [row for row in rows if row["status"] == "quarantined"]
    assert big["origin"] == f"imap:INBOX#{big_uid}"
    assert "SCHOLAR_DIGEST_MAX_MESSAGE_BYTES" in big["error"]
    # Left on the server, unread, and not read again.
    assert b"\\Seen" not in dovecot.flags("INBOX")[big_uid]
    assert read_once(settings) == 0


def test_a_first_catch_up_of_300_alerts_reads_each_once(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    settings = imap_settings(dovecot, tmp_path)
    with dovecot.client() as imap:
        for raw in alerts(300, seed=109):
            imap.append("INBOX", raw)
    assert read_once(settings) == 300
    assert read_once(settings) == 0


# -- the CLI end to end -------------------------------------------------------


@pytest.fixture
def login_world(tmp_path: Path, dovecot_ca: trustme.CA) -> Iterator[MailWorld]:
    """A world whose SMTP server wants a login (over STARTTLS)."""
    require_dovecot()
    certificates = TestCertificates(tmp_path, ca=dovecot_ca)
    smtp = SmtpServer(
        certificates, mode="starttls", require_starttls=True, login=SMTP_LOGIN
    ).start()
    try:
        imap = DovecotServer.start(tmp_path / "imap", tls_ca=dovecot_ca)
    except BaseException:
        smtp.stop()
        raise
    (tmp_path / "rules").mkdir()
    try:
        yield MailWorld(imap, smtp, tmp_path)
    finally:
        imap.close()
        smtp.stop()


def secret_forms(secret: str, user: str) -> list[str]:
    """The secret as it could leak: plain, and as AUTH PLAIN/LOGIN send it."""
    plain = base64.b64encode(f"\0{user}\0{secret}".encode()).decode()
    login = base64.b64encode(secret.encode()).decode()
    return [secret, plain, login]


def test_verbose_logs_never_show_the_imap_or_smtp_password(
    login_world: MailWorld,
) -> None:
    world = login_world
    world.imap.append("INBOX", alerts(1, seed=110)[0])
    env = world.env(
        NOW=FRIDAY_MORNING,
        TO=RECIPIENTS[0],
        SMTP_USER=SMTP_LOGIN[0],
        SMTP_PASSWORD=SMTP_LOGIN[1],
    )
    done = run_cli("-v", "run", "--once", cwd=world.home, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(world.smtp.messages) == 1
    assert world.smtp.handler.logins and world.smtp.handler.logins[0].accepted
    status = run_cli("-v", "status", cwd=world.home, env=env)
    assert "LOGIN" in done.stderr  # the IMAP wire is logged at -v
    output = done.stdout + done.stderr + status.stdout + status.stderr
    leaks = [
        form
        for form in secret_forms(world.imap.password, world.imap.user)
        + secret_forms(SMTP_LOGIN[1], SMTP_LOGIN[0])
        if form in output
    ]
    assert leaks == []


def test_sigterm_during_idle_stops_run_promptly_and_logs_out(
    world: MailWorld,
) -> None:
    env = world.env(IMAP_IDLE_SECONDS="600")
    script = Path(sys.executable).parent / "scholar-digest"
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SCHOLAR_DIGEST_")
    }
    environment.update(
        {
            "SCHOLAR_DIGEST_OFFLINE": "1",
            "SCHOLAR_DIGEST_ARXIV_API_URL": "http://127.0.0.1:9/api/query",
            "SCHOLAR_DIGEST_OPENALEX_URL": "http://127.0.0.1:9",
            **env,
        }
    )
    log_path = world.home / "run.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [str(script), "run"],
            cwd=world.home,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    try:
        assert wait_for(
            lambda: ": idle" in log_path.read_text(errors="replace"), seconds=20
        ), log_path.read_text(errors="replace")
        time.sleep(0.5)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = log_path.read_text(errors="replace")
    assert code == 0, text
    # Well inside the 15 s wait: a stop is seen within an IDLE slice (1 s).
    assert took < 8, f"took {took:.1f} s to stop"
    assert "stopping" in text
    assert "Traceback" not in text
    # The IMAP session ended with a LOGOUT, not a dropped socket.
    assert wait_for(lambda: "Logged out" in world.imap.log_text(), seconds=3), (
        world.imap.log_text()[-2000:]
    )


# -- SMTP servers that misbehave ----------------------------------------------

RAW = b"From: digest@bot.test\r\nTo: ada@example.org\r\nSubject: t\r\n\r\nhi\r\n"


class RudeSmtp:
    """A scripted SMTP server on 127.0.0.1 that misbehaves on purpose.

    ``greeting`` is the first line; ``extensions`` what EHLO offers;
    ``after_data`` is ``"drop"`` (close without a reply), ``"hang"`` (never
    reply) or a reply line; ``starttls`` is ``"garbage"`` (answer 220, then
    send bytes that are not TLS) or ``"close"`` (answer 220, then close).
    Every command line received is recorded.
    """

    def __init__(
        self,
        *,
        greeting: str = "220 rude.test ESMTP",
        extensions: tuple[str, ...] = ("PIPELINING",),
        after_data: str = "250 2.0.0 ok",
        starttls: str = "garbage",
    ) -> None:
        self.commands: list[str] = []
        self.messages = 0
        rude = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                rude._talk(self.rfile, self.wfile, self.connection)

        self._greeting = greeting
        self._extensions = extensions
        self._after_data = after_data
        self._starttls = starttls
        self._release = threading.Event()
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _talk(self, rfile: Any, wfile: Any, connection: socket.socket) -> None:
        def say(line: str) -> None:
            wfile.write(line.encode() + b"\r\n")
            wfile.flush()

        say(self._greeting)
        if not self._greeting.startswith("220"):
            return
        while True:
            line = rfile.readline()
            if not line:
                return
            command = line.decode(errors="replace").strip()
            self.commands.append(command)
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                lines = ["rude.test", *self._extensions]
                for number, text in enumerate(lines):
                    joiner = " " if number == len(lines) - 1 else "-"
                    say(f"250{joiner}{text}")
            elif verb == "STARTTLS":
                say("220 2.0.0 go ahead")
                if self._starttls == "garbage":
                    wfile.write(b"this is not a TLS record\r\n" * 4)
                    wfile.flush()
                    self._release.wait(5)
                return
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                say("250 2.1.0 ok")
            elif verb == "DATA":
                say("354 go on")
                while rfile.readline() not in (b".\r\n", b""):
                    pass
                self.messages += 1
                if self._after_data == "drop":
                    connection.shutdown(socket.SHUT_RDWR)
                    return
                if self._after_data == "hang":
                    self._release.wait(30)
                    return
                say(self._after_data)
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("502 5.5.2 what")

    def settings(self, **changes: Any) -> SmtpSettings:
        base = {
            "host": "127.0.0.1",
            "port": self.port,
            "tls": "off",
            "sender": SENDER,
            "timeout": 1.0,
            "retry_seconds": 1.0,
        }
        base.update(changes)
        return SmtpSettings(**base)

    def __enter__(self) -> RudeSmtp:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


def send_raw(settings: SmtpSettings, ca_file: Path | None = None) -> None:
    asyncio.run(
        send_email(settings, ca_file=ca_file, recipient="ada@example.org", raw=RAW)
    )


def test_421_on_connect_is_a_temporary_failure() -> None:
    with (
        RudeSmtp(greeting="421 4.3.2 too busy, come back later") as server,
        pytest.raises(SendDeferredError) as caught,
    ):
        send_raw(server.settings())
    assert caught.value.code == 421


def test_a_connection_dropped_after_data_is_a_temporary_failure() -> None:
    with RudeSmtp(after_data="drop") as server:
        with pytest.raises(SendDeferredError):
            send_raw(server.settings())
        assert server.messages == 1


def test_a_server_that_takes_the_data_and_never_answers_costs_one_timeout() -> None:
    with RudeSmtp(after_data="hang") as server:
        started = time.monotonic()
        with pytest.raises(SendDeferredError):
            send_raw(server.settings(timeout=1.0))
        took = time.monotonic() - started
    # One SMTP_TIMEOUT for the reply; QUIT on a hung session must not add
    # another per command (that would be many seconds), so well under 5 s.
    assert took < 5, f"took {took:.1f} s with a 1 s timeout"


@pytest.mark.parametrize("how", ["garbage", "close"])
def test_a_failed_starttls_handshake_sends_nothing_in_plaintext(
    how: str, tmp_path: Path
) -> None:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    with RudeSmtp(extensions=("STARTTLS", "AUTH PLAIN"), starttls=how) as server:
        settings = server.settings(
            tls="starttls", user="digest", password="never-in-plaintext"
        )
        with pytest.raises(DeliveryError) as caught:
            send_raw(settings, tmp_path / "ca.pem")
        commands = list(server.commands)
    assert isinstance(caught.value, SendDeferredError), caught.value
    verbs = [command.split(" ", 1)[0].upper() for command in commands]
    assert "AUTH" not in verbs and "MAIL" not in verbs, commands
    assert not any("never-in-plaintext" in command for command in commands)


def test_a_server_offering_no_auth_gets_no_mail_when_a_user_is_set() -> None:
    with RudeSmtp(extensions=("PIPELINING", "8BITMIME")) as server:
        settings = server.settings(user="digest", password="s3cret")
        with pytest.raises(DeliveryError, match="AUTH") as caught:
            send_raw(settings)
        verbs = [command.split(" ", 1)[0].upper() for command in server.commands]
    assert not isinstance(caught.value, SendRefusedError | SendDeferredError)
    assert "MAIL" not in verbs and "AUTH" not in verbs, verbs


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_a_certificate_for_another_host_is_refused_before_login(
    mode: str, tmp_path: Path, smtp_certificates: TestCertificates
) -> None:
    leaf = smtp_certificates.ca.issue_cert("mail.example.org")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    handler = ScriptedHandler()
    port = free_port()
    options: dict[str, Any] = {"hostname": "127.0.0.1", "port": port}
    if mode == "starttls":
        options["tls_context"] = context
    else:
        options["ssl_context"] = context
    controller = Controller(handler, server_hostname="smtp.test", **options)
    controller.start()
    try:
        settings = SmtpSettings(
            host="127.0.0.1",
            port=port,
            user="digest",
            password="s3cret",
            tls=mode,
            sender=SENDER,
            timeout=3.0,
        )
        with pytest.raises(DeliveryError, match="certificate") as caught:
            send_raw(settings, smtp_certificates.ca_file)
    finally:
        controller.stop()
    assert not isinstance(caught.value, SendDeferredError | SendRefusedError)
    assert handler.messages == [] and handler.logins == []


def test_a_digest_over_the_servers_size_limit_is_not_blamed_on_the_sender(
    smtp_certificates: TestCertificates,
) -> None:
    handler = ScriptedHandler()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        server_hostname="smtp.test",
        data_size_limit=40,
    )
    controller.start()
    try:
        settings = SmtpSettings(
            host="127.0.0.1", port=port, tls="off", sender=SENDER, timeout=3.0
        )
        with pytest.raises(DeliveryError) as caught:
            send_raw(settings)
    finally:
        controller.stop()
    text = str(caught.value)
    # A 552 for the message's size says nothing about SMTP_FROM.
    assert "SMTP_FROM" not in text, text
    assert isinstance(caught.value, SendRefusedError), (type(caught.value), text)


# -- the schedule in odd time zones -------------------------------------------


@pytest.mark.parametrize(
    ("zone", "send_at"),
    [
        ("Pacific/Chatham", "00:00"),
        ("Pacific/Chatham", "23:59"),
        ("Asia/Kathmandu", "00:00"),
        ("Asia/Kathmandu", "23:59"),
        ("Australia/Lord_Howe", "02:15"),
        ("America/Havana", "00:00"),
    ],
)
def test_odd_zones_and_edge_send_times_give_one_digest_every_day(
    zone: str, send_at: str
) -> None:
    hours, minutes = send_at.split(":")
    schedule = Schedule(clock_time(int(hours), int(minutes)), ZoneInfo(zone))
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    last: date | None = None
    days: list[date] = []
    while moment < datetime(2027, 1, 1, tzinfo=UTC):
        day = schedule.due_day(moment, last)
        if day is not None:
            days.append(day)
            last = day
        moment += timedelta(minutes=7)
    assert len(days) == len(set(days)) and days == sorted(days)
    assert len(days) == (days[-1] - days[0]).days + 1


@pytest.mark.parametrize(
    ("zone", "send_at", "saturday", "sunday_due"),
    [
        # Berlin skips 02:00-03:00 on 29 March 2026: 02:30 fires at 03:00.
        ("Europe/Berlin", "02:30", "2026-03-28T09:00", "2026-03-29T03:00"),
        # Chatham skips 02:45-03:45 on 27 September 2026.
        ("Pacific/Chatham", "03:00", "2026-09-26T09:00", "2026-09-27T03:45"),
    ],
)
def test_next_send_names_the_moment_a_send_time_in_a_dst_gap_fires(
    zone: str, send_at: str, saturday: str, sunday_due: str
) -> None:
    tz = ZoneInfo(zone)
    hours, minutes = send_at.split(":")
    schedule = Schedule(clock_time(int(hours), int(minutes)), tz)
    now = datetime.fromisoformat(saturday).replace(tzinfo=tz)
    last = now.date()
    announced = schedule.next_send(now, last)
    # Arithmetic in UTC: within one tzinfo Python adds wall-clock time.
    fires = datetime.fromisoformat(sunday_due).replace(tzinfo=tz).astimezone(UTC)
    # The schedule really fires then ...
    assert schedule.due_day(fires, last) is not None
    assert schedule.due_day(fires - timedelta(minutes=1), last) is None
    # ... so that is the time to announce ("next digest due at ...").
    assert announced.astimezone(UTC) == fires, (
        f"announced {announced}, fires at {fires.astimezone(tz)}"
    )


# -- recipients ---------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["x(y)@example.org", 'a"b@example.org', "a;b@example.org", "a@b@example.org"],
)
def test_an_unusable_address_in_scholar_digest_to_is_refused_at_start(
    address: str, tmp_path: Path
) -> None:
    env = {"SCHOLAR_DIGEST_TO": f"ada@example.org,{address}"}
    with pytest.raises(ConfigError, match="SCHOLAR_DIGEST_TO"):
        load_settings(env, env_file=tmp_path / "absent.env")


@pytest.mark.parametrize(
    "address", ["x(y)@example.org", "a\\b@example.org", "ada@exa mple.org"]
)
def test_an_unusable_address_in_the_rules_recipients_names_the_file(
    address: str, tmp_path: Path
) -> None:
    (tmp_path / "rules").mkdir()
    quoted = address.replace("\\", "\\\\")
    (tmp_path / "rules" / "digest.toml").write_text(
        f'[settings]\nrecipients = ["ada@example.org", "{quoted}"]\n',
        encoding="utf-8",
    )
    with pytest.raises(RulesError, match="recipients"):
        load_digest_settings(tmp_path / "rules", required=True)


def test_an_unusable_recipient_does_not_cost_the_others_their_digest(
    world: MailWorld,
) -> None:
    world.imap.append("INBOX", alerts(1, seed=111)[0])
    env = world.env(NOW=FRIDAY_MORNING, TO="ada@example.org,x(y)@example.org")
    done = run_cli("run", "--once", cwd=world.home, env=env)
    refused_at_start = (
        done.returncode == 1
        and "SCHOLAR_DIGEST_TO" in done.stderr
        and "read" not in done.stdout
    )
    delivered = [m.rcpt_tos for m in world.smtp.messages]
    assert refused_at_start or delivered == [("ada@example.org",)], (
        done.stdout + done.stderr
    )


def test_one_person_listed_twice_in_different_case_gets_one_digest(
    world: MailWorld,
) -> None:
    env = world.env(NOW=FRIDAY_MORNING, TO="ada@example.org,Ada@Example.org")
    done = run_cli("run", "--once", cwd=world.home, env=env)
    assert done.returncode == 0, done.stderr
    assert len(world.smtp.messages) == 1, [m.rcpt_tos for m in world.smtp.messages]


def test_a_fresh_install_run_from_cron_sends_a_late_evening_digest(
    world: MailWorld,
) -> None:
    # The README's cron line runs `run --once` every 15 minutes; a send time
    # of 23:59 falls between two runs. The first start waits for the send
    # time, and the run after it must send that day's digest.
    world.rules('[settings]\nsend_at = "23:59"\n')
    world.imap.append("INBOX", alerts(1, seed=112)[0])
    env = world.env(TO=RECIPIENTS[0])
    for now in ("2026-12-04T23:45:00+00:00", "2026-12-05T00:00:00+00:00"):
        done = run_cli(
            "run", "--once", cwd=world.home, env={**env, "SCHOLAR_DIGEST_NOW": now}
        )
        assert done.returncode == 0, done.stderr
    assert len(world.smtp.messages) == 1, done.stdout
    again = run_cli(
        "run",
        "--once",
        cwd=world.home,
        env={**env, "SCHOLAR_DIGEST_NOW": "2026-12-05T00:15:00+00:00"},
    )
    assert again.returncode == 0, again.stderr
    assert len(world.smtp.messages) == 1


# -- K21: a scripted IMAP server ----------------------------------------------


class ScriptedImap:
    """A minimal IMAP server on 127.0.0.1 whose IDLE behaviour is scripted.

    ``idles`` holds, per connection, one list of steps per IDLE command:
    ``("wait", seconds)``, ``("say", line)`` (an untagged line),
    ``("deliver", uid)`` (the message joins the mailbox), ``"close"`` (drop
    the socket with no BYE) or ``"hold"`` (answer nothing more until DONE).
    Connections past the script hold every IDLE. Commands are recorded.
    """

    def __init__(
        self,
        messages: dict[int, bytes],
        idles: list[list[Any]],
        *,
        drop_on_body_fetch: bool = False,
    ) -> None:
        self.drop_on_body_fetch = drop_on_body_fetch
        self.visible = {uid: raw for uid, raw in messages.items() if uid <= 2}
        self.pending = {uid: raw for uid, raw in messages.items() if uid > 2}
        self.idles = idles
        self.commands: list[tuple[int, str]] = []
        self.connections = 0
        self._lock = threading.Lock()
        imap = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with imap._lock:
                    imap.connections += 1
                    number = imap.connections
                script = imap.idles[number - 1] if number <= len(imap.idles) else []
                imap._talk(number, list(script), self.rfile, self.wfile)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def deliver(self, uid: int) -> None:
        with self._lock:
            self.visible[uid] = self.pending.pop(uid)

    def _talk(self, number: int, script: list[Any], rfile: Any, wfile: Any) -> None:
        def say(data: bytes | str) -> None:
            wfile.write(data.encode() if isinstance(data, str) else data)
            wfile.flush()

        say("* OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] scripted ready\r\n")
        while True:
            line = rfile.readline()
            if not line:
                return
            text = line.decode(errors="replace").rstrip("\r\n")
            tag, _, rest = text.partition(" ")
            self.commands.append((number, rest))
            words = rest.upper().split()
            verb = words[0] if words else ""
            if verb == "CAPABILITY":
                say("* CAPABILITY IMAP4rev1 IDLE UIDPLUS\r\n")
                say(f"{tag} OK done\r\n")
            elif verb == "LOGIN":
                say(f"{tag} OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] logged in\r\n")
            elif verb in ("SELECT", "EXAMINE"):
                say(f"* {len(self.visible)} EXISTS\r\n* 0 RECENT\r\n")
                say("* OK [UIDVALIDITY 7] ok\r\n* FLAGS (\\Seen \\Deleted)\r\n")
                say("* OK [PERMANENTFLAGS (\\Seen \\Deleted \\*)] ok\r\n")
                say(f"{tag} OK [READ-WRITE] selected\r\n")
            elif words[:2] == ["UID", "SEARCH"]:
                low = int(rest.split()[-1].split(":")[0])
                found = " ".join(str(u) for u in sorted(self.visible) if u >= low)
                say(f"* SEARCH {found}\r\n".replace(" \r", "\r"))
                say(f"{tag} OK searched\r\n")
            elif words[:2] == ["UID", "FETCH"]:
                uids = [int(u) for u in rest.split()[2].split(",")]
                if self.drop_on_body_fetch and "BODY" in rest.upper():
                    return  # the connection dies on every body fetch
                for uid in uids:
                    raw = self.visible.get(uid)
                    if raw is None:
                        continue
                    seq = sorted(self.visible).index(uid) + 1
                    if "RFC822.SIZE" in rest.upper():
                        say(f"* {seq} FETCH (UID {uid} RFC822.SIZE {len(raw)})\r\n")
                    else:
                        say(f"* {seq} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n")
                        say(raw + b")\r\n")
                say(f"{tag} OK fetched\r\n")
            elif words[:2] == ["UID", "STORE"] or verb == "NOOP":
                say(f"{tag} OK done\r\n")
            elif verb == "IDLE":
                say("+ idling\r\n")
                steps = script.pop(0) if script else ["hold"]
                for step in steps:
                    if step == "close":
                        return
                    if step == "hold":
                        break
                    kind, value = step
                    if kind == "wait":
                        time.sleep(value)
                    elif kind == "say":
                        say(value + "\r\n")
                    elif kind == "deliver":
                        self.deliver(value)
                done = rfile.readline()
                if not done:
                    return
                self.commands.append((number, done.decode().strip()))
                say(f"{tag} OK idle done\r\n")
            elif verb == "LOGOUT":
                say(f"* BYE see you\r\n{tag} OK bye\r\n")
                return
            else:
                say(f"{tag} BAD unknown\r\n")

    def __enter__(self) -> ScriptedImap:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def scripted_settings(server: ScriptedImap, tmp_path: Path, **env: str) -> Settings:
    values = {
        "SCHOLAR_DIGEST_DATA_DIR": str(tmp_path / "data"),
        "SCHOLAR_DIGEST_IMAP_HOST": "127.0.0.1",
        "SCHOLAR_DIGEST_IMAP_PORT": str(server.port),
        "SCHOLAR_DIGEST_IMAP_USER": "reader",
        "SCHOLAR_DIGEST_IMAP_PASSWORD": "pw",
        "SCHOLAR_DIGEST_IMAP_TLS": "off",
        "SCHOLAR_DIGEST_IMAP_IDLE_SECONDS": "30",
        "SCHOLAR_DIGEST_IMAP_TIMEOUT": "2",
        "SCHOLAR_DIGEST_IMAP_BACKOFF_MAX": "1",
    }
    values.update({f"SCHOLAR_DIGEST_{name}": value for name, value in env.items()})
    return load_settings(values, env_file=tmp_path / "absent.env")


def test_k21_keepalive_exists_without_recent_silent_close_then_bye(
    tmp_path: Path,
) -> None:
    raws = alerts(5, seed=113)
    messages = {uid: raws[uid - 1] for uid in range(1, 6)}
    script = [
        # Connection 1: a keepalive, then "* 3 EXISTS" with no RECENT;
        # in the next IDLE the socket is closed without a BYE.
        [
            [
                ("wait", 0.3),
                ("say", "* OK Still here"),
                ("wait", 1.2),
                ("deliver", 3),
                ("say", "* 3 EXISTS"),
                "hold",
            ],
            [("wait", 0.3), ("deliver", 4), "close"],
        ],
        # Connection 2: message 4 arrived meanwhile; later "* BYE".
        [[("wait", 0.5), ("deliver", 5), ("say", "* BYE shutting down"), "close"]],
    ]
    with ScriptedImap(messages, script) as server:
        settings = scripted_settings(server, tmp_path)
        with running(settings) as runner:
            done = wait_for(lambda: runner.processed == 5, seconds=12)
            reconnects = runner.reconnects
    searches = [
        (n, c) for n, c in server.commands if c.upper().startswith("UID SEARCH")
    ]
    assert done, (runner.processed, server.commands)
    assert reconnects >= 2
    stored = [row["status"] for row in message_rows(settings)]
    assert stored == ["parsed"] * 5
    # The keepalive caused no search; EXISTS did; each reconnect searched
    # from the last processed UID.
    first = [c for n, c in searches if n == 1]
    assert first == ["UID SEARCH UID 1:*", "UID SEARCH UID 3:*"], searches
    assert next(c for n, c in searches if n == 2) == "UID SEARCH UID 4:*"
    assert next(c for n, c in searches if n == 3) == "UID SEARCH UID 5:*"


def test_a_session_that_fails_the_same_way_every_time_backs_off(
    tmp_path: Path,
) -> None:
    # Login and SELECT work, then every catch-up dies on the same FETCH: a
    # session that "worked" must not earn a 1 s reconnect for ever.
    messages = {1: alerts(1, seed=105)[0]}
    with ScriptedImap(messages, [], drop_on_body_fetch=True) as server:
        settings = scripted_settings(server, tmp_path, IMAP_BACKOFF_MAX="300")
        with running(settings) as runner:
            time.sleep(6.5)
            reconnects = runner.reconnects
    # Waits of about 1, 2 and 4 s fit at most three reconnects into 6.5 s.
    assert reconnects <= 3, f"{reconnects} reconnects in 6.5 s"


# -- the CLI: concurrency and the subject -------------------------------------


def test_two_digest_sends_at_the_same_moment_mail_each_recipient_once(
    world: MailWorld,
) -> None:
    world.imap.append("INBOX", alerts(1, seed=114)[0])
    env = world.env(NOW=FRIDAY_MORNING)
    assert run_cli("run", "--once", cwd=world.home, env=env).returncode == 0
    sent_before = len(world.smtp.messages)
    sample = world.home / "more.eml"
    sample.write_bytes(alerts(1, seed=115)[0])
    assert (
        run_cli("ingest", "--from", str(sample), cwd=world.home, env=env).returncode
        == 0
    )
    # Tomorrow, two people type `digest --send` at once.
    tomorrow = world.env(NOW="2026-12-05T08:00:00+00:00")
    script = Path(sys.executable).parent / "scholar-digest"
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("SCHOLAR_DIGEST_")
    }
    environment.update(tomorrow)
    environment["SCHOLAR_DIGEST_OFFLINE"] = "1"
    processes = [
        subprocess.Popen(
            [str(script), "digest", "--send"],
            cwd=world.home,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    codes = [process.returncode for process in processes]
    assert codes == [0, 0], outputs
    new = world.smtp.messages[sent_before:]
    assert sorted(m.rcpt_tos[0] for m in new) == sorted(RECIPIENTS), outputs


def test_a_title_with_line_breaks_in_the_rules_adds_no_header(
    world: MailWorld,
) -> None:
    world.rules(
        '[settings]\ntitle = "Papers\\r\\nBcc: spy@evil.test\\r\\n\\r\\n'
        'Body & more \\u2028X-Evil: 1"\n'
    )
    env = world.env(NOW=FRIDAY_MORNING, TO=RECIPIENTS[0])
    done = run_cli("run", "--once", cwd=world.home, env=env)
    assert done.returncode == 0, done.stderr
    (message,) = world.smtp.messages
    assert message.rcpt_tos == (RECIPIENTS[0],)
    head = message.raw.split(b"\r\n\r\n", 1)[0]
    names = [
        line.split(b":", 1)[0].lower()
        for line in head.split(b"\r\n")
        if line and not line[:1].isspace()
    ]
    assert b"bcc" not in names and b"x-evil" not in names, head
    subject = parsed(message.raw)["Subject"]
    assert "Body & more" in subject and "&amp;" not in subject
