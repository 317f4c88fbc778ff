"""Numbered schema migrations, each recorded in the transaction that applies it."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.errors import MigrationError, StoreError
from bot.store.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    """One step of the schema; never edited once released, only appended to."""

    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "messages, papers, sources and digests",
        (
            """CREATE TABLE messages (
                id INTEGER PRIMARY KEY,
                message_id TEXT,
                content_hash TEXT NOT NULL UNIQUE,
                origin TEXT NOT NULL,
                sender TEXT,
                subject TEXT,
                status TEXT NOT NULL
                    CHECK (status IN ('parsed', 'skipped', 'failed', 'quarantined')),
                attempts INTEGER NOT NULL DEFAULT 1,
                error TEXT,
                papers_found INTEGER NOT NULL DEFAULT 0,
                first_seen TEXT NOT NULL,
                last_seen TEXT NOT NULL
            )""",
            "CREATE INDEX messages_by_message_id ON messages (message_id)",
            """CREATE TABLE papers (
                id INTEGER PRIMARY KEY,
                key TEXT NOT NULL UNIQUE,
                arxiv_id TEXT,
                arxiv_version INTEGER,
                doi TEXT,
                title TEXT NOT NULL,
                title_norm TEXT NOT NULL,
                title_truncated INTEGER NOT NULL DEFAULT 0,
                authors TEXT NOT NULL DEFAULT '[]',
                authors_truncated INTEGER NOT NULL DEFAULT 0,
                venue TEXT,
                year INTEGER,
                url TEXT,
                abstract TEXT,
                abstract_source TEXT NOT NULL,
                snippet TEXT,
                categories TEXT NOT NULL DEFAULT '[]',
                comments TEXT,
                first_seen TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            "CREATE INDEX papers_by_title_norm ON papers (title_norm)",
            """CREATE TABLE paper_sources (
                id INTEGER PRIMARY KEY,
                paper_id INTEGER NOT NULL REFERENCES papers (id),
                message_row INTEGER NOT NULL REFERENCES messages (id),
                alert_key TEXT NOT NULL,
                alert_name TEXT NOT NULL,
                alert_kind TEXT NOT NULL,
                source_kind TEXT NOT NULL,
                position INTEGER NOT NULL,
                marker TEXT,
                link TEXT,
                link_kind TEXT NOT NULL,
                title_seen TEXT NOT NULL,
                forwarder TEXT,
                alert_sent_at TEXT,
                seen_at TEXT NOT NULL,
                UNIQUE (paper_id, alert_key)
            )""",
            "CREATE INDEX paper_sources_by_paper ON paper_sources (paper_id)",
            """CREATE TABLE digests (
                id INTEGER PRIMARY KEY,
                created_at TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('written', 'sent')),
                out_dir TEXT,
                paper_count INTEGER NOT NULL
            )""",
            """CREATE TABLE digest_papers (
                digest_id INTEGER NOT NULL REFERENCES digests (id),
                paper_id INTEGER NOT NULL REFERENCES papers (id),
                section TEXT NOT NULL,
                number INTEGER NOT NULL,
                PRIMARY KEY (digest_id, paper_id)
            )""",
            "CREATE INDEX digest_papers_by_paper ON digest_papers (paper_id)",
        ),
    ),
    Migration(
        2,
        "lookups of full records (arXiv, OpenAlex)",
        (
            """CREATE TABLE lookups (
                paper_id INTEGER NOT NULL REFERENCES papers (id),
                service TEXT NOT NULL,
                status TEXT NOT NULL
                    CHECK (status IN ('found', 'not_found', 'failed')),
                attempts INTEGER NOT NULL DEFAULT 1,
                tried_at TEXT NOT NULL,
                detail TEXT,
                PRIMARY KEY (paper_id, service)
            )""",
        ),
    ),
    Migration(
        3,
        "summaries cached by paper, model, language and prompt version",
        (
            """CREATE TABLE summaries (
                paper_id INTEGER NOT NULL REFERENCES papers (id),
                model TEXT NOT NULL,
                language TEXT NOT NULL,
                prompt_version TEXT NOT NULL,
                text_hash TEXT NOT NULL,
                tldr TEXT NOT NULL,
                motivation TEXT NOT NULL,
                method TEXT NOT NULL,
                result TEXT NOT NULL,
                conclusion TEXT NOT NULL,
                source TEXT NOT NULL,
                cost_usd REAL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (paper_id, model, language, prompt_version)
            )""",
            "CREATE INDEX summaries_by_day ON summaries (created_at)",
        ),
    ),
    Migration(
        4,
        "mailbox positions, daily mailings and the outbox",
        (
            # Where the listener got to in each folder; a new UIDVALIDITY
            # replaces the row and means a full rescan.
            """CREATE TABLE mailbox_positions (
                account TEXT NOT NULL,
                folder TEXT NOT NULL,
                uidvalidity INTEGER NOT NULL,
                last_uid INTEGER NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (account, folder)
            )""",
            # One row per digest day: the schedule's memory. A skipped empty
            # day has no digest but still counts as done.
            """CREATE TABLE mailings (
                id INTEGER PRIMARY KEY,
                day TEXT NOT NULL UNIQUE,
                digest_id INTEGER REFERENCES digests (id),
                status TEXT NOT NULL
                    CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
                created_at TEXT NOT NULL,
                finished_at TEXT
            )""",
            # The exact bytes of each email, stored before the first attempt
            # so a resend after a crash is the same message.
            """CREATE TABLE outbox (
                id INTEGER PRIMARY KEY,
                mailing_id INTEGER NOT NULL REFERENCES mailings (id),
                recipient TEXT NOT NULL,
                message_id TEXT NOT NULL,
                subject TEXT NOT NULL,
                raw BLOB NOT NULL,
                status TEXT NOT NULL
                    CHECK (status IN ('pending', 'sent', 'refused', 'failed')),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL,
                last_error TEXT,
                sent_at TEXT,
                UNIQUE (mailing_id, recipient)
            )""",
            "CREATE INDEX outbox_by_status ON outbox (status, next_attempt_at)",
            """CREATE TABLE secrets (
                name TEXT PRIMARY KEY,
                value BLOB NOT NULL,
                created_at TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        5,
        "moments the bot remembers (its first schedule check)",
        (
            """CREATE TABLE moments (
                name TEXT PRIMARY KEY,
                at TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        6,
        "a digest per recipient: digests name their audience",
        (
            # NULL: a digest written to files; an address: that subscriber's
            # emailed digest; '*': an emailed digest shared by every
            # recipient (made before this migration).
            "ALTER TABLE digests ADD COLUMN audience TEXT",
            "UPDATE digests SET audience = '*' "
            "WHERE id IN (SELECT digest_id FROM mailings)",
            "CREATE INDEX digests_by_audience ON digests (audience)",
            "ALTER TABLE outbox ADD COLUMN digest_id INTEGER REFERENCES digests (id)",
            "UPDATE outbox SET digest_id = "
            "(SELECT digest_id FROM mailings WHERE mailings.id = outbox.mailing_id)",
            # The newest paper source a digest had seen: a later source of one
            # of its papers means a new alert carried that paper again.
            "ALTER TABLE digests ADD COLUMN sources_upto INTEGER",
            "UPDATE digests SET sources_upto = "
            "(SELECT COALESCE(MAX(id), 0) FROM paper_sources)",
        ),
    ),
)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; return the version it is at afterwards."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )"""
    )
    current = applied_version(conn)
    newest = MIGRATIONS[-1].version
    if current > newest:
        raise MigrationError(
            f"the store is at schema version {current}, newer than this "
            f"scholar-digest knows ({newest}); upgrade scholar-digest"
        )
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        _apply(conn, migration)
    return applied_version(conn)


def applied_version(conn: sqlite3.Connection) -> int:
    """The highest migration recorded in the store (0 for a new store)."""
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def _apply(conn: sqlite3.Connection, migration: Migration) -> None:
    try:
        with transaction(conn):
            # Another process may have migrated while we waited for the lock.
            if applied_version(conn) >= migration.version:
                return
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) "
                "VALUES (?, ?, ?)",
                (migration.version, migration.name, datetime.now(UTC).isoformat()),
            )
    except (sqlite3.Error, StoreError) as exc:
        raise MigrationError(
            f"migration {migration.version} ({migration.name}) failed: {exc}"
        ) from exc
    log.info("store migrated to version %d (%s)", migration.version, migration.name)
