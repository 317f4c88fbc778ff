"""Sending one email through a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.config import SmtpSettings
from bot.deliver.smtp import send_email
from bot.errors import ConfigError, DeliveryError, SendDeferredError, SendRefusedError
from tests.servers.smtp import SENDER, SmtpServerFactory, free_port

# The SMTP fixtures, also when conftest.py does not import them.

RAW = (
    b"From: digest@bot.test\r\nTo: ada@example.org\r\nSubject: digest\r\n\r\n"
    b"one paper\r\n.a line that starts with a dot\r\n"
)
LOGIN = ("digest", "correct horse battery staple")


def send(
    settings: SmtpSettings, ca_file: Path | None, recipient: str = "ada@example.org"
) -> None:
    asyncio.run(send_email(settings, ca_file=ca_file, recipient=recipient, raw=RAW))


def test_starttls_server_gets_one_upgrade_then_the_login_then_the_message(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(mode="starttls", require_starttls=True, login=LOGIN)

    send(server.settings(), server.ca_file)

    assert server.handler.starttls_upgrades == 1
    assert [(a.user, a.tls, a.accepted) for a in server.handler.logins] == [
        (LOGIN[0], True, True)
    ]
    [message] = server.messages
    assert message.tls and message.authenticated
    assert message.mail_from == SENDER
    assert message.rcpt_tos == ("ada@example.org",)
    assert message.raw == RAW


def test_implicit_tls_sends_without_a_second_upgrade(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(mode="implicit", login=LOGIN)

    send(server.settings(), server.ca_file)

    assert server.handler.starttls_upgrades == 0
    [message] = server.messages
    assert message.tls and message.authenticated
    assert message.raw == RAW


def test_server_without_starttls_gets_no_login_and_no_message(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(mode="plain", login=LOGIN)

    with pytest.raises(DeliveryError, match="no STARTTLS") as caught:
        send(server.settings(tls="starttls"), server.ca_file)

    assert type(caught.value) is DeliveryError  # neither retried soon nor refused
    assert server.handler.logins == []
    assert server.messages == []


def test_starttls_client_against_an_implicit_tls_port_sends_nothing(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(mode="implicit")

    with pytest.raises(DeliveryError):
        send(server.settings(tls="starttls", timeout=1.0), server.ca_file)

    assert server.messages == []


def test_wrong_password_is_a_clear_login_error(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(mode="starttls", require_starttls=True, login=LOGIN)

    with pytest.raises(DeliveryError) as caught:
        send(server.settings(password="wrong"), server.ca_file)

    error = caught.value
    assert type(error) is DeliveryError
    assert "refused the login for digest" in str(error)
    assert error.code == 535
    assert "wrong" not in str(error)
    assert server.messages == []


def test_untrusted_certificate_is_refused_before_login(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(mode="starttls", login=LOGIN)

    with pytest.raises(DeliveryError, match="not trusted") as caught:
        send(server.settings(), ca_file=None)

    assert "SCHOLAR_DIGEST_CA_FILE" in str(caught.value)
    assert server.handler.logins == []
    assert server.messages == []


def test_recipient_refused_with_5xx_is_a_refusal(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(mode="starttls")
    server.refuse("ada@example.org", "550 5.1.1 no such user here")

    with pytest.raises(SendRefusedError) as caught:
        send(server.settings(), server.ca_file)

    assert caught.value.code == 550
    assert caught.value.recipient == "ada@example.org"


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_4xx_reply_is_deferred(
    smtp_server_factory: SmtpServerFactory, stage: str
) -> None:
    server = smtp_server_factory(mode="starttls")
    if stage == "rcpt":
        server.answer_rcpt("451 4.3.0 greylisted, try later")
    else:
        server.answer_data("452 4.3.1 out of space")

    with pytest.raises(SendDeferredError) as caught:
        send(server.settings(), server.ca_file)

    assert caught.value.code in {451, 452}
    assert server.messages == []


def test_5xx_on_data_is_a_refusal(smtp_server_factory: SmtpServerFactory) -> None:
    server = smtp_server_factory(mode="starttls")
    server.answer_data("554 5.6.0 message content rejected")

    with pytest.raises(SendRefusedError) as caught:
        send(server.settings(), server.ca_file)

    assert caught.value.code == 554


def test_closed_port_is_deferred() -> None:
    settings = SmtpSettings(
        host="127.0.0.1", port=free_port(), tls="off", sender=SENDER, timeout=2.0
    )

    with pytest.raises(SendDeferredError) as caught:
        send(settings, None)

    assert caught.value.code is None


def test_slow_server_times_out_as_deferred(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(mode="starttls")
    server.delay_data(3.0)

    with pytest.raises(SendDeferredError, match="timed out"):
        send(server.settings(timeout=0.5), server.ca_file)


def test_plaintext_to_a_loopback_test_server_when_tls_is_off(
    smtp_server_factory: SmtpServerFactory,
) -> None:
    server = smtp_server_factory(mode="plain")

    send(server.settings(), server.ca_file)

    [message] = server.messages
    assert not message.tls


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"host": None}, "SCHOLAR_DIGEST_SMTP_HOST"),
        ({"sender": None}, "SCHOLAR_DIGEST_SMTP_FROM"),
        ({"user": "digest", "password": None}, "SCHOLAR_DIGEST_SMTP_PASSWORD"),
        ({"host": "mail.example.org", "tls": "off"}, "SCHOLAR_DIGEST_SMTP_TLS"),
    ],
)
def test_unusable_settings_name_the_setting(
    changes: dict[str, object], setting: str
) -> None:
    base = {"host": "127.0.0.1", "port": free_port(), "sender": SENDER}
    settings = SmtpSettings(**{**base, **changes})  # type: ignore[arg-type]

    with pytest.raises(ConfigError) as caught:
        send(settings, None)

    assert caught.value.setting == setting


def test_one_info_line_per_send_without_the_password(
    smtp_server_factory: SmtpServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = smtp_server_factory(mode="starttls", require_starttls=True, login=LOGIN)
    caplog.set_level(logging.INFO, logger="bot.deliver.smtp")

    send(server.settings(), server.ca_file)

    lines = [r for r in caplog.records if r.name == "bot.deliver.smtp"]
    assert len(lines) == 1
    text = lines[0].getMessage()
    assert f"127.0.0.1:{server.port}" in text
    assert "ada@example.org" in text and "accepted" in text and " ms" in text
    assert LOGIN[1] not in caplog.text
