"""The parsed shape of a nämnd document, before it is stored.

Offsets (`start`, `end`) are character offsets into `ParsedDocument.text`, the normalized
document text that the store keeps, so a UI can highlight the exact place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A page read by OCR with a mean word confidence under this is unreliable. Measured on a
# gallery page (tests/data/scans/) blurred step by step: mean confidence 94 -> 99.2 % of
# characters right, 88 -> 98.1 %, 84 -> 97.3 %, 75 -> 92.4 %, 61 -> 81.7 %; under 80 a page
# loses more than the 3 % that the OCR target allows.
LOW_OCR_CONFIDENCE = 80.0


@dataclass
class Person:
    name: str
    party: str | None
    roll: str  # ledamot, ersättare, ordförande, justerare, yrkande, reservation, ...
    detalj: str | None
    start: int
    end: int
    grupp: bool = False  # "Name m.fl. (M)": speaks for a group
    mening: str | None = None  # the sentence that says it


@dataclass
class Section:
    sektion: str
    start: int
    end: int
    heading_end: int  # end of the heading line (== start when the section has no heading)


@dataclass
class Paragraph:
    """One § (or, in a part without §, the whole part as one unit with `paragraf=None`)."""

    paragraf: str | None
    nummer: int | None
    rubrik: str | None
    dnr: list[str]
    start: int
    end: int
    sections: list[Section] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    att_satser: list[str] = field(default_factory=list)
    skickas_till: list[str] = field(default_factory=list)


@dataclass
class Part:
    dokumenttyp: str
    title: str | None
    start: int
    end: int
    datum: str | None = None
    datum_typ: str | None = None
    namnd: str | None = None
    paragraphs: list[Paragraph] = field(default_factory=list)


@dataclass
class Chunk:
    part_index: int
    paragraph_index: int
    ordinal: int
    sektion: str
    start: int
    end: int
    text: str
    page: int | None


@dataclass
class Header:
    """Header facts of a protokoll (or of a whole document when it has no protokoll)."""

    ordforande: str | None = None
    vice_ordforande: str | None = None
    sekreterare: str | None = None
    justerare: list[str] = field(default_factory=list)
    narvarande: list[Person] = field(default_factory=list)
    paragraf_range: str | None = None


@dataclass
class ParsedDocument:
    text: str
    page_starts: list[int] | None  # offset where each page begins; None when unpaged
    kommun: str | None
    kommun_kalla: str | None
    namnd: str | None
    datum: str | None
    datum_typ: str | None
    dokumenttyp: str
    title: str | None
    header: Header
    parts: list[Part]
    chunks: list[Chunk]
    # Pages read by OCR: 1-based page -> Tesseract's mean word confidence (0-100).
    ocr_pages: dict[int, float] = field(default_factory=dict)

    def page_at(self, offset: int) -> int | None:
        """1-based page number holding `offset`, or None for unpaged text."""
        if not self.page_starts:
            return None
        lo, hi = 0, len(self.page_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.page_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1
