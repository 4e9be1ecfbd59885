"""Query latency over a built data directory: BM25, dense and hybrid through the real
`Searcher.find` (query embedding included, with the default threads), a profile of the
chunk ranking path (`Searcher.rank`, whose retrievers find shares), and FAISS flat vs IVF
(latency and recall@10 against exact search, one thread). Runs in its own process.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.datadir import DataDir
from index.embedder import DEFAULT_THREADS, set_threads
from index.vectors import VectorIndex
from search.hybrid import Searcher
from search.query import parse_query

from .measure import peak_rss_mb, stats

NPROBES = (1, 2, 4, 8, 16, 24, 32, 64, 128)
WARMUP = 5


def query_latency(
    data_dir: Path,
    queries: list[str],
    vectors_file: Path | None,
    modes: tuple[str, ...] | list[str] = ("bm25", "dense", "hybrid"),
    kinds: list[str] | None = None,
) -> dict[str, Any]:
    """Latencies at one size; `vectors_file` holds the query vectors (for raw FAISS runs);
    `kinds` names each query's kind (question, keywords, fragment) for latencies by kind."""
    set_threads(DEFAULT_THREADS)
    data = DataDir(data_dir, readonly=True)
    searcher = Searcher(data)
    dense = bool(data.store.get_meta("embedder_name")) and (data_dir / "vectors.faiss").exists()
    out: dict[str, Any] = {
        "chunks": int(data.store.scalar("SELECT count(*) FROM chunks")),
        "threads": DEFAULT_THREADS,
    }
    modes = [m for m in modes if dense or m == "bm25"]
    searchers = {mode: (searcher, mode) for mode in modes}
    flat_searcher = None
    if dense:
        out["faiss_kind"] = data.vectors.kind
        out["nprobe"] = data.vectors.nprobe
        if data.vectors.kind == "ivf":
            flat_searcher = Searcher(_with_flat(data_dir, data))
            for mode in ("dense", "hybrid"):
                if mode in modes:
                    searchers[f"{mode}-flat"] = (flat_searcher, mode)
    for query in queries[:WARMUP]:
        for s, mode in searchers.values():
            s.find(query, limit=10, mode=mode)
    times: dict[str, list[float]] = {name: [] for name in searchers}
    for query in queries:  # interleaved: every setting sees the same moments of noise
        for name, (s, mode) in searchers.items():
            s._query_vectors.clear()  # query embedding is part of the latency
            started = time.perf_counter()
            s.find(query, limit=10, mode=mode)
            times[name].append((time.perf_counter() - started) * 1000)
    out["latency"] = {name: stats(values) for name, values in times.items()}
    if kinds:
        out["by_kind"] = {
            name: {
                kind: stats([t for t, k in zip(values, kinds, strict=True) if k == kind])
                for kind in dict.fromkeys(kinds)
            }
            for name, values in times.items()
        }
    if "hybrid" in modes:
        out["hybrid_profile"] = _profile(searcher, queries)
    out["peak_rss_mb"] = peak_rss_mb()
    if "dense" in modes and vectors_file is not None:
        out["faiss"] = faiss_runs(data, np.load(vectors_file))
    data.close()
    return out


def _with_flat(data_dir: Path, data: DataDir) -> DataDir:
    """A second view of the data directory whose vectors are an exact (flat) index."""
    other = DataDir(data_dir, readonly=True)
    ids = data.vectors.ids()
    flat = VectorIndex(Path(tempfile.mkdtemp()), data.vectors.dim, ann_threshold=10**12)
    flat.add(ids, data.vectors.reconstruct(ids))
    other.__dict__["vectors"] = flat
    other.__dict__["embedder"] = data.embedder
    return other


PROFILE_STEPS = ("lexical", "wait", "dense", "fuse", "cards", "facets", "present", "suggest")


