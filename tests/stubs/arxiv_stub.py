"""A real HTTP server on 127.0.0.1 that answers like the arXiv API's Atom feed."""

from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from itertools import pairwise
from urllib.parse import parse_qs, urlsplit

from tests.stubs.loopback import LoopbackServer

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
API_PATH = "/api/query"

ET.register_namespace("", ATOM)
ET.register_namespace("arxiv", ARXIV)
ET.register_namespace("opensearch", OPENSEARCH)

_VERSION = re.compile(r"v\d+$")
_NEW_ID = re.compile(r"\d{2}(0[1-9]|1[0-2])\.\d{4,5}")
_OLD_ID = re.compile(r"[a-z-]+(\.[A-Za-z-]+)?/\d{2}(0[1-9]|1[0-2])\d{3}")
_PHRASE = re.compile(r'ti:"([^"]*)"')
_NOT_WORD = re.compile(r"\W+")


@dataclass(frozen=True)
class StubEntry:
    """One paper the stub knows; ``title`` and ``summary`` are sent as given."""

    arxiv_id: str
    title: str
    summary: str = "An abstract."
    version: int = 1
    authors: tuple[str, ...] = ("A. Author",)
    primary_category: str = "cs.LG"
    categories: tuple[str, ...] = ("cs.LG",)
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    published: str = "2024-01-02T18:00:00Z"
    updated: str = "2024-01-05T10:00:00Z"


@dataclass(frozen=True)
class Canned:
    """An answer served instead of the normal one, once, in queue order.

    ``drop`` closes the connection without answering; ``delay`` waits first.
    """

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0


@dataclass(frozen=True)
class SeenRequest:
    """One request as the stub received it."""

    time: float
    path: str
    query: dict[str, str]
    client_port: int
    headers: dict[str, str]


