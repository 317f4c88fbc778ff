"""Errors of calls to the summarizing model: a branch of the tree in :mod:`bot.errors`.

Raised only by :mod:`bot.summarize.llm_client`, which translates litellm's
exceptions; each carries the model id and the API host (never the key)::

    ScholarDigestError
    └── ModelError                   a call to the model gave no usable answer
        ├── ModelRateLimitedError    429: the same call may work after retry_after
        ├── ModelRefusedJsonModeError  400 naming response_format: ask without it
        ├── ModelCallFailedError     anything else (timeout, 5xx, bad request)
        └── ModelUnusableError       no call can succeed in this run
            ├── ModelUnreachableError  refused, unknown host, network down
            └── ModelAuthFailedError   401 or 403: the key is wrong or not allowed
"""

from __future__ import annotations

from bot.errors import ScholarDigestError


class ModelError(ScholarDigestError):
    """A call to the summarizing model gave no usable answer.

    ``model`` is the litellm model id and ``host`` the API host it was sent
    to; ``problem`` says what went wrong in a few words.
    """

    def __init__(self, problem: str, *, model: str, host: str) -> None:
        super().__init__(f"model {model} at {host}: {problem}")
        self.problem = problem
        self.model = model
        self.host = host


class ModelRateLimitedError(ModelError):
    """The provider asked us to slow down; ``retry_after`` is in seconds if given."""

    def __init__(
        self, problem: str, *, model: str, host: str, retry_after: float | None
    ) -> None:
        super().__init__(problem, model=model, host=host)
        self.retry_after = retry_after


class ModelRefusedJsonModeError(ModelError):
    """The provider does not accept ``response_format`` for this model."""


class ModelCallFailedError(ModelError):
    """This call failed; the next one (another paper) may still work."""


class ModelUnusableError(ModelError):
    """No call to this model can succeed in this run: stop calling it."""


class ModelUnreachableError(ModelUnusableError, ConnectionError):
    """The API could not be reached at all (refused, unknown host, no route)."""


class ModelAuthFailedError(ModelUnusableError):
    """The provider refused the key (HTTP 401 or 403)."""