def _profile(searcher: Searcher, queries: list[str]) -> dict[str, dict[str, float]]:
    """Median and p95 of each step of `Searcher.find` in hybrid mode (its `timings`): the
    query embeds on the embedder's thread while the lexical side runs, then the search
    waits for the vector. `embed` is the query embedding alone, timed before each search;
    `cached` the same search again with the query's vector cached (everything but the
    embedding)."""
    steps: dict[str, list[float]] = {k: [] for k in ("embed", *PROFILE_STEPS, "total", "cached")}
    for text in queries:
        searcher._query_vectors.clear()
        started = time.perf_counter()
        searcher.embed_query(parse_query(text).text)
        steps["embed"].append((time.perf_counter() - started) * 1000)
        searcher._query_vectors.clear()
        timings: dict[str, float] = {}
        started = time.perf_counter()
        searcher.find(text, limit=10, timings=timings)
        steps["total"].append((time.perf_counter() - started) * 1000)
        for name in PROFILE_STEPS:
            steps[name].append(timings.get(name, 0.0))
        started = time.perf_counter()
        searcher.find(text, limit=10)
        steps["cached"].append((time.perf_counter() - started) * 1000)
    return {name: stats(values) for name, values in steps.items()}


def faiss_runs(data: DataDir, query_vectors: np.ndarray) -> dict[str, Any]:
    """Raw FAISS: exact (flat) vs IVF at several nprobe, single queries on one thread;
    recall@10 and recall@100 against the exact result (ties at the cut-off count as found)."""
    faiss.omp_set_num_threads(1)
    ids = data.vectors.ids()
    vectors = data.vectors.reconstruct(ids)
    return compare_indexes(ids, vectors, query_vectors, data.vectors)


def compare_indexes(
    ids: np.ndarray,
    vectors: np.ndarray,
    query_vectors: np.ndarray,
    built: VectorIndex | None = None,
    rebuild: bool = True,
) -> dict[str, Any]:
    faiss.omp_set_num_threads(1)
    out: dict[str, Any] = {"vectors": len(ids)}
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    exact_scores = []
    exact_ms = []
    for q in query_vectors:
        started = time.perf_counter()
        scores, _ = flat.search(q.reshape(1, -1), 100)
        exact_ms.append((time.perf_counter() - started) * 1000)
        exact_scores.append(scores[0])
    out["flat"] = stats(exact_ms)
    variants: dict[str, VectorIndex] = {}
    if built is not None and built.kind == "ivf":
        variants["ivf (as built by ingest)"] = built
    if rebuild:
        started = time.perf_counter()
        rebuilt = VectorIndex(Path(tempfile.mkdtemp()), vectors.shape[1], ann_threshold=10**12)
        rebuilt.add(ids, vectors)
        rebuilt.rebuild_ann()
        out["ivf_rebuild_s"] = time.perf_counter() - started
        variants["ivf (rebuilt at this size)"] = rebuilt
    for name, index in variants.items():
        rows = []
        for nprobe in NPROBES:
            index.nprobe = nprobe
            ms, r10, r100 = [], [], []
            for q, exact in zip(query_vectors, exact_scores, strict=True):
                started = time.perf_counter()
                found = index.search(q, 100)
                ms.append((time.perf_counter() - started) * 1000)
                scores = np.asarray([s for _, s in found], dtype=np.float32)
                r10.append(_recall(scores[:10], exact[:10]))
                r100.append(_recall(scores, exact))
            rows.append(
                {
                    "nprobe": nprobe,
                    "latency": stats(ms),
                    "recall@10": float(np.mean(r10)),
                    "recall@100": float(np.mean(r100)),
                }
            )
        out[name] = {"nlist": int(index.index.nlist), "runs": rows}
    return out


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact top-k that the approximate top-k matches, by score (so ties with
    the k-th exact score count as found)."""
    if not len(exact):
        return 1.0
    cutoff = exact[-1] - 1e-5
    return min(1.0, float(np.sum(found >= cutoff)) / len(exact))
