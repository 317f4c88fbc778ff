"""The outbox: stored bytes sent as they are, retries with backoff, mailings settled."""

from __future__ import annotations

import asyncio
import email
import email.policy
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, SmtpSettings
from bot.deliver.email import DigestEmail, compose_email, make_message_id
from bot.deliver.outbox import FlushReport, flush_outbox
from bot.deliver.smtp import send_email
from bot.errors import DeliveryError
from bot.store.db import transaction
from bot.store.outbox import (
    add_outbox_message,
    due_messages,
    mark_deferred,
    mark_refused,
    mark_sent,
    outbox_report,
    settle_mailing,
    stamp,
)
from tests.servers.smtp import SENDER, SmtpServer, SmtpServerFactory, free_port

START = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def data_folder_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings() puts the send lock in ./data; keep it out of the checkout.
    monkeypatch.chdir(tmp_path)


KEY = b"m" * 32


@dataclass
class Mailing:
    id: int
    digest_id: int
    day: str
    rows: dict[str, int]
    raw: dict[str, bytes]


@dataclass
class Clock:
    """A clock that only moves when the code under test sleeps."""

    moment: datetime = START
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.moment

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.moment += timedelta(seconds=seconds)


def queue_mailing(
    conn: sqlite3.Connection, day: str, recipients: list[str], *, papers: int = 2
) -> Mailing:
    """A digest of ``papers`` papers, its mailing, and one email per recipient."""
    with transaction(conn):
        paper_ids = [
            int(
                conn.execute(
                    "INSERT INTO papers (key, title, title_norm, abstract_source, "
                    "first_seen, updated_at) VALUES (?, ?, ?, 'none', ?, ?)",
                    (f"{day}-{n}", f"Paper {n}", f"paper {n}", day, day),
                ).lastrowid
                or 0
            )
            for n in range(papers)
        ]
        digest_id = int(
            conn.execute(
                "INSERT INTO digests (created_at, status, out_dir, paper_count) "
                "VALUES (?, 'written', NULL, ?)",
                (day, papers),
            ).lastrowid
            or 0
        )
        conn.executemany(
            "INSERT INTO digest_papers (digest_id, paper_id, section, number) "
            "VALUES (?, ?, 'new', ?)",
            [(digest_id, paper_id, n) for n, paper_id in enumerate(paper_ids, 1)],
        )
        mailing_id = int(
            conn.execute(
                "INSERT INTO mailings (day, digest_id, status, created_at) "
                "VALUES (?, ?, 'pending', ?)",
                (day, digest_id, day),
            ).lastrowid
            or 0
        )
        rows, raws = {}, {}
        for recipient in recipients:
            message_id = make_message_id(KEY, recipient, day, SENDER)
            raws[recipient] = compose_email(
                DigestEmail(
                    subject=f"Scholar digest for {day}: {papers} papers",
                    text_body=f"{papers} papers for {recipient}\n",
                    html_body=f"<p>{papers} papers</p>\n",
                    attachment_name="digest.md",
                    attachment=b"# digest\n",
                    attachment_type="text/markdown",
                ),
                sender=SENDER,
                recipient=recipient,
                message_id=message_id,
                date=START,
            )
            rows[recipient] = add_outbox_message(
                conn,
                mailing_id=mailing_id,
                recipient=recipient,
                message_id=message_id,
                subject="subject",
                raw=raws[recipient],
                now=START,
            )
    return Mailing(mailing_id, digest_id, day, rows, raws)


def row(conn: sqlite3.Connection, outbox_id: int) -> sqlite3.Row:
    found: sqlite3.Row = conn.execute(
        "SELECT * FROM outbox WHERE id = ?", (outbox_id,)
    ).fetchone()
    return found


def mailing_status(conn: sqlite3.Connection, mailing: Mailing) -> str:
    return str(
        conn.execute(
            "SELECT status FROM mailings WHERE id = ?", (mailing.id,)
        ).fetchone()[0]
    )


def papers_in_digest(conn: sqlite3.Connection, mailing: Mailing) -> int:
    return int(
        conn.execute(
            "SELECT COUNT(*) FROM digest_papers WHERE digest_id = ?",
            (mailing.digest_id,),
        ).fetchone()[0]
    )


