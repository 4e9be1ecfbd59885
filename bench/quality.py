"""Quality on the evaluation set: retrieval (hit@1, hit@5, MRR@10 per mode and fusion),
compound handling (BM25 rebuilt with each analyzer, embeddings reused) and Q&A (answer
latency, answers that contain the expected fact, abstentions)."""

from __future__ import annotations

import re
import shutil
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from index.datadir import DataDir
from index.embedder import DEFAULT_THREADS, set_threads
from index.store import Store
from search.answer import Answerer
from search.evaluation import Question, evaluate, gold_chunks
from search.hybrid import Searcher
from search.relevance import DENSE_MIN, LEXICAL_SHARE, lexical_matches
from swedish.analyzer import Analyzer, split_compound, stem

from .measure import stats

RETRIEVERS = (
    ("bm25", "bm25", "convex"),
    ("dense", "dense", "convex"),
    ("hybrid-rrf", "hybrid", "rrf"),
    ("hybrid-convex", "hybrid", "convex"),
)
COMPOUNDS = ("none", "split", "ngram")
_WORD = re.compile(r"\w+")


def retrieval(data_dir: Path, questions: list[Question]) -> dict[str, Any]:
    data = DataDir(data_dir, readonly=True)
    searcher = Searcher(data)
    out: dict[str, Any] = {}
    for name, mode, fusion in RETRIEVERS:
        metrics, rows = evaluate(searcher, questions, mode, fusion)
        out[name] = {"all": metrics.as_dict(), "by_kind": _by_kind(rows, questions)}
    data.close()
    return out


# Kinds of evaluation queries that must find nothing (the relevance cutoff's negatives).
NOTHING_KINDS = ("nonsens", "utanför")
SHARES = (0.3, 0.4, 0.5, 0.6)
COSINES = (0.84, 0.85, 0.86, 0.87, 0.88)


def cutoff(data_dir: Path, questions: list[Question]) -> dict[str, Any]:
    """The relevance cutoff's calibration: per answerable question, the best lexical share
    and cosine of its gold chunks; per nonsense or off-topic query, the best of any chunk;
    and for each pair of thresholds, how many questions keep a gold chunk and how many
    negatives find nothing."""
    data = DataDir(data_dir, readonly=True)
    searcher = Searcher(data)
    n = len(data.vectors)
    gold: list[tuple[float, float]] = []
    negative: list[tuple[float, float]] = []
    for question in questions:
        if not question.answerable and question.kind not in NOTHING_KINDS:
            continue
        lexical = lexical_matches(data.bm25, data.analyzer, question.question, share=0.0)
        cosines = dict(data.vectors.search(searcher.embed_query(question.question), n))
        if question.answerable:
            chunks = gold_chunks(data.store, question)
            gold.append(
                (
                    max(lexical.coverage.get(c, 0.0) for c in chunks),
                    max(cosines.get(c, 0.0) for c in chunks),
                )
            )
        else:
            negative.append((max(lexical.coverage.values(), default=0.0), max(cosines.values())))
    data.close()
    grid = [
        {
            "share": share,
            "cosine": cosine,
            "gold_kept": sum(lex >= share or cos >= cosine for lex, cos in gold),
            "negatives_empty": sum(lex < share and cos < cosine for lex, cos in negative),
        }
        for share in SHARES
        for cosine in COSINES
    ]
    return {
        "answerable": len(gold),
        "negatives": len(negative),
        "negative_max_share": max((lex for lex, _ in negative), default=0.0),
        "negative_max_cosine": max((cos for _, cos in negative), default=0.0),
        "gold_min_cosine": min((cos for _, cos in gold), default=0.0),
        "grid": grid,
        "chosen": {"share": LEXICAL_SHARE, "cosine": DENSE_MIN},
    }


