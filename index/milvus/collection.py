"""The chunk collection on Milvus: schema, writes and BM25/dense search, through pymilvus.

`MilvusIndex` implements `index.backend.LexicalIndex` and its `vectors` (`MilvusVectors`)
`DenseIndex`, over one collection whose name the caller gives (the data directory's, so
several data directories share one server).

One row per chunk: our own Swedish analyzer's tokens (the same `Analyzer` as tantivy) joined
by spaces feed a whitespace-analyzed VARCHAR, from which a Milvus BM25 function makes the
sparse vector (k1 1.2, b 0.75 like tantivy); the dense vector is FLAT/COSINE (exact, like
the small FAISS index; HNSW is not available in local mode); the filter fields are scalars,
dnr an array. A row is written before its chunk is embedded, so it carries a placeholder
vector and `has_vector = false` until `MilvusVectors.add` upserts the real one; dense search
only sees rows with `has_vector`.

A phrase is a `like` prefilter on the token text (see `expressions`) and then a post-filter
of the BM25 candidates, which re-analyzes the stored chunk text and checks the word positions
exactly as tantivy's phrase query does; candidates are fetched in growing rounds until
`limit` matches are found (at most 16,384, Milvus' top-k cap). Phrase matches are the same
set on both backends; their scores differ (tantivy adds the phrase query's own BM25 score,
Milvus scores the words only: README, Backends).

Gotchas of this engine and client (pymilvus 2.5.11): `insert` of an existing id leaves the
old BM25 tokens searchable, so every write is an `upsert`; every call takes an int `timeout`
(`server.TIMEOUT`); after a restart the collection must be loaded again; milvus-lite has no
collection aliases, so a rebuild switches collections through the store (`MilvusBackend`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from swedish.analyzer import Analyzer, Token

from ..bm25 import FILTER_FIELDS, IndexedChunk
from ..filters import Filters
from .expressions import and_, date_number, filter_expr, ids_expr, like_term, term
from .server import TIMEOUT, MilvusServer, acquire_server, release_server

log = logging.getLogger("namnd.milvus")

COLLECTION = "chunks"  # the default name (a data directory records its own)
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


# --- text ----------------------------------------------------------------------------------


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
    text = " " + " ".join(term(t.term) for t in tokens) + " "
    if len(text.encode("utf-8")) <= MAX_VARCHAR:
        return text
    cut = _fit(text, MAX_VARCHAR - 1)
    return cut[: cut.rfind(" ") + 1]


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
    """The BM25 side of the chunk collection; `vectors` is the dense side over the same
    rows.

    `dim` (a number or a function giving it) is needed only to create the collection;
    an existing collection knows its own. `uri`/`token` name an existing server (else the
    data directory's own engine is used)."""

    def __init__(
        self,
        data_dir: Path,
        analyzer: Analyzer,
        dim: int | Callable[[], int] | None = None,
        *,
        port: int | None = None,
        collection: str = COLLECTION,
        uri: str | None = None,
        token: str | None = None,
    ) -> None:
        self.path = Path(data_dir)
        self.analyzer = analyzer
        self.collection = collection
        self._dim_source = dim
        self._server: MilvusServer | None = acquire_server(self.path, port, uri=uri, token=token)
        self._lock = threading.RLock()
        self._ready: tuple[int, str] | None = None  # (server generation, collection) known
        self._exists = False
        self._dim: int | None = None
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

    def refresh(self, collection: str | None = None) -> None:
        """Forget what we know of the collection (another process may have written or
        switched it); `collection` is the one to use from now on."""
        with self._lock:
            if collection:
                self.collection = collection
            self._ready = None
            self.vectors._len = None

    def _client(self):
        """The client, with the collection's state known (and loaded after a restart)."""
        with self._lock:
            server = self.server
            client = server.client()
            if self._ready != (server.generation, self.collection):
                self._exists = client.has_collection(self.collection, timeout=TIMEOUT)
                self._dim = None
                if self._exists:
                    client.load_collection(self.collection, timeout=TIMEOUT)
                self._ready = (server.generation, self.collection)
            return client

    def _collection(self):
        """The client, or None when there is no collection yet (nothing indexed)."""
        client = self._client()
        return client if self._exists else None

    def _call(self, call: Callable[[Any], Any], empty: Any = None) -> Any:
        """`call(client)` on the collection (`empty` when there is none). A call that fails
        because the server went away is made once more on the server started again; a server
        that cannot be reached is a `BackendUnavailable` (from `recover`)."""
        from pymilvus.exceptions import MilvusException

        try:
            with self._lock:
                client = self._collection()
            return empty if client is None else call(client)
        except MilvusException:
            if not self.server.recover():  # the server is there: the call itself failed
                raise
            log.warning("the milvus server went away during a call; trying again")
            with self._lock:
                client = self._collection()
            return empty if client is None else call(client)

    def _writable(self):
        client = self._client()
        if not self._exists:
            self._create(client, self.collection, self._wanted_dim())
            self._exists, self._dim = True, self._wanted_dim()
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
                described = client.describe_collection(self.collection, timeout=TIMEOUT)
                dense = next(f for f in described["fields"] if f["name"] == "dense")
                self._dim = int(dense["params"]["dim"])
            return self._dim

    @staticmethod
    def _create(client, name: str, dim: int) -> None:
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
        for field in FILTER_FIELDS:
            schema.add_field(field, DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("datum", DataType.INT64)
        for field in ARRAY_FIELDS:
            schema.add_field(
                field,
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
            name,
            schema=schema,
            index_params=index,
            consistency_level="Strong",
            timeout=TIMEOUT,
        )

    def _placeholder(self, dim: int | None = None) -> list[float]:
        return [1.0] + [0.0] * ((dim or self.dim) - 1)

    def _rows(self, ids: list[int], output: Iterable[str]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}

        def get(client) -> dict[int, dict[str, Any]]:
            out: dict[int, dict[str, Any]] = {}
            for batch in _batches(ids, 1000):
                for row in client.get(
                    self.collection, ids=batch, output_fields=list(output), timeout=TIMEOUT
                ):
                    out[int(row["chunk_id"])] = row
            return out

        return self._call(get, {})

    def _ids(self, expr: str) -> set[int]:
        def read(client) -> set[int]:
            iterator = client.query_iterator(
                self.collection,
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

        return self._call(read, set())

    def _count(self, expr: str = "") -> int:
        def count(client) -> int:
            rows = client.query(
                self.collection, filter=expr, output_fields=["count(*)"], timeout=TIMEOUT
            )
            return int(rows[0]["count(*)"])

        return self._call(count, 0)

    def _upsert(self, client, rows: list[dict[str, Any]], collection: str | None = None) -> None:
        for batch in _batches(rows, BATCH):
            client.upsert(collection or self.collection, batch, timeout=TIMEOUT)

    # --- LexicalIndex ----------------------------------------------------------------------

    def add(self, chunks: Iterable[IndexedChunk]) -> None:
        """Write chunks (an existing row keeps its vector)."""
        chunks = list(chunks)
        if not chunks:
            return
        with self._lock:
            self.vectors._len = None
            client = self._writable()
            ids = [c.chunk_id for c in chunks]
            vectors = {
                i: [float(x) for x in row["dense"]]
                for i, row in self._rows(ids, ["chunk_id", "dense", "has_vector"]).items()
                if row["has_vector"]
            }
            placeholder = self._placeholder()
            rows = [
                self._row(
                    chunk, vectors.get(chunk.chunk_id, placeholder), chunk.chunk_id in vectors
                )
                for chunk in chunks
            ]
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
            "datum": date_number(chunk.datum),
        }
        for field in FILTER_FIELDS:
            row[field] = _fit(getattr(chunk, field) or "")
        for field in ARRAY_FIELDS:
            values = getattr(chunk, field, ()) or ()
            row[field] = [_fit(v, MAX_ELEMENT) for v in list(values)[:MAX_ARRAY]]
        return row

    def delete(self, chunk_ids: Iterable[int]) -> None:
        ids = [int(i) for i in chunk_ids]

        def delete(client) -> None:
            for batch in _batches(ids, 1000):
                client.delete(self.collection, ids=batch, timeout=TIMEOUT)

        with self._lock:
            self.vectors._len = None
            self._call(delete)

    def commit(self) -> None:
        """Writes are visible at once; flush seals them into the database file."""
        with self._lock:
            self._call(lambda client: client.flush(self.collection, timeout=TIMEOUT))

    def build(
        self, name: str, chunks: list[IndexedChunk], ids: np.ndarray, vectors: np.ndarray
    ) -> None:
        """Create collection `name` (dropped first if it exists) holding these chunks and
        vectors, beside the live one; `refresh(name)` switches to it."""
        dim = int(vectors.shape[1]) if len(ids) else self._wanted_dim()
        by_id = {int(i): v for i, v in zip(ids.tolist(), vectors, strict=True)}
        placeholder = self._placeholder(dim)
        with self._lock:
            client = self.server.client()
            if client.has_collection(name, timeout=TIMEOUT):
                client.drop_collection(name, timeout=TIMEOUT)
            self._create(client, name, dim)
            for batch in _batches(chunks, BATCH):
                rows = []
                for chunk in batch:
                    vector = by_id.get(chunk.chunk_id)
                    dense = placeholder if vector is None else [float(x) for x in vector]
                    rows.append(self._row(chunk, dense, vector is not None))
                self._upsert(client, rows, name)
            client.flush(name, timeout=TIMEOUT)

    def drop(self, names: Iterable[str]) -> None:
        with self._lock:
            client = self.server.client()
            for name in names:
                client.drop_collection(name, timeout=TIMEOUT)

    def collections(self) -> list[str]:
        return list(self.server.client().list_collections(timeout=TIMEOUT))

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
        terms = [term(t) for t in self.analyzer.query_terms(query)]
        words = [w for w in (self.analyzer.phrase(p) for p in phrases or []) if w]
        phrase_terms = list(dict.fromkeys(term(t) for w in words for _, t in w))
        terms += [t for t in phrase_terms if t not in terms]
        limit = min(limit, MAX_TOPK)
        if not terms or limit <= 0:
            return []
        likes = [like_term(t) for t in phrase_terms]
        expr = and_(filter_expr(filters), *(c for c in likes if c))
        check = any(len(w) > 1 for w in words) or any(
            c is None or "_" in t for c, t in zip(likes, phrase_terms, strict=True)
        )

        def search(client) -> list[tuple[int, float]]:
            depth = min(max(limit * 4, 100), MAX_TOPK) if check else limit
            while True:
                hits = client.search(
                    self.collection,
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

        return self._call(search, [])

    def search_terms(self, terms: list[str], limit: int) -> list[tuple[int, float]]:
        """As `BM25Index.search_terms` (at most 16,384 chunks, Milvus' top-k cap)."""
        terms = [term(t) for t in terms]
        limit = min(limit, MAX_TOPK)
        if not terms or limit <= 0:
            return []

        def search(client) -> list[tuple[int, float]]:
            hits = client.search(
                self.collection,
                data=[" ".join(terms)],
                anns_field="sparse",
                limit=limit,
                output_fields=[],
                search_params={"metric_type": "BM25", "params": {"drop_ratio_search": 0.0}},
                timeout=TIMEOUT,
            )[0]
            return [(int(hit["id"]), float(hit["distance"])) for hit in hits]

        return self._call(search, [])

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

    def similar_terms(self, word: str, limit: int = 20) -> list[int]:
        """Chunks holding a term one edit from `word` (a deleted, changed or added
        letter), found by `like` patterns over the token text: Milvus has no term dictionary
        to search."""
        if len(word) < 4 or "_" in word or "%" in word:
            return []
        patterns = {f"{word[:i]}_{word[i + 1:]}" for i in range(len(word))}  # changed
        patterns |= {f"{word[:i]}_{word[i:]}" for i in range(1, len(word))}  # added
        patterns |= {f"{word[:i]}{word[i + 1:]}" for i in range(1, len(word))}  # deleted
        conditions = [c for c in (like_term(p) for p in sorted(patterns)) if c]
        if not conditions:
            return []

        def query(client) -> list[int]:
            rows = client.query(
                self.collection,
                filter=" or ".join(f"({c})" for c in conditions),
                output_fields=["chunk_id"],
                limit=limit,
                timeout=TIMEOUT,
            )
            return [int(r["chunk_id"]) for r in rows]

        return self._call(query, [])

    def _phrases_in(self, entity: dict[str, Any], words: list[list[tuple[int, str]]]) -> bool:
        tokens = body_tokens(self.analyzer, entity["context"], entity["body"])
        tokens = [Token(term(t.term), t.position, t.start, t.end) for t in tokens]
        return all(phrase_in(tokens, [(o, term(t)) for o, t in w]) for w in words)

    # --- term statistics (answers) ---------------------------------------------------------

    def doc_freq(self, token: str) -> int:
        """Chunks holding the term (exact unless it contains `_`, a `like` wildcard)."""
        condition = like_term(term(token))
        if condition is None:
            return 0
        with self._lock:
            return self._count(condition)

    def num_docs(self) -> int:
        return self.count()


class MilvusVectors:
    """The dense side of a `MilvusIndex` (`DenseIndex`)."""

    kind = "milvus-flat"

    def __init__(self, index: MilvusIndex) -> None:
        self.index = index
        # The count is asked before every search (are there vectors?); like the FAISS file,
        # it is read again after our own writes and when the store's generation changes.
        self._len: int | None = None

    @property
    def dim(self) -> int:
        return self.index.dim

    def __len__(self) -> int:
        with self.index._lock:
            if self._len is None:
                self._len = self.index._count("has_vector == true")
            return self._len

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
            self._len = None
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
            self._len = None
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
            expr = and_(expr, ids_expr(allowed.tolist()))
        if k <= 0:
            return []
        vector = np.asarray(query, dtype=np.float32).reshape(-1).tolist()

        def search(client) -> list[tuple[int, float]]:
            hits = client.search(
                self.index.collection,
                data=[vector],
                anns_field="dense",
                limit=k,
                filter=expr,
                output_fields=[],
                search_params={"metric_type": "COSINE"},
                timeout=TIMEOUT,
            )[0]
            return [(int(hit["id"]), float(hit["distance"])) for hit in hits]

        return self.index._call(search, [])
