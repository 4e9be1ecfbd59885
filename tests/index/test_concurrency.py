"""Concurrency: searching a data directory while another process ingests into it, and the
API under concurrent clients on loopback. Bounded in time; no speed assertions (speed is
`namnd bench`'s job)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from support import docgen
from support.live_server import serve
from support.paths import ROOT
from support.seeds import seed_path

from index.datadir import DataDir
from search.hybrid import Searcher

INGEST = """
import sys
from pathlib import Path
from index.datadir import DataDir
from ingest.pipeline import ingest_paths
from ingest.readers import Limits
data = DataDir(Path(sys.argv[1]))
summary = ingest_paths(data, [Path(p) for p in sys.argv[2:]], limits=Limits(max_seconds=None),
                       progress=False)
data.close()
print(summary.count("ingested"))
"""
QUERIES = ["socialnämnden", "vräkning", "beslut", "delårsrapport", "yttrande"]


@pytest.fixture()
def data_dir(ingested, tmp_path) -> Path:
    path = tmp_path / "data"
    shutil.copytree(ingested.path, path)
    return path


def check_consistent(data: DataDir, searcher: Searcher, query: str) -> int:
    """One search; every BM25 hit and every result is a chunk in the store. Returns the
    number of chunks in the store."""
    data.refresh()
    hits = data.bm25.search(query, 200)
    results = searcher.search(query, limit=50, mode="bm25").results
    ids = {chunk_id for chunk_id, _ in hits} | {r["chunk_id"] for r in results}
    if ids:
        marks = ",".join("?" * len(ids))
        found = data.store.scalar(f"SELECT count(*) FROM chunks WHERE id IN ({marks})", ids)
        assert found == len(ids), "a search returned a chunk the store does not hold"
    return data.store.scalar("SELECT count(*) FROM chunks")


def test_searching_while_another_process_ingests(data_dir, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    files = [
        docgen.write_html(seed_path("000").read_text(encoding="utf-8"), batch / "000.html"),
        docgen.write_docx(seed_path("001").read_text(encoding="utf-8"), batch / "001.docx"),
        docgen.write_html(seed_path("002").read_text(encoding="utf-8"), batch / "002.html"),
        docgen.write_html(seed_path("004").read_text(encoding="utf-8"), batch / "004.html"),
    ]
    before = DataDir(data_dir, readonly=True)
    start_chunks = before.store.scalar("SELECT count(*) FROM chunks")
    before.close()
    ingest = subprocess.Popen(
        [sys.executable, "-c", INGEST, str(data_dir), *map(str, files)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    long_lived = DataDir(data_dir, readonly=True)  # as the API keeps it open
    long_searcher = Searcher(long_lived)
    counts = [start_chunks]
    rounds = 0
    try:
        while ingest.poll() is None:
            fresh = DataDir(data_dir, readonly=True)
            try:
                query = QUERIES[rounds % len(QUERIES)]
                counts.append(check_consistent(fresh, Searcher(fresh), query))
                counts.append(check_consistent(long_lived, long_searcher, query))
            finally:
                fresh.close()
            rounds += 1
        out, err = ingest.communicate(timeout=300)
        assert ingest.returncode == 0, err[-2000:]
        assert out.strip() == str(len(files))
        assert rounds > 0
        print(f"{rounds} rounds of searches while {len(files)} files were ingested")
        assert counts == sorted(counts), "the number of chunks went down during the ingest"
        final = check_consistent(long_lived, long_searcher, "socialnämnden")
        assert final > start_chunks
        stored = {row[0] for row in long_lived.store.query("SELECT id FROM chunks")}
        assert stored == long_lived.bm25.all_ids()
        # The new documents are searchable (BM25 hits; results fold the HTML copy of a seed
        # into "other places" of the text version).
        hit_ids = [chunk_id for chunk_id, _ in long_lived.bm25.search("Farsta", 200)]
        marks = ",".join("?" * len(hit_ids))
        documents = long_lived.store.query(
            f"SELECT DISTINCT d.filename FROM chunks c JOIN documents d ON d.id = c.document_id"
            f" WHERE c.id IN ({marks})",
            hit_ids,
        )
        assert {row[0] for row in documents} >= {"002.html", seed_path("002").name}
    finally:
        if ingest.poll() is None:
            ingest.kill()
            ingest.wait()
        long_lived.close()


CLIENTS = 20
SECONDS = 5.0
PATHS = [
    ("/api/search", {"q": "vräkning", "mode": "bm25"}),
    ("/api/search", {"q": "socialnämnden beslutar", "mode": "bm25", "kommun": "Katrineholm"}),
    ("/api/documents", {}),
    ("/api/documents/1", {}),
    ("/health", {}),
    ("/api/arenden", {"limit": 5}),
    ("/static/app.js", {}),
]


def test_the_api_serves_concurrent_clients_without_errors(ingested):
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    lock = threading.Lock()

    def client(number: int, base_url: str) -> None:
        deadline = time.monotonic() + SECONDS
        with httpx.Client(base_url=base_url, timeout=60) as http:
            turn = number
            while time.monotonic() < deadline:
                path, params = PATHS[turn % len(PATHS)]
                turn += 1
                try:
                    response = http.get(path, params=params)
                except httpx.HTTPError as error:
                    with lock:
                        errors.append(f"{path}: {type(error).__name__}")
                    continue
                with lock:
                    statuses[response.status_code] += 1

    with serve(ingested.path) as base_url, ThreadPoolExecutor(CLIENTS) as pool:
        for future in [pool.submit(client, n, base_url) for n in range(CLIENTS)]:
            future.result()
    assert errors == []
    assert set(statuses) == {200}, statuses
    assert statuses[200] >= CLIENTS
    print(f"{statuses[200]} requests by {CLIENTS} clients in {SECONDS:g} s, all 200")
