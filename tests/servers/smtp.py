"""A real SMTP server on 127.0.0.1 for tests: aiosmtpd, scripted and recording.

It speaks STARTTLS (port-587 style), implicit TLS (port-465 style) or plain
SMTP without STARTTLS, can require a login (only over TLS), and answers
what a test scripts: 4xx/5xx for the next DATA or RCPT commands, 550 for a
given recipient, a slow DATA, or a 250 that comes late after the message
was taken. Every accepted message is recorded with
its envelope, its bytes and whether it came over TLS.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from bot.config import SmtpSettings

HOST = "127.0.0.1"
SENDER = "digest@bot.test"
MODES = ("starttls", "implicit", "plain")


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    tls: bool
    authenticated: bool


@dataclass(frozen=True)
class LoginAttempt:
    """One AUTH command: who, whether TLS was up, whether it succeeded."""

    user: str
    tls: bool
    accepted: bool


class TestCertificates:
    """A throwaway CA and a certificate for 127.0.0.1 and localhost it signed."""

    __test__ = False  # not a test class, whatever pytest guesses from the name

    def __init__(self, folder: Path, ca: trustme.CA | None = None) -> None:
        self.ca = ca or trustme.CA()
        self._leaf = self.ca.issue_cert(HOST, "localhost")
        self.ca_file = folder / "smtp-test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        """A server-side context presenting the certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._leaf.configure_cert(context)
        return context


class ScriptedHandler:
    """The aiosmtpd handler: records what arrives, answers what it is told."""

    def __init__(self) -> None:
        self.messages: list[ReceivedMessage] = []
        self.logins: list[LoginAttempt] = []
        self.data_replies: deque[str] = deque()
        self.rcpt_replies: deque[str] = deque()
        self.refused: dict[str, str] = {}
        self.data_delay = 0.0
        self.reply_delay = 0.0
        self.data_commands = 0
        self.starttls_upgrades = 0
        self._lock = threading.Lock()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refusal = self.refused.get(address.lower())
        if refusal is not None:
            return refusal
        if self.rcpt_replies:
            return self.rcpt_replies.popleft()
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.data_commands += 1
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.data_replies:
            return self.data_replies.popleft()
        content = envelope.original_content or b""
        with self._lock:
            self.messages.append(
                ReceivedMessage(
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    raw=bytes(content),
                    tls=_over_tls(server),
                    authenticated=bool(session.authenticated),
                )
            )
        if self.reply_delay:
            # Recorded but not yet answered: a client killed now has had its
            # message taken without learning so.
            await asyncio.sleep(self.reply_delay)
        return "250 2.0.0 accepted"

    def handle_STARTTLS(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> bool:
        self.starttls_upgrades += 1
        return True


class SmtpServer:
    """An aiosmtpd server on a free loopback port, running while in a ``with``.

    ``mode`` is ``starttls`` (offers STARTTLS), ``implicit`` (TLS from the
    first byte) or ``plain`` (no TLS offered at all). ``login`` is a
    ``(user, password)`` the server accepts, over TLS only.
    """

    def __init__(
        self,
        certificates: TestCertificates,
        *,
        mode: str = "starttls",
        require_starttls: bool = False,
        login: tuple[str, str] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.login = login
        self.certificates = certificates
        self.handler = ScriptedHandler()
        self.port = free_port()
        options: dict[str, Any] = {
            "hostname": HOST,
            "port": self.port,
            # A fixed name: aiosmtpd would otherwise ask socket.getfqdn().
            "server_hostname": "smtp.test",
            "ready_timeout": 10.0,
            # aiosmtpd counts only STARTTLS as TLS; on the implicit port
            # every byte is encrypted already, so AUTH may be offered at once.
            "auth_require_tls": mode != "implicit",
        }
        if mode == "starttls":
            options["tls_context"] = certificates.server_context()
            options["require_starttls"] = require_starttls
        elif mode == "implicit":
            options["ssl_context"] = certificates.server_context()
        if login is not None:
            options["authenticator"] = self._authenticate
        self._controller = Controller(self.handler, **options)

    @property
    def host(self) -> str:
        return HOST

    @property
    def ca_file(self) -> Path:
        """The PEM file of the CA that signed this server's certificate."""
        return self.certificates.ca_file

    @property
    def messages(self) -> list[ReceivedMessage]:
        return self.handler.messages

    def settings(self, **changes: Any) -> SmtpSettings:
        """Client settings that reach this server, with ``changes`` applied."""
        tls = {"starttls": "starttls", "implicit": "implicit", "plain": "off"}
        user, password = self.login or (None, None)
        base = SmtpSettings(
            host=HOST,
            port=self.port,
            user=user,
            password=password,
            tls=tls[self.mode],
            sender=SENDER,
            timeout=5.0,
            retry_seconds=1.0,
            max_attempts=20,
        )
        return replace(base, **changes)

    def answer_data(self, *replies: str) -> None:
        """Answer the next DATA commands with ``replies``, one each, in order."""
        self.handler.data_replies.extend(replies)

    def answer_rcpt(self, *replies: str) -> None:
        """Answer the next RCPT commands with ``replies``, one each, in order."""
        self.handler.rcpt_replies.extend(replies)

    def refuse(self, recipient: str, reply: str = "550 5.1.1 no such user") -> None:
        """Answer every RCPT for ``recipient`` with ``reply``."""
        self.handler.refused[recipient.lower()] = reply

    def delay_data(self, seconds: float) -> None:
        """Wait ``seconds`` before taking (or refusing) each DATA."""
        self.handler.data_delay = seconds

    def accept_then_wait(self, seconds: float) -> None:
        """Record each message at once, but wait ``seconds`` before the 250."""
        self.handler.reply_delay = seconds

    def start(self) -> Self:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword) or self.login is None:
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode(errors="replace")
        expected = (self.login[0].encode(), self.login[1].encode())
        accepted = (auth_data.login, auth_data.password) == expected
        self.handler.logins.append(LoginAttempt(user, _over_tls(server), accepted))
        return AuthResult(success=accepted, handled=False)


SmtpServerFactory = Callable[..., SmtpServer]
"""What the ``smtp_server_factory`` fixture gives: ``SmtpServer``'s options in."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _over_tls(server: SMTP) -> bool:
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None
