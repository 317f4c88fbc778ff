"""Shared fixtures: a fresh store, the shared sample inbox, a loopback-only net."""

from __future__ import annotations

import ipaddress
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import open_store
from tests.email_loop import world  # noqa: F401 - a fixture used by name
from tests.end_to_end import DigestRunner
from tests.servers.fixtures import (  # noqa: F401 - fixtures used by name
    dovecot,
    dovecot_ca,
    dovecot_no_idle,
    proxy_to_dovecot,
)
from tests.servers.smtp_fixtures import (  # noqa: F401 - fixtures used by name
    smtp_certificates,
    smtp_server_factory,
)
from tests.support import SHARED_SAMPLES

# Where the code would go by default if a test forgot to point it at a stub:
# a closed port on loopback, so a slip fails fast instead of leaving the box.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach past loopback: defaults point nowhere, sockets refuse."""
    monkeypatch.setenv("SCHOLAR_DIGEST_OFFLINE", "1")
    monkeypatch.setenv("SCHOLAR_DIGEST_ARXIV_API_URL", NOWHERE + "/api/query")
    monkeypatch.setenv("SCHOLAR_DIGEST_OPENALEX_URL", NOWHERE)
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else str(address)
            if not ipaddress.ip_address(host).is_loopback:
                raise OSError(f"test tried to reach {host}: loopback only")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)

    # A name lookup leaves the machine too (a DNS query): only loopback names.
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in (None, "localhost", "") and not _is_loopback(str(name)):
            raise socket.gaierror(f"test tried to look up {name}: loopback only")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


def _is_loopback(name: str) -> bool:
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = open_store(tmp_path / "data" / "store.sqlite3")
    yield connection
    connection.close()


@pytest.fixture
def shared_samples() -> Path:
    if not SHARED_SAMPLES.is_dir():
        pytest.skip(f"the shared sample inbox is not at {SHARED_SAMPLES}")
    return SHARED_SAMPLES


@pytest.fixture
def digest_runner(tmp_path: Path) -> Iterator[DigestRunner]:
    """Raw messages in, the four digest files out, each run in a fresh store."""
    runner = DigestRunner(tmp_path)
    yield runner
    runner.close()
