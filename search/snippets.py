"""Snippets with the matched words marked, stem-aware: a query for "vräkning" marks
"vräkningar" and the "familj" inside "barnfamiljer".

Highlights are returned as offsets into the snippet text (never as markup), so every
consumer escapes the text itself and document text can never inject HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from swedish.analyzer import Analyzer

WINDOW_WORDS = 45


@dataclass
class Snippet:
    text: str
    highlights: list[tuple[int, int]]  # offsets into `text`
    start: int  # offset of the snippet in the chunk text

    def marked(self, left: str = "«", right: str = "»") -> str:
        out: list[str] = []
        position = 0
        for start, end in self.highlights:
            out.append(self.text[position:start])
            out.append(f"{left}{self.text[start:end]}{right}")
            position = end
        out.append(self.text[position:])
        return "".join(out)


def match_spans(analyzer: Analyzer, text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Spans of `text` whose analyzed terms (stems, compound parts, exact forms) match."""
    spans = sorted(set(analyzer.spans(text, terms)))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_snippet(analyzer: Analyzer, text: str, terms: set[str]) -> Snippet:
    """The window of about `WINDOW_WORDS` words holding the most matches."""
    spans = match_spans(analyzer, text, terms)
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    if len(words) <= WINDOW_WORDS:
        return Snippet(text, spans, 0)
    best_start = _best_window([s for s, _ in words], [e for _, e in words], spans)
    a = words[best_start][0]
    b = words[min(best_start + WINDOW_WORDS, len(words)) - 1][1]
    inner = [(s - a, e - a) for s, e in spans if s >= a and e <= b]
    prefix = "… " if a > 0 else ""
    suffix = " …" if b < len(text) else ""
    shift = len(prefix)
    return Snippet(
        prefix + text[a:b] + suffix, [(s + shift, e + shift) for s, e in inner], a - shift
    )


def _best_window(starts: list[int], ends: list[int], spans: list[tuple[int, int]]) -> int:
    """The first word of the first window of `WINDOW_WORDS` words holding the most spans
    (a span counts when it lies inside the window)."""
    if not spans:
        return 0
    # A span lies inside the windows starting at words last - WINDOW_WORDS + 1 .. first
    # (first and last: the words it starts and ends in); count them with a difference array.
    first = np.searchsorted(starts, [s for s, _ in spans], side="right") - 1
    last = np.searchsorted(ends, [e for _, e in spans], side="left")
    windows = len(starts) - WINDOW_WORDS + 1
    low = np.clip(last - WINDOW_WORDS + 1, 0, windows)
    high = np.clip(first + 1, 0, windows)
    keep = low < high
    change = np.bincount(low[keep], minlength=windows + 1) - np.bincount(
        high[keep], minlength=windows + 1
    )
    held = np.cumsum(change[:windows])
    return int(np.argmax(held))
