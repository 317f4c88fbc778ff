"""Byte-level MIME assembly for sample mail: headers, encoded bodies, multiparts."""

from __future__ import annotations

import base64
import hashlib
import quopri
import random
import string
from collections.abc import Sequence
from email.header import Header
from email.utils import formataddr, parseaddr
from typing import Literal

TransferEncoding = Literal["quoted-printable", "base64", "8bit", "7bit"]
HeaderList = Sequence[tuple[str, str]]

TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
HEX = "0123456789abcdef"


def seeded_rng(*parts: str) -> random.Random:
    """A generator seeded from text, so the same inputs always give the same mail."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    # Reproducible look-alike tokens for fixtures; nothing here is a secret.
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311


def token(rng: random.Random, length: int, alphabet: str = TOKEN_ALPHABET) -> str:
    """A random-looking token such as Scholar's ``ei`` or ``scisig`` values."""
    return "".join(rng.choice(alphabet) for _ in range(length))


def digits(rng: random.Random, length: int) -> str:
    """A decimal number of exactly ``length`` digits."""
    return str(rng.randint(10 ** (length - 1), 10**length - 1))


def boundary(rng: random.Random) -> str:
    """A multipart boundary in the style Google's mail servers use."""
    return "000000000000" + token(rng, 16, HEX)


def message_id(value: str) -> str:
    """``value`` as a Message-ID header value, adding the angle brackets if missing."""
    value = value.strip()
    return value if value.startswith("<") else f"<{value}>"


def header_value(name: str, value: str) -> str:
    """The value as it goes on the wire: RFC 2047 encoded words when not ASCII."""
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name=name).encode()


def address(name: str, addr: str) -> str:
    """A ``Name <addr>`` header value with the display name encoded when needed."""
    return formataddr((name, addr)) if name else addr


def split_address(value: str) -> tuple[str, str]:
    """``Name <addr>`` (or a bare address) as its display name and address."""
    return parseaddr(value)


def encode_body(text: str, encoding: TransferEncoding) -> bytes:
    """``text`` in UTF-8 under a content transfer encoding, ending in a newline."""
    data = text.encode("utf-8")
    if not data.endswith(b"\n"):
        data += b"\n"
    if encoding == "quoted-printable":
        return quopri.encodestring(data)
    if encoding == "base64":
        return base64.encodebytes(data)
    if encoding == "7bit" and not data.isascii():
        raise ValueError("7bit body with non-ASCII text")
    return data


def header_block(headers: HeaderList) -> bytes:
    """Header lines, LF-terminated; values must already be wire-ready ASCII."""
    lines = []
    for name, value in headers:
        line = f"{name}: {value}\n"
        if not line.isascii():
            raise ValueError(f"header {name} is not ASCII; encode it first")
        lines.append(line)
    return "".join(lines).encode("ascii")


def leaf(
    content_type: str,
    text: str,
    encoding: TransferEncoding,
    extra_headers: HeaderList = (),
) -> bytes:
    """One non-multipart entity: its headers, a blank line, the encoded body."""
    head = [
        ("Content-Type", content_type),
        ("Content-Transfer-Encoding", encoding),
        *extra_headers,
    ]
    return header_block(head) + b"\n" + encode_body(text, encoding)


def multipart(
    subtype: str,
    separator: str,
    parts: Sequence[bytes],
    extra_headers: HeaderList = (),
) -> bytes:
    """A multipart entity holding ``parts``, closed by its final boundary."""
    head = [("Content-Type", f'multipart/{subtype};\n boundary="{separator}"')]
    out = [header_block([*head, *extra_headers]), b"\n"]
    for part in parts:
        out += [f"--{separator}\n".encode(), part]
        if not part.endswith(b"\n"):
            out.append(b"\n")
        # The line end before a boundary belongs to the boundary (RFC 2046
        # 5.1.1): one more keeps each body's own final newline, so a decoded
        # quoted-printable body equals the same body sent in base64.
        out.append(b"\n")
    out.append(f"--{separator}--\n".encode())
    return b"".join(out)


def message(headers: HeaderList, entity: bytes) -> bytes:
    """A whole message: top-level headers, MIME-Version, then the entity."""
    return header_block([*headers, ("MIME-Version", "1.0")]) + entity
