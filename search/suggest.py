"""Spelling suggestions ("Menade du: …") from the index's own vocabulary.

A query word no chunk holds (not as itself, its stem, a compound part or its accent-free
twin) is looked up in the index's term dictionary within one or two edits (the backends'
`similar_terms`); the words of the chunks found are the candidates, and the one nearest to
the query word (fewest edits, then most frequent) replaces it. Only words that occur in the
indexed documents are ever suggested, so a suggestion always finds something.
"""

from __future__ import annotations

import re
from collections import Counter

from index.store import Store
from swedish.analyzer import STOPWORDS, Analyzer, fold

_WORD = re.compile(r"\w+", re.UNICODE)
MIN_WORD = 4  # shorter words have too many neighbours to guess from
MAX_SUGGESTIONS = 3


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance with adjacent swaps counted as one edit (capped at `limit`)."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)
            )
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return min(previous[-1], limit)


def suggestions(index, analyzer: Analyzer, store: Store, text: str) -> list[str]:
    """Queries like `text` with each word the index does not know replaced by the nearest
    word it does (best first); none when every word is known or nothing is near."""
    replacements: dict[str, list[str]] = {}
    for match in _WORD.finditer(text):
        word = match[0].lower()
        if len(word) < MIN_WORD or word in STOPWORDS or word.isdigit() or word in replacements:
            continue
        terms = analyzer.word_terms(word)
        if not terms or index.search_terms(list(terms), 1):
            continue
        found = _nearest(index, analyzer, store, word)
        if found:
            replacements[word] = found
    if not replacements:
        return []
    out: list[str] = []
    for choice in range(MAX_SUGGESTIONS):
        chosen = {w: c[min(choice, len(c) - 1)] for w, c in replacements.items()}
        suggestion = _WORD.sub(lambda m, c=chosen: _cased(m[0], c.get(m[0].lower())), text)
        if suggestion not in out:
            out.append(suggestion)
    return out


def _nearest(index, analyzer: Analyzer, store: Store, word: str) -> list[str]:
    """Words of the indexed text nearest to `word`, best first."""
    target = fold(word)
    chunk_ids = index.similar_terms(fold(analyzer.word_terms(word)[0]))
    if not chunk_ids:
        return []
    marks = ",".join("?" * len(chunk_ids))
    counts: Counter[str] = Counter()
    for row in store.query(f"SELECT text, rubrik FROM chunks WHERE id IN ({marks})", chunk_ids):
        for candidate in _WORD.findall(f"{row['rubrik'] or ''} {row['text']}".lower()):
            if candidate != word and len(candidate) >= MIN_WORD and not candidate.isdigit():
                counts[candidate] += 1
    scored = []
    for candidate, count in counts.items():
        distance = edit_distance(target, fold(candidate))
        if distance <= (2 if len(word) > 5 else 1):
            scored.append((distance, -count, candidate))
    return [c for _, _, c in sorted(scored)[:MAX_SUGGESTIONS]]


def _cased(original: str, replacement: str | None) -> str:
    if replacement is None:
        return original
    return replacement.capitalize() if original[:1].isupper() else replacement
