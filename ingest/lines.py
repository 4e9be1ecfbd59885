"""Non-empty lines of the normalized text with their offsets: the parser's working unit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    index: int
    text: str
    start: int
    end: int
    blank_before: bool  # a blank line separates it from the previous line


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    offset = 0
    blank = False
    for raw in text.split("\n"):
        if raw.strip():
            lines.append(Line(len(lines), raw, offset, offset + len(raw), blank))
            blank = False
        else:
            blank = True
        offset += len(raw) + 1
    return lines


def words(text: str) -> int:
    return len(text.split())
