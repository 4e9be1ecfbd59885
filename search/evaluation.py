"""Retrieval quality on the evaluation set (tests/data/eval.jsonl): hit@1, hit@5, MRR@10.

A question's gold places are given as (file, §, a verbatim phrase); the gold chunks are the
chunks of that file (and §) whose text holds the phrase. A result counts as a hit when it or
one of the duplicates collapsed into it is a gold chunk, or (a result being a card for a
whole §) one of the other matching passages of its § is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.store import Store

from .hybrid import DEFAULT_FUSION, Searcher


@dataclass
class Question:
    id: str
    question: str
    answerable: bool
    kind: str
    gold: list[dict[str, Any]]
    answer_any: list[str]
    persona: str = ""


def load_questions(path: Path) -> list[Question]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(
                Question(
                    id=row["id"],
                    question=row["question"],
                    answerable=row["answerable"],
                    kind=row.get("kind", ""),
                    gold=row.get("gold", []),
                    answer_any=row.get("answer_any", []),
                    persona=row.get("persona", ""),
                )
            )
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def gold_chunks(store: Store, question: Question) -> set[int]:
    ids: set[int] = set()
    for place in question.gold:
        rows = store.query(
            """SELECT c.id, c.text, c.paragraf FROM chunks c
               JOIN documents d ON d.id = c.document_id WHERE d.filename = ?""",
            [place["file"]],
        )
        wanted = _squash(place["contains"])
        for row in rows:
            if place.get("paragraf") and row["paragraf"] != str(place["paragraf"]):
                continue
            if wanted in _squash(row["text"]):
                ids.add(row["id"])
    return ids


@dataclass
class Metrics:
    hit1: float
    hit5: float
    mrr10: float
    n: int

    def as_dict(self) -> dict[str, float]:
        return {"hit@1": self.hit1, "hit@5": self.hit5, "mrr@10": self.mrr10, "n": self.n}


def evaluate(
    searcher: Searcher, questions: list[Question], mode: str, fusion: str = DEFAULT_FUSION
) -> tuple[Metrics, list[dict[str, Any]]]:
    """Metrics over the answerable questions, plus one row per question for inspection."""
    store = searcher.data.store
    hit1 = hit5 = 0
    reciprocal = 0.0
    rows = []
    answerable = [q for q in questions if q.answerable]
    for question in answerable:
        gold = gold_chunks(store, question)
        if not gold:
            raise ValueError(f"{question.id}: no chunk holds its gold phrase")
        response = searcher.find(question.question, limit=10, mode=mode, fusion=fusion)
        rank = None
        for position, result in enumerate(response.results, start=1):
            places = {
                result["chunk_id"],
                *(o["chunk_id"] for o in result["other_places"]),
                *(p["chunk_id"] for p in result["passages"]),
            }
            if places & gold:
                rank = position
                break
        hit1 += rank == 1
        hit5 += rank is not None and rank <= 5
        reciprocal += 1.0 / rank if rank else 0.0
        rows.append({"id": question.id, "question": question.question, "rank": rank})
    n = len(answerable)
    return Metrics(hit1 / n, hit5 / n, reciprocal / n, n), rows
