"""`namnd bench` works end to end on a tiny synthetic corpus without embeddings: the generator
is deterministic and yields chunks the real parser understands, and a tiny BM25 bench writes
a report with every section. (Benchmarks themselves never run in the tests.)"""

from __future__ import annotations

import numpy as np
import pytest
from support.paths import SEEDS

from bench.options import Options
from bench.report import SECTIONS
from bench.runner import run
from bench.synth import (
    Generator,
    SentencePool,
    chunk_sources,
    parse_generated,
    synthetic_vectors,
)
from swedish.kommuner import KOMMUNER


@pytest.fixture(scope="module")
def pool() -> SentencePool:
    return SentencePool.from_corpus(SEEDS)


def test_generated_protokoll_parse_like_real_ones(pool):
    assert pool.n_sentences() > 1000 and len(pool.sources) > 400
    first, again = Generator(pool, 7).document(3), Generator(pool, 7).document(3)
    assert first.text == again.text
    assert Generator(pool, 8).document(3).text != first.text
    parsed = parse_generated(first)
    assert parsed.kommun == first.hints.kommun and parsed.kommun in KOMMUNER
    assert parsed.dokumenttyp == "protokoll"
    paragraphs = [p for part in parsed.parts for p in part.paragraphs if p.paragraf]
    assert len(paragraphs) >= 6
    assert all(p.rubrik and p.dnr for p in paragraphs)
    sektioner = {c.sektion for c in parsed.chunks}
    assert {"beslut", "ärendebeskrivning"} <= sektioner
    for chunk in parsed.chunks:
        part = parsed.parts[chunk.part_index]
        assert part.namnd == first.hints.namnd and part.datum == first.hints.datum
    sources = chunk_sources(first, parsed)
    assert len(sources) == len(parsed.chunks)
    with_text = [c for c in parsed.chunks if c.sektion == "ärendebeskrivning"]
    assert all(sources[parsed.chunks.index(c)] for c in with_text)
    base = np.random.default_rng(0).normal(size=(len(pool.sources), 8)).astype(np.float32)
    vectors = synthetic_vectors(sources, base, noise=0.2)
    assert vectors.shape == (len(sources), 8)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_tiny_bench_end_to_end(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(
        "# Benchmarks\n\n## Q&A\nAnswered 42 of 42 (an earlier run).\n", encoding="utf-8"
    )
    options = Options(
        sizes=[300],
        queries=5,
        only=["bm25"],
        out=out,
        work_dir=tmp_path / "work",
        million=0,
        command="namnd bench --sizes 300 --queries 5 --only bm25 --million 0",
    )
    results = run(options, log=lambda message: None)
    scale = results["scales"][0]
    assert scale["build"]["chunks"] >= 300
    assert scale["build"]["parse_chunks_per_s"] > 0 and scale["build"]["bm25_chunks_per_s"] > 0
    assert scale["latency"]["latency"]["bm25"]["n"] == 5
    assert set(scale["bm25"]["qps"]) >= {"tantivy", "rank-bm25"}
    report = out.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"## {section}\n" in report
    # A section this run did not measure keeps the earlier report's figures.
    assert "Answered 42 of 42 (an earlier run)." in report
    assert "This run: `namnd bench --sizes 300 --queries 5" in report
    assert "| tantivy |" in report and "Not run in this invocation" in report
    assert (tmp_path / "work" / "results.json").exists()
