"""What counts as an email address the bot will mail: one rule for every check."""

from __future__ import annotations

import re

# A plain ASCII address: no display name, comments, quoting or route, so
# one string can never smuggle a second recipient or a header.
_ADDRESS = re.compile(
    r"[^\s\x00-\x1f\x7f<>,;:()\"\\@\[\]]+"  # local part
    r"@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"  # domain
)


def is_plain_address(address: str) -> bool:
    """True for ``name@example.org``; False for anything fancier.

    Internationalised addresses need SMTPUTF8 (RFC 6531), which the bot
    does not use yet, so they are refused too.
    """
    return address.isascii() and _ADDRESS.fullmatch(address) is not None
