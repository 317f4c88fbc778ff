"""A real HTTP server on 127.0.0.1 that answers like OpenAlex's works API."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.stubs.loopback import LoopbackServer

_WORD = re.compile(r"\w+")
_DOI_URL = "https://doi.org/"


@dataclass(frozen=True)
class SeenRequest:
    """One request as the stub received it."""

    time: float
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]

    def value(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Misbehaviour:
    """A canned answer sent instead of the real one, once."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


def make_work(
    work_id: str,
    title: str,
    *,
    doi: str | None = None,
    year: int | None = None,
    authors: Sequence[str] = (),
    abstract: str | None = None,
    venue: str | None = None,
    landing_page: str | None = None,
    locations: Sequence[Mapping[str, Any]] = (),
    ids: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A work shaped as OpenAlex sends it, with the abstract as an index."""
    doi_url = _DOI_URL + doi if doi else None
    primary = {
        "is_oa": False,
        "landing_page_url": landing_page or doi_url,
        "pdf_url": None,
        "source": {"display_name": venue, "type": "journal"} if venue else None,
    }
    return {
        "id": f"https://openalex.org/{work_id}",
        "doi": doi_url,
        "title": title,
        "display_name": title,
        "publication_year": year,
        "publication_date": f"{year}-01-15" if year else None,
        "authorships": [
            {"author_position": "middle", "author": {"display_name": name}}
            for name in authors
        ],
        "abstract_inverted_index": inverted_index(abstract) if abstract else None,
        "primary_location": primary,
        "locations": [primary, *locations],
        "best_oa_location": None,
        "ids": {"openalex": f"https://openalex.org/{work_id}", **(ids or {})},
    }


def inverted_index(text: str) -> dict[str, list[int]]:
    """``text`` as OpenAlex stores abstracts: each word with its positions."""
    index: dict[str, list[int]] = {}
    for position, word in enumerate(text.split()):
        index.setdefault(word, []).append(position)
    return index


class OpenAlexStub(LoopbackServer):
    """Serves ``/works?filter=doi:a|b`` and ``/works?search=...`` from memory.

    Use as a context manager; ``url`` is the base to give the client.
    Every request is recorded in ``requests``; answers queued with
    :meth:`misbehave` are sent first, one per request.
    """

    def __init__(self, works: Iterable[Mapping[str, Any]] = ()) -> None:
        self.works: list[Mapping[str, Any]] = list(works)
        self.requests: list[SeenRequest] = []
        self._queue: deque[Misbehaviour] = deque()
        self._lock = threading.Lock()
        super().__init__(self._handler_class())

    @property
    def url(self) -> str:
        return self.origin

    def misbehave(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Queue one canned answer for the next request."""
        with self._lock:
            self._queue.append(Misbehaviour(status, body, dict(headers or {})))

    def answer(self, path: str, query: Mapping[str, list[str]]) -> tuple[int, Any]:
        """Status and JSON document for a request (without misbehaviours)."""
        if path.rstrip("/") != "/works":
            return 404, {"error": "not found", "message": f"no route {path}"}
        per_page = int(query.get("per-page", ["25"])[0])
        if "filter" in query:
            results = self._filtered(query["filter"][0])
        elif "search" in query:
            results = self._searched(query["search"][0])
        else:
            results = list(self.works)
        return 200, {
            "meta": {"count": len(results), "page": 1, "per_page": per_page},
            "results": results[:per_page],
        }

    def _filtered(self, expression: str) -> list[Mapping[str, Any]]:
        name, _, values = expression.partition(":")
        if name != "doi":
            return []
        wanted = {_bare(value) for value in values.split("|")}
        return [work for work in self.works if _bare(work.get("doi")) in wanted]

    def _searched(self, text: str) -> list[Mapping[str, Any]]:
        # Deliberately naive: most shared words first, so a work that shares
        # only common words can be the top hit.
        asked = set(_WORD.findall(text.lower()))
        scored = []
        for work in self.works:
            shared = len(asked & set(_WORD.findall(str(work["title"]).lower())))
            if shared:
                scored.append((shared, work))
        scored.sort(key=lambda pair: -pair[0])
        return [work for _, work in scored]

    def _next_misbehaviour(self) -> Misbehaviour | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def _record(self, seen: SeenRequest) -> None:
        with self._lock:
            self.requests.append(seen)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                stub._record(
                    SeenRequest(
                        time=time.monotonic(),
                        path=parts.path,
                        query=query,
                        raw_query=parts.query,
                        headers=dict(self.headers.items()),
                    )
                )
                canned = stub._next_misbehaviour()
                if canned is not None:
                    self._send(canned.status, canned.body, canned.headers)
                    return
                status, document = stub.answer(parts.path, query)
                body = json.dumps(document).encode()
                self._send(status, body, {"Content-Type": "application/json"})

            def _send(
                self, status: int, body: bytes, headers: Mapping[str, str]
            ) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Silence the per-request line on stderr."""

        return Handler


def _bare(doi: object) -> str | None:
    if not isinstance(doi, str):
        return None
    return doi.lower().removeprefix(_DOI_URL)
