"""What the Milvus backend costs against the embedded one, side by side on one corpus.

    python -m search.bench.backends --cache DATA_DIR [--rounds 3] [--clients 4] [--seconds 10]

Both backends get the seed corpus (`corpus/*.txt`) and the vectors of DATA_DIR's embedding
cache (an embedded data directory of the same corpus: nothing is embedded again), then answer
the evaluation questions (`tests/data/eval.jsonl`) in each mode, the two backends alternating
query by query so that a noisy machine weighs on both alike: p50/p95 latency through the
`Searcher`, and throughput of `--clients` threads sharing one `Searcher` for `--seconds`.
Milvus runs on the data directory's own engine (a local gRPC server); a cluster adds the
network round trips of its deployment.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from index.datadir import DataDir
from index.embed import embed_pending
from ingest.pipeline import ingest_paths
from search.hybrid import Searcher

ROOT = Path(__file__).resolve().parents[2]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, required=True, help="embedded data directory")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    questions = [
        json.loads(line)["question"]
        for line in (ROOT / "tests" / "data" / "eval.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    cache = DataDir(args.cache, readonly=True)
    with tempfile.TemporaryDirectory() as work:
        built = {name: _build(Path(work) / name, name, cache) for name in ("embedded", "milvus")}
        searchers = {name: Searcher(data) for name, data in built.items()}
        for searcher in searchers.values():  # warm: model, indexes, collection loaded
            searcher.search(questions[0], limit=10)
        report = {
            "chunks": built["embedded"].bm25.count(),
            "questions": len(questions),
            "latency": _latency(searchers, questions, args.rounds),
            "hybrid_queries_per_s": {
                name: _throughput(searcher, questions, args.clients, args.seconds)
                for name, searcher in searchers.items()
            },
            "clients": args.clients,
        }
        for data in built.values():
            data.close()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
