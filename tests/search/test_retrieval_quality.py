"""Retrieval quality on the evaluation set (tests/data/eval.jsonl): hit@1, hit@5 and MRR@10
for BM25-only, dense-only and hybrid. Hybrid must be at least as good as the better single
retriever on every metric, and find a gold chunk in the top five for 95 % of questions."""

from __future__ import annotations

import pytest
from support.paths import DATA

from search.evaluation import Metrics, evaluate, load_questions
from search.hybrid import DEFAULT_FUSION, Searcher


@pytest.fixture(scope="module")
def metrics(embedded) -> dict[str, Metrics]:
    questions = load_questions(DATA / "eval.jsonl")
    searcher = Searcher(embedded)
    out = {
        "bm25": evaluate(searcher, questions, "bm25")[0],
        "dense": evaluate(searcher, questions, "dense")[0],
        "hybrid": evaluate(searcher, questions, "hybrid", DEFAULT_FUSION)[0],
        "hybrid-rrf": evaluate(searcher, questions, "hybrid", "rrf")[0],
    }
    for name, m in out.items():
        print(f"{name:11} hit@1={m.hit1:.3f} hit@5={m.hit5:.3f} mrr@10={m.mrr10:.3f} (n={m.n})")
    return out


def test_evaluation_set_is_large_and_varied():
    questions = load_questions(DATA / "eval.jsonl")
    answerable = [q for q in questions if q.answerable]
    assert len(answerable) >= 40 and len(questions) - len(answerable) >= 10
    assert {q.persona for q in questions} >= {"journalist", "revisor", "tjänsteperson",
                                              "medborgare"}
    files = {g["file"] for q in answerable for g in q.gold}
    assert len(files) == 5


def test_hybrid_is_at_least_as_good_as_the_better_single_retriever(metrics):
    hybrid = metrics["hybrid"]
    for name in ("hit1", "hit5", "mrr10"):
        best_single = max(getattr(metrics["bm25"], name), getattr(metrics["dense"], name))
        assert getattr(hybrid, name) >= best_single, name


def test_hybrid_finds_a_gold_chunk_in_the_top_five_for_95_percent(metrics):
    assert metrics["hybrid"].hit5 >= 0.95


def test_both_fusions_beat_each_single_retriever_on_recall(metrics):
    for fusion in ("hybrid", "hybrid-rrf"):
        assert metrics[fusion].hit5 >= max(metrics["bm25"].hit5, metrics["dense"].hit5)
