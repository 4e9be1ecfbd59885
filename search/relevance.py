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

from swedish.analyzer import Analyzer

# Calibrated on the evaluation set (BENCHMARKS.md, "Relevance cutoff"): its 14 nonsense and
# off-topic queries reach share 0.25 and cosine 0.84 at most (random letter strings 0.85),
# and with these thresholds 104 of the 108 answerable questions keep a gold passage.
LEXICAL_SHARE = 0.4
DENSE_MIN = 0.87
# Nearest chunks of the whole index the semantic side looks at (filters apply after).
DENSE_DEPTH = 200
# Lexical matches taken, those holding the most query weight first; more matches (a common
# word searched alone) give a total that is a lower bound (`total_exact: false`).
# Collecting every match of such a word took most of a search's time (BENCHMARKS.md).
LEXICAL_DEPTH = 2000
# A text in this many documents or more is boilerplate, ranked at this share of its score.
BOILERPLATE_PLACES = 3
BOILERPLATE_WEIGHT = 0.5


@dataclass
class LexicalMatches:
    """The chunks matching enough query words, with BM25 scores (summed over words)."""

    scores: dict[int, float] = field(default_factory=dict)
    coverage: dict[int, float] = field(default_factory=dict)  # share of the query's weight
    unknown: list[str] = field(default_factory=list)  # query words no chunk holds
    complete: bool = True  # False: more than LEXICAL_DEPTH chunks matched


def idf(df: int, n: int) -> float:
    """BM25's idf (as tantivy computes it)."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def lexical_matches(
    index, analyzer: Analyzer, text: str, share: float = LEXICAL_SHARE
) -> LexicalMatches:
    """The chunks of `index` (BM25Index or MilvusIndex) whose query words reach `share` of
    the query's idf weight (at most LEXICAL_DEPTH of them, those with the most weight),
    with their BM25 scores.

    A compound counts by its members, each with its idf's share of the word's weight (a
    chunk holding the compound holds its members: the index splits it the same way), so
    `vistelseförbudsärendet` is mostly its rare `vistelseförbud`, and `molntjänster`
    hardly its common `tjänst`. The weights come from the term dictionary; one search
    sums them per chunk, one more gives the BM25 scores."""
    words = analyzer.query_words(text)
    out = LexicalMatches()
    if not words:
        return out
    n = max(index.num_docs(), 1)
    units: list[tuple[list[str], float]] = []
    for word in words:
        df = max(index.doc_freq(t) for t in word.whole)
        if not df and not word.parts and not any(":" in t or t[0] == "§" for t in word.whole):
            out.unknown.append(word.whole[0])
        if not word.parts:
            units.append((list(word.whole), idf(df, n)))
            continue
        # The compound's weight: as rare as its members together can be (its rarest
        # member), not as rare as an unseen word when the text writes it apart.
        frequencies = [index.doc_freq(part) for part in word.parts]
        word_weight = idf(max(df, min(frequencies)), n)
        member = [idf(f, n) for f in frequencies]
        units += [
            ([part], word_weight * weight / sum(member))
            for part, weight in zip(word.parts, member, strict=True)
        ]
    total = sum(weight for _, weight in units)
    matched = index.weighted_match(units, LEXICAL_DEPTH)
    for chunk_id, weight in matched:
        if weight >= share * total - 1e-6:
            out.coverage[chunk_id] = weight / total
    out.complete = len(out.coverage) < LEXICAL_DEPTH
    if out.coverage:
        terms = list(dict.fromkeys(t for terms, _ in units for t in terms))
        scores = dict(index.search_terms(terms, LEXICAL_DEPTH))
        # A match outside the BM25 list ranks last.
        floor = min(scores.values(), default=0.0)
        out.scores = {i: scores.get(i, floor) for i in out.coverage}
    return out
