"""Dense vectors in FAISS, persisted beside the store, keyed by chunk id.

Small corpora use exact inner-product search (`IndexIDMap2(IndexFlatIP)`). Above
`ann_threshold` vectors the index is rebuilt as IVF-Flat (inner product), which supports
deletions and id filters natively; `nprobe` sets its recall/speed trade-off (measured in
BENCHMARKS.md). Filters are FAISS id selectors, so a filtered search still returns `k`
results when they exist; a very selective filter is answered exactly from the vectors.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import faiss
import numpy as np

VECTORS_FILE = "vectors.faiss"
DEFAULT_ANN_THRESHOLD = 50_000
EXACT_BELOW = 20_000  # allowed ids: fewer than this are scored exactly
# Lists probed per IVF query. Measured at 100k synthetic vectors derived from real embeddings,
# on the index ingest builds (IVF trained once at the threshold: ~900 lists): recall@10 against
# exact search 0.73 at 24, 0.90 at 64, 0.97 at 128, for 3.5 ms p50 at 128 against 26 ms for
# exact search (BENCHMARKS.md).
DEFAULT_NPROBE = 128


class VectorIndex:
    def __init__(
        self,
        data_dir: Path,
        dim: int | None,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        nprobe: int = DEFAULT_NPROBE,
        *,
        fresh: bool = False,
    ) -> None:
        """`fresh`: start empty even when the file exists (a rebuild saves over it)."""
        self.path = Path(data_dir) / VECTORS_FILE
        self.dim = dim
        self.ann_threshold = ann_threshold
        self.nprobe = nprobe
        self._lock = threading.RLock()
        if self.path.exists() and not fresh:
            self.index = _probe_in_parallel(faiss.read_index(str(self.path)))
            if dim is None:
                dim = self.dim = int(self.index.d)
            if self.index.d != dim:
                raise ValueError(
                    f"{self.path} holds {self.index.d}-d vectors but the embedder makes {dim}-d:"
                    " run `namnd reindex` after changing the embedder"
                )
        elif dim is None:
            raise ValueError("a new vector index needs the embedding dimension")
        else:
            self.index = _flat(dim)
        self.dirty = False
        self._ids: np.ndarray | None = None  # cached ids(), reset on every change

    @property
    def kind(self) -> str:
        return "ivf" if isinstance(_inner(self.index), faiss.IndexIVF) else "flat"

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        with self._lock:
            if self._ids is None:
                self._ids = self._read_ids()
            return self._ids

    def _read_ids(self) -> np.ndarray:
        with self._lock:
            inner = _inner(self.index)
            if isinstance(inner, faiss.IndexIVF):
                lists = inner.invlists
                parts = [
                    faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
                    for i in range(inner.nlist)
                    if lists.list_size(i)
                ]
                return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not len(ids):
            return
        with self._lock:
            self.index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )
            self.dirty = True
            self._ids = None
            if self.kind == "flat" and len(self) > self.ann_threshold:
                self.rebuild_ann()

    def remove(self, ids) -> None:
        ids = np.asarray(list(ids), dtype=np.int64)
        if not len(ids):
            return
        with self._lock:
            self.index.remove_ids(ids)
            self.dirty = True
            self._ids = None

    def rebuild_ann(self) -> None:
        """Retrain as IVF-Flat on the vectors held now (also after many changes)."""
        with self._lock:
            ids = self.ids()
            vectors = self.reconstruct(ids)
            nlist = max(16, int(4 * math.sqrt(len(ids))))
            quantizer = faiss.IndexFlatIP(self.dim)
            ivf = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            sample = vectors
            if len(vectors) > 256 * nlist:
                rng = np.random.default_rng(0)
                sample = vectors[rng.choice(len(vectors), 256 * nlist, replace=False)]
            ivf.train(sample)
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
            ivf.add_with_ids(vectors, ids)
            self.index = _probe_in_parallel(ivf)
            self.dirty = True
            self._ids = None

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        with self._lock:
            if not len(ids):
                return np.zeros((0, self.dim), dtype=np.float32)
            return self.index.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def save(self) -> None:
        with self._lock:
            if not self.dirty:
                return
            tmp = self.path.with_suffix(".tmp")
            faiss.write_index(self.index, str(tmp))
            tmp.replace(self.path)  # atomic: a crash leaves the old or the new file
            self.dirty = False

    def clear(self) -> None:
        with self._lock:
            self.index = _flat(self.dim)
            self.dirty = True
            self._ids = None

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(chunk_id, cosine) of the nearest `k`; `allowed` restricts to those chunk ids."""
        with self._lock:
            if not len(self) or k <= 0:
                return []
            q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
            if allowed is not None:
                allowed = np.asarray(allowed, dtype=np.int64)
                if not len(allowed):
                    return []
                if len(allowed) <= EXACT_BELOW or self.kind == "flat":
                    return self._exact_subset(q, allowed, k)
                params = faiss.SearchParametersIVF(
                    sel=faiss.IDSelectorBatch(allowed), nprobe=self.nprobe
                )
                distances, labels = self.index.search(q, k, params=params)
            elif self.kind == "ivf":
                params = faiss.SearchParametersIVF(nprobe=self.nprobe)
                distances, labels = self.index.search(q, k, params=params)
            else:
                distances, labels = self.index.search(q, k)
            return [
                (int(i), float(d)) for i, d in zip(labels[0], distances[0], strict=True) if i >= 0
            ]

    def _exact_subset(self, q: np.ndarray, allowed: np.ndarray, k: int) -> list[tuple[int, float]]:
        present = allowed[np.isin(allowed, self.ids())] if self.kind == "ivf" else allowed
        if self.kind == "flat":
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(present))
            distances, labels = self.index.search(q, k, params=params)
            return [
                (int(i), float(d)) for i, d in zip(labels[0], distances[0], strict=True) if i >= 0
            ]
        vectors = self.reconstruct(present)
        scores = vectors @ q[0]
        order = np.argsort(-scores)[:k]
        return [(int(present[i]), float(scores[i])) for i in order]


def _flat(dim: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def _probe_in_parallel(index: faiss.Index) -> faiss.Index:
    """An IVF index scans one query's probed lists on all FAISS threads (`parallel_mode` 1;
    the default splits only a batch of queries). Measured at 100k vectors, nprobe 128, 2
    threads: p50 2.3 ms -> 1.3 ms on an idle machine, unchanged with another process busy."""
    inner = _inner(index)
    if isinstance(inner, faiss.IndexIVF):
        inner.parallel_mode = 1
    return index


def _inner(index: faiss.Index) -> faiss.Index:
    return faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap2) else index