def flush(
    conn: sqlite3.Connection,
    smtp: SmtpSettings,
    server: SmtpServer | None,
    clock: Clock,
    retries_now: int = 0,
) -> FlushReport:
    settings = Settings(smtp=smtp, ca_file=server.ca_file if server else None)
    return asyncio.run(
        flush_outbox(
            conn, settings, now=clock, retries_now=retries_now, sleep=clock.sleep
        )
    )


def closed_port_settings(**changes: Any) -> SmtpSettings:
    base = SmtpSettings(
        host="127.0.0.1", port=free_port(), tls="off", sender=SENDER, timeout=2.0
    )
    return replace(base, **changes)


# The store alone.


def test_queued_email_is_due_at_once_and_keeps_its_first_bytes(
    conn: sqlite3.Connection,
) -> None:
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org"])

    again = add_outbox_message(
        conn,
        mailing_id=mailing.id,
        recipient="ada@example.org",
        message_id="<other@example.org>",
        subject="other",
        raw=b"other bytes",
        now=START,
    )

    [due] = due_messages(conn, START)
    assert again == due.id == mailing.rows["ada@example.org"]
    assert due.raw == mailing.raw["ada@example.org"]
    assert due.day == "2026-12-04" and due.attempts == 0


def test_new_email_is_due_even_if_the_clock_reads_earlier(
    conn: sqlite3.Connection,
) -> None:
    queue_mailing(conn, "2026-12-04", ["ada@example.org"])

    [due] = due_messages(conn, START - timedelta(minutes=1))

    assert due.recipient == "ada@example.org"


def test_deferred_email_waits_for_its_next_attempt(conn: sqlite3.Connection) -> None:
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org"])
    outbox_id = mailing.rows["ada@example.org"]

    status = mark_deferred(
        conn,
        outbox_id,
        next_attempt_at=START + timedelta(minutes=5),
        error="451 later",
        max_attempts=3,
    )

    assert status == "pending"
    assert due_messages(conn, START + timedelta(minutes=4)) == []
    [due] = due_messages(conn, START + timedelta(minutes=5))
    assert due.attempts == 1


def test_email_fails_once_it_reaches_max_attempts(conn: sqlite3.Connection) -> None:
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org"])
    outbox_id = mailing.rows["ada@example.org"]

    statuses = [
        mark_deferred(
            conn, outbox_id, next_attempt_at=START, error="451", max_attempts=2
        )
        for _ in range(2)
    ]

    assert statuses == ["pending", "failed"]
    assert row(conn, outbox_id)["attempts"] == 2
    assert due_messages(conn, START + timedelta(days=1)) == []


def test_mailing_is_not_settled_while_an_email_is_pending(
    conn: sqlite3.Connection,
) -> None:
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org", "bob@x.org"])
    mark_sent(conn, mailing.rows["ada@example.org"], START)

    assert settle_mailing(conn, mailing.id, START) is None
    assert mailing_status(conn, mailing) == "pending"

    mark_refused(conn, mailing.rows["bob@x.org"], error="550 no such user")
    assert settle_mailing(conn, mailing.id, START) == "sent"
    assert settle_mailing(conn, mailing.id, START) is None  # settled once


def test_outbox_report_counts_rows_and_lists_the_undeliverable(
    conn: sqlite3.Connection,
) -> None:
    mailing = queue_mailing(conn, "2026-12-04", ["a@x.org", "b@x.org", "c@x.org"])
    mark_sent(conn, mailing.rows["a@x.org"], START)
    mark_refused(conn, mailing.rows["b@x.org"], error="550 5.1.1 no such user")

    report = outbox_report(conn)

    assert report.counts == {"sent": 1, "refused": 1, "pending": 1}
    assert report.next_attempt_at == stamp(START)
    [problem] = report.problems
    assert (problem.recipient, problem.day, problem.status) == (
        "b@x.org",
        "2026-12-04",
        "refused",
    )
    assert problem.error == "550 5.1.1 no such user"


# Flushing to a real server.


