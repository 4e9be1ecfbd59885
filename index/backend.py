"""The one interface of an index backend, and the embedded backend (tantivy + FAISS files).

A data directory's store (SQLite) is the source of truth; its BM25 and vector indexes are
derived from it and live in a backend: files beside the store (`EmbeddedBackend`, the
default) or a Milvus collection (`index.milvus.MilvusBackend`). Search, answers, `check`
and ingest use only `Backend` (through `DataDir`), so every command runs on both.

A rebuild (`namnd reindex`, a relink of ärenden at ingest) builds the new indexes beside the
live ones and then switches: readers keep answering from the old index until the switch and
never see a half-filled one. Embedded: a new tantivy directory `bm25.N`, named in the store's
meta (`bm25_dir`), and a FAISS file written to a temporary name and renamed over
`vectors.faiss`. The index before the switch is kept until the next rebuild, so a reader that
has not yet looked at the store's generation still finds its files.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from index.filters import Filters
from swedish.analyzer import Analyzer

from .bm25 import BM25_DIR, BM25Index, IndexedChunk
from .store import Store
from .vectors import DEFAULT_ANN_THRESHOLD, VECTORS_FILE, VectorIndex

BM25_DIR_META = "bm25_dir"


class BackendUnavailable(RuntimeError):
    """The index backend cannot be reached or started; the message is for the user."""


class LexicalIndex(Protocol):
    """BM25 over the chunks, with the filters applied inside the index."""

    def add(self, chunks: Iterable[IndexedChunk]) -> None: ...

    def delete(self, chunk_ids: Iterable[int]) -> None: ...

    def commit(self) -> None: ...

    def count(self) -> int: ...

    def ids(self) -> list[int]: ...

    def all_ids(self) -> set[int]: ...

    def search(
        self,
        query: str,
        limit: int,
        filters: Filters | None = None,
        phrases: list[str] | None = None,
    ) -> list[tuple[int, float]]: ...

    def doc_freq(self, term: str) -> int: ...

    def num_docs(self) -> int: ...

    def search_terms(self, terms: list[str], limit: int) -> list[tuple[int, float]]:
        """The best `limit` chunks for these analyzer terms (BM25, no filters)."""
        ...

    def weighted_match(
        self, units: list[tuple[list[str], float]], limit: int
    ) -> list[tuple[int, float]]:
        """Chunks by the summed weights of the units (term groups) they hold."""
        ...

    def similar_terms(self, word: str, limit: int = 20) -> list[int]:
        """Chunks holding a term a few edits from `word` (spelling suggestions)."""
        ...


class DenseIndex(Protocol):
    """Chunk vectors, searched by cosine."""

    kind: str

    def __len__(self) -> int: ...

    def ids(self) -> np.ndarray: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids) -> None: ...

    def save(self) -> None: ...

    def clear(self) -> None: ...

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]: ...


class Backend(Protocol):
    """Where one data directory's indexes live."""

    name: str  # "embedded" or "milvus", as recorded in the store

    @property
    def lexical(self) -> LexicalIndex: ...

    @property
    def dense(self) -> DenseIndex:
        """The vector index (may load the embedder to learn the dimension of a new one)."""
        ...

    def vector_ids(self) -> list[int] | None:
        """The ids in the vector index without loading the embedder (None: there is none)."""
        ...

    def remove_vectors(self, chunk_ids: list[int]) -> None:
        """Drop the vectors of deleted chunks without loading the embedder."""
        ...

    def rebuild(self, chunks: list[IndexedChunk], ids: np.ndarray, vectors: np.ndarray) -> None:
        """Build both indexes anew beside the live ones (these chunks; these vectors, rows of
        `vectors` for `ids`), then switch readers over to them."""
        ...

    def refresh(self) -> None:
        """Another process changed the store's generation: pick up its switch or writes."""
        ...

    def close(self) -> None: ...


class EmbeddedBackend:
    """Tantivy and FAISS files beside the store."""

    name = "embedded"

    def __init__(
        self,
        path: Path,
        store: Store,
        analyzer: Analyzer,
        dim: Callable[[], int],
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        on_reset: Callable[[], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.store = store
        self.analyzer = analyzer
        self._dim = dim
        self.ann_threshold = ann_threshold
        self._on_reset = on_reset
        self._lexical: BM25Index | None = None
        self._dense: VectorIndex | None = None

    def _bm25_dir(self) -> str:
        return self.store.get_meta(BM25_DIR_META) or BM25_DIR

    @property
    def lexical(self) -> BM25Index:
        if self._lexical is None:
            index = BM25Index(self.path, self.analyzer, self._bm25_dir())
            self._lexical = index
            if index.reset and self._on_reset:  # an older schema was dropped: refill it
                self._on_reset()
        return self._lexical

    @property
    def dense(self) -> VectorIndex:
        if self._dense is None:
            self._dense = VectorIndex(self.path, self._dim(), ann_threshold=self.ann_threshold)
        return self._dense

    def vector_ids(self) -> list[int] | None:
        if self._dense is not None:
            return self._dense.ids().tolist()
        if not (self.path / VECTORS_FILE).exists():
            return None
        return VectorIndex(self.path, None).ids().tolist()

    def remove_vectors(self, chunk_ids: list[int]) -> None:
        if not chunk_ids or not (self.path / VECTORS_FILE).exists():
            return
        vectors = self._dense or VectorIndex(self.path, None, ann_threshold=self.ann_threshold)
        vectors.remove(chunk_ids)
        vectors.save()

    def rebuild(self, chunks: list[IndexedChunk], ids: np.ndarray, vectors: np.ndarray) -> None:
        live = self._bm25_dir()
        name = _next_name(live, BM25_DIR)
        shutil.rmtree(self.path / name, ignore_errors=True)
        bm25 = BM25Index(self.path, self.analyzer, name)
        bm25.add(chunks)
        bm25.commit()
        dense: VectorIndex | None = None
        # No cached vector (a new embedder): an empty index of the new model's dimension.
        if len(ids) or (self.path / VECTORS_FILE).exists():
            dim = int(vectors.shape[1]) if len(ids) else self._dim()
            dense = VectorIndex(self.path, dim, ann_threshold=self.ann_threshold, fresh=True)
            dense.add(ids, vectors)
            dense.dirty = True
            dense.save()  # written beside, renamed over vectors.faiss: the vector switch
        with self.store.transaction() as conn:
            self.store.set_meta(conn, BM25_DIR_META, name)  # the BM25 switch
        self.store.bump_generation()
        self._lexical, self._dense = bm25, dense
        # Keep the index readers may still hold (the one before the switch); drop older ones.
        for old in self.path.glob(f"{BM25_DIR}*"):
            if old.is_dir() and old.name not in (name, live):
                shutil.rmtree(old, ignore_errors=True)

    def refresh(self) -> None:
        if self._lexical is not None:
            if self._lexical.path.name != self._bm25_dir():
                self._lexical = None  # switched by a rebuild: reopened on next use
            else:
                self._lexical.index.reload()
        self._dense = None  # reopened from disk on next use

    def close(self) -> None:
        self._lexical = self._dense = None


def _next_name(live: str, base: str) -> str:
    """`bm25` -> `bm25.1` -> `bm25.2` …"""
    match = re.fullmatch(re.escape(base) + r"\.(\d+)", live)
    return f"{base}.{int(match.group(1)) + 1 if match else 1}"
