"""Errors of the enrichment lookups: a branch of the tree in :mod:`bot.errors`.

Raised by the HTTP client and the services' readers; each carries the request
URL (without its query) and the last HTTP status::

    ScholarDigestError
    └── LookupFailedError        a lookup cannot succeed as asked (names URL, status)
        └── ServiceUnavailableError  the service stayed down, busy or garbled:
                                     the same lookup may work on a later run
"""

from __future__ import annotations

from bot.errors import ScholarDigestError


class LookupFailedError(ScholarDigestError):
    """A request to an outside service failed; retrying it now would not help.

    ``url`` is the request URL without its query (which may hold a contact
    address); ``status`` is the last HTTP status, None when no answer came.
    """

    def __init__(self, problem: str, *, url: str = "", status: int | None = None):
        where = f"{url}: " if url else ""
        super().__init__(f"{where}{problem}")
        self.problem = problem
        self.url = url
        self.status = status


class ServiceUnavailableError(LookupFailedError):
    """The service kept failing (429, 5xx, timeouts, empty or unreadable bodies)."""
