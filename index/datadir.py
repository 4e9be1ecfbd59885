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
from typing import TYPE_CHECKING

from .analyzer import ANALYZER_VERSION, Analyzer
from .bm25 import BM25Index, IndexedChunk, person_terms
from .embed import place
from .embedder import DEFAULT_SPEC, SerialEmbedder, load_embedder
from .store import Store
from .vectors import DEFAULT_ANN_THRESHOLD, VECTORS_FILE, VectorIndex

if TYPE_CHECKING:
    from .milvus import MilvusIndex, MilvusVectors

DEFAULT_COMPOUNDS = "split"
# Where the indexes live: tantivy + FAISS files ("embedded") or a Milvus server ("milvus").
BACKENDS = ("embedded", "milvus")
# The roles of persons in a § that search can filter on (`--roll`).
ROLES = ("yrkande", "reservation", "särskilt uttalande", "protokollsanteckning")


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
        if "milvus" in self.__dict__:
            self.milvus.close()
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

    @cached_property
    def analyzer(self) -> Analyzer:
        return Analyzer(self.store.get_meta("compounds") or DEFAULT_COMPOUNDS)

    @cached_property
    def milvus(self) -> MilvusIndex:
        """Both indexes in one Milvus collection (server started on first use)."""
        from .milvus import MilvusIndex

        return MilvusIndex(self.path, self.analyzer, lambda: self.embedder.dim)

    @cached_property
    def bm25(self) -> BM25Index | MilvusIndex:
        index = self.milvus if self.backend == "milvus" else BM25Index(self.path, self.analyzer)
        # Indexed by another analyzer version (before accent folding): rebuilt from the store
        # by a command that may write; a read-only one searches the terms it has.
        stale = (
            not self.readonly
            and self.store.get_meta("analyzer") != ANALYZER_VERSION
            and bool(self.store.scalar("SELECT count(*) FROM chunks"))
        )
        if stale:
            index.clear()
        if stale or getattr(index, "reset", False):  # or an older schema was dropped
            self.__dict__["bm25"] = index
            self.reconcile_bm25()
        if not self.readonly and self.store.get_meta("analyzer") != ANALYZER_VERSION:
            with self.store.transaction() as conn:
                self.store.set_meta(conn, "analyzer", ANALYZER_VERSION)
        return index

    @cached_property
    def embedder(self) -> SerialEmbedder:
        return load_embedder(self.embedder_spec)

    @cached_property
    def vectors(self) -> VectorIndex | MilvusVectors:
        if self.backend == "milvus":
            return self.milvus.vectors
        return VectorIndex(self.path, self.embedder.dim, ann_threshold=self.ann_threshold)

    def refresh(self) -> None:
        """Pick up what another process (an ingest) committed since we last looked."""
        current = self.store.generation()
        if current == self._seen_generation:
            return
        self._seen_generation = current
        if "milvus" in self.__dict__:
            self.milvus.refresh()
        elif "bm25" in self.__dict__:
            self.bm25.index.reload()
        if "vectors" in self.__dict__:
            del self.__dict__["vectors"]  # reopened from disk on next use

    def vectors_remove(self, chunk_ids: list[int]) -> None:
        """Drop vectors of deleted chunks without loading the embedding model."""
        if self.backend == "milvus":
            self.milvus.vectors.remove(chunk_ids)
            return
        if not chunk_ids or not (self.path / VECTORS_FILE).exists():
            return
        vectors = self.__dict__.get("vectors") or VectorIndex(
            self.path, None, ann_threshold=self.ann_threshold
        )
        vectors.remove(chunk_ids)
        vectors.save()

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
