"""Which Milvus server a data directory uses, and a connection to it that stays up.

Two cases:

* **An existing server or cluster** (`NAMND_MILVUS_URI`, optionally `NAMND_MILVUS_TOKEN`, or
  `uri`/`token` in the data directory's `milvus.json`): every command connects to it and
  starts nothing. Unreachable, it is a one-line error within `CONNECT_TIMEOUT` seconds.
* **The embedded engine** of milvus-lite 2.5.1 (3.x lacks stemming), run as a local gRPC
  server on 127.0.0.1 whose database is `milvus.db` in the data directory. It is started by
  a keeper process (`keeper.py`) that outlives the command that started it and stops the
  engine when no command has used it for `LINGER` seconds. A command holds a lease (a shared
  `flock` on `.milvus.users`) from its first call until it closes the index, so the engine
  cannot go away under a call that is under way; starting is serialized by `.milvus.start`.
  The port is a free one unless `$NAMND_MILVUS_PORT` (or `port=`) names one; a busy port is
  refused (one error line), because the server binds with SO_REUSEPORT and would silently
  share it.

Every RPC passes `TIMEOUT`, an int: pymilvus 2.5.11 caps its retries by the timeout only
when the timeout is an int (measured: `timeout=5` gave up after 6.6 s, `timeout=5.0` after
210.7 s, 75 retries).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..backend import BackendUnavailable
from . import keeper
from .keeper import exited

log = logging.getLogger("namnd.milvus")

DB_FILE = "milvus.db"
LOCK_FILE = ".milvus.db.lock"
USERS_FILE = ".milvus.users"
START_FILE = ".milvus.start"
SERVER_FILE = "milvus.server.json"
CONFIG_FILE = "milvus.json"  # {"uri": ..., "token": ...}: use an existing server
LOG_FILE = "milvus.log"
PORT_ENV = "NAMND_MILVUS_PORT"
URI_ENV = "NAMND_MILVUS_URI"
TOKEN_ENV = "NAMND_MILVUS_TOKEN"
TIMEOUT = 30  # seconds for every RPC; an int (see the module docstring)
CONNECT_TIMEOUT = 5  # seconds to reach a server that should be there
START_TIMEOUT = 60.0  # seconds to wait for another command's start, or our own
# The engine stays up this long after its last user: a shell loop of commands reuses it
# instead of paying an engine start (~1-2 s here) per command.
LINGER = 2.0


def milvus_binary() -> Path:
    """The engine inside the milvus-lite wheel, found without importing milvus_lite (its
    __init__ needs pkg_resources, which setuptools >= 81 no longer has)."""
    spec = importlib.util.find_spec("milvus_lite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the milvus backend needs milvus-lite: pip install 'namndsok[milvus]'")
    binary = Path(next(iter(spec.submodule_search_locations))) / "lib" / "milvus"
    if not binary.is_file():
        raise RuntimeError(f"milvus engine not found at {binary}")
    return binary


def external_server(data_dir: Path) -> tuple[str | None, str | None]:
    """(uri, token) of an existing server this data directory is to use, or (None, None).
    The environment wins over the data directory's `milvus.json`."""
    config: dict[str, Any] = {}
    path = Path(data_dir) / CONFIG_FILE
    if path.is_file():
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from None
    uri = os.environ.get(URI_ENV) or config.get("uri")
    token = os.environ.get(TOKEN_ENV) or config.get("token")
    return (uri or None), (token or None)


def _flock(handle, mode: int, deadline: float, what: str) -> None:
    while True:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise BackendUnavailable(what) from None
            time.sleep(0.05)


