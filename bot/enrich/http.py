"""The one HTTP client of the lookups: pacing, retries, one log line a request."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self

import httpx

from bot import __version__
from bot.enrich.errors import LookupFailedError, ServiceUnavailableError

log = logging.getLogger(__name__)

Validator = Callable[[httpx.Response], bool]

# Statuses that say "later", not "never": rate limits and server trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# These values say what was asked and are worth seeing in a log; any other
# value (mailto, api_key ...) may be personal or secret and is left out.
_SHOWN_VALUES = frozenset({"id_list", "search_query", "filter", "search"})
_SHOWN_CHARS = 120
# An arXiv page of 100 records is about 300 KB, an OpenAlex page of 100
# works a few MB; anything far past that is no answer of theirs.
MAX_BODY_BYTES = 32_000_000
# httpx's timeout bounds each wait for bytes, not the whole answer: a
# server sending a byte now and then would hold the digest up for hours.
WHOLE_ANSWER_TIMEOUTS = 2
# How the body travelled; the body handed on is whole and decoded.
_FRAMING_HEADERS = frozenset(
    {"content-encoding", "content-length", "transfer-encoding"}
)


class UnreadableAnswerError(Exception):
    """An answer too large or too slow to wait for: retried like a lost one."""


# What a request may end in that is worth another attempt.
_LOST_ANSWER = (httpx.TransportError, httpx.DecodingError, UnreadableAnswerError)


def user_agent(contact: str | None = None) -> str:
    """The User-Agent naming the tool, with a contact address when one is set."""
    name = f"scholar-digest/{__version__}"
    return f"{name} (mailto:{contact})" if contact else name


def loggable_url(url: str, params: Mapping[str, str]) -> str:
    """The request URL as logged: no user info, only harmless query values."""
    full = httpx.URL(url).copy_merge_params(params)
    shown = []
    for name, value in full.params.multi_items():
        if name in _SHOWN_VALUES:
            cut = value[:_SHOWN_CHARS] + ("…" if len(value) > _SHOWN_CHARS else "")
            shown.append(f"{name}={cut}")
        else:
            shown.append(f"{name}=…")
    query = "?" + "&".join(shown) if shown else ""
    return f"{_base_url(full)}{query}"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delay or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always GMT; a naive result means no zone was named.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteClient:
    """GET requests over one kept-alive connection, paced and retried.

    At most one request starts per ``min_interval`` seconds, retries
    included. 429, 500, 502, 503, 504, transport errors, empty 200 bodies and
    bodies refused by ``validate`` are retried with capped exponential
    backoff that honours ``Retry-After``; so are answers larger than
    ``MAX_BODY_BYTES`` or slower than ``WHOLE_ANSWER_TIMEOUTS`` times
    ``timeout`` in all. After ``max_attempts`` a
    :class:`ServiceUnavailableError` is raised. Any other non-2xx status raises
    :class:`LookupFailedError` at once. Not thread-safe: one caller at a time.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        min_interval: float,
        timeout: float = 30.0,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._min_interval = max(0.0, min_interval)
        self._answer_deadline = timeout * WHOLE_ANSWER_TIMEOUTS
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._sleep = sleep
        self._clock = clock
        self._last_start: float | None = None
        _quiet_httpx()
        # One connection at a time is the arXiv terms of use; keeping it
        # alive spares a TLS handshake per request.
        self._client = httpx.Client(
            headers={"User-Agent": user_agent},
            timeout=timeout,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; the client cannot be used afterwards."""
        self._client.close()

    def get(
        self,
        url: str,
        params: Mapping[str, str],
        *,
        what: str,
        validate: Validator | None = None,
    ) -> httpx.Response:
        """GET ``url`` with ``params``; ``what`` says what was asked, for the log.

        Returns the first 2xx response with a non-empty body that ``validate``
        (when given) accepts.
        """
        shown = loggable_url(url, params)
        base = _base_url(httpx.URL(url))
        not_before = 0.0
        problem = "no attempt made"
        status: int | None = None
        error: Exception | None = None

        for attempt in range(1, self._max_attempts + 1):
            self._wait_until(not_before)
            started = self._clock()
            self._last_start = started
            try:
                response = self._read(url, params)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise LookupFailedError(f"unusable URL: {exc}", url=base) from exc
            except _LOST_ANSWER as exc:
                self._log(shown, type(exc).__name__, what, attempt, started)
                problem, status, error = f"{type(exc).__name__}: {exc}", None, exc
                delay = self._backoff(attempt)
            else:
                self._log(shown, response.status_code, what, attempt, started)
                status, error = response.status_code, None
                problem = _problem(response, validate)
                if not problem:
                    return response
                delay = self._retry_delay(response, attempt, base)

            not_before = self._clock() + delay

        raise ServiceUnavailableError(
            f"gave up after {self._max_attempts} attempts, last: {problem}",
            url=base,
            status=status,
        ) from error

    def _read(self, url: str, params: Mapping[str, str]) -> httpx.Response:
        """One GET, its body read whole within the size and time limits."""
        deadline = time.monotonic() + self._answer_deadline
        with self._client.stream("GET", url, params=params) as streamed:
            chunks: list[bytes] = []
            size = 0
            for chunk in streamed.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise UnreadableAnswerError(f"body over {MAX_BODY_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise UnreadableAnswerError(
                        f"answer not complete within {self._answer_deadline:g} s"
                    )
                chunks.append(chunk)
        headers = [
            (name, value)
            for name, value in streamed.headers.multi_items()
            if name.lower() not in _FRAMING_HEADERS
        ]
        return httpx.Response(
            streamed.status_code,
            headers=headers,
            content=b"".join(chunks),
            request=streamed.request,
        )

    def _retry_delay(self, response: httpx.Response, attempt: int, base: str) -> float:
        """Seconds to wait before retrying ``response``, or raise if it is final."""
        status = response.status_code
        if status not in RETRY_STATUSES and not response.is_success:
            raise LookupFailedError(f"HTTP {status}", url=base, status=status)

        asked = retry_after_seconds(response.headers.get("Retry-After"))
        if asked is not None and asked > self._backoff_cap:
            # Waiting that long would hold up the whole digest; the caller
            # tries again on a later run instead.
            raise ServiceUnavailableError(
                f"HTTP {status}, Retry-After {asked:.0f} s is beyond the cap",
                url=base,
                status=status,
            )
        return max(self._backoff(attempt), asked or 0.0)

    def _backoff(self, attempt: int) -> float:
        return min(self._backoff_cap, self._backoff_base * 2.0 ** (attempt - 1))

    def _wait_until(self, not_before: float) -> None:
        target = not_before
        if self._last_start is not None:
            target = max(target, self._last_start + self._min_interval)
        remaining = target - self._clock()
        if remaining > 0:
            self._sleep(remaining)

    def _log(
        self, shown: str, outcome: int | str, what: str, attempt: int, started: float
    ) -> None:
        elapsed_ms = (self._clock() - started) * 1000
        log.info(
            "GET %s -> %s (%s, attempt %d/%d) in %.0f ms",
            shown,
            outcome,
            what,
            attempt,
            self._max_attempts,
            elapsed_ms,
        )


def _quiet_httpx() -> None:
    # httpx logs every request at INFO with its whole URL, mailto and keys
    # included; our own line replaces it. A level set on purpose is kept.
    httpx_log = logging.getLogger("httpx")
    if httpx_log.level == logging.NOTSET:
        httpx_log.setLevel(logging.WARNING)


def _problem(response: httpx.Response, validate: Validator | None) -> str:
    """Why ``response`` is no answer yet, or "" when it is one."""
    if not response.is_success:
        return f"HTTP {response.status_code}"
    # arXiv sometimes answers 200 with nothing in it while it is overloaded.
    if not response.content.strip():
        return "empty body"
    if validate is not None and not validate(response):
        return "unreadable body"
    return ""


def _base_url(url: httpx.URL) -> str:
    # netloc is host and port only: user info never reaches a log or an error.
    return f"{url.scheme}://{url.netloc.decode('ascii')}{url.path}"
