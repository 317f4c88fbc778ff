"""Pytest fixtures for IMAP tests: a fresh Dovecot per test, and a proxy to it.

Without Dovecot the tests skip, except where CI or SCHOLAR_DIGEST_REQUIRE_DOVECOT
is set: there a missing server fails them, so they cannot pass by not running.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import trustme

from tests.servers.dovecot import DovecotServer, find_dovecot
from tests.servers.tcp_proxy import CuttableProxy

INSTALL_HINT = "apt-get install dovecot-imapd (Debian/Ubuntu) to run the IMAP tests"


def require_dovecot() -> None:
    """Skip the test when Dovecot is missing, or fail it where it must run."""
    if find_dovecot() is not None:
        return
    for variable in ("CI", "SCHOLAR_DIGEST_REQUIRE_DOVECOT"):
        if os.environ.get(variable):
            pytest.fail(
                f"Dovecot is not installed but {variable} is set: {INSTALL_HINT}",
                pytrace=False,
            )
    pytest.skip(f"Dovecot is not installed: {INSTALL_HINT}")


@pytest.fixture(scope="session")
def dovecot_ca() -> trustme.CA:
    """The CA that signs every test server's certificate in this session."""
    return trustme.CA()


@pytest.fixture
def dovecot(
    tmp_path_factory: pytest.TempPathFactory, dovecot_ca: trustme.CA
) -> Iterator[DovecotServer]:
    """A running Dovecot that advertises IDLE, with an empty INBOX."""
    require_dovecot()
    root = tmp_path_factory.mktemp("dovecot")
    with DovecotServer.start(root, tls_ca=dovecot_ca) as server:
        yield server


@pytest.fixture
def dovecot_no_idle(
    tmp_path_factory: pytest.TempPathFactory, dovecot_ca: trustme.CA
) -> Iterator[DovecotServer]:
    """A running Dovecot that does not advertise IDLE, so clients must poll."""
    require_dovecot()
    root = tmp_path_factory.mktemp("dovecot-no-idle")
    with DovecotServer.start(root, tls_ca=dovecot_ca, idle=False) as server:
        yield server


@pytest.fixture
def proxy_to_dovecot(dovecot: DovecotServer) -> Iterator[CuttableProxy]:
    """A cuttable proxy in front of ``dovecot``'s plain (STARTTLS) port."""
    with CuttableProxy(dovecot.host, dovecot.port) as proxy:
        yield proxy
