"""The whole loop: alerts APPENDed to Dovecot, a digest arriving at aiosmtpd."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from bot.config import load_settings
from bot.daemon.run import run_daemon
from bot.samples.bulk import iter_bulk_alerts
from bot.store import open_store
from tests.email_loop import RECIPIENTS, MailWorld, parsed, text_body
from tests.support import run_cli

# A Friday at 09:00 in Berlin: after the default send time in any case.
FRIDAY_MORNING = "2026-12-04T08:00:00+00:00"


def append_alerts(world: MailWorld, count: int, seed: int) -> None:
    for raw in iter_bulk_alerts(count, seed=seed):
        world.imap.append("INBOX", raw)


def papers_in_store(world: MailWorld) -> int:
    conn = open_store(world.home / "data" / "scholar-digest.sqlite3")
    try:
        return int(conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0])
    finally:
        conn.close()


def test_run_once_mails_one_digest_to_each_configured_recipient(
    world: MailWorld,
) -> None:
    append_alerts(world, 3, seed=21)
    env = world.env(NOW=FRIDAY_MORNING)
    done = run_cli("run", "--once", cwd=world.home, env=env)
    assert done.returncode == 0, done.stderr
    assert "read 3 new message(s)" in done.stdout
    assert "digest sent to 2 recipient(s)" in done.stdout

    received = world.smtp.messages
    assert sorted(m.rcpt_tos for m in received) == [(r,) for r in sorted(RECIPIENTS)]
    assert all(m.tls for m in received)
    papers = papers_in_store(world)
    for message in received:
        mail = parsed(message.raw)
        assert mail["To"] == message.rcpt_tos[0]
        assert mail["Auto-Submitted"] == "auto-generated"
        assert mail["Subject"].endswith(f"Fri 4 Dec 2026: {papers} papers")
        assert "Scholar digest" in text_body(mail)
    ids = {parsed(m.raw)["Message-ID"] for m in received}
    assert len(ids) == 2

    # The same day again: nothing more is sent.
    again = run_cli("run", "--once", cwd=world.home, env=env)
    assert again.returncode == 0, again.stderr
    assert "no digest due now" in again.stdout
    assert len(world.smtp.messages) == 2


def test_before_the_send_time_nothing_is_mailed(world: MailWorld) -> None:
    append_alerts(world, 1, seed=22)
    world.rules('[settings]\nsend_at = "10:00"\ntimezone = "Europe/Berlin"\n')
    env = world.env(NOW="2026-12-04T08:59:00+00:00")  # 09:59 in Berlin
    done = run_cli("run", "--once", cwd=world.home, env=env)
    assert done.returncode == 0, done.stderr
    assert "next one is due at 2026-12-04T10:00+01:00" in done.stdout
    assert world.smtp.messages == []


def test_an_empty_day_sends_a_short_note_saying_why(world: MailWorld) -> None:
    env = world.env(NOW=FRIDAY_MORNING, TO=RECIPIENTS[0])
    done = run_cli("run", "--once", cwd=world.home, env=env)
    assert done.returncode == 0, done.stderr
    (message,) = world.smtp.messages
    mail = parsed(message.raw)
    assert mail["Subject"].endswith("no new papers")
    assert "Fridays and Saturdays" in text_body(mail)


def test_empty_days_can_be_skipped_by_the_rules(world: MailWorld) -> None:
    world.rules('[settings]\nempty_days = "skip"\n')
    done = run_cli("run", "--once", cwd=world.home, env=world.env(NOW=FRIDAY_MORNING))
    assert done.returncode == 0, done.stderr
    assert "empty days are skipped" in done.stdout
    assert world.smtp.messages == []


def test_a_refused_recipient_does_not_stop_the_others(world: MailWorld) -> None:
    append_alerts(world, 1, seed=23)
    third = "nobody@example.org"
    world.smtp.refuse(third)
    env = world.env(NOW=FRIDAY_MORNING, TO=",".join((*RECIPIENTS, third)))
    done = run_cli("run", "--once", cwd=world.home, env=env)
    assert "digest sent to 2 recipient(s)" in done.stdout
    assert "nobody@example.org" in done.stdout
    assert sorted(m.rcpt_tos[0] for m in world.smtp.messages) == sorted(RECIPIENTS)
    status = run_cli("status", cwd=world.home, env=env)
    assert "refused" in status.stdout and third in status.stdout


def test_a_temporary_failure_is_retried_and_the_digest_arrives_once(
    world: MailWorld,
) -> None:
    append_alerts(world, 1, seed=24)
    world.smtp.answer_data("421 4.3.0 try later", "451 4.3.0 busy")
    env = world.env(NOW=FRIDAY_MORNING, TO=RECIPIENTS[0])
    done = run_cli("digest", "--send", cwd=world.home, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(world.smtp.messages) == 1


def test_the_bot_never_mails_an_address_taken_from_an_alert(
    world: MailWorld,
) -> None:
    stranger_alert = next(iter_bulk_alerts(1, seed=25)).replace(
        b"\nSubject:",
        b"\nReply-To: stranger@evil.test\nCc: other@evil.test\nSubject:",
        1,
    )
    world.imap.append("INBOX", stranger_alert)
    env = world.env(NOW=FRIDAY_MORNING)
    done = run_cli("run", "--once", cwd=world.home, env=env)
    assert done.returncode == 0, done.stderr
    rcpts = {r for m in world.smtp.messages for r in m.rcpt_tos}
    assert rcpts == set(RECIPIENTS)
    for message in world.smtp.messages:
        assert b"evil.test" not in message.raw.split(b"\r\n\r\n", 1)[0]


def test_the_daemon_ingests_during_idle_and_sends_at_the_send_time(
    world: MailWorld,
) -> None:
    settings = load_settings(world.env(), env_file=world.home / "absent.env")
    # A clock that reaches 07:00 UTC two seconds after the start.
    began = time.monotonic()
    start = datetime(2026, 12, 4, 6, 59, 58, tzinfo=UTC)

    def clock() -> datetime:
        return start + timedelta(seconds=time.monotonic() - began)

    stop = threading.Event()
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            run_daemon(settings, clock, stop=stop, tick=0.2)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        time.sleep(1.0)
        append_alerts(world, 2, seed=26)
        deadline = time.monotonic() + 20
        while len(world.smtp.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(world.smtp.messages) == 2, errors
        # A second run on the same data folder is refused while this one runs.
        second = run_cli("run", cwd=world.home, env=world.env())
        assert second.returncode == 1
        assert "another scholar-digest run" in second.stderr
        # ingest works beside it.
        sample = world.home / "extra.eml"
        sample.write_bytes(next(iter_bulk_alerts(1, seed=27)))
        beside = run_cli(
            "ingest", "--from", str(sample), cwd=world.home, env=world.env()
        )
        assert beside.returncode == 0, beside.stderr
        time.sleep(1.0)
        assert len(world.smtp.messages) == 2  # still one digest per recipient today
    finally:
        stop.set()
        thread.join(20)
    assert not thread.is_alive()
    assert errors == []
    body = text_body(parsed(world.smtp.messages[0].raw))
    assert "2 alert" in body or "papers" in body


def test_a_digest_that_cannot_go_out_waits_in_the_outbox_and_goes_next_time(
    world: MailWorld,
) -> None:
    append_alerts(world, 1, seed=28)
    world.smtp.answer_data("451 4.3.0 busy", "451 4.3.0 busy", "451 4.3.0 busy")
    env = world.env(NOW=FRIDAY_MORNING, TO=RECIPIENTS[0])
    first = run_cli("run", "--once", cwd=world.home, env=env)
    assert first.returncode == 1
    assert "stays in the outbox" in first.stderr
    assert world.smtp.messages == []

    status = run_cli("status", cwd=world.home, env=env)
    assert "outbox:         1 pending" in status.stdout
    assert "in a digest waiting to be sent" in status.stdout

    again = run_cli("digest", "--send", cwd=world.home, env=env)
    assert again.returncode == 0, again.stderr
    assert "made already" in again.stdout
    assert "digest sent to 1 recipient(s)" in again.stdout
    (message,) = world.smtp.messages
    assert message.rcpt_tos == (RECIPIENTS[0],)


def test_run_once_still_mails_what_is_stored_when_the_mailbox_is_down(
    world: MailWorld,
) -> None:
    saved = world.home / "saved.eml"
    saved.write_bytes(next(iter_bulk_alerts(1, seed=29)))
    env = world.env(NOW=FRIDAY_MORNING, TO=RECIPIENTS[0])
    assert (
        run_cli("ingest", "--from", str(saved), cwd=world.home, env=env).returncode == 0
    )
    world.imap.stop()

    done = run_cli("run", "--once", cwd=world.home, env=env)

    assert done.returncode == 1
    assert "the mailbox could not be read" in done.stderr
    assert "connection refused" in done.stderr
    assert "digest sent to 1 recipient(s)" in done.stdout
    assert len(world.smtp.messages) == 1


def test_a_digest_missed_during_downtime_holds_what_arrived_meanwhile(
    world: MailWorld,
) -> None:
    # The bot was down over the send time; alerts piled up in the mailbox.
    append_alerts(world, 4, seed=30)
    settings = load_settings(
        world.env(TO=RECIPIENTS[0]), env_file=world.home / "absent.env"
    )
    start = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_daemon,
        args=(settings, lambda: start),
        kwargs={"stop": stop, "tick": 0.2},
        daemon=True,
    )
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not world.smtp.messages and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # a second digest would have come by now
    finally:
        stop.set()
        thread.join(20)
    (message,) = world.smtp.messages
    papers = papers_in_store(world)
    assert papers > 4
    assert parsed(message.raw)["Subject"].endswith(f": {papers} papers")
