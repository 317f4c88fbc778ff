"""The one door to litellm: one chat completion, its errors translated into ours."""

from __future__ import annotations

import asyncio
import email.utils
import errno
import functools
import logging
import os
import re
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bot.summarize.errors import (
    ModelAuthFailedError,
    ModelCallFailedError,
    ModelError,
    ModelRateLimitedError,
    ModelRefusedJsonModeError,
    ModelUnreachableError,
)

log = logging.getLogger(__name__)

# Set before litellm is imported, which is when it reads them.
_LITELLM_ENVIRONMENT = {
    # Use the price list shipped in the package instead of downloading one.
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    # litellm 1.110 collects usage telemetry only in its proxy, and only when
    # an operator opts in; this is that proxy's veto, set in case it grows.
    "LITELLM_TELEMETRY_DISABLED": "True",
}
_LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")

_CONNECT_ERRNOS = {
    errno.ECONNREFUSED: "connection refused",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTDOWN: "host is down",
}
# "litellm.BadRequestError: OpenAIException - " and the like say nothing.
_LITELLM_PREFIX = re.compile(
    r"^(?:litellm\.\w+:\s*)?(?:\w+Error:\s*)?(?:\w+Exception - )?"
)
_MAX_PROBLEM = 200
# Variables whose values are provider keys (OPENAI_API_KEY, HF_TOKEN, ...).
_KEY_VARIABLE_ENDINGS = ("_KEY", "_TOKEN", "_SECRET")
_MIN_SECRET = 8


@dataclass(frozen=True)
class ModelAnswer:
    """What the model said, and what saying it cost when litellm knows."""

    content: str
    reasoning: str | None
    cost_usd: float | None
    prompt_tokens: int | None
    completion_tokens: int | None = None


@functools.cache
def _litellm() -> Any:
    """litellm, imported on first use: it takes seconds and ~200 MB to load."""
    for name, value in _LITELLM_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    # Set first: litellm logs its set-up at DEBUG while it is imported.
    for name in _LITELLM_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    import litellm

    # The opt-out litellm's docs give (observability/telemetry); 1.110 has no
    # SDK telemetry left to turn off, older versions read this flag.
    litellm.telemetry = False
    # Otherwise every failed call prints a "Give Feedback" banner to stdout.
    litellm.suppress_debug_info = True
    for name in _LITELLM_LOGGERS:
        logger = logging.getLogger(name)
        # Its own stream handler would print each warning a second time,
        # past the format and destination the CLI set up.
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
    return litellm


def describe_endpoint(api_base: str | None) -> str:
    """``api_base`` without credentials or query, fit for logs."""
    if not api_base:
        return "the provider's default endpoint"
    parts = urlsplit(api_base)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}".rstrip("/")


