"""A mailbox and a mail server for end-to-end tests of ``run`` and ``digest --send``.

Dovecot and aiosmtpd share one CA, so a single SCHOLAR_DIGEST_CA_FILE trusts
both, as a user's system store would.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme

from tests.servers.dovecot import DovecotServer
from tests.servers.fixtures import require_dovecot
from tests.servers.smtp import SENDER, SmtpServer, TestCertificates

RECIPIENTS = ("ada@example.org", "grace@example.org")


@dataclass
class MailWorld:
    """One bot's surroundings: its mailbox, its mail server, its folders."""

    imap: DovecotServer
    smtp: SmtpServer
    home: Path

    def env(self, **changes: str) -> dict[str, str]:
        """SCHOLAR_DIGEST_* for a bot living in ``home``."""
        values = {
            "SCHOLAR_DIGEST_DATA_DIR": str(self.home / "data"),
            "SCHOLAR_DIGEST_RULES_DIR": str(self.home / "rules"),
            "SCHOLAR_DIGEST_IMAP_HOST": self.imap.host,
            "SCHOLAR_DIGEST_IMAP_PORT": str(self.imap.port),
            "SCHOLAR_DIGEST_IMAP_USER": self.imap.user,
            "SCHOLAR_DIGEST_IMAP_PASSWORD": self.imap.password,
            "SCHOLAR_DIGEST_IMAP_TLS": "starttls",
            "SCHOLAR_DIGEST_IMAP_IDLE_SECONDS": "5",
            "SCHOLAR_DIGEST_IMAP_TIMEOUT": "5",
            "SCHOLAR_DIGEST_IMAP_BACKOFF_MAX": "1",
            "SCHOLAR_DIGEST_SMTP_HOST": self.smtp.host,
            "SCHOLAR_DIGEST_SMTP_PORT": str(self.smtp.port),
            "SCHOLAR_DIGEST_SMTP_TLS": "starttls",
            "SCHOLAR_DIGEST_SMTP_FROM": SENDER,
            "SCHOLAR_DIGEST_SMTP_TIMEOUT": "5",
            "SCHOLAR_DIGEST_SMTP_RETRY_SECONDS": "0.2",
            "SCHOLAR_DIGEST_CA_FILE": str(self.smtp.ca_file),
            "SCHOLAR_DIGEST_TO": ",".join(RECIPIENTS),
            # Settings built from this dict skip the test environment: keep
            # the bot offline and every service on a closed loopback port.
            "SCHOLAR_DIGEST_OFFLINE": "1",
            "SCHOLAR_DIGEST_ARXIV_API_URL": "http://127.0.0.1:9/api/query",
            "SCHOLAR_DIGEST_OPENALEX_URL": "http://127.0.0.1:9",
        }
        values.update({f"SCHOLAR_DIGEST_{k}": v for k, v in changes.items()})
        return values

    def rules(self, text: str) -> None:
        """Write the bot's one rule file."""
        folder = self.home / "rules"
        folder.mkdir(exist_ok=True)
        (folder / "digest.toml").write_text(text, encoding="utf-8")


def start_world(
    home: Path, ca: trustme.CA, *, imap_root: Path, smtp_mode: str = "starttls"
) -> tuple[DovecotServer, SmtpServer]:
    """Start Dovecot and aiosmtpd with certificates from ``ca``."""
    certificates = TestCertificates(home, ca=ca)
    smtp = SmtpServer(certificates, mode=smtp_mode).start()
    try:
        imap = DovecotServer.start(imap_root, tls_ca=ca)
    except BaseException:
        smtp.stop()
        raise
    return imap, smtp


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


@pytest.fixture
def world(tmp_path: Path, dovecot_ca: trustme.CA) -> Iterator[MailWorld]:
    """A bot home in ``tmp_path`` with a running mailbox and mail server."""
    require_dovecot()
    imap, smtp = start_world(tmp_path, dovecot_ca, imap_root=tmp_path / "imap")
    (tmp_path / "rules").mkdir()
    try:
        yield MailWorld(imap, smtp, tmp_path)
    finally:
        imap.close()
        smtp.stop()
