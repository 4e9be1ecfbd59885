"""What the Milvus backend costs against the embedded one, side by side on one corpus
(`namnd bench --only backends --sizes 0`).

Both backends get the seed corpus (`corpus/*.txt`) and the vectors of the bench's embedded
corpus (its embedding cache: nothing is embedded again), then answer
the evaluation questions (`tests/data/eval.jsonl`) in each mode, the two backends alternating
query by query so that a noisy machine weighs on both alike: p50/p95 latency through the
`Searcher`, and throughput of `CLIENTS` threads sharing one `Searcher` for `SECONDS`.
Milvus runs on the data directory's own engine (a local gRPC server); a cluster adds the
network round trips of its deployment.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from index.datadir import DataDir
from index.embed import embed_pending
from ingest.pipeline import ingest_paths
from search.hybrid import Searcher

from .corpus import ROOT

ROUNDS = 3  # passes over the questions per backend
CLIENTS = 4  # threads sharing one Searcher for throughput
SECONDS = 10.0  # how long each backend's throughput is measured
MODES = ("bm25", "dense", "hybrid")


def _build(path: Path, backend: str, cache: DataDir) -> DataDir:
    data = DataDir(path, backend=backend)
    ingest_paths(data, sorted((ROOT / "corpus").glob("*.txt")), progress=False)
    rows = cache.store.query("SELECT model, hash, vector FROM embeddings")
    with data.store.transaction() as conn:
        conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)
        data.store.set_meta(conn, "embedder_name", cache.store.get_meta("embedder_name"))
    embed_pending(data.store, data.embedder, data.vectors, progress=False)
    return data


def _latency(searchers: dict[str, Searcher], questions: list[str], rounds: int) -> dict:
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for question in questions:
            for mode in MODES:
                for name, searcher in searchers.items():
                    started = time.perf_counter()
                    searcher.search(question, limit=10, mode=mode)
                    times.setdefault((name, mode), []).append(time.perf_counter() - started)
    return {
        f"{name} {mode}": {
            "p50_ms": round(float(np.percentile(t, 50)) * 1000, 1),
            "p95_ms": round(float(np.percentile(t, 95)) * 1000, 1),
        }
        for (name, mode), t in times.items()
    }


def _throughput(searcher: Searcher, questions: list[str], clients: int, seconds: float) -> float:
    done = [0] * clients
    deadline = time.monotonic() + seconds

    def client(i: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            searcher.search(questions[(i + n) % len(questions)], limit=10)
            n += 1
        done[i] = n

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return round(sum(done) / seconds, 1)


def run(corpus: Path, questions: list, log=print) -> dict:
    """Both backends over the corpus of the embedded data directory `corpus`."""
    cache = DataDir(corpus, readonly=True)
    with tempfile.TemporaryDirectory() as work:
        built = {name: _build(Path(work) / name, name, cache) for name in ("embedded", "milvus")}
        searchers = {name: Searcher(data) for name, data in built.items()}
        for searcher in searchers.values():  # warm: model, indexes, collection loaded
            searcher.search(questions[0], limit=10)
        log(f"backends: {len(questions)} questions x {ROUNDS} rounds, alternating")
        report = {
            "chunks": built["embedded"].bm25.count(),
            "questions": len(questions),
            "latency": _latency(searchers, questions, ROUNDS),
            "hybrid_queries_per_s": {
                name: _throughput(searcher, questions, CLIENTS, SECONDS)
                for name, searcher in searchers.items()
            },
            "clients": CLIENTS,
        }
        for data in built.values():
            data.close()
    cache.close()
    return report


def section(results: dict, opts) -> str:
    """The BENCHMARKS.md section: latency per mode and throughput, embedded vs Milvus."""
    from .fmt import reproduce

    found = results.get("backends")
    if not found:
        return ""
    latency = found["latency"]
    rows = []
    for mode in MODES:
        cells = [
            f"{latency[f'{b} {mode}']['p50_ms']:.1f} / {latency[f'{b} {mode}']['p95_ms']:.1f} ms"
            for b in ("embedded", "milvus")
        ]
        rows.append(f"| {mode} | {cells[0]} | {cells[1]} |")
    qps = found["hybrid_queries_per_s"]
    return "\n".join(
        [
            f"The seed corpus ({found['chunks']} chunks) on both backends, "
            f"{found['questions']} evaluation questions per mode, the backends alternating "
            "query by query; p50 / p95 through the `Searcher` (Milvus on the data directory's "
            "own engine):\n",
            "| mode | embedded | Milvus |",
            "|---|---|---|",
            *rows,
            f"| hybrid throughput, {found['clients']} threads on one `Searcher` | "
            f"{qps['embedded']:.1f} queries/s | {qps['milvus']:.1f} queries/s |",
            "",
            reproduce(opts, "backends", extra="--sizes 0"),
        ]
    )
