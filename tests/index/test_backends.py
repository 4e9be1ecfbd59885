"""Both backends under the load a newsroom or an archive puts on them: `namnd check` finds
and repairs the same faults on each, a reindex while ten clients poll search is invisible to
them (no error, no empty answer), and two `namnd serve` processes on one existing Milvus
server answer the same queries identically.

The "existing" Milvus server is the milvus-lite 2.5.1 engine started by the `external_milvus`
fixture; vectors are moved from the `embedded` fixture's cache, not computed again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from support.live_server import serve
from support.paths import ROOT, SEEDS
from support.store import copy_embeddings, use_milvus_server

from index.check import check, repair
from index.datadir import DataDir
from index.embed import embed_pending
from index.filters import Filters
from ingest.pipeline import ingest_paths

pytest.importorskip("pymilvus")

QUERIES = ["vistelseförbud", "ekonomiskt bistånd", "revisionsrapport granskning", "barn och unga"]
CLIENTS = 10
LIMIT = 300.0  # seconds: a bound on waiting for a subprocess, not a performance assertion


def _data_dir(path: Path, backend: str, uri: str | None, seeds: list[Path]) -> DataDir:
    if uri is not None:
        use_milvus_server(path, uri)
    data = DataDir(path, backend=backend)
    summary = ingest_paths(data, seeds, progress=False)
    assert summary.count("ingested") == len(seeds), [r.reason for r in summary.results]
    return data


@pytest.fixture(params=["embedded", "milvus"])
def small(request, tmp_path, external_milvus):
    """Two seed documents on each backend (Milvus: the existing server), not embedded."""
    uri = external_milvus if request.param == "milvus" else None
    data = _data_dir(tmp_path / "data", request.param, uri, SEEDS[:2])
    yield data
    data.close()


def test_check_finds_and_repairs_an_index_fault_on_each_backend(small):
    report = check(small)
    assert report.ok, [p.code for p in report.problems]
    stored = sorted(r[0] for r in small.store.query("SELECT id FROM chunks"))
    assert report.counts["bm25"] == len(stored) > 50
    lost = stored[:3]
    small.bm25.delete(lost)
    small.bm25.commit()
    report = check(small)
    assert not report.ok
    (missing,) = [p for p in report.problems if p.code == "bm25_missing"]
    assert missing.count == 3 and missing.sample == lost and missing.repairable
    fixed = repair(small)
    assert fixed["bm25_added"] == 3
    assert check(small).ok
    assert {i for i, _ in small.bm25.search("nämnden", 1000, Filters())} & set(lost)


# --- reindex under load ------------------------------------------------------------------


def _get(url: str) -> tuple[int, dict | None]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None
    except (OSError, ValueError) as error:  # refused, reset, timed out, not JSON
        return -1, {"error": repr(error)}


def _poll(base: str, stop: threading.Event, outcomes: list, index: int) -> None:
    n = 0
    while not stop.is_set():
        query = QUERIES[(index + n) % len(QUERIES)]
        n += 1
        status, body = _get(f"{base}/api/search?{urllib.parse.urlencode({'q': query})}")
        outcomes.append((status, len((body or {}).get("results") or []), query))


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=LIMIT,
    )


@pytest.mark.parametrize("backend", ["embedded", "milvus"])
def test_reindex_while_ten_clients_search_gives_no_error_and_no_empty_answer(
    tmp_path, embedded, backend
):
    data = _data_dir(tmp_path / "data", backend, None, SEEDS[:2])
    copy_embeddings(embedded, data)
    assert embed_pending(data.store, data.embedder, data.vectors, progress=False).embedded == 0
    data.close()
    outcomes: list[tuple[int, int, str]] = []
    stop = threading.Event()
    with serve(tmp_path / "data") as base:
        threads = [
            threading.Thread(target=_poll, args=(base, stop, outcomes, i)) for i in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        try:
            before = len(outcomes)
            for _ in range(2):  # the second also drops what the first left behind
                run = _run(["reindex", "--data-dir", str(tmp_path / "data"), "--quiet"])
                assert run.returncode == 0, run.stderr
            during = len(outcomes) - before
            time.sleep(1.0)  # and a moment after the switch
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=LIMIT)
    errors = [o for o in outcomes if o[0] != 200]
    empty = [o for o in outcomes if o[0] == 200 and o[1] == 0]
    assert during >= CLIENTS, during  # the clients did search while the reindex ran
    assert errors == [] and empty == [], (errors[:5], empty[:5], len(outcomes))
    after = DataDir(tmp_path / "data", readonly=True)
    try:
        assert check(after).ok
        if backend == "embedded":
            assert after.store.get_meta("bm25_dir") == "bm25.2"
            assert sorted(p.name for p in (tmp_path / "data").glob("bm25*")) == [
                "bm25.1",
                "bm25.2",
            ]
        else:
            live = after.store.get_meta("milvus_collection")
            assert live.endswith("_v2")
            ours = [c for c in after.bm25.collections() if c.startswith(live[:-3])]
            assert sorted(ours) == [f"{live[:-3]}_v1", live]
    finally:
        after.close()


# --- several API servers on one existing Milvus ---------------------------------------------


def _serve_process(data_dir: Path, port: int) -> subprocess.Popen:
    command = ["serve", "--data-dir", str(data_dir), "--port", str(port)]
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_up(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + LIMIT
    while _get(f"{base}/api/documents")[0] != 200:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert time.monotonic() < deadline, "namnd serve did not start"
        time.sleep(0.2)


def test_two_serve_processes_on_one_existing_milvus_answer_identically(
    tmp_path, milvus_embedded, external_milvus
):
    path = milvus_embedded.path
    assert json.loads((path / "milvus.json").read_text())["uri"] == external_milvus
    ports = [_free_port(), _free_port()]
    procs = [_serve_process(path, port) for port in ports]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, proc in zip(bases, procs, strict=True):
            _wait_up(base, proc)
        requests = [
            f"/api/search?{urllib.parse.urlencode({'q': q, 'mode': mode})}"
            for q in [*QUERIES, '"information på annat sätt"']
            for mode in ("hybrid", "bm25", "dense")
        ]
        requests += [
            "/api/search?" + urllib.parse.urlencode({"q": "yttrande", "kommun": "Eskilstuna"}),
            "/api/ask?" + urllib.parse.urlencode({"q": "Vem reserverade sig mot vistelseförbud?"}),
        ]
        for request in requests:
            first, second = (_get(base + request) for base in bases)
            assert first[0] == second[0] == 200, request
            assert first[1] == second[1], request
            # (a quoted phrase in dense mode alone may fall under the cosine cutoff: both
            # servers must still agree, as asserted above)
            phrase_dense = "%22" in request and "mode=dense" in request
            assert phrase_dense or first[1].get("results") or first[1].get("citations"), request
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=60)
    # Both processes used the existing server and started none of their own.
    assert not (path / "milvus.db").exists()


def test_an_unreachable_existing_server_is_one_error_line(tmp_path):
    port = _free_port()  # nothing listens there
    directory = tmp_path / "data"
    use_milvus_server(directory, f"http://127.0.0.1:{port}")
    seed = str(SEEDS[0])
    for args in (
        ["ingest", seed, "--backend", "milvus", "--no-embed", "--data-dir", str(directory)],
        ["search", "nämnden", "--mode", "bm25", "--data-dir", str(directory)],
    ):
        run = _run(args)
        assert run.returncode == 2
        assert run.stderr.strip().splitlines() == [
            f"namnd: error: cannot reach the milvus server at http://127.0.0.1:{port}: "
            "Connection refused"
        ]
