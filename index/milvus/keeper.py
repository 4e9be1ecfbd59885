"""The keeper of one data directory's Milvus engine: a small process that starts the engine,
holds it for as long as any command uses it, and stops it when the last one has gone.

Why a process of its own: the engine of milvus-lite exits as soon as the process holding its
lock (`.milvus.db.lock`, an fcntl lock) goes. When that was the command that happened to start
it, every other command attached to the engine lost it mid-call (six concurrent `namnd search`
runs: 12 of 36 failed after ~212 s of retries). The keeper holds that lock instead, and every
command using the engine holds a shared `flock` on `.milvus.users` (a lease) for as long as
it has the engine open. The keeper polls the users file; when it can take it exclusively, no
command is using the engine. After `linger` seconds without users it stops the engine and
exits, keeping the users file locked until the engine has gone, so that a command arriving
meanwhile waits and then starts a fresh keeper instead of attaching to a dying engine.

Run as a script (`python keeper.py ...`, see `main`): it imports nothing but the standard
library, so it starts in a few milliseconds and does not depend on the project's imports.
It reports `ready URI PID` or `error MESSAGE` on its first stdout line, then closes stdout.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
POLL = 0.1  # seconds between looks at the users file and the engine
START_TIMEOUT = 60.0  # the engine opened its port within ~1-3 s on this machine
# A previous engine whose keeper was killed exits within seconds of its lock going.
PREVIOUS_TIMEOUT = 15.0


def port_is_free(port: int, host: str = HOST) -> bool:
    """Nothing listens on the port. The probe binds without SO_REUSEPORT (milvus binds with
    it, so a second server would share a busy port) but with SO_REUSEADDR (connections of a
    just-stopped server in TIME_WAIT do not count)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def tcp_up(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


def is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def exited(pid: int) -> bool:
    """The process has finished: gone, or a zombie whose threads have all ended (only then
    has it let go of its files; its parent may not have reaped it yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        return is_zombie(pid) and len(os.listdir(f"/proc/{pid}/task")) <= 1
    except OSError:
        return True


class Failed(Exception):
    pass


class Keeper:
    def __init__(self, args: dict) -> None:
        self.binary = Path(args["binary"])
        self.data_dir = Path(args["data_dir"])
        self.db = self.data_dir / args["db"]
        self.lock_path = self.data_dir / args["lock"]
        self.users_path = self.data_dir / args["users"]
        self.info_path = self.data_dir / args["info"]
        self.log_path = self.data_dir / args["log"]
        self.port = args.get("port")
        self.linger = float(args["linger"])
        self.engine: subprocess.Popen | None = None
        self.stopping = False

    def start(self) -> str:
        self._take_engine_lock()
        attempts = 1 if self.port else 5
        for attempt in range(attempts):
            port = int(self.port) if self.port else free_port()
            if not port_is_free(port):
                raise Failed(
                    f"port {HOST}:{port} is already in use: the milvus server for "
                    f"{self.data_dir} cannot start there (set NAMND_MILVUS_PORT to a free "
                    "port, or unset it to pick one)"
                )
            try:
                return self._spawn(port)
            except Failed:
                self._stop_engine()
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def _take_engine_lock(self) -> None:
        """The engine's lock (fcntl, as milvus-lite checks it); a previous keeper killed
        without stopping its engine let go of it, and its engine is on its way out."""
        self._lock = open(self.lock_path, "a")  # noqa: SIM115 - held while the engine runs
        deadline = time.monotonic() + PREVIOUS_TIMEOUT
        while True:
            try:
                fcntl.lockf(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise Failed(f"{self.db} is held by another milvus server") from None
                time.sleep(POLL)
        previous = self._read_info().get("pid")
        while previous and not exited(int(previous)) and time.monotonic() < deadline:
            time.sleep(0.05)

    def _read_info(self) -> dict:
        try:
            return json.loads(self.info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _spawn(self, port: int) -> str:
        env = dict(os.environ)
        lib = str(self.binary.parent)
        env["LD_LIBRARY_PATH"] = (
            f"{lib}:{env['LD_LIBRARY_PATH']}" if env.get("LD_LIBRARY_PATH") else lib
        )
        with open(self.log_path, "ab") as log:
            # argv: DB_FILE HOST:PORT LOG_LEVEL LOCK_FILE; it exits when the lock goes.
            self.engine = subprocess.Popen(
                [str(self.binary), str(self.db), f"{HOST}:{port}", "ERROR", str(self.lock_path)],
                env=env,
                cwd=str(self.data_dir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not tcp_up(HOST, port):
            if self.engine.poll() is not None:
                raise Failed(
                    f"the milvus server exited (rc {self.engine.returncode}) before opening "
                    f"port {port}; see {self.log_path}"
                )
            if time.monotonic() > deadline:
                raise Failed(f"the milvus server did not open port {port}")
            time.sleep(0.01)
        uri = f"http://{HOST}:{port}"
        tmp = self.info_path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"uri": uri, "pid": self.engine.pid, "keeper_pid": os.getpid()}),
            encoding="utf-8",
        )
        tmp.replace(self.info_path)
        return uri

    def keep(self) -> None:
        """Until no command has used the engine for `linger` seconds (or it died)."""
        users = open(self.users_path, "a")  # noqa: SIM115 - polled until we stop
        idle_since: float | None = None
        while not self.stopping:
            if self.engine is None or self.engine.poll() is not None:
                break
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                idle_since = None
            else:
                now = time.monotonic()
                if idle_since is not None and now - idle_since >= self.linger:
                    break  # stop while holding the users file: newcomers wait for us
                idle_since = idle_since or now
                fcntl.flock(users, fcntl.LOCK_UN)
            time.sleep(POLL)
        self._remove_info()
        self._stop_engine()
        users.close()

    def _remove_info(self) -> None:
        if self._read_info().get("keeper_pid") == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                self.info_path.unlink()

    def _stop_engine(self) -> None:
        engine, self.engine = self.engine, None
        if engine is None:
            return
        if engine.poll() is None:
            engine.send_signal(signal.SIGTERM)
            try:
                engine.wait(timeout=PREVIOUS_TIMEOUT)
            except subprocess.TimeoutExpired:
                engine.kill()
                engine.wait()


def main() -> int:
    keeper = Keeper(json.loads(sys.argv[1]))

    def stop(signum, frame) -> None:
        keeper.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        uri = keeper.start()
    except Failed as error:
        print(f"error {error}", flush=True)
        keeper._stop_engine()
        return 1
    assert keeper.engine is not None
    print(f"ready {uri} {keeper.engine.pid}", flush=True)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    keeper.keep()
    return 0


if __name__ == "__main__":
    sys.exit(main())
