"""The digest email: MIME structure, headers, subject and Message-ID."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.deliver.email import (
    DigestEmail,
    compose_email,
    digest_subject,
    email_content,
    make_message_id,
)
from bot.deliver.files import WrittenDigest
from bot.errors import DigestError

KEY = b"k" * 32
SENDER = "digest@bot.example.org"
WHEN = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
FRIDAY = date(2026, 12, 4)


def write_digest(folder: Path, *, shortened: bool = False) -> WrittenDigest:
    """The four digest files (and the full HTML when shortened), as on disk."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "digest.md": "# Scholar digest\n\n1. Spin & charge order\n",
        "digest.html": "<h1>Scholar digest</h1><p>Spin &amp; charge — ordre</p>\n",
        "digest.txt": "Scholar digest\n\n1. Spin & charge — ordre\n",
        "digest.json": "{}\n",
    }
    if shortened:
        files["digest.full.html"] = "<h1>Scholar digest</h1><p>every detail</p>\n"
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return WrittenDigest(
        markdown=folder / "digest.md",
        html=folder / "digest.html",
        text=folder / "digest.txt",
        json=folder / "digest.json",
        full_html=folder / "digest.full.html" if shortened else None,
        html_level="short" if shortened else "full",
    )


def compose(
    content: DigestEmail, recipient: str = "ada@example.org", *, day: str = "2026-12-04"
) -> bytes:
    return compose_email(
        content,
        sender=SENDER,
        recipient=recipient,
        message_id=make_message_id(KEY, recipient, day, SENDER),
        date=WHEN,
    )


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> list[EmailMessage]:
    return list(message.iter_parts())  # type: ignore[arg-type]


def lf(text: str) -> str:
    """Body text as written to disk: the email carries it with CRLF line ends."""
    return text.replace("\r\n", "\n")


def plain_content(
    subject: str = "Scholar digest for Fri 4 Dec 2026: 2 papers",
) -> DigestEmail:
    return DigestEmail(
        subject=subject,
        text_body="two papers\n",
        html_body="<p>two papers</p>\n",
        attachment_name="digest.md",
        attachment=b"# two papers\n",
        attachment_type="text/markdown",
    )


def test_email_holds_text_then_html_alternatives_and_the_markdown(
    tmp_path: Path,
) -> None:
    written = write_digest(tmp_path / "day")
    message = parse(compose(email_content(written, "subject")))

    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = parts(message)
    assert alternative.get_content_type() == "multipart/alternative"
    text, html = parts(alternative)
    assert text.get_content_type() == "text/plain"
    assert text.get_content_charset() == "utf-8"
    assert lf(text.get_content()) == written.text.read_text(encoding="utf-8")
    assert html.get_content_type() == "text/html"
    assert lf(html.get_content()) == written.html.read_text(encoding="utf-8")
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "digest.md"
    assert attachment.get_content_type() == "text/markdown"
    assert attachment.get_payload(decode=True) == written.markdown.read_bytes()


def test_shortened_html_body_attaches_the_full_html(tmp_path: Path) -> None:
    written = write_digest(tmp_path / "day", shortened=True)
    message = parse(compose(email_content(written, "subject")))

    attachment = parts(message)[1]
    assert attachment.get_filename() == "digest.full.html"
    assert attachment.get_content_type() == "text/html"
    assert attachment.get_content() == "<h1>Scholar digest</h1><p>every detail</p>\n"


def test_missing_digest_file_is_a_digest_error(tmp_path: Path) -> None:
    written = write_digest(tmp_path / "day")
    written.text.unlink()

    with pytest.raises(DigestError, match="cannot read"):
        email_content(written, "subject")


def test_headers_mark_the_digest_as_machine_made() -> None:
    raw = compose(plain_content())
    message = parse(raw)

    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["From"] == SENDER
    assert message["Date"] == "Fri, 04 Dec 2026 07:00:00 +0000"
    assert message["MIME-Version"] == "1.0"
    assert raw.count(b"MIME-Version") == 1
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


def test_to_header_holds_only_the_one_recipient() -> None:
    message = parse(compose(plain_content(), "bob@example.org"))

    assert message.get_all("To") == ["bob@example.org"]
    for name in ("Cc", "Bcc", "Reply-To"):
        assert message[name] is None


