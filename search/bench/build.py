"""Build a synthetic data directory of a given size and time each indexing step.

Steps, timed separately: generating text, parsing it with the real parser, storing it in
SQLite (with near-duplicate detection, as ingest does), BM25 indexing (tantivy add+commit of
every chunk), and the vectors: synthetic ones derived from real corpus embeddings, written to
the embedding cache and brought into FAISS by the real `sync_vectors` (flat below
`ann_threshold`, IVF above). Runs in its own process (see `measure.in_subprocess`).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np

from index.datadir import DataDir
from index.embed import sync_vectors
from index.embedder import set_threads
from index.vectors import VectorIndex
from ingest.dedup import bands, is_duplicate
from ingest.parse import PARSER_VERSION
from ingest.prepare import embed_hash

from .measure import peak_rss_mb, size_mb
from .synth import (
    Generator,
    SentencePool,
    chunk_sources,
    parse_generated,
    similarity_profile,
    synthetic_vectors,
)

BASE_VECTORS = "corpus_vectors.npy"  # real embeddings of the corpus chunks, in pool order


def build(
    corpus_files: list[Path],
    data_dir: Path,
    size: int,
    seed: int,
    vectors_dir: Path | None,
    model_name: str,
    noise: float,
) -> dict[str, Any]:
    """Generate and index about `size` chunks into `data_dir`; returns timings and sizes.
    Without `vectors_dir` (no real embeddings available) no vectors are built."""
    set_threads(1)
    out: dict[str, Any] = {"size_requested": size}
    pool = SentencePool.from_corpus(corpus_files)
    out["pool"] = {
        "sentences": pool.n_sentences(),
        "rubriks": len(pool.rubriks),
        "corpus_chunks": len(pool.sources),
    }
    generator = Generator(pool, seed)
    generated = parsed_docs = 0.0
    docs = []
    n_chunks = 0
    sources: list[list[int]] = []
    while n_chunks < size:
        started = time.perf_counter()
        doc = generator.document(len(docs))
        middle = time.perf_counter()
        parsed = parse_generated(doc)
        generated += middle - started
        parsed_docs += time.perf_counter() - middle
        sources += chunk_sources(doc, parsed)
        docs.append((doc, parsed))
        n_chunks += len(parsed.chunks)
    out["documents"] = len(docs)
    out["chunks"] = n_chunks
    out["paragraphs"] = sum(len(p.paragraphs) for _, d in docs for p in d.parts)
    out["chars"] = sum(len(d.text) for _, d in docs)
    out["generate_s"] = generated
    out["parse_s"] = parsed_docs
    out["parse_chunks_per_s"] = n_chunks / parsed_docs

    data = DataDir(data_dir)
    data.record_settings()
    store = data.store
    timers = {"band_candidates_s": 0.0, "same_text_s": 0.0, "links_s": 0.0}
    store.band_candidates = _timed(store.band_candidates, timers, "band_candidates_s")
    store._link_duplicate_paragraphs = _timed(store._link_duplicate_paragraphs, timers, "links_s")
    same_text = _timed(is_duplicate, timers, "same_text_s")
    started = time.perf_counter()
    windows: list[tuple[int, float]] = []  # (chunks stored, chunks/s over the last window)
    window_start, window_chunks, stored = started, 0, 0
    for number, (doc, parsed) in enumerate(docs):
        hashes = [embed_hash(parsed, chunk) for chunk in parsed.chunks]
        with store.transaction() as conn:
            store.insert_document(
                conn,
                parsed,
                source=str(data_dir / "generated" / doc.name),
                filename=doc.name,
                fmt="text",
                content_hash=hashlib.sha256(f"{seed}:{number}".encode()).hexdigest(),
                source_url=None,
                parser_version=PARSER_VERSION,
                bands=[bands(chunk.text) for chunk in parsed.chunks],
                embed_hashes=hashes,
                same_text=same_text,
            )
        stored += len(parsed.chunks)
        window_chunks += len(parsed.chunks)
        if window_chunks >= max(1000, n_chunks // 10) or number == len(docs) - 1:
            now = time.perf_counter()
            windows.append((stored, window_chunks / (now - window_start)))
            window_start, window_chunks = now, 0
    out["store_s"] = time.perf_counter() - started
    out["store_chunks_per_s"] = n_chunks / out["store_s"]
    out["store_windows"] = windows
    out["store_parts"] = timers
    with store.transaction() as conn:
        store.set_meta(conn, "embedder_name", model_name)
    groups = store.query(
        "SELECT count(*) AS n FROM chunks GROUP BY dup_group HAVING n > 1 ORDER BY n DESC"
    )
    out["dup_groups"] = {
        "groups": len(groups),
        "chunks": sum(r["n"] for r in groups),
        "largest": groups[0]["n"] if groups else 1,
    }
    del docs

    analyzer = data.analyzer
    analyzer.tokens("Socialnämnden barnfamiljer vräkningsförebyggande")  # loads hunspell-sv
    rows = store.query("SELECT id, embed_hash FROM chunks ORDER BY id")
    started = time.perf_counter()
    indexed = data.indexed_chunks([r["id"] for r in rows])  # as ingest and reindex do
    out["bm25_rows_s"] = time.perf_counter() - started
    sample = indexed[:: max(1, len(indexed) // 2000)]
    started = time.perf_counter()
    for chunk in sample:
        analyzer.tokens(chunk.context)
        analyzer.tokens(chunk.text)
    out["analyzer_chunks_per_s"] = len(sample) / (time.perf_counter() - started)
    bm25 = data.bm25
    started = time.perf_counter()
    bm25.add(indexed)
    added = time.perf_counter()
    bm25.commit()
    out["bm25_add_s"] = added - started
    out["bm25_commit_s"] = time.perf_counter() - added
    out["bm25_s"] = time.perf_counter() - started
    out["bm25_chunks_per_s"] = n_chunks / out["bm25_s"]
    del indexed

    if vectors_dir is not None:
        base = np.load(vectors_dir / BASE_VECTORS)
        started = time.perf_counter()
        vectors = synthetic_vectors(sources, base, noise, seed)
        out["synthesize_vectors_s"] = time.perf_counter() - started
        out["similarity"] = {
            "real": similarity_profile(base),
            "synthetic": similarity_profile(vectors),
            "noise": noise,
        }
        hashes = [r["embed_hash"] for r in rows]
        started = time.perf_counter()
        with store.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?, ?, ?)",
                [(model_name, h, v.tobytes()) for h, v in zip(hashes, vectors, strict=True)],
            )
        out["embeddings_insert_s"] = time.perf_counter() - started
        index = VectorIndex(data_dir, vectors.shape[1])
        started = time.perf_counter()
        sync_vectors(store, model_name, index)
        out["faiss_sync_s"] = time.perf_counter() - started
        out["faiss_kind"] = index.kind
        out["faiss_nlist"] = int(index.index.nlist) if index.kind == "ivf" else None
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    embeddings_mb = (store.scalar("SELECT sum(length(vector)) FROM embeddings") or 0) / 2**20
    data.close()
    out["disk_mb"] = {
        "sqlite": size_mb(data_dir / "namnd.sqlite"),
        "sqlite_embeddings": embeddings_mb,
        "bm25": size_mb(data_dir / "bm25"),
        "faiss": size_mb(data_dir / "vectors.faiss"),
    }
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _timed(fn, timers: dict[str, float], key: str):
    """`fn`, adding the seconds spent in it to `timers[key]`."""

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timers[key] += time.perf_counter() - started

    return wrapper
