"""SIGKILL at random moments during ingest and send: nothing lost, nothing doubled.

Each simulated day, alerts are APPENDed to Dovecot and ``run --once`` is
started and killed with SIGKILL after a random delay, again and again, and
finally left to finish. The SMTP server records a message the moment it has
it and only then answers 250 (after a pause), so a kill in that pause is a
crash between the server's acceptance and the store's commit.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.samples.bulk import iter_bulk_alerts
from tests.email_loop import RECIPIENTS, MailWorld, parsed

DAYS = 10
ALERTS_PER_DAY = 40
MAX_KILLS_PER_DAY = 12
FIRST_DAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def start_run(world: MailWorld, now: datetime) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOLAR_DIGEST_")}
    env.update(world.env(NOW=now.isoformat(), OFFLINE="1", LOG_LEVEL="WARNING"))
    script = Path(sys.executable).parent / "scholar-digest"
    return subprocess.Popen(
        [str(script), "run", "--once"],
        cwd=world.home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def phase_after_kill(world: MailWorld, day_ids: list[str], now: datetime) -> str:
    """Where the killed run had got to, read from the store it left."""
    path = world.home / "data" / "scholar-digest.sqlite3"
    if not path.exists():
        return "before ingest"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        stored = {
            row[0]
            for row in conn.execute("SELECT message_id FROM messages")
            if row[0] in day_ids
        }
        mailing = conn.execute(
            "SELECT status FROM mailings WHERE day = ?", (now.date().isoformat(),)
        ).fetchone()
    except sqlite3.OperationalError:  # killed before the schema existed
        return "before ingest"
    finally:
        conn.close()
    if not stored:
        return "before ingest"
    if len(stored) < len(day_ids):
        return "during ingest"
    if mailing is None:
        return "while composing"
    return "during send" if mailing[0] == "pending" else "after send"


def test_sigkill_at_random_moments_loses_no_paper_and_doubles_no_digest(
    world: MailWorld,
) -> None:
    rng = random.Random(20261204)
    world.smtp.accept_then_wait(0.3)
    kills = 0
    kills_during_send = 0
    phases: Counter[str] = Counter()
    appended_ids: list[str] = []
    for day in range(DAYS):
        now = FIRST_DAY + timedelta(days=day)
        day_ids = []
        for raw in iter_bulk_alerts(ALERTS_PER_DAY, seed=100 + day):
            world.imap.append("INBOX", raw)
            day_ids.append(parsed(raw)["Message-ID"])
        appended_ids.extend(day_ids)
        # Kill runs at random moments until one finishes by itself: each
        # kill lands somewhere in start-up, catch-up, ingest, composing or
        # sending, since a run that had nothing left to do would finish.
        for _ in range(MAX_KILLS_PER_DAY):
            before = len(world.smtp.messages)
            process = start_run(world, now)
            try:
                process.wait(rng.uniform(0.05, 1.4))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait(30)
                kills += 1
                kills_during_send += len(world.smtp.messages) > before
                phases[phase_after_kill(world, day_ids, now)] += 1
                continue
            assert process.returncode == 0
            break
        finished = start_run(world, now)
        assert finished.wait(120) == 0

    conn = sqlite3.connect(world.home / "data" / "scholar-digest.sqlite3")
    conn.row_factory = sqlite3.Row
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        mailings = conn.execute("SELECT day, status FROM mailings").fetchall()
        # Each recipient has a digest of their own: count per paper and
        # recipient the digests holding it, and how their emails ended.
        placements = conn.execute(
            "SELECT p.id, d.audience, COUNT(DISTINCT d.id) AS n, "
            "MIN(o.status) AS status, MAX(o.status) AS worst "
            "FROM papers p JOIN digest_papers dp ON dp.paper_id = p.id "
            "JOIN digests d ON d.id = dp.digest_id "
            "JOIN outbox o ON o.digest_id = d.id GROUP BY p.id, d.audience"
        ).fetchall()
        paper_count = conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
        stored_ids = {
            row[0]
            for row in conn.execute(
                "SELECT message_id FROM messages WHERE status = 'parsed'"
            )
        }
        outbox = conn.execute("SELECT message_id, raw FROM outbox").fetchall()
        outbox_state = [
            tuple(row)
            for row in conn.execute(
                "SELECT mailing_id, recipient, status, attempts, last_error "
                "FROM outbox ORDER BY id"
            )
        ]
    finally:
        conn.close()

    # Every day has exactly one mailing, and it went out.
    assert sorted(row["day"] for row in mailings) == [
        (FIRST_DAY + timedelta(days=d)).date().isoformat() for d in range(DAYS)
    ]
    assert {row["status"] for row in mailings} == {"sent"}, outbox_state
    # Every alert was stored; every paper reached exactly one sent digest.
    assert set(appended_ids) <= stored_ids
    assert paper_count > 0
    audiences = Counter(row["id"] for row in placements)
    assert len(audiences) == paper_count
    assert set(audiences.values()) == {len(RECIPIENTS)}
    assert all(
        row["n"] == 1 and row["status"] == row["worst"] == "sent" for row in placements
    )

    # What arrived: one digest per recipient and day; a duplicate only as
    # the very same bytes, and no more of them than there were kills.
    received = world.smtp.messages
    by_id: dict[str, list[bytes]] = defaultdict(list)
    per_recipient: Counter[str] = Counter()
    for message in received:
        by_id[parsed(message.raw)["Message-ID"]].append(message.raw)
    for message_id, copies in by_id.items():
        assert len(set(copies)) == 1, f"{message_id} arrived with different bytes"
        per_recipient[parsed(copies[0])["To"]] += 1
    assert per_recipient == dict.fromkeys(RECIPIENTS, DAYS)
    stored_bytes = {row["message_id"]: bytes(row["raw"]) for row in outbox}
    assert all(stored_bytes[mid] == copies[0] for mid, copies in by_id.items())
    duplicates = len(received) - len(by_id)
    assert duplicates <= kills_during_send

    print(
        f"\ncrash test: {DAYS} days, {kills} SIGKILLs "
        f"({', '.join(f'{n} {p}' for p, n in sorted(phases.items()))}; "
        f"{kills_during_send} after the server had a message), "
        f"{len(by_id)} digests expected and received, {duplicates} duplicate(s) "
        f"(identical bytes), {paper_count} papers each in exactly one sent digest "
        f"per recipient"
    )
