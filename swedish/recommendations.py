"""Recommendations of a revision: the list after "rekommenderar vi socialnämnden att:".

Revisionsrapporter and the revisorer's missiv end with the recommendations, and the nämnd's
svar often quotes them ("Revisionens rekommendationer till nämnden är:"). A recommendation is
a list item after such an opening, or, without a list, the rest of the opening's sentence
("Vi rekommenderar nämnden att säkerställa …").

`coverage` says how much of one text another quotes, word by word in order (spelling slips
of long words count): the audit trail uses it to find the svar's answering paragraph, the
ärende links to see that a svar quotes a revision's recommendations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

_OPENING = re.compile(
    r"(?:rekommenderar\s+(?:vi|revisorerna|revisionen)\s+(?:[\w-]+\s+){0,4}?att"
    r"|(?:vi|revisorerna|revisionen)\s+rekommenderar\s+(?:[\w-]+\s+){0,4}?att"
    r"|(?:revisionens|revisorernas|våra|granskningens|följande)\s+rekommendationer"
    r"(?:\s+(?:till|för)\s+(?:\w+\s*){1,3}?)?\s+(?:är|lyder)"
    r"|^rekommendationer)"
    r"\s*:?",
    re.IGNORECASE | re.MULTILINE,
)
_WORDS = re.compile(r"\w+", re.UNICODE)
_ITEM = re.compile(r"^[ \t]*(?:[-–—•*·]|\d{1,2}[.)]|[a-h][.)])[ \t]+(?P<text>\S.*)$")


@dataclass(frozen=True)
class Recommendation:
    ordinal: int  # 1-based within its list
    text: str
    start: int  # document offsets of the item text (without the list marker)
    end: int
    inledning: str  # the opening words, verbatim ("rekommenderar vi socialnämnden att:")
    inledning_start: int


def find_recommendations(text: str, base: int = 0) -> list[Recommendation]:
    """Every recommendation list (or single recommendation) in `text`, which starts at
    document offset `base`."""
    out: list[Recommendation] = []
    for opening in _OPENING.finditer(text):
        items = _list_after(text, opening.end())
        if not items:
            single = _sentence_rest(text, opening.end())
            if single is None:
                continue
            items = [single]
        for ordinal, (start, end) in enumerate(items, start=1):
            out.append(
                Recommendation(
                    ordinal=ordinal,
                    text=text[start:end],
                    start=base + start,
                    end=base + end,
                    inledning=opening[0].strip(),
                    inledning_start=base + opening.start(),
                )
            )
    return out


def _list_after(text: str, position: int) -> list[tuple[int, int]]:
    """(start, end) of the items of the list right after `position` (blank lines allowed
    between items; the list ends at the first line that is no item)."""
    rest_of_line = text[position : text.find("\n", position) if "\n" in text[position:] else None]
    if rest_of_line.strip():
        return []
    items: list[tuple[int, int]] = []
    offset = text.find("\n", position)
    while offset != -1:
        line_start = offset + 1
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end == -1 else line_end
        line = text[line_start:line_end]
        offset = line_end if line_end < len(text) else -1
        if not line.strip():
            continue
        match = _ITEM.match(line)
        if not match:
            break
        start = line_start + match.start("text")
        end = line_start + len(line.rstrip())
        if text[end - 1] in ".;,":
            end -= 1
        items.append((start, end))
    return items


def _sentence_rest(text: str, position: int) -> tuple[int, int] | None:
    """ "… rekommenderar vi nämnden att säkerställa X." -> the span "säkerställa X"."""
    stop = re.search(r"[.!?](?:\s|$)|\n", text[position:])
    end = position + (stop.start() if stop else len(text) - position)
    start = position + len(text[position:end]) - len(text[position:end].lstrip())
    if end - start < 15:
        return None
    return start, end


# --- word matching -------------------------------------------------------------------------


def words(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _WORDS.findall(text))


def coverage(wanted: tuple[str, ...], text: tuple[str, ...]) -> float:
    """Share of `wanted`'s words found in `text` in the same order, in runs of at least
    three words (scattered "att", "för", "och" do not count; spelling slips of long words
    do)."""
    if not wanted:
        return 0.0
    vocabulary = set(wanted)
    mapped = [w if w in vocabulary else _near(w, vocabulary) for w in text]
    matcher = SequenceMatcher(None, list(wanted), mapped, autojunk=False)
    found = sum(size for _, _, size in matcher.get_matching_blocks() if size >= 3)
    return found / len(wanted)


def _near(word: str, vocabulary: set[str]) -> str:
    if len(word) < 6:
        return word
    for candidate in vocabulary:
        if _similar(word, candidate):
            return candidate
    return word


@lru_cache(maxsize=100_000)
def _similar(a: str, b: str) -> bool:
    if len(b) < 6 or abs(len(a) - len(b)) > 2 or a[:3] != b[:3]:
        return False
    return SequenceMatcher(None, a, b).ratio() >= 0.85
