"""Paragraph-level chunks sized for the embedding model.

A chunk never crosses a section, § or part boundary. Within a section, short blocks are
merged, a long block is split at sentence boundaries, a table stays one unit, and a heading
line ("Beslut", a rubrik) always travels with the text after it. Every chunk is an exact
slice of the normalized document text, so its offsets point at the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from swedish.model import Chunk, Part

MAX_WORDS = 160
MIN_WORDS = 40
_HUGE_LINE = 20_000  # characters; longer lines are split by words, not by spaCy sentences


@dataclass
class _Block:
    start: int
    end: int
    words: int
    table: bool
    heading: bool


def chunk_parts(text: str, parts: list[Part], max_words: int = MAX_WORDS) -> list[Chunk]:
    chunks: list[Chunk] = []
    for part_index, part in enumerate(parts):
        for paragraph_index, paragraph in enumerate(part.paragraphs):
            ordinal = 0
            for section in paragraph.sections:
                for start, end in _pack(text, section.start, section.end, max_words):
                    chunks.append(
                        Chunk(
                            part_index=part_index,
                            paragraph_index=paragraph_index,
                            ordinal=ordinal,
                            sektion=section.sektion,
                            start=start,
                            end=end,
                            text=text[start:end],
                            page=None,
                        )
                    )
                    ordinal += 1
    return chunks


def _blocks(text: str, start: int, end: int) -> list[_Block]:
    blocks: list[_Block] = []
    for match in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text[start:end]):
        body = match[0]
        if not body.strip():
            continue
        a, b = start + match.start(), start + match.end()
        lines = body.split("\n")
        table = sum("\t" in line for line in lines) >= max(2, len(lines) // 2)
        n_words = len(body.split())
        heading = n_words <= 12 and len(lines) <= 3 and not re.search(r"[.!?]$", body.strip())
        blocks.append(_Block(a, b, n_words, table, heading and not table))
    return blocks


def _pack(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    pieces: list[_Block] = []
    for block in _blocks(text, start, end):
        if block.words <= max_words or (block.table and block.words <= 4 * max_words):
            pieces.append(block)
        else:
            pieces.extend(_split(text, block, max_words))
    out: list[tuple[int, int]] = []
    current: list[_Block] = []
    # The words and whether all are headings, kept as `current` grows: summing it again for
    # every piece was quadratic in a long run of short lines (594k lines of "x": hours).
    size, only_headings = 0, True
    for piece in pieces:
        if current and size + piece.words > max_words and not only_headings:
            out.append((current[0].start, current[-1].end))
            current, size, only_headings = [], 0, True
        current.append(piece)
        size += piece.words
        only_headings = only_headings and piece.heading
    if current:
        if out and all(p.heading for p in current):
            # A trailing run of short lines (a signature, "Utredare") joins the chunk before.
            out[-1] = (out[-1][0], current[-1].end)
        else:
            out.append((current[0].start, current[-1].end))
    return out


def _split(text: str, block: _Block, max_words: int) -> list[_Block]:
    """Split an oversized block: tables by rows, text by sentences, then by words."""
    if block.table:
        return _group(text, _line_spans(text, block), max_words)
    spans: list[tuple[int, int]] = []
    for a, b in _line_spans(text, block):
        if len(text[a:b].split()) <= max_words:
            spans.append((a, b))
        else:
            spans.extend(_sentence_spans(text, a, b, max_words))
    return _group(text, spans, max_words)


def _line_spans(text: str, block: _Block) -> list[tuple[int, int]]:
    spans = []
    offset = block.start
    for line in text[block.start : block.end].split("\n"):
        spans.append((offset, offset + len(line)))
        offset += len(line) + 1
    return spans


def _sentence_spans(text: str, a: int, b: int, max_words: int) -> list[tuple[int, int]]:
    if b - a > _HUGE_LINE:
        sentences = [(a + m.start(), a + m.end()) for m in re.finditer(r"[^.!?]+[.!?]*", text[a:b])]
    else:
        from swedish.nlp import nlp, tokenizable

        doc = nlp()(tokenizable(text[a:b]))
        sentences = [(a + s.start_char, a + s.end_char) for s in doc.sents]
    out: list[tuple[int, int]] = []
    for s, e in sentences:
        # A sentence over `max_words` is cut after every `max_words` words (one pass over
        # its words: counting them again after each cut was quadratic).
        ends = [s + m.end() for m in re.finditer(r"\S+", text[s:e])]
        for cut in ends[max_words - 1 : -1 : max_words]:
            out.append((s, cut))
            s = cut
        if ends:
            out.append((s, e))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in out]


def _group(text: str, spans: list[tuple[int, int]], max_words: int) -> list[_Block]:
    groups: list[_Block] = []
    for a, b in spans:
        n_words = len(text[a:b].split())
        if not n_words:
            continue
        if groups and groups[-1].words + n_words <= max_words:
            groups[-1] = _Block(groups[-1].start, b, groups[-1].words + n_words, False, False)
        else:
            groups.append(_Block(a, b, n_words, False, False))
    return groups
