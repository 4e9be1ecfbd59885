"""BM25 speed against `rank-bm25` (and `bm25s` for reference) on the same chunks, the same
analyzer tokens and the same queries, measured interleaved in one process."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from index.datadir import DataDir
from index.embed import place
from index.embedder import set_threads

from .measure import rss_mb, stats

K1, B = 1.2, 0.75  # tantivy's BM25 parameters; the others are set to match


def compare(data_dir: Path, queries: list[str]) -> dict[str, Any]:
    set_threads(1)
    from rank_bm25 import BM25Okapi

    data = DataDir(data_dir, readonly=True)
    analyzer = data.analyzer
    rows = data.store.query("SELECT id, kommun, namnd, paragraf, rubrik, text FROM chunks")
    started = time.perf_counter()
    ids = np.asarray([r["id"] for r in rows], dtype=np.int64)
    corpus = [
        [
            t.term
            for t in analyzer.tokens(place(r["kommun"], r["namnd"], r["paragraf"], r["rubrik"]))
        ]
        + [t.term for t in analyzer.tokens(r["text"])]
        for r in rows
    ]
    out: dict[str, Any] = {"chunks": len(rows), "tokenize_s": time.perf_counter() - started}
    before = rss_mb()
    started = time.perf_counter()
    okapi = BM25Okapi(corpus, k1=K1, b=B)
    out["rank_bm25_build_s"] = time.perf_counter() - started
    out["rank_bm25_mb"] = rss_mb() - before
    engines: dict[str, Any] = {
        "tantivy": lambda q: data.bm25.search(q, 10),
        "rank-bm25": lambda q: _okapi_top(okapi, ids, analyzer.query_terms(q)),
    }
    retriever = _bm25s(corpus, out)
    if retriever is not None:
        engines["bm25s"] = lambda q: _bm25s_top(retriever, ids, analyzer.query_terms(q))
    del corpus
    for engine in engines.values():
        engine(queries[0])
    times: dict[str, list[float]] = {name: [] for name in engines}
    tops: dict[str, list[list[int]]] = {name: [] for name in engines}
    for query in queries:
        for name, engine in engines.items():
            started = time.perf_counter()
            found = engine(query)
            times[name].append((time.perf_counter() - started) * 1000)
            tops[name].append([int(i) for i, _ in found][:10])
    out["latency"] = {name: stats(values) for name, values in times.items()}
    out["qps"] = {name: len(queries) / (sum(values) / 1000) for name, values in times.items()}
    out["ratio_vs_rank_bm25"] = {
        name: out["qps"][name] / out["qps"]["rank-bm25"] for name in engines
    }
    out["top10_overlap_with_tantivy"] = {
        name: _overlap(tops["tantivy"], tops[name]) for name in engines if name != "tantivy"
    }
    data.close()
    return out


def _okapi_top(okapi, ids: np.ndarray, terms: list[str]) -> list[tuple[int, float]]:
    if not terms:
        return []
    scores = okapi.get_scores(terms)
    top = np.argpartition(-scores, min(10, len(scores) - 1))[:10]
    top = top[np.argsort(-scores[top])]
    return [(int(ids[i]), float(scores[i])) for i in top if scores[i] > 0]


def _bm25s(corpus: list[list[str]], out: dict[str, Any]):
    try:
        import bm25s
    except ImportError:  # the `bench` extra; without it the table shows rank-bm25 and tantivy
        return None
    before = rss_mb()
    started = time.perf_counter()
    retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
    retriever.index(corpus, show_progress=False)
    out["bm25s_build_s"] = time.perf_counter() - started
    out["bm25s_mb"] = rss_mb() - before
    return retriever


def _bm25s_top(retriever, ids: np.ndarray, terms: list[str]) -> list[tuple[int, float]]:
    known = [t for t in terms if t in retriever.vocab_dict]
    if not known:
        return []
    docs, scores = retriever.retrieve([known], k=10, show_progress=False, n_threads=1)
    return [(int(ids[d]), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


def _overlap(a: list[list[int]], b: list[list[int]]) -> float:
    """Mean share of tantivy's top-10 that the other engine also returns in its top-10."""
    shares = [len(set(x) & set(y)) / len(x) for x, y in zip(a, b, strict=True) if x]
    return float(np.mean(shares)) if shares else float("nan")