def compound_questions(store: Store, questions: list[Question]) -> set[str]:
    """Answerable questions where compounds matter: a question word reaches its gold chunks
    only as a compound member (bruk in brukarna), or a question compound is not in the gold
    chunks while all its members are (barnutredningar vs barn ... utredningar)."""
    plain, split = Analyzer("none"), Analyzer("split")
    found: set[str] = set()
    for question in questions:
        if not question.answerable:
            continue
        gold = sorted(gold_chunks(store, question))
        marks = ",".join("?" * len(gold))
        texts = [r[0] for r in store.query(f"SELECT text FROM chunks WHERE id IN ({marks})", gold)]
        gold_plain = {t.term for text in texts for t in plain.tokens(text)}
        gold_split = {t.term for text in texts for t in split.tokens(text)}
        as_member = any(
            t not in gold_plain and t in gold_split for t in plain.query_terms(question.question)
        )
        as_parts = False
        for word in _WORD.findall(question.question.lower()):
            members = split_compound(word)
            if members and stem(word) not in gold_plain:
                as_parts = as_parts or all(stem(m) in gold_plain for m in members)
        if as_member or as_parts:
            found.add(question.id)
    return found


def compounds(data_dir: Path, questions: list[Question], work: Path) -> dict[str, Any]:
    """Each compound handling: BM25 rebuilt from the store (embeddings and vectors reused),
    then BM25-only and hybrid (default fusion) on the evaluation set."""
    store = Store(data_dir, readonly=True)
    compound_ids = compound_questions(store, questions)
    store.close()
    out: dict[str, Any] = {"compound_questions": sorted(compound_ids)}
    for mode in COMPOUNDS:
        copy = work / f"compounds-{mode}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(data_dir, copy)
        data = DataDir(copy)
        with data.store.transaction() as conn:
            data.store.set_meta(conn, "compounds", mode)
        ids = [r[0] for r in data.store.query("SELECT id FROM chunks ORDER BY id")]
        started = time.perf_counter()
        data.bm25.clear()
        data.bm25.add(data.indexed_chunks(ids))
        data.bm25.commit()
        result: dict[str, Any] = {"bm25_build_s": time.perf_counter() - started}
        searcher = Searcher(data)
        for name, search_mode in (("bm25", "bm25"), ("hybrid", "hybrid")):
            metrics, rows = evaluate(searcher, questions, search_mode)
            compound_rows = [r for r in rows if r["id"] in compound_ids]
            result[name] = {
                "all": metrics.as_dict(),
                "compound": _metrics(compound_rows),
                "by_kind": _by_kind(rows, questions),
            }
        out[mode] = result
        data.close()
        shutil.rmtree(copy, ignore_errors=True)
    return out


def _metrics(rows: list[dict[str, Any]]) -> dict[str, float]:
    n = len(rows)
    if not n:
        return {"hit@1": float("nan"), "hit@5": float("nan"), "mrr@10": float("nan"), "n": 0}
    ranks = [r["rank"] for r in rows]
    return {
        "hit@1": sum(r == 1 for r in ranks) / n,
        "hit@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r) / n,
        "n": n,
    }


def _by_kind(rows: list[dict[str, Any]], questions: list[Question]) -> dict[str, dict]:
    kinds = {q.id: q.kind for q in questions}
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[kinds[row["id"]]].append(row)
    return {kind: _metrics(group) for kind, group in sorted(grouped.items())}


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


def answers(data_dir: Path, questions: list[Question]) -> dict[str, Any]:
    """Answer every question once (default threads): latency and quality."""
    set_threads(DEFAULT_THREADS)
    data = DataDir(data_dir, readonly=True)
    answerer = Answerer(Searcher(data))
    answerer.ask("Vilka beslut fattade nämnden om lokaler?")  # loads the model and caches
    latencies: list[float] = []
    correct = abstained_ok = false_abstain = 0
    answerable = [q for q in questions if q.answerable]
    misses: list[str] = []
    for question in questions:
        started = time.perf_counter()
        answer = answerer.ask(question.question)
        latencies.append((time.perf_counter() - started) * 1000)
        if question.answerable:
            text = _squash(answer["answer"])
            if not answer["abstained"] and any(_squash(a) in text for a in question.answer_any):
                correct += 1
            else:
                misses.append(question.id)
            false_abstain += answer["abstained"]
        else:
            abstained_ok += answer["abstained"]
    unanswerable = len(questions) - len(answerable)
    data.close()
    return {
        "latency": stats(latencies),
        "answerable": len(answerable),
        "unanswerable": unanswerable,
        "contains_expected": correct / len(answerable) if answerable else float("nan"),
        "abstained_when_unanswerable": abstained_ok / unanswerable if unanswerable else None,
        "abstained_when_answerable": false_abstain / len(answerable) if answerable else None,
        "misses": misses,
    }
