"""The scale-out backend: BM25 and dense vectors in one Milvus collection, through pymilvus.

`MilvusIndex` plays the role of `BM25Index` (add, delete, commit, clear, count, all_ids,
search) and `MilvusVectors` the role of `VectorIndex` (add, remove, save, clear, ids,
__len__, search) over the same collection, so `Searcher` works unchanged. A data directory
uses it when its store meta says `backend = milvus` (`namnd ingest --backend milvus`).

The engine is the one shipped in milvus-lite 2.5.1 (3.x lacks stemming), run as a local gRPC
server on 127.0.0.1 whose database is `milvus.db` in the data directory. It is started on
demand by the first process that needs it and lives as long as that process: we hold an
fcntl lock on `.milvus.db.lock`, and the server exits by itself when the lock goes (also when
our process is killed). Another process on the same data directory attaches to the running
server (its address is in `milvus.server.json`) and takes over when the owner has gone. The
port is a free one unless `$NAMND_MILVUS_PORT` (or `port=`) names one; a busy port is
refused, because the server binds with SO_REUSEPORT and would silently share it.

One row per chunk: our own Swedish analyzer's tokens (the same `Analyzer` as tantivy, so the
backends rank alike) joined by spaces feed a whitespace-analyzed VARCHAR, from which a
Milvus BM25 function makes the sparse vector (k1 1.2, b 0.75 like tantivy); the dense vector
is FLAT/COSINE (exact, like the small FAISS index; HNSW is not available in local mode); the
filter fields are scalars, dnr an array. A row is written before its chunk is embedded, so
it carries a placeholder vector and `has_vector = false` until `MilvusVectors.add`
upserts the real one; dense search only sees rows with `has_vector`.

Filters become Milvus filter expressions (string literals escaped; a literal cannot hold a
line break, so such a value matches nothing). Milvus has no phrase query: a phrase is a
`like` prefilter on the token text (every word of the phrase present) and then a
post-filter of the BM25 candidates, which re-analyzes the stored chunk text and checks the
word positions exactly as tantivy's phrase query does; candidates are fetched in growing
rounds until `limit` matches are found (at most 16,384, Milvus' top-k cap).

Gotchas of this engine and client (pymilvus 2.5.11): `insert` of an existing id leaves the
old BM25 tokens searchable, so every write is an `upsert`; every call takes a `timeout`
(pymilvus otherwise retries for minutes); an escape sequence inside a `like` pattern
crashes the server, so none is ever sent; `chunk_id in []` is an error; after a restart the
collection must be loaded again.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.util
import json
import logging
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from .analyzer import Analyzer, Token
from .bm25 import FILTER_FIELDS, Filters, IndexedChunk

log = logging.getLogger("namnd.milvus")

COLLECTION = "chunks"
DB_FILE = "milvus.db"
LOCK_FILE = ".milvus.db.lock"
SERVER_FILE = "milvus.server.json"
LOG_FILE = "milvus.log"
PORT_ENV = "NAMND_MILVUS_PORT"
HOST = "127.0.0.1"
TIMEOUT = 60.0  # seconds for every RPC
START_TIMEOUT = 60.0
MAX_TOPK = 16_384  # Milvus' limit for search results and query windows
BATCH = 500  # rows per upsert
MAX_VARCHAR = 65_535  # bytes
MAX_ARRAY = 1_024  # elements of an ARRAY field
MAX_ELEMENT = 512  # bytes of one ARRAY element
ARRAY_FIELDS = ("dnr", "roller", "refs")
ROW_FIELDS = (
    "chunk_id",
    "document_id",
    "text",
    "context",
    "body",
    "dense",
    "has_vector",
    *FILTER_FIELDS,
    "datum",
    *ARRAY_FIELDS,
)

# The query iterator warns on every call that this server has no MVCC timestamp; harmless.
logging.getLogger("pymilvus.orm.iterator").addFilter(
    lambda record: "mvccTs" not in record.getMessage()
)


# --- the server process --------------------------------------------------------------------


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


def _tcp_up(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class MilvusServer:
    """The engine serving one data directory's milvus.db, run by this process (`owned`) or
    by another process that we attach to. `client()` checks it is still there and restarts
    or takes over when not; `generation` counts (re)starts (the collection must be loaded
    again after each)."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.db = self.data_dir / DB_FILE
        self.lock_path = self.data_dir / LOCK_FILE
        self.info_path = self.data_dir / SERVER_FILE
        env_port = os.environ.get(PORT_ENV)
        self.port = port if port is not None else (int(env_port) if env_port else None)
        self.uri: str | None = None
        self.pid: int | None = None
        self.owned = False
        self.generation = 0
        self._proc: subprocess.Popen | None = None
        self._lock_fd = None
        self._log = None
        self._client = None
        self._mutex = threading.RLock()

    # --- starting, attaching, stopping -----------------------------------------------------

    def start(self) -> None:
        with self._mutex:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if self._take_lock():
                self._launch()
            else:
                self._attach()
            self.generation += 1

    def _take_lock(self) -> bool:
        """Hold the lock (we are to run the server), or False when another process holds it.

        POSIX locks belong to the process: closing *any* descriptor of the file drops ours,
        so the file is opened only here and only while we do not hold it."""
        handle = open(self.lock_path, "a")  # noqa: SIM115 - stays open while we run the server
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_fd = handle
        return True

    def _launch(self) -> None:
        self._wait_for_previous()
        binary = milvus_binary()
        attempts = 1 if self.port is not None else 5
        for attempt in range(attempts):
            port = self.port if self.port is not None else free_port()
            if not port_is_free(port):
                self._release_lock()
                raise RuntimeError(
                    f"port {HOST}:{port} is already in use: the milvus server for "
                    f"{self.data_dir} cannot start there (set {PORT_ENV} to a free port, or "
                    "unset it to pick one)"
                )
            try:
                self._spawn(binary, port)
                return
            except RuntimeError:
                self._reap()
                if attempt == attempts - 1:
                    self._release_lock()
                    raise

    def _spawn(self, binary: Path, port: int) -> None:
        env = dict(os.environ)
        lib = str(binary.parent)
        env["LD_LIBRARY_PATH"] = (
            f"{lib}:{env['LD_LIBRARY_PATH']}" if env.get("LD_LIBRARY_PATH") else lib
        )
        self._log = open(self.data_dir / LOG_FILE, "ab")  # noqa: SIM115 - the server's output
        # argv: DB_FILE HOST:PORT LOG_LEVEL LOCK_FILE; the server exits when the lock goes.
        self._proc = subprocess.Popen(
            [str(binary), str(self.db), f"{HOST}:{port}", "ERROR", str(self.lock_path)],
            env=env,
            cwd=str(self.data_dir),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C to the terminal reaches us, not the server
        )
        self.uri = f"http://{HOST}:{port}"
        self.pid = self._proc.pid
        self.owned = True
        deadline = time.monotonic() + START_TIMEOUT
        while not _tcp_up(HOST, port):
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"the milvus server exited (rc {self._proc.returncode}) before opening "
                    f"port {port}; see {self.data_dir / LOG_FILE}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"the milvus server did not open port {port}")
            time.sleep(0.01)
        self._connect(deadline)
        tmp = self.info_path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"uri": self.uri, "pid": self.pid, "owner_pid": os.getpid()}),
            encoding="utf-8",
        )
        tmp.replace(self.info_path)

    def _attach(self) -> None:
        """Use the server another process runs on this data directory."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            info = self._read_info()
            if info and info.get("pid") and _pid_alive(int(info["pid"])):
                self.uri, self.pid, self.owned = info["uri"], int(info["pid"]), False
                try:
                    self._connect(time.monotonic() + 10)
                    return
                except Exception:
                    self._close_client()
            if self._take_lock():  # the owner went away meanwhile: run our own
                self._launch()
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.db} is served by another process, but its server cannot be "
                    f"reached ({self.info_path})"
                )
            time.sleep(0.1)

    def _read_info(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _wait_for_previous(self) -> None:
        """A server whose owner died exits within seconds of the lock going: let it finish
        before a new one opens the same database."""
        info = self._read_info()
        pid = int(info["pid"]) if info and info.get("pid") else None
        deadline = time.monotonic() + 15
        while pid and not _exited(pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def _connect(self, deadline: float) -> None:
        from pymilvus import MilvusClient

        while True:
            try:
                self._client = MilvusClient(uri=self.uri, timeout=5)
                self._client.list_collections(timeout=5)
                return
            except Exception:
                self._close_client()
                if (self._proc is not None and self._proc.poll() is not None) or (
                    time.monotonic() > deadline
                ):
                    raise
                time.sleep(0.05)

    def client(self):
        """The connected client; restarts our crashed server or takes over from a gone owner."""
        with self._mutex:
            if self._client is None:
                self.start()
            elif self.owned and self._proc is not None and not self._running(self._proc):
                log.warning("the milvus server for %s exited; restarting it", self.data_dir)
                self.stop()
                self.start()
            elif not self.owned and self._take_lock():
                log.info("the process serving %s has gone; starting our own", self.data_dir)
                self._close_client()
                self._launch()
                self.generation += 1
            return self._client

    @staticmethod
    def _running(proc: subprocess.Popen) -> bool:
        # A killed multithreaded process shows as a zombie before waitpid can reap it.
        return proc.poll() is None and not _is_zombie(proc.pid)

    def stop(self) -> None:
        with self._mutex:
            self._close_client()
            if self.owned:
                with contextlib.suppress(FileNotFoundError):
                    self.info_path.unlink()
            self._release_lock()  # the server notices and exits by itself
            self._reap()
            self.owned = False
            self.uri = None

    def _reap(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.lockf(self._lock_fd, fcntl.LOCK_UN)
            self._lock_fd.close()
            self._lock_fd = None

    def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _exited(pid: int) -> bool:
    """The process has finished: gone, or a zombie whose threads have all ended (only then
    has it let go of its files; its parent may not have reaped it yet)."""
    if not _pid_alive(pid):
        return True
    try:
        return _is_zombie(pid) and len(os.listdir(f"/proc/{pid}/task")) <= 1
    except OSError:
        return True


# One server per database file and process, shared by every index opened on it.
_SERVERS: dict[Path, tuple[MilvusServer, int]] = {}
_SERVERS_LOCK = threading.Lock()


def acquire_server(data_dir: Path, port: int | None = None) -> MilvusServer:
    key = Path(data_dir).resolve() / DB_FILE
    with _SERVERS_LOCK:
        server, users = _SERVERS.get(key, (None, 0))
        if server is None:
            server = MilvusServer(data_dir, port)
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


# --- filter expressions --------------------------------------------------------------------

NOTHING = "chunk_id < 0"  # chunk ids are positive (SQLite AUTOINCREMENT)


def literal(value: str) -> str | None:
    """A Milvus string literal, or None when the value cannot be written as one (a line
    break: the grammar has no way to put one in a literal)."""
    if "\n" in value or "\r" in value:
        return None
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _date_number(iso: str | None) -> int:
    return int(iso.replace("-", "")) if iso else 0


def filter_expr(filters: Filters | None) -> str:
    """The filters as a Milvus boolean expression ("" for none). Like the store's SQL, an
    undated chunk matches no date range."""
    if filters is None:
        return ""
    parts: list[str] = []
    handled = {*FILTER_FIELDS, "dnr", "datum_from", "datum_to", "roll", "parti", "ref"}
    unknown = [
        f.name for f in fields(filters) if f.name not in handled and getattr(filters, f.name)
    ]
    if unknown:
        raise ValueError(f"the milvus backend cannot filter on {', '.join(unknown)}")

    def equals(field: str, value: str) -> None:
        quoted = literal(value)
        parts.append(f"{field} == {quoted}" if quoted else NOTHING)

    def contains(field: str, value: str) -> None:
        quoted = literal(value)
        parts.append(f"array_contains({field}, {quoted})" if quoted else NOTHING)

    for name in FILTER_FIELDS:
        value = getattr(filters, name)
        if value:
            equals(name, value)
    if filters.dnr:
        contains("dnr", filters.dnr)
    roll, parti = getattr(filters, "roll", None), getattr(filters, "parti", None)
    if roll or parti:
        from .bm25 import person_terms  # type: ignore[attr-defined]

        contains("roller", person_terms(roll, parti))
    if getattr(filters, "ref", None):
        from ingest.patterns import reference_key  # type: ignore[attr-defined]

        contains("refs", reference_key(filters.ref))  # type: ignore[attr-defined]
    if filters.datum_from:
        parts.append(f"datum >= {_date_number(filters.datum_from)}")
    if filters.datum_to:
        parts.append(f"datum > 0 and datum <= {_date_number(filters.datum_to)}")
    return " and ".join(parts)


def _and(*exprs: str) -> str:
    exprs = tuple(e for e in exprs if e)
    if len(exprs) <= 1:
        return exprs[0] if exprs else ""
    return " and ".join(f"({e})" for e in exprs)


def _ids_expr(ids: Iterable[int]) -> str:
    return f"chunk_id in [{','.join(str(int(i)) for i in ids)}]"


# --- text ----------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def _term(term: str) -> str:
    """A term as one whitespace-free token (the Milvus analyzer splits on whitespace)."""
    return _SPACE.sub("_", term)


def body_tokens(analyzer: Analyzer, context: str, text: str) -> list[Token]:
    """The tokens of a chunk as BM25Index indexes them: rubrik/§ line, a gap, the text."""
    tokens = analyzer.tokens(context)
    shift = (tokens[-1].position + 10) if tokens else 0
    tokens += [Token(t.term, t.position + shift, t.start, t.end) for t in analyzer.tokens(text)]
    return tokens


def _fit(text: str, limit: int = MAX_VARCHAR) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def _token_text(tokens: list[Token]) -> str:
    """Space-padded (for the `like` prefilter), at most MAX_VARCHAR bytes (a longer chunk
    loses its last tokens)."""
    text = " " + " ".join(_term(t.term) for t in tokens) + " "
    if len(text.encode("utf-8")) <= MAX_VARCHAR:
        return text
    cut = _fit(text, MAX_VARCHAR - 1)
    return cut[: cut.rfind(" ") + 1]


def _like_term(term: str) -> str | None:
    """A `like` condition that the term is present, or None when it cannot be written
    safely (an escape sequence in a like pattern crashes milvus-lite 2.5.1). `_` in a term
    is a wildcard there, so the condition may let through more: the post-filter decides."""
    if any(c in term for c in '"\\%'):
        return None
    return f'text like "% {term} %"'


def phrase_in(tokens: list[Token], words: list[tuple[int, str]]) -> bool:
    """The phrase (relative position, term) occurs in the tokens, as tantivy's phrase query
    (a single word: the term occurs)."""
    positions: dict[str, set[int]] = {}
    for token in tokens:
        positions.setdefault(token.term, set()).add(token.position)
    first = positions.get(words[0][1], set())
    return any(
        all(start + offset in positions.get(term, ()) for offset, term in words[1:])
        for start in first
    )


# --- the index -----------------------------------------------------------------------------


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class MilvusIndex:
    """The BM25 side (the methods of `BM25Index`) of the chunk collection; `vectors` is the
    dense side over the same rows.

    `dim` (a number or a function giving it) is needed only to create the collection;
    an existing collection knows its own."""

    def __init__(
        self,
        data_dir: Path,
        analyzer: Analyzer,
        dim: int | Callable[[], int] | None = None,
        *,
        port: int | None = None,
    ) -> None:
        self.path = Path(data_dir)
        self.analyzer = analyzer
        self._dim_source = dim
        self._server: MilvusServer | None = acquire_server(self.path, port)
        self._lock = threading.RLock()
        self._ready_generation = -1
        self._exists = False
        self._dim: int | None = None
        # Vectors of rows dropped by clear(), put back when the same chunks are re-added
        # (BM25Index.clear leaves the vectors alone; here they live in the same rows).
        self._kept: dict[int, list[float]] = {}
        self.vectors = MilvusVectors(self)

    # --- plumbing --------------------------------------------------------------------------

    @property
    def server(self) -> MilvusServer:
        if self._server is None:
            raise RuntimeError("this milvus index is closed")
        return self._server

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            release_server(server)

    def refresh(self) -> None:
        """Forget what we know of the collection (another process may have rebuilt it)."""
        with self._lock:
            self._ready_generation = -1

    def _client(self):
        """The client, with the collection's state known (and loaded after a restart)."""
        with self._lock:
            server = self.server
            client = server.client()
            if self._ready_generation != server.generation:
                self._exists = client.has_collection(COLLECTION, timeout=TIMEOUT)
                self._dim = None
                if self._exists:
                    client.load_collection(COLLECTION, timeout=TIMEOUT)
                self._ready_generation = server.generation
            return client

    def _collection(self):
        """The client, or None when there is no collection yet (nothing indexed)."""
        client = self._client()
        return client if self._exists else None

    def _writable(self):
        client = self._client()
        if not self._exists:
            self._create(client, self._wanted_dim())
        return client

    def _wanted_dim(self) -> int:
        source = self._dim_source
        dim = source() if callable(source) else source
        if not dim:
            raise ValueError("a new milvus collection needs the embedding dimension")
        return int(dim)

    @property
    def dim(self) -> int:
        with self._lock:
            client = self._client()
            if not self._exists:
                return self._wanted_dim()
            if self._dim is None:
                described = client.describe_collection(COLLECTION, timeout=TIMEOUT)
                dense = next(f for f in described["fields"] if f["name"] == "dense")
                self._dim = int(dense["params"]["dim"])
            return self._dim

    def _create(self, client, dim: int) -> None:
        from pymilvus import DataType, Function, FunctionType

        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("chunk_id", DataType.INT64, is_primary=True)
        schema.add_field("document_id", DataType.INT64)
        schema.add_field(
            "text",
            DataType.VARCHAR,
            max_length=MAX_VARCHAR,
            enable_analyzer=True,
            analyzer_params={"tokenizer": "whitespace"},
        )
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("context", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("body", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("has_vector", DataType.BOOL)
        for name in FILTER_FIELDS:
            schema.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("datum", DataType.INT64)
        for name in ARRAY_FIELDS:
            schema.add_field(
                name,
                DataType.ARRAY,
                element_type=DataType.VARCHAR,
                max_capacity=MAX_ARRAY,
                max_length=MAX_ELEMENT,
            )
        schema.add_function(
            Function(
                name="text_bm25",
                function_type=FunctionType.BM25,
                input_field_names=["text"],
                output_field_names=["sparse"],
            )
        )
        index = client.prepare_index_params()
        index.add_index(
            "sparse",
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": 1.2, "bm25_b": 0.75},
        )
        index.add_index("dense", index_type="FLAT", metric_type="COSINE")
        # With index_params the collection is created loaded; writes are seen at once.
        client.create_collection(
            COLLECTION,
            schema=schema,
            index_params=index,
            consistency_level="Strong",
            timeout=TIMEOUT,
        )
        self._exists, self._dim = True, dim

    def _placeholder(self) -> list[float]:
        return [1.0] + [0.0] * (self.dim - 1)

    def _rows(self, ids: list[int], output: Iterable[str]) -> dict[int, dict[str, Any]]:
        client = self._collection()
        if client is None or not ids:
            return {}
        out: dict[int, dict[str, Any]] = {}
        for batch in _batches(ids, 1000):
            for row in client.get(
                COLLECTION, ids=batch, output_fields=list(output), timeout=TIMEOUT
            ):
                out[int(row["chunk_id"])] = row
        return out

    def _ids(self, expr: str) -> set[int]:
        client = self._collection()
        if client is None:
            return set()
        iterator = client.query_iterator(
            COLLECTION,
            batch_size=MAX_TOPK // 2,
            filter=expr,
            output_fields=["chunk_id"],
            timeout=TIMEOUT,
        )
        out: set[int] = set()
        try:
            while batch := iterator.next():
                out.update(int(r["chunk_id"]) for r in batch)
        finally:
            iterator.close()
        return out

    def _count(self, expr: str = "") -> int:
        client = self._collection()
        if client is None:
            return 0
        rows = client.query(COLLECTION, filter=expr, output_fields=["count(*)"], timeout=TIMEOUT)
        return int(rows[0]["count(*)"])

    def _upsert(self, client, rows: list[dict[str, Any]]) -> None:
        for batch in _batches(rows, BATCH):
            client.upsert(COLLECTION, batch, timeout=TIMEOUT)

    # --- the BM25Index methods -------------------------------------------------------------

    def add(self, chunks: Iterable[IndexedChunk]) -> None:
        """Write chunks (an existing row keeps its vector)."""
        chunks = list(chunks)
        if not chunks:
            return
        with self._lock:
            client = self._writable()
            ids = [c.chunk_id for c in chunks]
            vectors = {
                i: [float(x) for x in row["dense"]]
                for i, row in self._rows(ids, ["chunk_id", "dense", "has_vector"]).items()
                if row["has_vector"]
            }
            placeholder = self._placeholder()
            rows = []
            for chunk in chunks:
                vector = vectors.get(chunk.chunk_id) or self._kept.pop(chunk.chunk_id, None)
                if vector is not None and len(vector) != len(placeholder):
                    vector = None  # kept from before an embedder change
                rows.append(self._row(chunk, vector or placeholder, vector is not None))
            self._upsert(client, rows)

    def _row(self, chunk: IndexedChunk, dense: list[float], has_vector: bool) -> dict[str, Any]:
        row: dict[str, Any] = {
            "chunk_id": int(chunk.chunk_id),
            "document_id": int(chunk.document_id),
            "text": _token_text(body_tokens(self.analyzer, chunk.context, chunk.text)),
            "context": _fit(chunk.context),
            "body": _fit(chunk.text),
            "dense": dense,
            "has_vector": has_vector,
            "datum": _date_number(chunk.datum),
        }
        for name in FILTER_FIELDS:
            row[name] = _fit(getattr(chunk, name) or "")
        for name in ARRAY_FIELDS:
            values = getattr(chunk, name, ()) or ()
            row[name] = [_fit(v, MAX_ELEMENT) for v in list(values)[:MAX_ARRAY]]
        return row

    def delete(self, chunk_ids: Iterable[int]) -> None:
        ids = [int(i) for i in chunk_ids]
        with self._lock:
            client = self._collection()
            if client is None:
                return
            for batch in _batches(ids, 1000):
                client.delete(COLLECTION, ids=batch, timeout=TIMEOUT)

    def commit(self) -> None:
        """Writes are visible at once; flush seals them into the database file."""
        with self._lock:
            client = self._collection()
            if client is not None:
                client.flush(COLLECTION, timeout=TIMEOUT)

    def clear(self) -> None:
        """Drop every row (for a rebuild); vectors come back when their chunks are re-added
        by this index, as BM25Index.clear leaves FAISS alone. The collection is created
        again on the next add, with the embedder's dimension of then."""
        with self._lock:
            client = self._collection()
            if client is None:
                return
            ids = sorted(self._ids("has_vector == true"))
            for batch in _batches(ids, 1000):
                for row in client.get(
                    COLLECTION, ids=batch, output_fields=["chunk_id", "dense"], timeout=TIMEOUT
                ):
                    self._kept[int(row["chunk_id"])] = [float(x) for x in row["dense"]]
            client.drop_collection(COLLECTION, timeout=TIMEOUT)
            self._exists, self._dim = False, None

    def count(self) -> int:
        with self._lock:
            return self._count()

    def all_ids(self) -> set[int]:
        with self._lock:
            return self._ids("")

    def ids(self) -> list[int]:
        """As `BM25Index.ids`; the chunk id is the primary key, so none appears twice."""
        return sorted(self.all_ids())

    def search(
        self,
        query: str,
        limit: int,
        filters: Filters | None = None,
        phrases: list[str] | None = None,
    ) -> list[tuple[int, float]]:
        """(chunk_id, BM25 score) of the best `limit` chunks passing the filters; every
        phrase must occur (see the module docstring)."""
        terms = [_term(t) for t in self.analyzer.query_terms(query)]
        words = [w for w in (self.analyzer.phrase(p) for p in phrases or []) if w]
        phrase_terms = list(dict.fromkeys(_term(t) for w in words for _, t in w))
        terms += [t for t in phrase_terms if t not in terms]
        limit = min(limit, MAX_TOPK)
        if not terms or limit <= 0:
            return []
        likes = [_like_term(t) for t in phrase_terms]
        expr = _and(filter_expr(filters), *(c for c in likes if c))
        check = any(len(w) > 1 for w in words) or any(
            c is None or "_" in t for c, t in zip(likes, phrase_terms, strict=True)
        )
        with self._lock:
            client = self._collection()
        if client is None:
            return []
        depth = min(max(limit * 4, 100), MAX_TOPK) if check else limit
        while True:
            hits = client.search(
                COLLECTION,
                data=[" ".join(terms)],
                anns_field="sparse",
                limit=depth,
                filter=expr,
                output_fields=["context", "body"] if check else [],
                search_params={"metric_type": "BM25", "params": {"drop_ratio_search": 0.0}},
                timeout=TIMEOUT,
            )[0]
            found = [
                (int(hit["id"]), float(hit["distance"]))
                for hit in hits
                if not check or self._phrases_in(hit["entity"], words)
            ]
            if not check or len(found) >= limit or len(hits) < depth or depth >= MAX_TOPK:
                return found[:limit]
            depth = min(depth * 4, MAX_TOPK)

    def search_terms(self, terms: list[str], limit: int) -> list[tuple[int, float]]:
        """As `BM25Index.search_terms` (at most 16,384 chunks, Milvus' top-k cap)."""
        terms = [_term(t) for t in terms]
        limit = min(limit, MAX_TOPK)
        if not terms or limit <= 0:
            return []
        with self._lock:
            client = self._collection()
        if client is None:
            return []
        hits = client.search(
            COLLECTION,
            data=[" ".join(terms)],
            anns_field="sparse",
            limit=limit,
            output_fields=[],
            search_params={"metric_type": "BM25", "params": {"drop_ratio_search": 0.0}},
            timeout=TIMEOUT,
        )[0]
        return [(int(hit["id"]), float(hit["distance"])) for hit in hits]

    def weighted_match(
        self, units: list[tuple[list[str], float]], limit: int
    ) -> list[tuple[int, float]]:
        """As `BM25Index.weighted_match`, from one search per unit (Milvus has no
        constant-score query): each unit's best `limit` chunks."""
        weights: dict[int, float] = {}
        for terms, weight in units:
            for chunk_id, _ in self.search_terms(terms, limit):
                weights[chunk_id] = weights.get(chunk_id, 0.0) + weight
        return sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:limit]

    def similar_terms(self, term: str, limit: int = 20) -> list[int]:
        """Chunks holding a term one edit from `term` (a deleted, changed or added
        letter), found by `like` patterns over the token text: Milvus has no term dictionary
        to search."""
        if len(term) < 4 or "_" in term or "%" in term:
            return []
        patterns = {f"{term[:i]}_{term[i + 1:]}" for i in range(len(term))}  # changed
        patterns |= {f"{term[:i]}_{term[i:]}" for i in range(1, len(term))}  # added
        patterns |= {f"{term[:i]}{term[i + 1:]}" for i in range(1, len(term))}  # deleted
        conditions = [c for c in (_like_term(p) for p in sorted(patterns)) if c]
        if not conditions:
            return []
        with self._lock:
            client = self._collection()
        if client is None:
            return []
        rows = client.query(
            COLLECTION,
            filter=" or ".join(f"({c})" for c in conditions),
            output_fields=["chunk_id"],
            limit=limit,
            timeout=TIMEOUT,
        )
        return [int(r["chunk_id"]) for r in rows]

    def _phrases_in(self, entity: dict[str, Any], words: list[list[tuple[int, str]]]) -> bool:
        tokens = body_tokens(self.analyzer, entity["context"], entity["body"])
        tokens = [Token(_term(t.term), t.position, t.start, t.end) for t in tokens]
        return all(phrase_in(tokens, [(o, _term(t)) for o, t in w]) for w in words)

    # --- for answer.py-style term statistics ------------------------------------------------

    def doc_freq(self, term: str) -> int:
        """Chunks holding the term (exact unless it contains `_`, a `like` wildcard)."""
        condition = _like_term(_term(term))
        if condition is None:
            return 0
        with self._lock:
            return self._count(condition)

    def num_docs(self) -> int:
        return self.count()


class MilvusVectors:
    """The dense side of a `MilvusIndex` with the methods of `VectorIndex`."""

    kind = "milvus-flat"

    def __init__(self, index: MilvusIndex) -> None:
        self.index = index

    @property
    def dim(self) -> int:
        return self.index.dim

    def __len__(self) -> int:
        with self.index._lock:
            return self.index._count("has_vector == true")

    def ids(self) -> np.ndarray:
        with self.index._lock:
            ids = self.index._ids("has_vector == true")
        return np.asarray(sorted(ids), dtype=np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Give indexed chunks their vectors (ids not in the collection are skipped: a chunk
        is written by the BM25 side first)."""
        ids = [int(i) for i in np.asarray(ids).reshape(-1)]
        if not ids:
            return
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1)
        index = self.index
        with index._lock:
            if index._collection() is None:
                log.warning("no milvus collection yet: %d vectors not stored", len(ids))
                return
            if matrix.shape[1] != index.dim:
                raise ValueError(
                    f"the milvus collection holds {index.dim}-d vectors but these are "
                    f"{matrix.shape[1]}-d: run `namnd reindex` after changing the embedder"
                )
            by_id = dict(zip(ids, matrix, strict=True))
            client = index._client()
            for batch in _batches(ids, BATCH):
                rows = index._rows(batch, ROW_FIELDS)
                missing = len(batch) - len(rows)
                if missing:
                    log.warning("%d vectors for chunks not in the milvus collection", missing)
                for chunk_id, row in rows.items():
                    row["dense"] = by_id[chunk_id].tolist()
                    row["has_vector"] = True
                index._upsert(client, list(rows.values()))

    def remove(self, ids) -> None:
        self._unset([int(i) for i in ids])

    def _unset(self, ids: list[int]) -> None:
        index = self.index
        with index._lock:
            client = index._collection()
            if client is None or not ids:
                return
            placeholder = index._placeholder()
            for batch in _batches(ids, BATCH):
                rows = [r for r in index._rows(batch, ROW_FIELDS).values() if r["has_vector"]]
                for row in rows:
                    row["dense"], row["has_vector"] = placeholder, False
                index._upsert(client, rows)

    def save(self) -> None:
        self.index.commit()

    def clear(self) -> None:
        with self.index._lock:
            self._unset(sorted(self.index._ids("has_vector == true")))

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(chunk_id, cosine) of the nearest `k` embedded chunks; `allowed` restricts them."""
        k = min(int(k), MAX_TOPK)
        expr = "has_vector == true"
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=np.int64).reshape(-1)
            if not len(allowed):
                return []
            expr = _and(expr, _ids_expr(allowed.tolist()))
        if k <= 0:
            return []
        with self.index._lock:
            client = self.index._collection()
        if client is None:
            return []
        vector = np.asarray(query, dtype=np.float32).reshape(-1).tolist()
        hits = client.search(
            COLLECTION,
            data=[vector],
            anns_field="dense",
            limit=k,
            filter=expr,
            output_fields=[],
            search_params={"metric_type": "COSINE"},
            timeout=TIMEOUT,
        )[0]
        return [(int(hit["id"]), float(hit["distance"])) for hit in hits]