def test_message_id_is_stable_per_recipient_and_day() -> None:
    first = make_message_id(KEY, "Ada@Example.org", "2026-12-04", SENDER)

    assert first == make_message_id(KEY, "ada@example.org", "2026-12-04", SENDER)
    assert first != make_message_id(KEY, "bob@example.org", "2026-12-04", SENDER)
    assert first != make_message_id(KEY, "ada@example.org", "2026-12-05", SENDER)
    assert first.startswith("<") and first.endswith("@bot.example.org>")
    assert len(first.split("@")[0]) == 1 + 32


def test_message_id_cannot_be_guessed_without_the_key() -> None:
    mine = make_message_id(KEY, "ada@example.org", "2026-12-04", SENDER)
    other_key = make_message_id(b"x" * 32, "ada@example.org", "2026-12-04", SENDER)

    assert mine != other_key
    assert "ada" not in mine and "2026" not in mine


@pytest.mark.parametrize("sender", ["no-domain", "a@bad_domain!", "a@"])
def test_message_id_domain_falls_back_for_an_odd_sender(sender: str) -> None:
    message_id = make_message_id(KEY, "ada@example.org", "2026-12-04", sender)

    assert message_id.endswith("@scholar-digest.invalid>")


def test_message_id_header_is_the_one_given() -> None:
    message = parse(compose(plain_content(), "ada@example.org"))

    expected = make_message_id(KEY, "ada@example.org", "2026-12-04", SENDER)
    assert message["Message-ID"] == expected


@pytest.mark.parametrize(
    ("count", "ending"),
    [(14, ": 14 papers"), (1, ": 1 paper"), (0, ": no new papers")],
)
def test_subject_names_the_day_and_the_paper_count(count: int, ending: str) -> None:
    subject = digest_subject("Scholar digest", FRIDAY, count)

    assert subject == "Scholar digest for Fri 4 Dec 2026" + ending


def test_subject_keeps_an_ampersand_as_written() -> None:
    subject = digest_subject("Spin & charge", FRIDAY, 2)
    raw = compose(plain_content(subject))

    assert subject.startswith("Spin & charge for ")
    assert parse(raw)["Subject"] == subject
    assert b"&amp;" not in raw.split(b"\r\n\r\n")[0]


def test_line_break_in_the_title_cannot_add_a_header() -> None:
    subject = digest_subject("Digest\r\nBcc: eve@example.org\n\x1b[31m", FRIDAY, 1)
    message = parse(compose(plain_content(subject)))

    assert "\r" not in subject and "\n" not in subject and "\x1b" not in subject
    assert message["Bcc"] is None
    assert message["Subject"] == subject


@pytest.mark.parametrize("subject", ["a\r\nBcc: eve@example.org", "a\nb", "a\rb"])
def test_compose_refuses_a_subject_with_a_line_break(subject: str) -> None:
    with pytest.raises(DigestError, match="subject"):
        compose(plain_content(subject))


@pytest.mark.parametrize(
    "recipient",
    [
        "ada@example.org, eve@example.org",
        "ada@example.org;eve@example.org",
        "Ada <ada@example.org>",
        "ada@example.org\r\nBcc: eve@example.org",
        "ada@example.org\n",
        "<>",
        "ada",
    ],
)
def test_address_that_could_add_recipients_is_refused(recipient: str) -> None:
    with pytest.raises(DigestError, match="recipient"):
        compose(plain_content(), recipient)


def test_sender_that_could_add_recipients_is_refused() -> None:
    with pytest.raises(DigestError, match="sender"):
        compose_email(
            plain_content(),
            sender="bot@example.org, eve@example.org",
            recipient="ada@example.org",
            message_id="<x@example.org>",
            date=WHEN,
        )


def test_long_title_is_capped_at_a_word() -> None:
    subject = digest_subject("word " * 40, FRIDAY, 3)

    title = subject.split(" for Fri")[0]
    assert len(title) <= 81
    assert title.endswith("word\u2026")


def test_empty_title_falls_back_to_the_default() -> None:
    assert digest_subject(" \t\r\n", FRIDAY, 1).startswith("Scholar digest for ")


def test_non_ascii_subject_is_encoded_and_lines_stay_short() -> None:
    subject = digest_subject("Physique des matériaux — ordre de charge " * 2, FRIDAY, 5)
    raw = compose(plain_content(subject))

    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert b"=?utf-8?" in raw
    assert parse(raw)["Subject"] == subject


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    written = write_digest(tmp_path / "day")
    content = email_content(written, "subject")

    assert compose(content) == compose(content)
    assert compose(content, "ada@example.org") != compose(content, "bob@example.org")
