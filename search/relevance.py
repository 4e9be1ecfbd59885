"""When a chunk counts as a match for a search: the relevance cutoff.

A search shows a chunk only when the evidence says it matches:
- lexically: the chunk holds query words carrying at least `LEXICAL_SHARE` of the query's
  idf weight (a word matches through its stem, a compound part or its accent-free twin; a
  word the index never saw weighs as the rarest word), or
- semantically: its cosine to the query is at least `DENSE_MIN`, among the `DENSE_DEPTH`
  nearest chunks of the whole index, or
- by exact lookup (a dnr or `§ N` in the query).

Both thresholds are calibrated on tests/data/eval.jsonl, whose nonsense and off-topic
queries must find nothing while the answerable questions keep their gold chunks (the
calibration and its figures: BENCHMARKS.md, "Relevance cutoff"; `namnd bench --only
cutoff` reproduces them). Every test here is per chunk and ignores the filters, so the
relevant set of a filtered search is the unfiltered set narrowed by the filters: that is
what makes facet counts equal the totals of the filtered searches (search/cards.py).

Text that recurs in many documents (e-mail disclaimers, signature blocks, routine lines:
one duplicate group across `BOILERPLATE_PLACES` or more documents) still matches but ranks
below substantive text: its score is multiplied by `BOILERPLATE_WEIGHT`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from index.analyzer import Analyzer

# Calibrated on the evaluation set (BENCHMARKS.md, "Relevance cutoff").
LEXICAL_SHARE = 0.4
DENSE_MIN = 0.87
# Nearest chunks of the whole index the semantic side looks at (filters apply after).
DENSE_DEPTH = 200
# A text in this many documents or more is boilerplate, ranked at this share of its score.
BOILERPLATE_PLACES = 3
BOILERPLATE_WEIGHT = 0.5


@dataclass
class LexicalMatches:
    """The chunks matching enough query words, with BM25 scores (summed over words)."""

    scores: dict[int, float] = field(default_factory=dict)
    coverage: dict[int, float] = field(default_factory=dict)  # share of the query's weight
    unknown: list[str] = field(default_factory=list)  # query words no chunk holds


def idf(df: int, n: int) -> float:
    """BM25's idf (as tantivy computes it)."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def lexical_matches(
    index, analyzer: Analyzer, text: str, share: float = LEXICAL_SHARE
) -> LexicalMatches:
    """Every chunk of `index` (BM25Index or MilvusIndex) whose query words reach `share` of
    the query's idf weight, found by searching each word (and each compound member) over
    the whole index. A compound counts fully when a chunk holds it whole or all of its
    members (`barnfamiljer`: barnfamilj, or barn and familj), and in part for some members,
    by their idf: `vistelseförbudsärendet` is mostly its rare `vistelseförbud`, while
    `molntjänster` is hardly its common `tjänst`."""
    words = analyzer.query_words(text)
    out = LexicalMatches()
    if not words:
        return out
    n = max(index.num_docs(), 1)
    per_word: list[tuple[float, dict[int, float], dict[int, float]]] = []
    for word in words:
        whole = dict(index.search_terms(list(word.whole), n))
        members = [dict(index.search_terms([part], n)) for part in word.parts]
        member_weights = [idf(len(m), n) for m in members]
        credit = dict.fromkeys(whole, 1.0)
        scores = dict(whole)
        for weight, hits in zip(member_weights, members, strict=True):
            for chunk_id, score in hits.items():
                scores[chunk_id] = scores.get(chunk_id, 0.0) + score
                if chunk_id not in whole:
                    credit[chunk_id] = credit.get(chunk_id, 0.0) + weight / sum(member_weights)
        full = sum(1 for c in credit.values() if c >= 1.0 - 1e-9)
        per_word.append((idf(full, n), credit, scores))
        if not full and not any(":" in t or t.startswith("§") for t in word.whole):
            out.unknown.append(word.whole[0])
    total = sum(weight for weight, _, _ in per_word)
    for weight, credit, scores in per_word:
        for chunk_id, part in credit.items():
            out.coverage[chunk_id] = out.coverage.get(chunk_id, 0.0) + weight * part / total
            out.scores[chunk_id] = out.scores.get(chunk_id, 0.0) + scores[chunk_id]
    out.scores = {i: s for i, s in out.scores.items() if out.coverage[i] >= share - 1e-9}
    return out
