"""The scale-out backend: BM25 and dense vectors in one Milvus collection per data directory.

A data directory uses it when its store meta says `backend = milvus` (`namnd ingest
--backend milvus`). The package follows the backend's three concerns:

* `server` (with `keeper`): which server — an existing one named by `NAMND_MILVUS_URI` or
  `milvus.json`, or the data directory's own milvus-lite engine, started on demand and kept
  up while any command uses it;
* `expressions`: our filters and terms as Milvus filter expressions;
* `collection`: the schema, writes, BM25 and dense search (`MilvusIndex`, `MilvusVectors`).

`MilvusBackend` is the `index.backend.Backend` over them. The live collection's name is in
the store's meta (`milvus_collection`; a new data directory gets `namnd_<random>`, so several
share one server). A rebuild fills a new collection (`<name>_v<N>`) beside the live one, then
switches by writing the new name to the store and bumping its generation: readers switch on
their next request (`DataDir.refresh`). milvus-lite has no collection aliases, so the store
plays that part on every server. The collection before the switch is dropped at the next
rebuild, not at once, so a request already under way on it still finishes.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path

import numpy as np

from swedish.analyzer import Analyzer

from ..bm25 import IndexedChunk
from ..store import Store
from .collection import COLLECTION, MilvusIndex, MilvusVectors
from .expressions import filter_expr, literal
from .server import (
    CONFIG_FILE,
    DB_FILE,
    SERVER_FILE,
    TIMEOUT,
    TOKEN_ENV,
    URI_ENV,
    MilvusServer,
    acquire_server,
    external_server,
    milvus_binary,
    release_server,
)

COLLECTION_META = "milvus_collection"

__all__ = [
    "COLLECTION",
    "CONFIG_FILE",
    "DB_FILE",
    "SERVER_FILE",
    "TIMEOUT",
    "TOKEN_ENV",
    "URI_ENV",
    "MilvusBackend",
    "MilvusIndex",
    "MilvusServer",
    "MilvusVectors",
    "acquire_server",
    "filter_expr",
    "literal",
    "milvus_binary",
    "new_collection_name",
    "release_server",
]


def new_collection_name() -> str:
    """The collection name a new data directory records (unique on a shared server)."""
    return f"namnd_{secrets.token_hex(6)}"


class MilvusBackend:
    """Both indexes in one Milvus collection (`index.backend.Backend`)."""

    name = "milvus"

    def __init__(
        self, path: Path, store: Store, analyzer: Analyzer, dim: Callable[[], int]
    ) -> None:
        self.store = store
        uri, token = external_server(path)
        self.index = MilvusIndex(path, analyzer, dim, collection=self._live(), uri=uri, token=token)

    def _live(self) -> str:
        # Data directories from before per-directory names used "chunks" on their own engine.
        return self.store.get_meta(COLLECTION_META) or COLLECTION

    @property
    def lexical(self) -> MilvusIndex:
        return self.index

    @property
    def dense(self) -> MilvusVectors:
        return self.index.vectors

    def vector_ids(self) -> list[int] | None:
        return self.index.vectors.ids().tolist()

    def remove_vectors(self, chunk_ids: list[int]) -> None:
        self.index.vectors.remove(chunk_ids)

    def rebuild(self, chunks: list[IndexedChunk], ids: np.ndarray, vectors: np.ndarray) -> None:
        live = self._live()
        match = re.fullmatch(r"(.+)_v(\d+)", live)
        base, number = (match.group(1), int(match.group(2))) if match else (live, 0)
        name = f"{base}_v{number + 1}"
        self.index.build(name, chunks, ids, vectors)
        with self.store.transaction() as conn:
            self.store.set_meta(conn, COLLECTION_META, name)
        self.store.bump_generation()
        self.index.refresh(name)
        # Keep the collection readers may still use (the one before the switch).
        ours = re.compile(re.escape(base) + r"(_v\d+)?")
        self.index.drop(
            c for c in self.index.collections() if ours.fullmatch(c) and c not in (name, live)
        )

    def refresh(self) -> None:
        self.index.refresh(self._live())

    def close(self) -> None:
        self.index.close()
