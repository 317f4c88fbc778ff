"""A TCP proxy on 127.0.0.1 that a test can cut, stall or make refuse connections.

One daemon thread moves bytes for every connection with ``selectors``; the test's
calls are queued to that thread and wait until it has acted, so a test knows the
cut has happened when ``cut()`` returns. Nothing that passes through is kept.
"""

from __future__ import annotations

import contextlib
import ipaddress
import queue
import selectors
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

CHUNK = 65536
# Stop reading a side while this much waits for the other: backpressure.
BUFFER_LIMIT = 1 << 20
COMMAND_TIMEOUT = 10.0
# SO_LINGER on with a zero timeout makes close() send RST instead of FIN.
LINGER_RESET = struct.pack("ii", 1, 0)


@dataclass
class _Trigger:
    """Cut the first connection whose client sends ``pattern``."""

    pattern: bytes
    allow: int
    fired: threading.Event = field(default_factory=threading.Event)


@dataclass(eq=False)
class _Link:
    """One client connection and its connection to the target."""

    client: socket.socket
    server: socket.socket
    to_client: bytearray = field(default_factory=bytearray)
    to_server: bytearray = field(default_factory=bytearray)
    client_done: bool = False
    server_done: bool = False
    # Recent client bytes, so a pattern split across reads still matches.
    tail: bytes = b""
    armed: _Trigger | None = None
    # Set once the next flush of to_client is the last thing this link does.
    closing: bool = False


