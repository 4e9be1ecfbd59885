"""Parse files in a worker process, so that no file can hang, crash or starve a batch.

One persistent worker process reads and parses one file at a time (`prepare`) and sends the
result back; the store writes stay in the caller. The caller waits at most
`Limits.max_seconds` for a file: a file that takes longer is skipped with "timed out after
N s", and the worker is killed and a fresh one started for the next file. A worker that dies
(a crash in a C library, the kernel's OOM killer) costs only its own file.

Memory is bounded the same way: while it waits, the caller samples the worker's resident
memory every `WATCH_INTERVAL` seconds, and a file whose parse grows it by more than
`Limits.max_memory` is stopped there (worker killed, file skipped with the reason). The
readers refuse most such files before parsing, from their size (ingest/readers.py); the watch
catches the rest. As a backstop against one allocation outrunning the watch, the worker's
address space is capped (RLIMIT_AS) at its size before the file plus twice the budget, so such
an allocation fails with MemoryError instead of taking the machine's memory.

The worker is started with "spawn" (it shares no threads or locks with the caller, which
holds tantivy and SQLite) and loads spaCy before it says it is ready, so that start-up never
counts against a file's time. It is shared by every batch of a process and exits with it,
or when its pipe closes (the caller was killed).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import resource
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import psutil

from .parse import Hints
from .prepare import Prepared, prepare
from .readers import IngestError, Limits

STARTUP_LIMIT = 300.0  # seconds for a new worker to import and load spaCy (a busy machine)
# Seconds between two samples of the worker's memory. The fastest growth measured (a 94 MB
# HTML file of <p>x</p> in the DOM parser, BENCHMARKS.md) is under 1 GB/s, so a file is
# stopped within ~20 MB of its budget; a sample costs ~30 µs.
WATCH_INTERVAL = 0.02


class ParseWorker:
    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self.restarts = 0  # workers started after the first (after a timeout or a crash)
        self.peak_growth = 0  # bytes the worker's RSS grew by at most during the last file
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
                self._conn.send((os.fsencode(path), hints, limits))
                ready = self._wait(limits)
            except (BrokenPipeError, EOFError, OSError):
                ready = True  # died since the last file: recv() below says how
            if ready == "memory":
                self._stop()
                budget = limits.max_memory >> 20
                raise IngestError(
                    f"stopped: parsing needed more than the memory budget ({budget:,} MB)"
                )
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

    def _wait(self, limits: Limits) -> bool | str:
        """Wait for the worker's reply: True when it is there, False when the time limit
        passed first, "memory" when the worker grew past the memory budget first."""
        assert self._conn is not None and self._process is not None
        try:
            watched = psutil.Process(self._process.pid)
            baseline = watched.memory_info().rss
        except psutil.Error:
            return True  # already gone: recv() says how
        self.peak_growth = 0
        deadline = time.monotonic() + (limits.max_seconds or float("inf"))
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self._conn.poll(min(WATCH_INTERVAL, left)):
                return True
            try:
                growth = watched.memory_info().rss - baseline
            except psutil.Error:
                return True
            self.peak_growth = max(self.peak_growth, growth)
            if growth > limits.max_memory:
                return "memory"

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
        _cap_address_space(limits.max_memory)
        try:
            reply = ("ok", prepare(Path(os.fsdecode(path)), hints, limits))
        except IngestError as error:
            reply = ("error", str(error))
        except MemoryError:
            budget = limits.max_memory >> 20
            reply = ("error", f"stopped: out of memory while parsing (budget {budget:,} MB)")
        except Exception as error:  # a parser bug must not stop the batch
            reply = ("error", f"internal error while parsing: {type(error).__name__}")
        finally:
            _cap_address_space(None)
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


def _cap_address_space(budget: int | None) -> None:
    """Cap this process's address space at its current size plus twice `budget` (None: lift
    the cap). Twice: the RSS watch stops a file at the budget; the cap is for an allocation
    too fast for the watch, and must not catch address space reserved but never touched."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if budget is None:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        return
    size = psutil.Process().memory_info().vms
    soft = size + 2 * budget
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
