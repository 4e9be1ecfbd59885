"""One data directory: the SQLite store plus the BM25 and vector indexes derived from it.

Parts are opened lazily, so a BM25-only command never loads the embedding model. The
embedder and analyzer used at ingest are recorded in the store, and every later command
uses the same ones (vectors and query terms must match what was indexed).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from functools import cached_property
from pathlib import Path

import numpy as np

from swedish.analyzer import ANALYZER_VERSION, Analyzer
from swedish.domain import ROLES

from .backend import Backend, DenseIndex, EmbeddedBackend, LexicalIndex
from .bm25 import IndexedChunk, person_terms
from .embed import place
from .embedder import DEFAULT_SPEC, SerialEmbedder, load_embedder
from .store import Store
from .vectors import DEFAULT_ANN_THRESHOLD

DEFAULT_COMPOUNDS = "split"
# Where the indexes live: tantivy + FAISS files ("embedded") or a Milvus server ("milvus").
BACKENDS = ("embedded", "milvus")


class DataDir:
    def __init__(
        self,
        path: Path,
        *,
        embedder: str | None = None,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        readonly: bool = False,
        backend: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.store = Store(self.path, readonly=readonly)
        self._embedder_spec = embedder
        self._backend = backend
        self.ann_threshold = ann_threshold
        self._seen_generation = self.store.generation()

    def close(self) -> None:
        if "indexes" in self.__dict__:
            self.indexes.close()
        self.store.close()

    @property
    def embedder_spec(self) -> str:
        """The embedder recorded at first ingest (or the one asked for, before that)."""
        recorded = self.store.get_meta("embedder")
        if recorded and self._embedder_spec and self._embedder_spec != recorded:
            raise ValueError(
                f"this data directory was embedded with {recorded!r}; "
                f"run `namnd reindex --embedder {self._embedder_spec}` to switch"
            )
        return recorded or self._embedder_spec or DEFAULT_SPEC

    @property
    def backend(self) -> str:
        """The index backend recorded at first ingest (or the one asked for, before that)."""
        recorded = self.store.get_meta("backend")
        if recorded and self._backend and self._backend != recorded:
            raise ValueError(
                f"this data directory uses the {recorded!r} backend, not {self._backend!r}"
            )
        backend = recorded or self._backend or BACKENDS[0]
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r} (use {' or '.join(BACKENDS)})")
        return backend

    def record_settings(self) -> None:
        with self.store.transaction() as conn:
            if not self.store.get_meta("embedder"):
                self.store.set_meta(conn, "embedder", self.embedder_spec)
            if not self.store.get_meta("compounds"):
                self.store.set_meta(conn, "compounds", DEFAULT_COMPOUNDS)
            if not self.store.get_meta("backend"):
                self.store.set_meta(conn, "backend", self.backend)
                if self.backend == "milvus":
                    from .milvus import COLLECTION_META, new_collection_name

                    self.store.set_meta(conn, COLLECTION_META, new_collection_name())

    @cached_property
    def analyzer(self) -> Analyzer:
        return Analyzer(self.store.get_meta("compounds") or DEFAULT_COMPOUNDS)

    @cached_property
    def indexes(self) -> Backend:
        """Where the BM25 and vector indexes live (a Milvus server is reached on first use).
        Indexes made by another analyzer version (before accent folding) are rebuilt beside
        from the store by a command that may write; a read-only one searches what it has."""
        if self.backend == "milvus":
            from .milvus import MilvusBackend

            backend = MilvusBackend(
                self.path, self.store, self.analyzer, lambda: self.embedder.dim
            )
        else:
            backend = EmbeddedBackend(
                self.path,
                self.store,
                self.analyzer,
                lambda: self.embedder.dim,
                ann_threshold=self.ann_threshold,
                on_reset=self.reconcile_bm25,
            )
        if self.readonly or self.store.get_meta("analyzer") == ANALYZER_VERSION:
            return backend
        self.__dict__["indexes"] = backend
        if self.store.scalar("SELECT count(*) FROM chunks"):
            self.rebuild_indexes()
        with self.store.transaction() as conn:
            self.store.set_meta(conn, "analyzer", ANALYZER_VERSION)
        return backend

    @property
    def bm25(self) -> LexicalIndex:
        return self.indexes.lexical

    @cached_property
    def embedder(self) -> SerialEmbedder:
        return load_embedder(self.embedder_spec)

    @property
    def vectors(self) -> DenseIndex:
        return self.indexes.dense

    def refresh(self) -> None:
        """Pick up what another process (an ingest, a reindex) committed since we looked."""
        current = self.store.generation()
        if current == self._seen_generation:
            return
        self._seen_generation = current
        if "indexes" in self.__dict__:
            self.indexes.refresh()

    def vectors_remove(self, chunk_ids: list[int]) -> None:
        """Drop vectors of deleted chunks without loading the embedding model."""
        self.indexes.remove_vectors(chunk_ids)

    def rebuild_indexes(self) -> None:
        """Build the BM25 and vector indexes anew from the store (vectors from the embedding
        cache), beside the live ones, and switch to them: readers never see an index that
        is empty or half built."""
        ids = [r[0] for r in self.store.query("SELECT id FROM chunks ORDER BY id")]
        chunks = self.indexed_chunks(ids)
        model = self.store.get_meta("embedder_name")
        rows = (
            self.store.query(
                """SELECT c.id, e.vector FROM chunks c JOIN embeddings e
                   ON e.model = ? AND e.hash = c.embed_hash ORDER BY c.id""",
                [model],
            )
            if model
            else []
        )
        vector_ids = np.asarray([r[0] for r in rows], dtype=np.int64)
        matrix = (
            np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
            if rows
            else np.zeros((0, 0), dtype=np.float32)
        )
        self.indexes.rebuild(chunks, vector_ids, matrix)
        self._seen_generation = self.store.generation()

    def embedder_name(self) -> str:
        """The cache name of the embedder, without loading the model when it is known."""
        return self.store.get_meta("embedder_name") or self.embedder.name

    # --- keeping the BM25 index in line with the store -----------------------------------

    def indexed_chunks(self, chunk_ids: list[int]) -> list[IndexedChunk]:
        out: list[IndexedChunk] = []
        for start in range(0, len(chunk_ids), 900):
            batch = chunk_ids[start : start + 900]
            marks = ",".join("?" * len(batch))
            rows = self.store.query(f"SELECT * FROM chunks WHERE id IN ({marks})", batch)
            roller, refs = self._paragraph_terms({row["paragraph_id"] for row in rows})
            out.extend(
                to_indexed(
                    row,
                    roller=roller.get(row["paragraph_id"], ()),
                    refs=refs.get(row["paragraph_id"], ()),
                )
                for row in rows
            )
        return out

    def _paragraph_terms(
        self, paragraph_ids: set[int]
    ) -> tuple[dict[int, tuple[str, ...]], dict[int, tuple[str, ...]]]:
        """Role/party terms (from the persons of each §) and reference keys per §."""
        ids = sorted(paragraph_ids)
        marks = ",".join("?" * len(ids))
        roller: dict[int, set[str]] = {}
        for row in self.store.query(
            f"""SELECT paragraph_id, roll, party FROM persons
                WHERE paragraph_id IN ({marks}) AND roll IN ({",".join("?" * len(ROLES))})""",
            [*ids, *ROLES],
        ):
            terms = roller.setdefault(row["paragraph_id"], set())
            terms.add(person_terms(row["roll"], None))
            if row["party"]:
                terms.add(person_terms(row["roll"], row["party"]))
                terms.add(person_terms(None, row["party"]))
        refs: dict[int, set[str]] = {}
        try:
            for row in self.store.query(
                f"""SELECT paragraph_id, nyckel FROM paragraph_referenser
                    WHERE paragraph_id IN ({marks})""",
                ids,
            ):
                refs.setdefault(row["paragraph_id"], set()).add(row["nyckel"])
        except sqlite3.OperationalError:  # a read-only store from before references
            pass
        return (
            {k: tuple(sorted(v)) for k, v in roller.items()},
            {k: tuple(sorted(v)) for k, v in refs.items()},
        )

    def reconcile_bm25(self) -> tuple[int, int, int]:
        """Add chunks the BM25 index lacks, drop ones the store no longer has, and index
        chunks held twice once; returns (missing, orphans, duplicates) fixed."""
        stored = {r[0] for r in self.store.query("SELECT id FROM chunks")}
        counts = Counter(self.bm25.ids())
        missing = sorted(stored - counts.keys())
        orphans = sorted(counts.keys() - stored)
        twice = sorted(i for i, n in counts.items() if n > 1 and i in stored)
        if missing or orphans or twice:
            # A delete only hits documents added before it, so the re-added copies stay.
            self.bm25.delete([*orphans, *twice])
            self.bm25.add(self.indexed_chunks([*missing, *twice]))
            self.bm25.commit()
        return len(missing), len(orphans), len(twice)


def to_indexed(
    row: sqlite3.Row, *, roller: tuple[str, ...] = (), refs: tuple[str, ...] = ()
) -> IndexedChunk:
    return IndexedChunk(
        chunk_id=row["id"],
        document_id=row["document_id"],
        text=row["text"],
        context=place(row["kommun"], row["namnd"], row["paragraf"], row["rubrik"]),
        kommun=row["kommun"],
        namnd=row["namnd"],
        dokumenttyp=row["dokumenttyp"],
        sektion=row["sektion"],
        datum=row["datum"],
        dnr=[d for d in (row["dnr"] or "").split(", ") if d],
        roller=roller,
        refs=refs,
    )