class CuttableProxy:
    """Forwards 127.0.0.1:``port`` to the target until the test breaks it."""

    host = "127.0.0.1"

    def __init__(self, target_host: str, target_port: int) -> None:
        if not ipaddress.ip_address(target_host).is_loopback:
            raise ValueError(f"the proxy only forwards to loopback: {target_host}")
        self.target = (target_host, target_port)

        self._listener = socket.create_server((self.host, 0))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)

        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._links: list[_Link] = []
        self._blackholed = False
        self._refusing = False
        self._trigger: _Trigger | None = None
        self._accepted = 0
        self._stopping = False
        self._failure: BaseException | None = None
        self._closed = False

        self._thread = threading.Thread(
            target=self._serve, name=f"cuttable-proxy-{self.port}", daemon=True
        )
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def connections(self) -> int:
        """How many connections the proxy has accepted, refused ones included."""
        return self._accepted

    @property
    def live_connections(self) -> int:
        """How many connections are open through the proxy right now."""
        return len(self._links)

    def cut(self, *, reset: bool = False) -> None:
        """Drop every live connection now: the client reads EOF, or RST if reset."""
        self._call(lambda: self._drop_all(reset=reset))

    def blackhole(self, on: bool = True) -> None:
        """Stop (or resume) moving bytes both ways; sockets stay open.

        Held bytes wait in the kernel and flow again when turned off, as after
        a network outage that TCP rode out.
        """
        self._call(lambda: setattr(self, "_blackholed", on))

    def refuse(self, on: bool = True) -> None:
        """While on, accept new connections and close them at once."""
        self._call(lambda: setattr(self, "_refusing", on))

    def cut_on(self, pattern: bytes, *, allow: int = 200) -> threading.Event:
        """Cut the next connection whose client sends ``pattern``, mid-answer.

        The bytes carrying the pattern reach the target; of the target's next
        read, at most ``allow`` bytes and never all of it reach the client,
        then both sides are closed. The returned event is set once it happened.
        """
        if not pattern:
            raise ValueError("an empty pattern would match anything")
        trigger = _Trigger(pattern, allow)
        self._call(lambda: setattr(self, "_trigger", trigger))
        return trigger.fired

    def close(self) -> None:
        """Drop every connection, stop listening and end the thread."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            self._commands.put(self._stop)
            self._wake()
            self._thread.join(timeout=COMMAND_TIMEOUT)
        for sock in (self._listener, self._wake_reader, self._wake_writer):
            sock.close()
        if self._failure is not None:
            raise RuntimeError("the proxy thread failed") from self._failure

    # -- called from the test's thread -----------------------------------------

    def _call(self, action: Callable[[], None]) -> None:
        """Run ``action`` on the proxy thread and wait until it has run."""
        if self._closed or not self._thread.is_alive():
            raise RuntimeError("the proxy is closed") from self._failure
        done = threading.Event()

        def run_then_signal() -> None:
            try:
                action()
            finally:
                done.set()

        self._commands.put(run_then_signal)
        self._wake()
        if not done.wait(COMMAND_TIMEOUT):
            raise RuntimeError("the proxy thread did not answer")

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")

    # -- the proxy thread ------------------------------------------------------

    def _serve(self) -> None:
        try:
            while not self._stopping:
                self._run_commands()
                if not self._stopping:
                    self._pump()
        except BaseException as exc:
            self._failure = exc
        finally:
            self._drop_all(reset=False)

    def _run_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            command()

    def _stop(self) -> None:
        self._stopping = True

    def _pump(self) -> None:
        """Wait for one round of readiness and move what can be moved."""
        interest: dict[socket.socket, int] = {
            self._wake_reader: selectors.EVENT_READ,
            self._listener: selectors.EVENT_READ,
        }
        owner: dict[socket.socket, _Link] = {}
        for link in self._links:
            owner[link.client] = owner[link.server] = link
            if not self._blackholed:
                interest.update(self._wanted_events(link))

        # A fresh epoll set per round: no select() limit on descriptor numbers,
        # and nothing to keep in step as links come and go.
        with selectors.DefaultSelector() as selector:
            for sock, events in interest.items():
                selector.register(sock, events)
            ready = selector.select(timeout=1.0)

        for key, events in ready:
            ready_sock = key.fileobj
            if ready_sock is self._wake_reader:
                with contextlib.suppress(BlockingIOError):
                    self._wake_reader.recv(4096)
            elif ready_sock is self._listener:
                self._accept_all()
            elif isinstance(ready_sock, socket.socket) and ready_sock in owner:
                link = owner[ready_sock]
                if events & selectors.EVENT_READ:
                    self._receive(link, from_client=ready_sock is link.client)
                if events & selectors.EVENT_WRITE:
                    self._send(link, to_client=ready_sock is link.client)
        for link in list(self._links):
            self._settle(link)

    def _wanted_events(self, link: _Link) -> dict[socket.socket, int]:
        """What each of the link's sockets should be watched for now."""
        events = {link.client: 0, link.server: 0}
        if not link.closing:
            if not link.client_done and len(link.to_server) < BUFFER_LIMIT:
                events[link.client] |= selectors.EVENT_READ
            if not link.server_done and len(link.to_client) < BUFFER_LIMIT:
                events[link.server] |= selectors.EVENT_READ
            if link.to_server:
                events[link.server] |= selectors.EVENT_WRITE
        if link.to_client:
            events[link.client] |= selectors.EVENT_WRITE
        return {sock: mask for sock, mask in events.items() if mask}

    def _accept_all(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            self._accepted += 1
            if self._refusing:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=2)
            except OSError:
                # The target is down: the client sees what it would see then.
                client.close()
                continue
            client.setblocking(False)
            server.setblocking(False)
            self._links.append(_Link(client, server))

    def _receive(self, link: _Link, *, from_client: bool) -> None:
        if link not in self._links:
            return
        source = link.client if from_client else link.server
        try:
            data = source.recv(CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(link, reset=True)
            return

        if from_client:
            if not data:
                link.client_done = True
                return
            link.to_server += data
            self._watch_for_trigger(link, data)
            return

        if not data:
            link.server_done = True
            return
        if link.armed is not None:
            # Part of the answer, never all of it, then the line goes dead.
            link.to_client += data[: min(link.armed.allow, len(data) - 1)]
            link.closing = True
            return
        link.to_client += data

    def _watch_for_trigger(self, link: _Link, data: bytes) -> None:
        trigger = self._trigger
        if trigger is None or link.armed is not None:
            return
        window = link.tail + data
        keep = len(trigger.pattern) - 1
        link.tail = window[max(0, len(window) - keep) :]
        if trigger.pattern in window:
            link.armed = trigger
            self._trigger = None

    def _send(self, link: _Link, *, to_client: bool) -> None:
        if link not in self._links:
            return
        target, pending = (
            (link.client, link.to_client)
            if to_client
            else (link.server, link.to_server)
        )
        try:
            sent = target.send(pending)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(link, reset=True)
            return
        del pending[:sent]

    def _settle(self, link: _Link) -> None:
        """Close a link whose work is over once its last bytes are out."""
        if link not in self._links:
            return
        if link.closing and not link.to_client:
            # Set first, so a client that sees the cut finds the event set.
            if link.armed is not None:
                link.armed.fired.set()
            self._drop(link, reset=False)
        elif (link.client_done and not link.to_server) or (
            link.server_done and not link.to_client
        ):
            self._drop(link, reset=False)

    def _drop(self, link: _Link, *, reset: bool) -> None:
        with contextlib.suppress(ValueError):
            self._links.remove(link)
        for sock in (link.client, link.server):
            with contextlib.suppress(OSError):
                if reset:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
                sock.close()

    def _drop_all(self, *, reset: bool) -> None:
        for link in list(self._links):
            self._drop(link, reset=reset)
