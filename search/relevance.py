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


@dataclass
class _Unit:
    """What a chunk is credited for: a simple word (whole) or one compound member, with
    its share of the query's weight."""

    terms: list[str]
    weight: float
    hits: dict[int, float] = field(default_factory=dict)


def lexical_matches(
    index, analyzer: Analyzer, text: str, share: float = LEXICAL_SHARE
) -> LexicalMatches:
    """Every chunk of `index` (BM25Index or MilvusIndex) whose query words reach `share` of
    the query's idf weight.

    A compound counts by its members, each with its idf's share of the word's weight (a
    chunk holding the compound holds its members: the index splits it the same way), so
    `vistelseförbudsärendet` is mostly its rare `vistelseförbud`, and `molntjänster`
    hardly its common `tjänst`. The heaviest units that together exceed `1 - share` of the
    weight are searched over the whole index (every match holds one of them: the others
    cannot reach `share` alone); the lighter, common units only among those candidates."""
    words = analyzer.query_words(text)
    out = LexicalMatches()
    if not words:
        return out
    n = max(index.num_docs(), 1)
    units: list[_Unit] = []
    for word in words:
        if not word.parts:
            df = index.term_count(list(word.whole))
            units.append(_Unit(list(word.whole), idf(df, n)))
            if not df and not any(":" in t or t.startswith("§") for t in word.whole):
                out.unknown.append(word.whole[0])
            continue
        weight = idf(index.term_count(list(word.parts), every=True), n)
        member = [idf(index.term_count([part]), n) for part in word.parts]
        for part, part_weight in zip(word.parts, member, strict=True):
            units.append(_Unit([part], weight * part_weight / sum(member)))
        if not index.term_count(list(word.whole)) and weight == idf(0, n):
            out.unknown.append(word.whole[0])
    total = sum(u.weight for u in units)
    units.sort(key=lambda u: -u.weight)
    candidates: set[int] = set()
    covered = 0.0
    searched = 0
    for unit in units:
        if covered > (1 - share) * total + 1e-9:
            break
        unit.hits = dict(index.search_terms(unit.terms, n))
        candidates.update(unit.hits)
        covered += unit.weight
        searched += 1
    within = sorted(candidates)
    for unit in units[searched:]:
        unit.hits = dict(index.search_terms(unit.terms, len(within), within))
    for unit in units:
        for chunk_id, score in unit.hits.items():
            out.coverage[chunk_id] = out.coverage.get(chunk_id, 0.0) + unit.weight / total
            out.scores[chunk_id] = out.scores.get(chunk_id, 0.0) + score
    out.scores = {i: s for i, s in out.scores.items() if out.coverage[i] >= share - 1e-9}
    return out