def build_feed(
    entries: Iterable[StubEntry],
    *,
    total_results: int | None = None,
    errors: Iterable[str] = (),
) -> bytes:
    """An Atom feed shaped like the API's, with error entries first."""
    entries = list(entries)
    errors = list(errors)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "arXiv Query"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = "http://arxiv.org/api/stub"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = "2024-01-06T00:00:00-05:00"
    total = total_results if total_results is not None else len(entries)
    ET.SubElement(feed, f"{{{OPENSEARCH}}}totalResults").text = str(total)
    ET.SubElement(feed, f"{{{OPENSEARCH}}}startIndex").text = "0"
    ET.SubElement(feed, f"{{{OPENSEARCH}}}itemsPerPage").text = str(len(entries))
    for error in errors:
        _add_error(feed, error)
    for entry in entries:
        _add_entry(feed, entry)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def _add_error(feed: ET.Element, summary: str) -> None:
    anchor = "http://arxiv.org/api/errors#" + summary.replace(" ", "_")
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    ET.SubElement(entry, f"{{{ATOM}}}id").text = anchor
    ET.SubElement(entry, f"{{{ATOM}}}title").text = "Error"
    ET.SubElement(entry, f"{{{ATOM}}}summary").text = summary
    ET.SubElement(entry, f"{{{ATOM}}}updated").text = "2024-01-06T00:00:00-05:00"
    ET.SubElement(entry, f"{{{ATOM}}}link", href=anchor, rel="alternate")
    author = ET.SubElement(entry, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "arXiv api core"


def _add_entry(feed: ET.Element, paper: StubEntry) -> None:
    versioned = f"{paper.arxiv_id}v{paper.version}"
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    ET.SubElement(entry, f"{{{ATOM}}}id").text = f"http://arxiv.org/abs/{versioned}"
    ET.SubElement(entry, f"{{{ATOM}}}updated").text = paper.updated
    ET.SubElement(entry, f"{{{ATOM}}}published").text = paper.published
    ET.SubElement(entry, f"{{{ATOM}}}title").text = paper.title
    ET.SubElement(entry, f"{{{ATOM}}}summary").text = paper.summary
    for name in paper.authors:
        author = ET.SubElement(entry, f"{{{ATOM}}}author")
        ET.SubElement(author, f"{{{ATOM}}}name").text = name
    if paper.doi:
        ET.SubElement(entry, f"{{{ARXIV}}}doi").text = paper.doi
    if paper.comment:
        ET.SubElement(entry, f"{{{ARXIV}}}comment").text = paper.comment
    if paper.journal_ref:
        ET.SubElement(entry, f"{{{ARXIV}}}journal_ref").text = paper.journal_ref
    abs_url = f"http://arxiv.org/abs/{versioned}"
    ET.SubElement(entry, f"{{{ATOM}}}link", href=abs_url, rel="alternate")
    ET.SubElement(
        entry,
        f"{{{ATOM}}}link",
        title="pdf",
        href=f"http://arxiv.org/pdf/{versioned}",
        rel="related",
        type="application/pdf",
    )
    ET.SubElement(
        entry,
        f"{{{ARXIV}}}primary_category",
        term=paper.primary_category,
        scheme="http://arxiv.org/schemas/atom",
    )
    for term in paper.categories:
        ET.SubElement(
            entry,
            f"{{{ATOM}}}category",
            term=term,
            scheme="http://arxiv.org/schemas/atom",
        )


class ArxivStub(LoopbackServer):
    """The stand-in server, run in a thread while used as a context manager.

    ``entries`` maps an id (no version) to its paper. Misbehaviour: ``canned``
    answers go first; ``reverse`` and ``duplicate`` reorder and repeat the
    entries of normal answers. Every request is kept in ``requests``.
    """

    def __init__(self, entries: Iterable[StubEntry] = ()) -> None:
        self.entries: dict[str, StubEntry] = {e.arxiv_id: e for e in entries}
        self.canned: deque[Canned] = deque()
        self.reverse = False
        self.duplicate = False
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        super().__init__(_handler_for(self))

    @property
    def url(self) -> str:
        """The query endpoint, as ``SCHOLAR_DIGEST_ARXIV_API_URL`` would name it."""
        return self.origin + API_PATH

    def add(self, *entries: StubEntry) -> None:
        for entry in entries:
            self.entries[entry.arxiv_id] = entry

    def queue(self, *answers: Canned) -> None:
        self.canned.extend(answers)

    def gaps(self) -> list[float]:
        """Seconds between the starts of consecutive requests, as seen here."""
        times = [seen.time for seen in self.requests]
        return [later - earlier for earlier, later in pairwise(times)]

    def record(self, seen: SeenRequest) -> Canned | None:
        """Keep ``seen``; the canned answer to send instead, if one is queued."""
        with self._lock:
            self.requests.append(seen)
            return self.canned.popleft() if self.canned else None

    def answer(self, query: Mapping[str, str]) -> bytes:
        """The feed the API would send for ``query``."""
        start = int(query.get("start", "0"))
        # The API's default page is 10 results: a longer id_list is cut.
        max_results = int(query.get("max_results", "10"))

        if "id_list" in query:
            ids = [_VERSION.sub("", i) for i in query["id_list"].split(",") if i]
            malformed = [i for i in ids if not _well_formed(i)]
            if malformed:
                return build_feed(
                    [],
                    total_results=1,
                    errors=[f"incorrect id format for {malformed[0]}"],
                )
            total = len(ids)
            found = [self.entries[i] for i in ids if i in self.entries]
        else:
            found = self._search(query.get("search_query", ""))
            total = len(found)

        found = found[start : start + max_results]
        if self.reverse:
            found.reverse()
        if self.duplicate:
            found = found + found[:1]
        return build_feed(found, total_results=total)

    def _search(self, search_query: str) -> list[StubEntry]:
        match = _PHRASE.fullmatch(search_query)
        if match is None:
            return []
        phrase = _words(match.group(1))
        return [e for e in self.entries.values() if phrase in _words(e.title)]


def _well_formed(arxiv_id: str) -> bool:
    return bool(_NEW_ID.fullmatch(arxiv_id) or _OLD_ID.fullmatch(arxiv_id))


def _words(text: str) -> str:
    return " " + " ".join(_NOT_WORD.sub(" ", text.casefold()).split()) + " "


def _handler_for(stub: ArxivStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1 keeps the connection open between requests, as arXiv does.
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            seen = SeenRequest(
                time=time.monotonic(),
                path=parts.path,
                query=query,
                client_port=self.client_address[1],
                headers=dict(self.headers.items()),
            )
            canned = stub.record(seen)
            if canned is not None:
                self._send_canned(canned)
                return
            body = stub.answer(query)
            self._send(200, {"Content-Type": "application/atom+xml"}, body)

        def _send_canned(self, canned: Canned) -> None:
            if canned.delay:
                time.sleep(canned.delay)
            if canned.drop:
                self.close_connection = True
                return
            try:
                self._send(canned.status, canned.headers, canned.body)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up waiting (a timeout test): nothing to do.
                self.close_connection = True

        def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the tests read stub.requests, not stderr

    return Handler
