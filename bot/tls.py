"""The one place client TLS contexts are made, for IMAP and SMTP alike."""

from __future__ import annotations

import ssl
from pathlib import Path


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """Certificates and host names checked; ``ca_file`` trusted on top.

    ``ssl.create_default_context(cafile=...)`` would trust *only* that file,
    so a private CA would lock out every public server: load the system's
    authorities first, then add the user's.
    """
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context
