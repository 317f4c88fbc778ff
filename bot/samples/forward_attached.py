"""Alerts forwarded as attachments: whole ``message/rfc822`` parts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from bot.samples import mime
from bot.samples.forward_source import BOT_MAILBOX, envelope


def forward_as_attachment(
    raw_alerts: Sequence[bytes],
    *,
    forwarder: str,
    note: str,
    filename: str,
    message_id: str,
    date: datetime,
    subject: str = "Fwd: Scholar alerts",
    to: str = BOT_MAILBOX,
) -> bytes:
    """A short note with each alert attached whole as ``message/rfc822``.

    Attachments are named ``filename``, then ``name (2).eml`` and so on; a
    non-ASCII name is sent in RFC 2231 form, split into continuations.
    """
    rng = mime.seeded_rng("attach", message_id)
    note_encoding: mime.TransferEncoding = (
        "7bit" if note.isascii() else "quoted-printable"
    )
    parts = [mime.leaf('text/plain; charset="utf-8"', note, note_encoding)]
    for index, raw in enumerate(raw_alerts):
        head = [
            ("Content-Type", "message/rfc822"),
            ("Content-Transfer-Encoding", "7bit" if raw.isascii() else "8bit"),
            ("Content-Disposition", _disposition(_numbered(filename, index))),
        ]
        parts.append(mime.header_block(head) + b"\n" + raw)
    entity = mime.multipart("mixed", mime.boundary(rng), parts)
    return mime.message(envelope(forwarder, to, subject, date, message_id), entity)


def _numbered(filename: str, index: int) -> str:
    if index == 0:
        return filename
    stem, dot, suffix = filename.rpartition(".")
    if not dot:
        return f"{filename} ({index + 1})"
    return f"{stem} ({index + 1}).{suffix}"


def _disposition(filename: str) -> str:
    if filename.isascii() and '"' not in filename and "\\" not in filename:
        return f'attachment; filename="{filename}"'
    # RFC 2231: percent-encoded UTF-8, split into numbered continuations that
    # keep header lines short without cutting a %XX escape in two.
    pieces = re.findall(r"%[0-9A-F]{2}|.", quote(filename, safe=""))
    chunks = [""]
    for piece in pieces:
        if len(chunks[-1]) + len(piece) > 45:
            chunks.append("")
        chunks[-1] += piece
    charset = "utf-8''"
    if len(chunks) == 1:
        return f"attachment;\n filename*={charset}{chunks[0]}"
    params = [
        f" filename*{number}*={charset if number == 0 else ''}{chunk}"
        for number, chunk in enumerate(chunks)
    ]
    return "attachment;\n" + ";\n".join(params)
