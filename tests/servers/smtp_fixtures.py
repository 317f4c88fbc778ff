"""Pytest fixtures for SMTP tests: a session CA and aiosmtpd servers per test.

Import them where they are used (or once in ``tests/conftest.py``)::

    from tests.servers.smtp_fixtures import smtp_certificates, smtp_server_factory
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers.smtp import SmtpServer, SmtpServerFactory, TestCertificates


@pytest.fixture(scope="session")
def smtp_certificates(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    """One CA and server certificate for every SMTP server of the session."""
    return TestCertificates(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp_server_factory(
    smtp_certificates: TestCertificates,
) -> Iterator[SmtpServerFactory]:
    """Start servers with :class:`SmtpServer`'s options; all stop after the test.

    ``smtp_server_factory(mode="implicit", login=("digest", "s3cret"))``
    """
    started: list[SmtpServer] = []

    def start(**options: Any) -> SmtpServer:
        server = SmtpServer(smtp_certificates, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
