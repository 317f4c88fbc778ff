"""Several people, one bot mailbox: each gets their own digest, strangers none."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from datetime import UTC, datetime
from email.message import EmailMessage

from bot.samples.bulk import iter_bulk_alerts
from tests.email_loop import MailWorld, parsed, text_body
from tests.support import run_cli

FRIDAY_MORNING = "2026-12-04T08:00:00+00:00"
ADA = "ada@example.org"
GRACE = "grace@example.org"
STRANGER = "mallory@elsewhere.test"

SUBSCRIBERS = f"""
[[subscriber]]
address = "{ADA}"

[[subscriber]]
address = "{GRACE}"
language = "de"
"""


def forwarded_by(sender: str, seed: int, count: int = 1) -> list[bytes]:
    """Alerts forwarded as attachments by ``sender``, as a mail client does."""
    forwards = []
    for number, raw in enumerate(iter_bulk_alerts(count, seed=seed)):
        inner = email.message_from_bytes(raw, policy=email.policy.default)
        outer = EmailMessage()
        outer["From"] = sender
        outer["To"] = "bot@example.net"
        outer["Subject"] = "Fwd: " + str(inner["Subject"])
        outer["Message-ID"] = f"<fwd-{seed}-{number}@{sender.split('@')[1]}>"
        outer.set_content("FYI")
        outer.add_attachment(raw, maintype="message", subtype="rfc822")
        forwards.append(outer.as_bytes())
    return forwards


def titles_in(raw: bytes) -> str:
    """The plain-text body with its line wrapping undone."""
    return " ".join(text_body(parsed(raw)).split())


def test_two_forwarders_get_two_digests_without_cross_talk(world: MailWorld) -> None:
    world.rules(SUBSCRIBERS)
    for raw in forwarded_by(ADA, seed=41, count=2):
        world.imap.append("INBOX", raw)
    for raw in forwarded_by(GRACE, seed=42, count=2):
        world.imap.append("INBOX", raw)
    env = world.env(NOW=FRIDAY_MORNING, TO="")
    done = run_cli("run", "--once", cwd=world.home, env=env)
    assert done.returncode == 0, done.stderr

    by_recipient = {m.rcpt_tos[0]: m.raw for m in world.smtp.messages}
    assert set(by_recipient) == {ADA, GRACE}
    for reader, other in ((ADA, GRACE), (GRACE, ADA)):
        listed = _paper_titles(world, reader)
        # Exactly the papers this reader forwarded, and no other.
        assert listed == _forwarded_titles(world, reader)
        only_other = _forwarded_titles(world, other) - listed
        assert only_other
        body = titles_in(by_recipient[reader])
        for title in listed:
            assert title in body
        for title in only_other:
            assert title not in body


def test_a_strangers_alerts_never_produce_mail_and_show_in_status(
    world: MailWorld,
) -> None:
    world.rules(SUBSCRIBERS)
    for raw in forwarded_by(STRANGER, seed=43, count=2):
        world.imap.append("INBOX", raw)
    world.rules(SUBSCRIBERS + '\n[settings]\nempty_days = "skip"\n')
    env = world.env(NOW=FRIDAY_MORNING, TO="")
    done = run_cli("run", "--once", cwd=world.home, env=env)
    assert done.returncode == 0, done.stderr
    assert world.smtp.messages == []
    assert all(STRANGER not in m.rcpt_tos for m in world.smtp.messages)
    status = run_cli("status", cwd=world.home, env=env)
    assert f"stranger:       {STRANGER} forwarded 2 message(s)" in status.stdout


def test_a_subscriber_fed_by_alert_names_gets_only_those(world: MailWorld) -> None:
    raws = forwarded_by(ADA, seed=44, count=3)
    alert_name = _alert_name(raws[0])
    world.rules(
        f'[[subscriber]]\naddress = "{GRACE}"\nalerts = ["{alert_name}"]\n'
        f'[[subscriber]]\naddress = "{ADA}"\n'
    )
    for raw in raws:
        world.imap.append("INBOX", raw)
    env = world.env(NOW=FRIDAY_MORNING, TO="")
    assert run_cli("run", "--once", cwd=world.home, env=env).returncode == 0
    grace = _paper_titles(world, GRACE)
    ada = _paper_titles(world, ADA)
    assert grace and grace <= ada
    assert len(grace) < len(ada) or len(raws) == 1


def test_a_broken_rule_edit_keeps_the_last_good_rules_and_says_so(
    world: MailWorld,
) -> None:
    # The daemon's rule keeper: good rules first, then a broken edit.
    from bot.daemon.cycle import RulesKeeper

    world.rules('[[rule]]\nname = "tag all"\ntags = ["seen"]\n')
    keeper = RulesKeeper(world.home / "rules", required=True)
    assert len(keeper.current().rules) == 1
    world.rules('[[rule]]\nname = "tag all"\ntitel = ["x"]\ntags = ["seen"]\n')
    bundle = keeper.current()
    assert len(bundle.rules) == 1  # the last good rules stay
    assert keeper.problem is not None and "digest.toml:3" in keeper.problem
    assert "did you mean" in keeper.problem
    (note,) = bundle.notes
    assert "last rules that worked" in note and "digest.toml:3" in note

    env = world.env(NOW=FRIDAY_MORNING, TO=ADA)
    status = run_cli("status", cwd=world.home, env=env)
    assert "rules:          1 error(s)" in status.stdout


def _paper_titles(world: MailWorld, audience: str) -> set[str]:
    from bot.store import open_store

    conn = open_store(world.home / "data" / "scholar-digest.sqlite3")
    try:
        rows = conn.execute(
            "SELECT p.title FROM papers p JOIN digest_papers dp ON dp.paper_id = p.id "
            "JOIN digests d ON d.id = dp.digest_id WHERE d.audience = ?",
            (audience,),
        ).fetchall()
    finally:
        conn.close()
    return {row[0] for row in rows}


def _forwarded_titles(world: MailWorld, forwarder: str) -> set[str]:
    from bot.store import open_store

    conn = open_store(world.home / "data" / "scholar-digest.sqlite3")
    try:
        rows = conn.execute(
            "SELECT DISTINCT p.title FROM papers p JOIN paper_sources s "
            "ON s.paper_id = p.id WHERE s.forwarder = ?",
            (forwarder,),
        ).fetchall()
    finally:
        conn.close()
    return {row[0] for row in rows}


def _alert_name(raw: bytes) -> str:
    from bot.parse.message import parse_message

    parsed_message = parse_message(raw, max_bytes=10_000_000)
    return parsed_message.alerts[0].alert.name


def test_a_subscribers_own_rules_and_language_shape_only_their_digest(
    world: MailWorld,
) -> None:
    own = world.home / "rules" / "grace"
    own.mkdir(parents=True)
    (own / "mine.toml").write_text(
        '[[rule]]\nname = "grace reads nothing"\ntext = ["a"]\nnot_text = ["a"]\n'
        "drop = true\n\n"
        '[[rule]]\nname = "grace tags all"\ntags = ["for grace"]\n'
    )
    world.rules(
        f'[[subscriber]]\naddress = "{ADA}"\nforwarders = ["{ADA}"]\n\n'
        f'[[subscriber]]\naddress = "{GRACE}"\nforwarders = ["{ADA}"]\n'
        'language = "de"\nrules = "grace"\n'
    )
    for raw in forwarded_by(ADA, seed=45, count=1):
        world.imap.append("INBOX", raw)
    env = world.env(NOW=FRIDAY_MORNING, TO="")
    done = run_cli("run", "--once", cwd=world.home, env=env)
    assert done.returncode == 0, done.stderr

    by_recipient = {m.rcpt_tos[0]: titles_in(m.raw) for m in world.smtp.messages}
    assert "for grace" in by_recipient[GRACE]
    assert "for grace" not in by_recipient[ADA]
    day = world.home / "data" / "digests" / "2026-12-04"
    grace_json = json.loads((day / GRACE / "digest.json").read_text())
    ada_json = json.loads((day / ADA / "digest.json").read_text())
    assert grace_json["language"] == "de"
    assert ada_json["language"] == "zh" or ada_json["language"] == "en"


def test_a_digest_made_while_a_rule_file_is_broken_says_so_at_the_top(
    world: MailWorld,
) -> None:
    from bot.config import load_settings
    from bot.daemon.cycle import RulesKeeper, prepare_if_due
    from bot.deliver.outbox import flush_outbox

    world.rules('[[rule]]\nname = "tag all"\ntags = ["seen"]\n')
    keeper = RulesKeeper(world.home / "rules", required=True)
    world.rules('[[rule]]\nname = "tag all"\ntags = ["seen"\n')  # broken TOML
    for raw in forwarded_by(ADA, seed=46, count=1):
        world.imap.append("INBOX", raw)
    env = world.env(NOW=FRIDAY_MORNING, TO=ADA)
    settings = load_settings(env, env_file=world.home / "absent.env")
    from bot.intake.listener import MailboxListener
    from bot.jobs import limits_from
    from bot.store import open_store

    conn = open_store(settings.store_path)
    try:
        MailboxListener(settings, conn, limits_from(settings)).run_once()
        now = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
        due = prepare_if_due(settings, keeper.current(), now)
        assert due.prepared is not None
        asyncio.run(flush_outbox(conn, settings, now=lambda: now))
    finally:
        conn.close()
    (message,) = world.smtp.messages
    body = titles_in(message.raw)
    assert "last rules that worked" in body
    assert "digest.toml:" in body and "not valid TOML" in body
    assert "seen" in body  # the last good rule still tagged the paper


def test_an_alert_forwarded_by_two_readers_reaches_both(world: MailWorld) -> None:
    world.rules(SUBSCRIBERS)
    shared_alert = next(iter_bulk_alerts(1, seed=47))
    for sender in (ADA, GRACE):
        inner = shared_alert
        outer = EmailMessage()
        outer["From"] = sender
        outer["To"] = "bot@example.net"
        outer["Subject"] = "Fwd: the same alert"
        outer["Message-ID"] = f"<same-{sender}>"
        outer.set_content("FYI")
        outer.add_attachment(inner, maintype="message", subtype="rfc822")
        world.imap.append("INBOX", outer.as_bytes())
    env = world.env(NOW=FRIDAY_MORNING, TO="")
    assert run_cli("run", "--once", cwd=world.home, env=env).returncode == 0
    ada, grace = _paper_titles(world, ADA), _paper_titles(world, GRACE)
    assert ada and ada == grace
