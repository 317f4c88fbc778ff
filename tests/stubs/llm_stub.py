"""A real HTTP server on 127.0.0.1 that answers like OpenAI's chat completions API."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.stubs.loopback import LoopbackServer

COMPLETIONS_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class StubReply:
    """What the stub sends for one request.

    A ``status`` other than 200 sends ``error`` in OpenAI's error body;
    ``latency`` is waited first, so answers can arrive out of order.
    """

    content: str = ""
    reasoning: str | None = None
    latency: float = 0.0
    status: int = 200
    error: str = ""
    error_type: str = "invalid_request_error"
    headers: Mapping[str, str] = field(default_factory=dict)
    prompt_tokens: int = 120
    completion_tokens: int = 80


@dataclass(frozen=True)
class SeenCall:
    """One request as the stub received it: when, and the JSON body."""

    time: float
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        """Every message's text, joined: what the model was asked."""
        return "\n".join(str(m.get("content") or "") for m in self.body["messages"])

    @property
    def json_mode(self) -> bool:
        """Whether the request asked for ``response_format``."""
        return "response_format" in self.body


def rate_limited(retry_after: float = 2) -> StubReply:
    """A 429 with ``retry-after``, as OpenAI sends it."""
    return StubReply(
        status=429,
        error="Rate limit reached for requests. Please try again later.",
        error_type="requests",
        headers={"retry-after": f"{retry_after:g}"},
    )


def unauthorized() -> StubReply:
    """A 401 for a wrong key, as OpenAI sends it."""
    return StubReply(
        status=401,
        error="Incorrect API key provided.",
        error_type="invalid_request_error",
    )


def json_mode_refused() -> StubReply:
    """A 400 of a server that does not know ``response_format``."""
    return StubReply(
        status=400,
        error="Unsupported parameter: 'response_format' is not supported "
        "with this model.",
    )


Responder = Callable[[SeenCall], StubReply]


def _echo(call: SeenCall) -> StubReply:
    return StubReply(content="{}")


class LlmStub(LoopbackServer):
    """Serves ``POST /v1/chat/completions``; use as a context manager.

    ``respond`` maps each request to a :class:`StubReply`; replies queued
    with :meth:`fail_next` are sent first, one per request. With
    ``refuse_json_mode`` every request carrying ``response_format`` gets a
    400 naming it. ``requests`` records every request; ``max_in_flight`` is
    the most requests ever being answered at once.
    """

    def __init__(
        self, respond: Responder = _echo, *, refuse_json_mode: bool = False
    ) -> None:
        self.respond = respond
        self.refuse_json_mode = refuse_json_mode
        self.requests: list[SeenCall] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._queue: deque[StubReply] = deque()
        self._lock = threading.Lock()
        super().__init__(self._handler_class())

    @property
    def api_base(self) -> str:
        """What to give litellm as ``api_base``."""
        return self.origin + "/v1"

    def fail_next(self, *replies: StubReply) -> None:
        """Queue replies sent (in order) instead of ``respond``'s."""
        with self._lock:
            self._queue.extend(replies)

    def _reply_to(self, call: SeenCall) -> StubReply:
        with self._lock:
            self.requests.append(call)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            queued = self._queue.popleft() if self._queue else None
        if queued is not None:
            return queued
        if self.refuse_json_mode and call.json_mode:
            return json_mode_refused()
        return self.respond(call)

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != COMPLETIONS_PATH:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                call = SeenCall(time.monotonic(), body)
                try:
                    reply = stub._reply_to(call)
                    time.sleep(reply.latency)
                    self._send(reply.status, _document(reply, body), reply.headers)
                finally:
                    stub._done()

            def _send(
                self,
                status: int,
                document: Mapping[str, Any],
                headers: Mapping[str, str] | None = None,
            ) -> None:
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Silence the per-request line on stderr."""

        return Handler


def _document(reply: StubReply, request: Mapping[str, Any]) -> dict[str, Any]:
    if reply.status != 200:
        return {
            "error": {
                "message": reply.error,
                "type": reply.error_type,
                "param": None,
                "code": None,
            }
        }
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.reasoning is not None:
        message["reasoning_content"] = reply.reasoning
    return {
        "id": f"chatcmpl-stub-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "stub-model"),
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


def dead_api_base() -> str:
    """An ``api_base`` on a loopback port nobody listens on: connection refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Closed again: nothing listens there until some later test binds it,
    # which is unlikely within one run.
    return f"http://127.0.0.1:{port}/v1"
