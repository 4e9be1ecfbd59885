"""Benchmark queries: the evaluation questions, keyword paraphrases of them, and fragments of
corpus sentences (as people paste them). Deterministic for a given seed."""

from __future__ import annotations

import random
import re

from search.evaluation import Question
from swedish.analyzer import STOPWORDS

from .synth import SentencePool

_QUESTION_WORDS = {
    "vad",
    "vem",
    "vilka",
    "vilken",
    "vilket",
    "hur",
    "när",
    "var",
    "varför",
    "många",
    "mycket",
    "gäller",
    "står",
}
_WORD = re.compile(r"[\wÅÄÖåäö/:.-]+")


def keywords(question: str) -> str:
    """A question as the keywords a user would type: no question words or stopwords."""
    words = [w.strip(".,?!:") for w in _WORD.findall(question)]
    kept = [w for w in words if w and w.lower() not in STOPWORDS | _QUESTION_WORDS]
    return " ".join(kept) or question


def fragment(rng: random.Random, pool: SentencePool) -> str:
    """3-7 consecutive words of a random corpus sentence."""
    kinds = sorted(pool.by_kind)
    sentence = rng.choice(pool.by_kind[rng.choice(kinds)]).text
    words = sentence.rstrip(".!?").split()
    size = min(len(words), rng.randint(3, 7))
    start = rng.randrange(len(words) - size + 1)
    return " ".join(words[start : start + size])


def bench_queries(
    n: int, questions: list[Question], pool: SentencePool, seed: int = 0
) -> list[tuple[str, str]]:
    """`n` distinct (kind, query) pairs: half evaluation questions, a fifth keyword
    paraphrases of them, the rest sentence fragments."""
    rng = random.Random(seed)
    asked = [q.question for q in questions]
    rng.shuffle(asked)
    n_eval = min(len(asked), round(n * 0.5))
    n_para = min(len(asked), round(n * 0.2))
    candidates = [("question", q) for q in asked[:n_eval]]
    candidates += [("keywords", keywords(q)) for q in asked[len(asked) - n_para :]]
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for kind, query in candidates:
        if query not in seen:
            seen.add(query)
            out.append((kind, query))
    while len(out) < n:
        query = fragment(rng, pool)
        if query not in seen:
            seen.add(query)
            out.append(("fragment", query))
    return out[:n]


def unique_queries(n: int, pool: SentencePool, seed: int = 1) -> list[str]:
    """`n` distinct sentence fragments (API load: no query repeats, so no cache hits)."""
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    while len(seen) < n:
        seen.setdefault(fragment(rng, pool), None)
    return list(seen)