def test_temporary_failures_then_success_send_after_retries(
    conn: sqlite3.Connection, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory(mode="starttls")
    server.answer_data("421 4.3.2 shutting down", "451 4.3.0 try again")
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org"])
    clock = Clock()

    report = flush(conn, server.settings(retry_seconds=1.0), server, clock, 2)

    assert report.sent == (("ada@example.org", "2026-12-04"),)
    assert report.deferred == ()
    assert clock.slept == [1.0, 2.0]  # backoff doubles
    sent = row(conn, mailing.rows["ada@example.org"])
    assert (sent["status"], sent["attempts"]) == ("sent", 3)
    assert server.handler.data_commands == 3
    assert [m.raw for m in server.messages] == [mailing.raw["ada@example.org"]]
    assert mailing_status(conn, mailing) == "sent"


def test_deferred_email_stays_pending_without_retries_now(
    conn: sqlite3.Connection, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory(mode="starttls")
    server.answer_data("451 4.3.0 try again")
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org"])

    report = flush(conn, server.settings(retry_seconds=30.0), server, Clock())

    assert [d.recipient for d in report.deferred] == ["ada@example.org"]
    pending = row(conn, mailing.rows["ada@example.org"])
    assert (pending["status"], pending["attempts"]) == ("pending", 1)
    assert pending["next_attempt_at"] == stamp(START + timedelta(seconds=30))
    assert "451" in pending["last_error"]
    assert mailing_status(conn, mailing) == "pending"


def test_one_refused_recipient_leaves_the_others_sent(
    conn: sqlite3.Connection, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory(mode="starttls")
    server.refuse("bob@example.org", "550 5.1.1 no such user")
    recipients = ["ada@example.org", "bob@example.org", "cy@example.org"]
    mailing = queue_mailing(conn, "2026-12-04", recipients)

    report = flush(conn, server.settings(), server, Clock())

    assert sorted(r for r, _ in report.sent) == ["ada@example.org", "cy@example.org"]
    assert [r.recipient for r in report.refused] == ["bob@example.org"]
    assert report.describe() == (
        "digest sent to 2 recipient(s); "
        "1 refused (bob@example.org: 550 5.1.1 no such user)"
    )
    assert row(conn, mailing.rows["bob@example.org"])["status"] == "refused"
    assert mailing_status(conn, mailing) == "sent"
    digest = conn.execute(
        "SELECT status FROM digests WHERE id = ?", (mailing.digest_id,)
    ).fetchone()
    assert digest["status"] == "sent"
    assert papers_in_digest(conn, mailing) == 2
    for message in server.messages:
        assert len(message.rcpt_tos) == 1
        parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
        assert parsed["To"] == message.rcpt_tos[0]


def test_mailing_whose_only_recipient_is_refused_releases_its_papers(
    conn: sqlite3.Connection, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory(mode="starttls")
    server.refuse("ada@example.org")
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org"], papers=3)

    flush(conn, server.settings(), server, Clock())

    assert mailing_status(conn, mailing) == "failed"
    assert papers_in_digest(conn, mailing) == 0
    pending_papers = conn.execute(
        "SELECT COUNT(*) FROM papers "
        "WHERE id NOT IN (SELECT paper_id FROM digest_papers)"
    ).fetchone()[0]
    assert pending_papers == 3
    finished = conn.execute(
        "SELECT finished_at FROM mailings WHERE id = ?", (mailing.id,)
    ).fetchone()[0]
    assert finished is not None


def test_email_out_of_attempts_fails_its_mailing(
    conn: sqlite3.Connection, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory(mode="starttls")
    server.answer_data("451 4.3.0 try again")
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org"])

    report = flush(conn, server.settings(max_attempts=1), server, Clock(), 2)

    assert [f.recipient for f in report.failed] == ["ada@example.org"]
    assert "1 failed (ada@example.org: 451 4.3.0 try again)" in report.describe()
    assert row(conn, mailing.rows["ada@example.org"])["status"] == "failed"
    assert mailing_status(conn, mailing) == "failed"
    assert papers_in_digest(conn, mailing) == 0


def test_server_without_starttls_keeps_the_digest_pending(
    conn: sqlite3.Connection, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory(mode="plain")
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org", "bob@x.org"])

    with pytest.raises(DeliveryError, match="no STARTTLS"):
        flush(conn, server.settings(tls="starttls"), server, Clock(), 2)

    assert server.messages == []
    first = row(conn, mailing.rows["ada@example.org"])
    assert (first["status"], first["attempts"]) == ("pending", 1)
    assert bytes(first["raw"]) == mailing.raw["ada@example.org"]
    assert row(conn, mailing.rows["bob@x.org"])["attempts"] == 0  # not tried
    assert mailing_status(conn, mailing) == "pending"
    assert papers_in_digest(conn, mailing) == 2


def test_wrong_password_backs_off_instead_of_logging_in_again_at_once(
    conn: sqlite3.Connection, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory(mode="starttls", login=("digest", "right"))
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org"])
    clock = Clock()
    wrong = server.settings(password="wrong", retry_seconds=60.0)

    with pytest.raises(DeliveryError, match="refused the login"):
        flush(conn, wrong, server, clock, 2)
    tried = len(server.handler.logins)
    report = flush(conn, wrong, server, clock)  # the daemon's next pass

    assert report.describe() == "nothing waiting in the outbox"
    assert len(server.handler.logins) == tried
    assert clock.slept == []
    assert row(conn, mailing.rows["ada@example.org"])["attempts"] == 1


def test_resend_after_a_crash_is_byte_identical(
    conn: sqlite3.Connection, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory(mode="starttls")
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org"])
    [due] = due_messages(conn, START)
    # The crashed process got the email accepted but never marked it sent.
    asyncio.run(
        send_email(
            server.settings(),
            ca_file=server.ca_file,
            recipient=due.recipient,
            raw=due.raw,
        )
    )

    flush(conn, server.settings(), server, Clock())

    first, second = server.messages
    assert first.raw == second.raw == mailing.raw["ada@example.org"]
    ids = [
        email.message_from_bytes(m.raw, policy=email.policy.default)["Message-ID"]
        for m in (first, second)
    ]
    assert ids[0] == ids[1] == due.message_id


def test_unreachable_server_stops_the_round_and_keeps_every_row_due(
    conn: sqlite3.Connection,
) -> None:
    first = queue_mailing(conn, "2026-12-03", ["ada@example.org"])
    second = queue_mailing(conn, "2026-12-04", ["ada@example.org"])
    smtp = closed_port_settings(retry_seconds=30.0)

    report = flush(conn, smtp, None, Clock())

    assert [d.day for d in report.deferred] == ["2026-12-03"]
    assert row(conn, first.rows["ada@example.org"])["attempts"] == 1
    assert row(conn, second.rows["ada@example.org"])["attempts"] == 0
    assert [m.day for m in due_messages(conn, START)] == ["2026-12-04"]


def test_backoff_doubles_and_stops_at_six_hours(conn: sqlite3.Connection) -> None:
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org"])
    outbox_id = mailing.rows["ada@example.org"]
    smtp = closed_port_settings(retry_seconds=30.0, max_attempts=50)
    with transaction(conn):
        conn.execute("UPDATE outbox SET attempts = 14 WHERE id = ?", (outbox_id,))

    flush(conn, smtp, None, Clock())

    six_hours = stamp(START + timedelta(hours=6))
    assert row(conn, outbox_id)["next_attempt_at"] == six_hours


def test_nothing_due_is_said_plainly(conn: sqlite3.Connection) -> None:
    report = flush(conn, closed_port_settings(), None, Clock())

    assert report == FlushReport()
    assert report.describe() == "nothing waiting in the outbox"


def test_a_crash_between_the_last_send_and_settling_is_healed_by_the_next_flush(
    conn: sqlite3.Connection, smtp_server_factory: SmtpServerFactory
) -> None:
    server = smtp_server_factory()
    mailing = queue_mailing(conn, "2026-12-04", ["ada@example.org"])
    # The process marked the email sent and died before settling the mailing.
    mark_sent(conn, mailing.rows["ada@example.org"], START)
    settings = Settings(smtp=server.settings(), ca_file=server.ca_file)

    report = asyncio.run(flush_outbox(conn, settings, now=Clock()))

    assert report.sent == ()
    status = conn.execute(
        "SELECT status FROM mailings WHERE id = ?", (mailing.id,)
    ).fetchone()[0]
    assert status == "sent"
