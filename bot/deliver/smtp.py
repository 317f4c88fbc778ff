"""Handing one email to the SMTP server: one session, one recipient, one TLS upgrade.

Every aiosmtplib, socket and TLS error is translated here, and only here::

    SendDeferredError   4xx reply, refused connection, disconnect, timeout
    SendRefusedError    5xx reply to RCPT or DATA: this recipient, for good
    DeliveryError       the session itself cannot be used (no STARTTLS, an
                        untrusted certificate, a refused login or sender):
                        a setting to fix, the same for every recipient
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from pathlib import Path

import aiosmtplib

from bot.config import PREFIX, SmtpSettings, is_loopback
from bot.errors import ConfigError, DeliveryError, SendDeferredError, SendRefusedError
from bot.tls import client_context

log = logging.getLogger(__name__)

_TLS_MODES = ("implicit", "starttls", "off")
TOO_LARGE = 552


async def send_email(
    smtp: SmtpSettings, *, ca_file: Path | None, recipient: str, raw: bytes
) -> None:
    """Send ``raw`` to ``recipient`` alone, as ``smtp.sender``, in one session.

    Returns once the server accepted the message; raises a
    :class:`~bot.errors.DeliveryError` (or one of its subclasses) otherwise.
    """
    host, sender = smtp_endpoint(smtp)
    where = f"{host}:{smtp.port}"
    started = time.monotonic()
    outcome = "interrupted"
    try:
        await _session(smtp, host, sender, ca_file, recipient, raw)
        outcome = "accepted"
    except DeliveryError as exc:
        outcome = _outcome(exc)
        raise
    except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
        error = _translate(exc, where, recipient, smtp.user)
        outcome = _outcome(error)
        raise error from exc
    finally:
        elapsed = (time.monotonic() - started) * 1000
        log.info("SMTP %s to %s: %s (%.0f ms)", where, recipient, outcome, elapsed)


def smtp_endpoint(smtp: SmtpSettings) -> tuple[str, str]:
    """The server host and the sender, or a ConfigError naming what is wrong."""
    if not smtp.host:
        raise ConfigError(PREFIX + "SMTP_HOST", "is not set: where should digests go?")
    if not smtp.sender:
        raise ConfigError(PREFIX + "SMTP_FROM", "is not set: digests need a sender")
    if smtp.tls not in _TLS_MODES:
        raise ConfigError(PREFIX + "SMTP_TLS", f"unknown mode {smtp.tls!r}")
    # Config refuses this already; checked again because settings can be
    # built in code, and a password in plaintext must never leave the box.
    if smtp.tls == "off" and not is_loopback(smtp.host):
        raise ConfigError(
            PREFIX + "SMTP_TLS", f"off (plaintext) is not allowed for {smtp.host!r}"
        )
    if smtp.user and smtp.password is None:
        raise ConfigError(
            PREFIX + "SMTP_PASSWORD", f"is not set, but SMTP_USER is ({smtp.user})"
        )
    return smtp.host, smtp.sender


async def _session(
    smtp: SmtpSettings,
    host: str,
    sender: str,
    ca_file: Path | None,
    recipient: str,
    raw: bytes,
) -> None:
    where = f"{host}:{smtp.port}"
    context = None
    if smtp.tls != "off":
        context = client_context(ca_file)
    client = aiosmtplib.SMTP(
        hostname=host,
        port=smtp.port,
        # Exactly one TLS layer: from the first byte (465), or one STARTTLS
        # below (587); start_tls=False stops aiosmtplib adding its own.
        use_tls=smtp.tls == "implicit",
        start_tls=False,
        tls_context=context,
        timeout=smtp.timeout,
        # aiosmtplib would ask socket.getfqdn(), a DNS lookup that can stall
        # an offline machine; submission servers judge the login, not EHLO.
        local_hostname=sender.rpartition("@")[2] or "localhost",
    )
    opened: list[asyncio.BaseTransport | None] = []
    try:
        await client.connect()
        opened.append(client.transport)
        if smtp.tls == "starttls":
            await _start_tls(client, where)
            opened.append(client.transport)
        if smtp.user:
            await _login(client, where, smtp)
        await client.sendmail(sender, [recipient], raw)
    finally:
        await _quit(client, opened)


async def _start_tls(client: aiosmtplib.SMTP, where: str) -> None:
    await client.ehlo()
    if not client.supports_extension("starttls"):
        # A server (or a man in the middle) that hides STARTTLS gets
        # nothing: no login and no digest in plaintext (RFC 3207 §6).
        raise DeliveryError(
            where,
            "the server offers no STARTTLS, so nothing was sent in plaintext; "
            "if it expects TLS from the start, set SCHOLAR_DIGEST_SMTP_TLS="
            "implicit (usually port 465)",
        )
    await client.starttls()


async def _login(client: aiosmtplib.SMTP, where: str, smtp: SmtpSettings) -> None:
    if smtp.tls != "off" and client.get_transport_info("sslcontext") is None:
        raise DeliveryError(where, "refusing to log in before TLS is up")
    # RFC 3207 §4.2: what the server said before TLS is forgotten; ask again.
    await client.ehlo()
    if not client.supports_extension("auth"):
        raise DeliveryError(
            where,
            f"the server offers no login (AUTH), but SCHOLAR_DIGEST_SMTP_USER "
            f"is set ({smtp.user})",
        )
    await client.login(smtp.user or "", smtp.password or "")


async def _quit(
    client: aiosmtplib.SMTP, opened: list[asyncio.BaseTransport | None]
) -> None:
    # Once DATA was accepted the message is the server's; a QUIT that
    # fails must not turn a delivered digest into a retried one.
    if client.is_connected:
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            log.debug("QUIT failed; the session is closed anyway")
    client.close()
    # A TLS close waits for the server's close_notify, which a stalled
    # server never sends; abort so no socket outlives the session.
    for transport in opened:
        if isinstance(transport, asyncio.WriteTransport):
            transport.abort()
    await asyncio.sleep(0)  # let the loop run the abort's socket close


def _translate(
    exc: Exception, where: str, recipient: str, user: str | None
) -> DeliveryError:
    """Our error for ``exc``; the class says what the outbox should do."""
    untrusted = _certificate_error(exc)
    if untrusted is not None:
        return DeliveryError(
            where,
            f"the server's TLS certificate is not trusted "
            f"({untrusted.verify_message}); set SCHOLAR_DIGEST_CA_FILE to its CA",
        )
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _reply_error(exc, where, recipient, user)
    if isinstance(exc, TimeoutError):
        return SendDeferredError(where, "timed out", recipient=recipient)
    if isinstance(exc, ValueError):
        # aiosmtplib refuses an address it cannot put on a command line.
        return SendRefusedError(where, f"unusable address: {exc}", recipient=recipient)
    problem = str(exc) or type(exc).__name__
    return SendDeferredError(where, problem, recipient=recipient)


def _reply_error(
    exc: aiosmtplib.SMTPResponseException,
    where: str,
    recipient: str,
    user: str | None,
) -> DeliveryError:
    code, reply = exc.code, exc.message
    # RFC 5321 §4.2.1: 4yz is transient (try again later), 5yz permanent.
    if code < 500:
        return SendDeferredError(where, reply, recipient=recipient, code=code)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        problem = f"the server refused the login for {user}: {reply}"
        return DeliveryError(where, problem, code=code)
    if isinstance(exc, aiosmtplib.SMTPSenderRefused) and (
        code == TOO_LARGE or "5.3.4" in reply
    ):
        # RFC 1870: MAIL FROM carries SIZE=, so an email over the server's
        # limit is refused here; it is this email, not the sender, at fault.
        problem = f"the digest email is larger than the server accepts: {reply}"
        return SendRefusedError(where, problem, recipient=recipient, code=code)
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        problem = (
            f"the server refused the sender {exc.sender}: {reply}; set "
            f"SCHOLAR_DIGEST_SMTP_FROM to an address this account may send as"
        )
        return DeliveryError(where, problem, code=code)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return SendRefusedError(where, reply, recipient=recipient, code=code)
    # A 5yz greeting, EHLO or STARTTLS reply: this server will not talk to us.
    return DeliveryError(where, reply, code=code)


def _certificate_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: BaseException | None = exc
    for _ in range(10):  # a chain is short; the cap guards against a cycle
        if seen is None or isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _outcome(error: DeliveryError) -> str:
    kind = {SendDeferredError: "deferred", SendRefusedError: "refused"}
    word = kind.get(type(error), "failed")
    return f"{word} {error.code}" if error.code is not None else f"{word}"