class ModelClient:
    """Calls one model through litellm; every failure is a :class:`ModelError`.

    litellm's own retries are off: :mod:`bot.summarize.llm` retries in one
    place, so a rate limit never multiplies into retries of retries.
    """

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None,
        api_key: str | None,
        timeout: float,
    ) -> None:
        self.model = model
        self.api_base = api_base
        self._api_key = api_key
        self.timeout = timeout
        self.endpoint = describe_endpoint(api_base)

    def __repr__(self) -> str:
        return f"ModelClient({self.model!r}, api_base={self.endpoint!r})"

    async def complete(
        self, messages: Sequence[Mapping[str, str]], *, json_mode: bool
    ) -> ModelAnswer:
        """One chat completion; ``json_mode`` asks for a JSON object answer."""
        litellm = _litellm()
        options: dict[str, Any] = {}
        if json_mode:
            options["response_format"] = {"type": "json_object"}
        started = time.monotonic()
        try:
            # litellm's timeout bounds each wait for bytes; a server that
            # trickles its answer would otherwise hold a slot for hours.
            response = await asyncio.wait_for(
                litellm.acompletion(
                    model=self.model,
                    messages=[dict(message) for message in messages],
                    api_base=self.api_base,
                    api_key=self._api_key,
                    timeout=self.timeout,
                    max_retries=0,
                    num_retries=0,
                    **options,
                ),
                self.timeout,
            )
            answer = _answer_from(litellm, response)
        except Exception as exc:
            error = self._translate(litellm, exc, json_mode=json_mode)
            self._log_call(started, error.problem, None)
            raise error from exc
        self._log_call(started, "ok", answer)
        return answer

    async def close(self) -> None:
        """Close litellm's HTTP sessions, which belong to the running event loop."""
        try:
            await _litellm().close_litellm_async_clients()
        except Exception:  # a failed cleanup must not cost the digest
            log.debug("closing litellm's HTTP clients failed", exc_info=True)

    def _log_call(
        self, started: float, outcome: str, answer: ModelAnswer | None
    ) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        prompt = answer.prompt_tokens if answer else None
        completion = answer.completion_tokens if answer else None
        log.info(
            "model %s at %s: %s in %.0f ms, tokens %s in / %s out",
            self.model,
            self.endpoint,
            outcome,
            elapsed_ms,
            "?" if prompt is None else prompt,
            "?" if completion is None else completion,
        )

    def _translate(
        self, litellm: Any, exc: Exception, *, json_mode: bool
    ) -> ModelError:
        """Our error for one of litellm's (or anything raised under it)."""
        where = {"model": self.model, "host": self.endpoint}
        status = getattr(exc, "status_code", None)

        if isinstance(exc, litellm.RateLimitError) or status == 429:
            return ModelRateLimitedError(
                "rate limited", retry_after=_retry_after(exc), **where
            )
        if isinstance(exc, litellm.Timeout | TimeoutError):
            return ModelCallFailedError(f"no answer within {self.timeout:g} s", **where)
        if status in (401, 403) or isinstance(
            exc, litellm.AuthenticationError | litellm.PermissionDeniedError
        ):
            return ModelAuthFailedError(
                f"authentication failed (HTTP {status or 401})", **where
            )
        # litellm reports a refused connection as an InternalServerError or
        # an APIConnectionError; only the cause says nothing was reached.
        refused = _connect_failure(exc)
        if refused is not None:
            return ModelUnreachableError(f"unreachable: {refused}", **where)
        message = _LITELLM_PREFIX.sub("", self._redacted(str(exc)))
        if (
            json_mode
            and isinstance(exc, litellm.BadRequestError)
            and ("response_format" in message or "json" in message.lower())
        ):
            return ModelRefusedJsonModeError("JSON mode refused", **where)
        kind = f"HTTP {status}" if isinstance(status, int) else type(exc).__name__
        return ModelCallFailedError(f"{kind}: {message[:_MAX_PROBLEM]}", **where)

    def _redacted(self, text: str) -> str:
        # Error text can echo the request; no key may reach a log, whether
        # ours or one litellm read from the provider's variable.
        for secret in _secrets(self._api_key):
            text = text.replace(secret, "***")
        return " ".join(text.split())


def _secrets(api_key: str | None) -> list[str]:
    """The key given, and every provider key in the environment, longest first.

    litellm takes ``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY`` and the like
    when no key is given. Short values are left alone: replacing them would
    garble the message while hiding nothing worth hiding.
    """
    found = {api_key} if api_key else set()
    found |= {
        value
        for name, value in os.environ.items()
        if name.upper().endswith(_KEY_VARIABLE_ENDINGS)
    }
    return sorted(
        (value for value in found if len(value) >= _MIN_SECRET), key=len, reverse=True
    )


def _answer_from(litellm: Any, response: Any) -> ModelAnswer:
    """The fields we use of litellm's ``ModelResponse``."""
    message = response.choices[0].message
    content = message.content
    reasoning = getattr(message, "reasoning_content", None)
    usage = getattr(response, "usage", None)
    return ModelAnswer(
        content=content if isinstance(content, str) else str(content or ""),
        reasoning=reasoning if isinstance(reasoning, str) and reasoning else None,
        cost_usd=_cost(litellm, response),
        prompt_tokens=_count(getattr(usage, "prompt_tokens", None)),
        completion_tokens=_count(getattr(usage, "completion_tokens", None)),
    )


def _cost(litellm: Any, response: Any) -> float | None:
    """Dollars for the call from litellm's price list; None for unknown models."""
    try:
        cost = litellm.completion_cost(completion_response=response)
    except Exception:  # litellm raises for every model it has no price for
        return None
    return float(cost) if isinstance(cost, int | float) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _retry_after(exc: Exception) -> float | None:
    """Seconds the provider asked us to wait, from ``retry-after(-ms)``."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    milliseconds = _seconds(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    value = headers.get("retry-after")
    seconds = _seconds(value)
    if seconds is not None or not value:
        return seconds
    # RFC 9110 allows an HTTP date instead of a number of seconds.
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _seconds(value: object) -> float | None:
    try:
        return max(0.0, float(str(value))) if value is not None else None
    except ValueError:
        return None


def _connect_failure(exc: BaseException) -> str | None:
    """Why no connection was made, if that is what ``exc`` comes from."""
    import httpx  # loaded with litellm already

    chain = _chain(exc)
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return f"host not found ({cause.strerror or cause})"
        if isinstance(cause, OSError) and cause.errno in _CONNECT_ERRNOS:
            return _CONNECT_ERRNOS[cause.errno]
    # Either transport litellm uses reports any failure to connect (TLS too)
    # as httpx's ConnectError.
    for cause in chain:
        if isinstance(cause, httpx.ConnectError):
            return f"cannot connect ({cause})"
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it was raised from or while handling."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and all(cause is not seen for seen in chain):
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain
