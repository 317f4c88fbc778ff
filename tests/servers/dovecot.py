"""A private Dovecot IMAP server on 127.0.0.1, started per test from its own config.

The server listens twice: ``port`` speaks plain IMAP with STARTTLS, ``tls_port``
speaks implicit TLS (imaps). Its certificate is signed by a throwaway trustme CA
whose PEM is at ``ca_file``. The helper methods act as a second mail client.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

import trustme
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

HOST = "127.0.0.1"
USER = "reader"

# Where Debian puts the binaries; a non-root PATH often lacks the sbin folders.
SEARCH_PATH = os.pathsep.join(
    [os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/usr/bin"]
)

# Dovecot 2.3's own post-login list minus IDLE: imap_capability replaces the
# list wholesale, so leaving one out means spelling out the rest.
CAPABILITIES_WITHOUT_IDLE = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT SORT=DISPLAY"
    " THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL"
    " CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1"
    " CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS"
    " BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE"
    " LITERAL+ NOTIFY"
)

# Unix sockets live in base_dir and sun_path holds 108 bytes; the longest
# socket name Dovecot puts there is about 40 characters.
MAX_RUNTIME_DIR_LENGTH = 60

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
# A clean shutdown takes about 0.12 s; past this the master is only waiting.
SHUTDOWN_GRACE = 0.5
START_ATTEMPTS = 3

RECENT = b"\\Recent"
APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")
PATH_UNSAFE_IN_CONFIG = re.compile(r"[\s\"'#{}$%<]")


class DovecotError(RuntimeError):
    """Dovecot could not be started, stopped or driven as the test needs."""


def find_dovecot() -> Path | None:
    """The ``dovecot`` binary, or None when the package is not installed."""
    found = shutil.which("dovecot", path=SEARCH_PATH)
    return Path(found) if found else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


def _config_path(path: Path) -> str:
    """The path as Dovecot's config syntax can take it, unquoted."""
    text = str(path)
    if PATH_UNSAFE_IN_CONFIG.search(text):
        raise DovecotError(f"path unusable in dovecot.conf: {text!r}")
    return text


def _disconnect(imap: IMAPClient) -> None:
    """Log out politely, or just drop the socket if the session is broken."""
    try:
        imap.logout()
    except (IMAPClientError, OSError):
        with contextlib.suppress(OSError):
            imap.shutdown()


def _processes() -> Iterator[tuple[int, bytes, int, bytes]]:
    """Pid, state letter, parent pid and command line of every process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The fields after the ")" that closes the command name.
            fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        yield int(entry.name), fields[0], int(fields[1]), cmdline


def live_children(parent: int) -> list[int]:
    """Pids of the processes whose parent is ``parent``, zombies left out."""
    return [
        pid
        for pid, state, ppid, _cmdline in _processes()
        if ppid == parent and state != b"Z"
    ]


def _short_private_dir() -> Path:
    """A fresh folder whose path is short enough for Dovecot's Unix sockets."""
    folder = tempfile.mkdtemp(prefix="dovecot-")
    if len(folder) > MAX_RUNTIME_DIR_LENGTH:
        os.rmdir(folder)
        folder = tempfile.mkdtemp(prefix="dovecot-", dir="/tmp")
    return Path(folder)


