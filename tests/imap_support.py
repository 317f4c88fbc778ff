"""Driving the IMAP listener in tests: settings for a test Dovecot, a runner."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.config import Settings, load_settings
from bot.intake.listener import MailboxListener
from bot.jobs import limits_from
from bot.samples.bulk import iter_bulk_alerts
from bot.store import open_store
from tests.servers.dovecot import DovecotServer


def imap_settings(
    server: DovecotServer, tmp_path: Path, *, port: int | None = None, **env: str
) -> Settings:
    """Settings for a bot in ``tmp_path`` reading ``server`` (``env`` overrides)."""
    values = {
        "SCHOLAR_DIGEST_DATA_DIR": str(tmp_path / "data"),
        "SCHOLAR_DIGEST_IMAP_HOST": server.host,
        "SCHOLAR_DIGEST_IMAP_PORT": str(port or server.port),
        "SCHOLAR_DIGEST_IMAP_USER": server.user,
        "SCHOLAR_DIGEST_IMAP_PASSWORD": server.password,
        "SCHOLAR_DIGEST_IMAP_TLS": "starttls",
        "SCHOLAR_DIGEST_CA_FILE": str(server.ca_file),
        "SCHOLAR_DIGEST_IMAP_IDLE_SECONDS": "1",
        "SCHOLAR_DIGEST_IMAP_TIMEOUT": "2",
        "SCHOLAR_DIGEST_IMAP_BACKOFF_MAX": "1",
        "SCHOLAR_DIGEST_IMAP_POLL_SECONDS": "1",
        "SCHOLAR_DIGEST_OFFLINE": "1",
    }
    values.update({f"SCHOLAR_DIGEST_{name}": value for name, value in env.items()})
    return load_settings(values, env_file=tmp_path / "absent.env")


def alerts(count: int, seed: int) -> list[bytes]:
    """``count`` generated Scholar alerts, the same for the same seed."""
    return list(iter_bulk_alerts(count, seed=seed))


def wait_for(check: Callable[[], bool], seconds: float = 15.0) -> bool:
    """True once ``check`` holds; AssertionError if it does not within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    if check():
        return True
    raise AssertionError(f"not true within {seconds} s")


def read_once(settings: Settings) -> int:
    """One ``run --once`` catch-up; how many messages it read."""
    conn = open_store(settings.store_path)
    try:
        return MailboxListener(settings, conn, limits_from(settings)).run_once()
    finally:
        conn.close()


class Running:
    """A listener running forever in a thread, as ``run`` runs it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self.listener: MailboxListener | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = open_store(self.settings.store_path)
        try:
            self.listener = MailboxListener(
                self.settings, conn, limits_from(self.settings), stop=self.stop
            )
            self.ready.set()
            self.listener.run_forever()
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            conn.close()

    @property
    def processed(self) -> int:
        return self.listener.state.messages_processed if self.listener else 0

    @property
    def reconnects(self) -> int:
        return self.listener.state.reconnects if self.listener else 0


@contextmanager
def running(settings: Settings) -> Iterator[Running]:
    """The listener running in a thread for the block; stopped after it."""
    runner = Running(settings)
    runner.thread.start()
    runner.ready.wait(5)
    try:
        yield runner
    finally:
        runner.stop.set()
        runner.thread.join(15)
        assert not runner.thread.is_alive(), "the listener did not stop"