class MilvusServer:
    """The server one data directory's indexes talk to. `client()` returns a connected
    client, starting the local engine (or attaching to it) on first use and again after it
    died; `generation` counts (re)connections (the collection must be loaded again after a
    restart)."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        uri: str | None = None,
        token: str | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.db = self.data_dir / DB_FILE
        self.info_path = self.data_dir / SERVER_FILE
        env_port = os.environ.get(PORT_ENV)
        self.port = port if port is not None else (int(env_port) if env_port else None)
        self.external = uri is not None
        self.uri: str | None = uri
        self.token = token
        self.pid: int | None = None  # the local engine's process
        self.generation = 0
        self._users = None  # our lease on the local engine
        self._client = None
        self._mutex = threading.RLock()

    # --- starting and attaching ------------------------------------------------------------

    def start(self) -> None:
        with self._mutex:
            if self.external:
                self._probe()
                self._connect(time.monotonic())  # one try of CONNECT_TIMEOUT seconds
            else:
                self.data_dir.mkdir(parents=True, exist_ok=True)
                self._join()
                self._attach_or_launch()
            self.generation += 1

    def _probe(self) -> None:
        """A server that refuses connections is reported at once (not after pymilvus' own
        connection timeout)."""
        parsed = urlparse(self.uri or "")
        if not parsed.hostname:
            return  # not a TCP address: let the client find out
        port = parsed.port or (443 if parsed.scheme == "https" else 19530)
        try:
            socket.create_connection((parsed.hostname, port), timeout=CONNECT_TIMEOUT).close()
        except OSError as error:
            raise BackendUnavailable(
                f"cannot reach the milvus server at {self.uri}: {error.strerror or error}"
            ) from None

    def _join(self) -> None:
        """Take our lease (waits while a keeper stops its engine: it holds the file)."""
        if self._users is not None:
            return
        handle = open(self.data_dir / USERS_FILE, "a")  # noqa: SIM115 - our lease
        try:
            _flock(
                handle,
                fcntl.LOCK_SH,
                time.monotonic() + START_TIMEOUT,
                f"the milvus server for {self.data_dir} did not stop within {START_TIMEOUT:.0f} s",
            )
        except BaseException:
            handle.close()
            raise
        self._users = handle

    def _attach_or_launch(self) -> None:
        with open(self.data_dir / START_FILE, "a") as starting:
            _flock(
                starting,
                fcntl.LOCK_EX,
                time.monotonic() + START_TIMEOUT,
                f"another command has been starting the milvus server for {self.data_dir} "
                f"for over {START_TIMEOUT:.0f} s",
            )
            info = self._read_info()
            if info.get("pid") and not exited(int(info["pid"])):
                self.uri, self.pid = info["uri"], int(info["pid"])
                try:
                    self._connect(time.monotonic() + CONNECT_TIMEOUT)
                    return
                except BackendUnavailable:
                    log.warning("the milvus server at %s does not answer; starting one", self.uri)
                    self._stop_keeper(info)
            self._launch()

    def _launch(self) -> None:
        args = {
            "binary": str(milvus_binary()),
            "data_dir": str(self.data_dir),
            "db": DB_FILE,
            "lock": LOCK_FILE,
            "users": USERS_FILE,
            "info": SERVER_FILE,
            "log": LOG_FILE,
            "port": self.port,
            "linger": LINGER,
        }
        with open(self.data_dir / LOG_FILE, "ab") as errors:
            proc = subprocess.Popen(
                [sys.executable, keeper.__file__, json.dumps(args)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                start_new_session=True,  # a Ctrl-C to the terminal reaches us, not the engine
            )
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        proc.stdout.close()
        status, _, rest = line.partition(" ")
        if status != "ready":
            proc.wait()
            raise BackendUnavailable(
                rest or f"the milvus keeper exited (rc {proc.returncode}); see {LOG_FILE}"
            )
        uri, pid = rest.split()
        self.uri, self.pid = uri, int(pid)
        # The keeper outlives us by design; a thread reaps it should it end while we run.
        threading.Thread(target=proc.wait, daemon=True).start()
        self._connect(time.monotonic() + START_TIMEOUT)

    def _read_info(self) -> dict[str, Any]:
        try:
            return json.loads(self.info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    @staticmethod
    def _stop_keeper(info: dict[str, Any]) -> None:
        """A keeper whose engine no longer answers: stop it (it stops its engine)."""
        keeper_pid = info.get("keeper_pid")
        if keeper_pid and not exited(int(keeper_pid)):
            with contextlib.suppress(OSError):
                os.kill(int(keeper_pid), signal.SIGTERM)
            deadline = time.monotonic() + 20
            while not exited(int(keeper_pid)) and time.monotonic() < deadline:
                time.sleep(0.05)

    def _connect(self, deadline: float) -> None:
        from pymilvus import MilvusClient

        # pymilvus logs every failed call at ERROR on stderr before raising it (its import
        # configures those loggers); we retry the call or raise it ourselves, with a message
        # for the user: one `namnd: error:` line, not a log line and then ours.
        for name in ("pymilvus", "pymilvus.milvus_client"):
            logging.getLogger(name).setLevel(logging.CRITICAL)

        while True:
            try:
                kwargs = {"token": self.token} if self.token else {}
                self._client = MilvusClient(uri=self.uri, timeout=CONNECT_TIMEOUT, **kwargs)
                self._client.list_collections(timeout=CONNECT_TIMEOUT)
                return
            except Exception as error:
                self._close_client()
                if time.monotonic() > deadline or (self.pid and exited(self.pid)):
                    reason = getattr(error, "message", None) or str(error) or type(error).__name__
                    raise BackendUnavailable(
                        f"cannot reach the milvus server at {self.uri}: {reason.splitlines()[0]}"
                    ) from None
                time.sleep(0.05)

    # --- using it --------------------------------------------------------------------------

    def client(self):
        """The connected client; a local engine that died is started again."""
        with self._mutex:
            if self._client is None:
                self.start()
            elif not self.external and self.pid is not None and exited(self.pid):
                log.warning("the milvus server for %s exited; starting it again", self.data_dir)
                self._close_client()
                self.start()
            return self._client

    def alive(self) -> bool:
        """The server can be reached (a local engine: its process runs)."""
        if not self.external:
            return self.pid is not None and not exited(self.pid)
        try:
            self._probe()
            return True
        except BackendUnavailable:
            return False

    def recover(self) -> bool:
        """After a failed call: True when the server was gone and we are connected again
        (the call is worth one more try)."""
        with self._mutex:
            if self.alive():
                return False
            self._close_client()
            if self.external:
                raise BackendUnavailable(f"the milvus server at {self.uri} cannot be reached")
            self.start()
            return True

    def stop(self) -> None:
        """Close our connection and give up our lease (the keeper stops the engine when no
        command uses it any more)."""
        with self._mutex:
            self._close_client()
            users, self._users = self._users, None
            if users is not None:
                users.close()
            if not self.external:
                self.uri = None

    def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()


# One server per data directory and process, shared by every index opened on it.
_SERVERS: dict[Path, tuple[MilvusServer, int]] = {}
_SERVERS_LOCK = threading.Lock()


def acquire_server(
    data_dir: Path, port: int | None = None, *, uri: str | None = None, token: str | None = None
) -> MilvusServer:
    key = Path(data_dir).resolve() / DB_FILE
    with _SERVERS_LOCK:
        server, users = _SERVERS.get(key, (None, 0))
        if server is None:
            server = MilvusServer(data_dir, port, uri=uri, token=token)
            server.start()
        elif port is not None and server.port not in (None, port):
            raise RuntimeError(f"{key} is already served on port {server.port}, not {port}")
        _SERVERS[key] = (server, users + 1)
        return server


def release_server(server: MilvusServer) -> None:
    key = server.db
    with _SERVERS_LOCK:
        current, users = _SERVERS.get(key, (None, 0))
        if current is not server:
            return
        if users > 1:
            _SERVERS[key] = (server, users - 1)
            return
        del _SERVERS[key]
    server.stop()


@atexit.register
def _stop_all() -> None:
    with _SERVERS_LOCK:
        servers = [server for server, _ in _SERVERS.values()]
        _SERVERS.clear()
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()
