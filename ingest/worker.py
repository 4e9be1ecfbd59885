"""Parse files in a worker process, so that no file can hang or crash a batch.

One persistent worker process reads and parses one file at a time (`prepare`) and sends the
result back; the store writes stay in the caller. The caller waits at most
`Limits.max_seconds` for a file: a file that takes longer is skipped with "timed out after
N s", and the worker is killed and a fresh one started for the next file. A worker that dies
(a crash in a C library, the kernel's OOM killer) costs only its own file.

The worker is started with "spawn" (it shares no threads or locks with the caller, which
holds tantivy and SQLite) and loads spaCy before it says it is ready, so that start-up never
counts against a file's time. It is shared by every batch of a process and exits with it,
or when its pipe closes (the caller was killed).
"""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from .parse import Hints
from .prepare import Prepared, prepare
from .readers import IngestError, Limits

STARTUP_LIMIT = 300.0  # seconds for a new worker to import and load spaCy (a busy machine)


class ParseWorker:
    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self.restarts = 0  # workers started after the first (after a timeout or a crash)
        self._started = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def prepare(self, path: Path, hints: Hints | None, limits: Limits) -> Prepared:
        """`prepare` in the worker; raises IngestError with the reason a file is skipped."""
        with self._lock:
            self._ensure()
            assert self._conn is not None and self._process is not None
            try:
                self._conn.send((str(path), hints, limits))
                ready = self._conn.poll(limits.max_seconds)
            except (BrokenPipeError, EOFError, OSError):
                ready = True  # died since the last file: recv() below says how
            if not ready:
                self._stop()
                raise IngestError(f"timed out after {limits.max_seconds:g} s")
            try:
                kind, value = self._conn.recv()
            except (EOFError, OSError):
                code = self._stop()
                raise IngestError(f"the parser crashed on this file (exit code {code})") from None
        if kind == "ok":
            return value
        raise IngestError(value)

    def _ensure(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        if self._process is not None:
            self._stop()  # died between files
        # Counted here: after a timeout or a crash in a file, _stop() has already run.
        if self._started:
            self.restarts += 1
        self._started = True
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(child,), name="namnd-parse", daemon=True
        )
        process.start()
        child.close()
        if not parent.poll(STARTUP_LIMIT):
            process.kill()
            process.join()
            raise RuntimeError("the parse worker did not start")
        parent.recv()  # "ready"
        self._process, self._conn = process, parent

    def _stop(self) -> int | None:
        """Kill the worker (if it still runs); returns its exit code."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is None:
            return None
        if process.is_alive():
            process.kill()
        process.join()
        code = process.exitcode
        process.close()
        return code

    def close(self) -> None:
        with self._lock:
            self._stop()


_shared: ParseWorker | None = None


def shared_worker() -> ParseWorker:
    """The worker of this process (started on first use, stopped at exit)."""
    global _shared
    if _shared is None:
        _shared = ParseWorker()
        atexit.register(_shared.close)
    return _shared


def _serve(conn: Connection) -> None:
    """The worker's loop: one file in, its `Prepared` (or the reason to skip it) out."""
    from swedish.nlp import warm_up

    warm_up()
    conn.send(("ready", None))
    while True:
        try:
            path, hints, limits = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return  # the caller is gone
        try:
            reply = ("ok", prepare(Path(path), hints, limits))
        except IngestError as error:
            reply = ("error", str(error))
        except MemoryError:
            reply = ("error", "out of memory while parsing")
        except Exception as error:  # a parser bug must not stop the batch
            reply = ("error", f"internal error while parsing: {type(error).__name__}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return