class DovecotServer:
    """One Dovecot instance with one user, listening on 127.0.0.1 only."""

    host = HOST

    def __init__(
        self,
        root: Path,
        *,
        tls_ca: trustme.CA | None = None,
        idle: bool = True,
        extra_config: str = "",
    ) -> None:
        """Write certificates, password file and config; start nothing yet."""
        binary = find_dovecot()
        if binary is None:
            raise DovecotError("dovecot is not installed")
        self._binary = binary
        self._doveadm = shutil.which("doveadm", path=SEARCH_PATH) or "doveadm"

        self.root = root
        self.idle = idle
        self.user = USER
        self.password = secrets.token_urlsafe(12)
        self.port = 0
        self.tls_port = 0
        self.config_path = root / "dovecot.conf"
        self.log_path = root / "dovecot.log"
        self.ca_file = root / "ca.pem"
        self._stderr_path = root / "dovecot.stderr"
        self._extra_config = extra_config
        self._instance = f"sdtest-{secrets.token_hex(4)}"
        self._process: subprocess.Popen[bytes] | None = None

        # The auth, login and mail processes run as other users and cannot pass
        # pytest's 0700 tmp folders, so what they read lives in a folder of
        # its own (also short enough for socket paths), removed by close().
        self._runtime = _short_private_dir()
        self._runtime.chmod(0o711)
        self._mail_root = self._runtime / "mail"
        self._passwd_path = self._runtime / "passwd"

        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / "state").mkdir(exist_ok=True)
            self._write_certificates(tls_ca or trustme.CA())
            self._write_accounts()
        except BaseException:
            shutil.rmtree(self._runtime, ignore_errors=True)
            raise

    @classmethod
    def start(
        cls,
        root: Path,
        *,
        tls_ca: trustme.CA | None = None,
        idle: bool = True,
        extra_config: str = "",
    ) -> DovecotServer:
        """A running server whose files live in ``root``; ready for logins."""
        server = cls(root, tls_ca=tls_ca, idle=idle, extra_config=extra_config)
        try:
            server._boot(keep_ports=False)
        except BaseException:
            server.close()
            raise
        return server

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
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop the server and wait until every one of its processes is gone.

        Sessions end as in a server shutdown: the client reads "* BYE" or EOF.
        """
        process = self._process
        if process is None:
            return
        self._process = None

        # SIGTERM is all "dovecot stop" sends, but that command then polls for
        # the pid to vanish, which our unreaped child never does: it takes 3 s.
        if process.poll() is None:
            process.terminate()
        # The master would leave sessions that still serve a client running.
        self._signal_children(signal.SIGTERM, service="imap")

        deadline = time.monotonic() + SHUTDOWN_GRACE
        while process.poll() is None and time.monotonic() < deadline:
            # The master waits 1 s for the log process, which waits for the
            # master. Once the others are gone the master is past starting a
            # new log process, so ending this one saves the second.
            if self.child_pids() == self.child_pids("log"):
                self._signal_children(signal.SIGTERM, service="log")
            time.sleep(0.005)

        if process.poll() is None:
            # Now and then the master sleeps out a 1-5 s wait for a process
            # that has already exited or is stuck; nothing is left to save.
            for pid in [*live_children(process.pid), process.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
        self._wait_for_children_to_exit()

    def restart(self) -> None:
        """Stop, then start again on the same ports with the same mail."""
        self.stop()
        self._boot(keep_ports=True)

    def close(self) -> None:
        """Stop the server and remove the private runtime folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self._runtime, ignore_errors=True)

    def log_text(self) -> str:
        """Everything Dovecot logged so far, for assertion messages."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    # -- a second mail client --------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only this server's CA, checks on."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    @contextlib.contextmanager
    def client(
        self,
        mode: Literal["plain", "starttls", "tls"] = "plain",
        *,
        timeout: float = 10.0,
    ) -> Iterator[IMAPClient]:
        """A logged-in imapclient connection, logged out when the block ends."""
        if mode == "tls":
            imap = IMAPClient(
                self.host,
                self.tls_port,
                ssl=True,
                ssl_context=self.ssl_context(),
                timeout=timeout,
            )
        else:
            imap = IMAPClient(self.host, self.port, ssl=False, timeout=timeout)
        try:
            if mode == "starttls":
                imap.starttls(self.ssl_context())
            imap.login(self.user, self.password)
            yield imap
        finally:
            _disconnect(imap)

    def folders(self) -> list[str]:
        """Every folder name, decoded from modified UTF-7."""
        with self.client() as imap:
            return [name for _flags, _sep, name in imap.list_folders()]

    def create_folder(self, name: str) -> None:
        """Create ``name`` (any Unicode; "/" separates levels)."""
        with self.client() as imap:
            imap.create_folder(name)

    def append(
        self,
        folder: str,
        raw: bytes,
        flags: Iterable[bytes | str] = (),
        *,
        when: datetime | None = None,
    ) -> int:
        """Store one raw message in ``folder``; return its new UID."""
        with self.client() as imap:
            answer = imap.append(folder, raw, flags=tuple(flags), msg_time=when)
        match = APPENDUID.search(answer)
        if match is None:
            raise DovecotError(f"APPEND answered without APPENDUID: {answer!r}")
        return int(match.group(1))

    def uids(self, folder: str) -> list[int]:
        """The UIDs in ``folder``, ascending."""
        with self.client() as imap:
            imap.select_folder(folder, readonly=True)
            return sorted(imap.search("ALL"))

    def flags(self, folder: str) -> dict[int, tuple[bytes | str, ...]]:
        """Each message's flags by UID, read without changing them."""
        with self.client() as imap:
            imap.select_folder(folder, readonly=True)
            found = imap.search("ALL")
            if not found:
                return {}
            fetched = imap.get_flags(found)
        # \Recent says which session saw a message first, not its state.
        return {
            int(uid): tuple(flag for flag in flags if flag != RECENT)
            for uid, flags in fetched.items()
        }

    def uidvalidity(self, folder: str) -> int:
        """The folder's UIDVALIDITY, as STATUS reports it."""
        with self.client() as imap:
            status = imap.folder_status(folder, [b"UIDVALIDITY"])
        return int(status[b"UIDVALIDITY"])

    def delete_messages(self, folder: str, uids: Iterable[int] | None = None) -> None:
        """Expunge ``uids`` from ``folder``, or every message when None."""
        with self.client() as imap:
            imap.select_folder(folder)
            doomed = list(uids) if uids is not None else imap.search("ALL")
            if doomed:
                imap.delete_messages(doomed)
                imap.uid_expunge(doomed)

    def recreate_folder(self, folder: str) -> int:
        """Give ``folder`` a new UIDVALIDITY, keeping its messages; return it.

        Other folders are deleted, created again and refilled, so UIDs start
        over at 1; a session that has the folder selected meanwhile gets
        "NO Internal error" answers until it selects the folder again (what
        Dovecot really does; ``kick()`` first for a clean disconnect instead).
        INBOX cannot be deleted: it keeps its messages and UIDs, gets a new
        UIDVALIDITY from doveadm, and a session with it selected is dropped.
        """
        before = self.uidvalidity(folder)

        if folder.upper() == "INBOX":
            self._doveadm_run(
                "mailbox",
                "update",
                "-u",
                self.user,
                "--uid-validity",
                str(max(before + 1, int(time.time()))),
                folder,
            )
        else:
            saved = self._saved_messages(folder)
            with self.client() as imap:
                imap.delete_folder(folder)
                imap.create_folder(folder)
                for raw, flags, when in saved:
                    imap.append(folder, raw, flags=flags, msg_time=when)

        after = self.uidvalidity(folder)
        if after == before:
            raise DovecotError(f"UIDVALIDITY of {folder!r} stayed {before}")
        return after

    def kick(self) -> None:
        """Disconnect every session of the user, as an admin's kick would."""
        self._doveadm_run("kick", self.user)

    def _saved_messages(
        self, folder: str
    ) -> list[tuple[bytes, tuple[bytes, ...], datetime]]:
        """Raw text, flags and arrival time of each message, in UID order."""
        with self.client() as imap:
            imap.select_folder(folder, readonly=True)
            found = sorted(imap.search("ALL"))
            if not found:
                return []
            fetched = imap.fetch(found, [b"BODY.PEEK[]", b"FLAGS", b"INTERNALDATE"])
        # \Recent belongs to a session; APPEND refuses it.
        return [
            (
                fetched[uid][b"BODY[]"],
                tuple(f for f in fetched[uid][b"FLAGS"] if f != RECENT),
                fetched[uid][b"INTERNALDATE"],
            )
            for uid in found
        ]

    # -- setup -----------------------------------------------------------------

    def _write_certificates(self, ca: trustme.CA) -> None:
        self._cert_path = self._runtime / "server-cert.pem"
        self._key_path = self._runtime / "server-key.pem"
        issued = ca.issue_cert(HOST, "localhost")
        ca.cert_pem.write_to_path(str(self.ca_file))
        for blob in issued.cert_chain_pems:
            blob.write_to_path(str(self._cert_path), append=True)
        issued.private_key_pem.write_to_path(str(self._key_path))
        # Dovecot's config process reads both as root; nobody else needs to.
        self._key_path.chmod(0o600)

    def _write_accounts(self) -> None:
        """The password file and mail folder, readable by the right users."""
        self._passwd_path.write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        self._mail_root.mkdir()

        if os.geteuid() != 0:
            self._passwd_path.chmod(0o600)
            return
        # As root, auth runs as "dovecot" and mail access as Debian's "mail".
        self._passwd_path.chmod(0o640)
        os.chown(self._passwd_path, 0, grp.getgrnam("dovecot").gr_gid)
        mail = pwd.getpwnam("mail")
        os.chown(self._mail_root, mail.pw_uid, mail.pw_gid)
        self._mail_root.chmod(0o700)

    def _config_text(self) -> str:
        if os.geteuid() == 0:
            mail = pwd.getpwnam("mail")
            uid, gid = mail.pw_uid, mail.pw_gid
            account_lines: list[str] = []
        else:
            # Without root Dovecot cannot switch users or chroot, so every
            # service runs as whoever started it.
            uid, gid = os.geteuid(), os.getegid()
            me = pwd.getpwuid(uid).pw_name
            account_lines = [
                f"default_internal_user = {me}",
                f"default_internal_group = {grp.getgrgid(gid).gr_name}",
                f"default_login_user = {me}",
                "service anvil {\n  chroot =\n}",
            ]

        capability = (
            "" if self.idle else f"  imap_capability = {CAPABILITIES_WITHOUT_IDLE}"
        )
        login_chroot = "" if os.geteuid() == 0 else "  chroot ="
        lines = [
            "# Written by tests/servers/dovecot.py for one test; do not edit.",
            f"instance_name = {self._instance}",
            f"base_dir = {_config_path(self._runtime / 'run')}",
            f"state_dir = {_config_path(self.root / 'state')}",
            f"log_path = {_config_path(self.log_path)}",
            f"listen = {HOST}",
            "protocols = imap",
            "verbose_proctitle = yes",
            *account_lines,
            "",
            "ssl = yes",
            f"ssl_cert = <{_config_path(self._cert_path)}",
            f"ssl_key = <{_config_path(self._key_path)}",
            # Loopback counts as secure to Dovecot anyway; say it outright.
            "disable_plaintext_auth = no",
            "auth_mechanisms = plain login",
            # Tests of a wrong password should not wait the default 2 s.
            "auth_failure_delay = 0",
            "mail_max_userip_connections = 100",
            f"first_valid_uid = {uid}",
            f"first_valid_gid = {gid}",
            "",
            "passdb {",
            "  driver = passwd-file",
            f"  args = scheme=PLAIN {_config_path(self._passwd_path)}",
            "}",
            "userdb {",
            "  driver = static",
            f"  args = uid={uid} gid={gid} home={_config_path(self._mail_root)}/%u",
            "}",
            # LAYOUT=fs lets folder names contain dots, as Gmail's may.
            "mail_location = maildir:~/Maildir:LAYOUT=fs",
            "mail_fsync = never",
            "namespace inbox {",
            "  inbox = yes",
            "  separator = /",
            "}",
            "",
            "service imap-login {",
            login_chroot,
            "  inet_listener imap {",
            f"    address = {HOST}",
            f"    port = {self.port}",
            "  }",
            "  inet_listener imaps {",
            f"    address = {HOST}",
            f"    port = {self.tls_port}",
            "    ssl = yes",
            "  }",
            "}",
            "protocol imap {",
            capability,
            "}",
            "",
            self._extra_config,
        ]
        return "\n".join(lines) + "\n"

    # -- processes -------------------------------------------------------------

    def _boot(self, *, keep_ports: bool) -> None:
        """Start Dovecot in the foreground and wait for its greeting."""
        for attempt in range(1, START_ATTEMPTS + 1):
            if not keep_ports:
                self.port, self.tls_port = free_port(), free_port()
            self.config_path.write_text(self._config_text())

            # Fatal start-up errors go to stderr before the log file is open.
            with self._stderr_path.open("wb") as stderr:
                self._process = subprocess.Popen(
                    [str(self._binary), "-F", "-c", str(self.config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
            failure = self._wait_until_ready()
            if failure is None:
                return

            self.stop()
            # Another test may have bound the port between the probe and now.
            if "Address already in use" in failure and attempt < START_ATTEMPTS:
                continue
            raise DovecotError(f"dovecot did not start: {failure}")

    def _wait_until_ready(self) -> str | None:
        """None once both listeners greet, else why the server is not up."""
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        pending = [self.port, self.tls_port]

        while pending and time.monotonic() < deadline:
            if self._process.poll() is not None:
                output = self._stderr_path.read_text(errors="replace")
                return f"exit {self._process.returncode}: {output}{self.log_text()}"
            if self._accepts(pending[0]):
                pending.pop(0)
            else:
                time.sleep(0.005)

        if pending:
            return f"no listener on port {pending[0]} after {START_TIMEOUT} s"
        return self._greeting_problem()

    def _accepts(self, port: int) -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return True
        except OSError:
            return False

    def _greeting_problem(self) -> str | None:
        """None if the plain port answers with an IMAP greeting."""
        try:
            with socket.create_connection((HOST, self.port), timeout=5) as probe:
                greeting = probe.recv(200)
        except OSError as exc:
            return f"no greeting on port {self.port}: {exc}"
        if not greeting.startswith(b"* OK"):
            return f"unexpected greeting {greeting!r}"
        return None

    def _wait_for_children_to_exit(self) -> None:
        """Wait for this server's processes to end; kill any that hang on."""
        deadline = time.monotonic() + STOP_TIMEOUT
        while self.child_pids() and time.monotonic() < deadline:
            time.sleep(0.005)
        self._signal_children(signal.SIGKILL)

    def _signal_children(self, signal_number: int, service: str = "") -> None:
        for pid in self.child_pids(service):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal_number)

    def child_pids(self, service: str = "") -> list[int]:
        """Live processes this server started, found by its unique instance name.

        Dovecot titles them "dovecot-<instance_name>/<service>", and they
        outlive the master when clients are still connected. ``service``
        narrows the list to titles that start with it ("imap" matches both
        imap and imap-login).
        """
        marker = f"dovecot-{self._instance}/{service}".encode()
        return [
            pid
            for pid, state, _ppid, cmdline in _processes()
            if cmdline.startswith(marker) and state != b"Z"
        ]

    def _doveadm_run(self, *args: str) -> str:
        result = subprocess.run(
            [self._doveadm, "-c", str(self.config_path), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            raise DovecotError(f"doveadm {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout
