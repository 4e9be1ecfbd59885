"""FAISS at a million vectors. The vectors are synthetic (mixes of 1-6 real corpus chunk
embeddings plus noise, with no text behind them); the queries are real query embeddings.
The index is built the way ingest builds it (`VectorIndex.add` in batches of 900: flat up to
`ann_threshold`, then IVF trained once and filled); a full `rebuild_ann` at this size is
optional (minutes on this machine)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from index.embedder import set_threads
from index.vectors import VectorIndex

from .latency import compare_indexes
from .measure import peak_rss_mb, size_mb
from .synth import random_mix_sources, synthetic_vectors

BATCH = 900  # as index.embed.sync_vectors


def million(
    n: int, base_file: Path, queries_file: Path, noise: float, seed: int, rebuild: bool
) -> dict[str, Any]:
    set_threads(1)
    base = np.load(base_file)
    query_vectors = np.load(queries_file)
    out: dict[str, Any] = {"vectors": n, "synthetic": True}
    started = time.perf_counter()
    vectors = synthetic_vectors(random_mix_sources(n, len(base), seed), base, noise, seed)
    out["synthesize_s"] = time.perf_counter() - started
    ids = np.arange(1, n + 1, dtype=np.int64)
    directory = Path(tempfile.mkdtemp(prefix="namnd-1m-"))
    index = VectorIndex(directory, vectors.shape[1])
    started = time.perf_counter()
    for first in range(0, n, BATCH):
        index.add(ids[first : first + BATCH], vectors[first : first + BATCH])
    out["build_s"] = time.perf_counter() - started
    out["kind"] = index.kind
    started = time.perf_counter()
    index.save()
    out["save_s"] = time.perf_counter() - started
    out["faiss_mb"] = size_mb(index.path)
    out["compare"] = compare_indexes(ids, vectors, query_vectors, index, rebuild=rebuild)
    out["peak_rss_mb"] = peak_rss_mb()
    index.path.unlink(missing_ok=True)
    return out
