"""Lines, paragraphs and table rows of PDF pages, rebuilt from positioned text.

Plain PDF text extraction yields visual lines only: a wrapped heading, a paragraph break, a
hard line break and the cells of a table row all look alike. Here every text run comes with
its position, size and weight (pypdf's `visitor_text`), and the page is rebuilt from layout
signals that any PDF producer leaves:

- runs on one baseline form a line; a run that starts far past the end of the run before it,
  or at a column position shared by other lines, starts a new table cell (a tab);
- a line starts a new block when the space above it is larger than the document's usual line
  pitch for its size, or when the font size or weight changes (a heading);
- inside a block a line continues the one above when that line was full (the next word
  would not have fitted before the right margin), unless it starts a list item;
- lines below a table row whose runs sit in the row's columns continue its cells.

Widths are estimated from character widths of a common sans-serif face; the right margin is
calibrated with the same estimate, so a face that is wider or narrower throughout cancels out.
The result per page is one line per paragraph, list item or table row, with a blank line
between blocks: the same shape as a text export.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from swedish.hyphenation import join_words

# Advance widths (1/1000 em) of Helvetica, standing in for whatever face the PDF uses.
_WIDTHS = {
    " ": 278, "!": 278, '"': 355, "#": 556, "$": 556, "%": 889, "&": 667, "'": 191, "(": 333,
    ")": 333, "*": 389, "+": 584, ",": 278, "-": 333, ".": 278, "/": 278, ":": 278, ";": 278,
    "<": 584, "=": 584, ">": 584, "?": 556, "@": 1015, "[": 278, "\\": 278, "]": 278, "_": 556,
    "A": 667, "B": 667, "C": 722, "D": 722, "E": 667, "F": 611, "G": 778, "H": 722, "I": 278,
    "J": 500, "K": 667, "L": 556, "M": 833, "N": 722, "O": 778, "P": 667, "Q": 778, "R": 722,
    "S": 667, "T": 611, "U": 722, "V": 667, "W": 944, "X": 667, "Y": 667, "Z": 611, "a": 556,
    "b": 556, "c": 500, "d": 556, "e": 556, "f": 278, "g": 556, "h": 556, "i": 222, "j": 222,
    "k": 500, "l": 222, "m": 833, "n": 556, "o": 556, "p": 556, "q": 556, "r": 333, "s": 500,
    "t": 278, "u": 556, "v": 500, "w": 722, "x": 500, "y": 500, "z": 500, "–": 556, "—": 1000,
    "•": 350, "”": 333, "“": 333, "’": 222, "…": 1000,
}  # fmt: skip
_BOLD_WIDTH = 1.06
_LIST_MARKER = re.compile(r"^(?:[-–•▪◦○●*]|\d{1,2}[.)]|[a-zA-Z][.)])$")
_LIST_START = re.compile(r"^(?:[-–•▪◦○●*]\s|\d{1,2}[.)]\s|[a-zA-Z][.)]\s)")
_TERMINAL = re.compile(r"[.!?]$")
_OPEN_END = re.compile(
    r"(?:[,;–-]|\b(?:och|eller|samt|att|som|av|för|till|i|på|med|om|mellan|inom|enligt|"
    r"från|vid|över|under|mot|hos|efter|den|det|de|en|ett))$"
)
_BOLD_NAME = re.compile(r"bold|black|heavy|demi|semibold|,b$", re.IGNORECASE)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated width in points of `text` set at `size`."""
    total = 0
    for char in text:
        width = _WIDTHS.get(char)
        if width is None:
            if char.isdigit():
                width = 556
            else:
                base = unicodedata.normalize("NFD", char)[:1]
                width = _WIDTHS.get(base, 556)
        total += width
    return total * size / 1000 * (_BOLD_WIDTH if bold else 1.0)


@dataclass
class Run:
    x: float
    y: float
    size: float
    bold: bool
    text: str
    order: int = 0  # position in the content stream

    @cached_property
    def width(self) -> float:
        return text_width(self.text, self.size, self.bold)

    @property
    def end(self) -> float:
        return self.x + self.width


@dataclass
class Cell:
    x: float
    runs: list[Run] = field(default_factory=list)

    @property
    def text(self) -> str:
        return _join_runs(self.runs)


@dataclass
class VisualLine:
    y: float
    cells: list[Cell]
    size: float
    bold: bool

    @property
    def x(self) -> float:
        return self.cells[0].x

    @property
    def right(self) -> float:
        return max(run.end for cell in self.cells for run in cell.runs)

    @property
    def text(self) -> str:
        return " ".join(cell.text for cell in self.cells)

    @property
    def is_row(self) -> bool:
        return len(self.cells) >= 2


class PageCollector:
    """Collects the text runs of one page through pypdf's `visitor_text` callback."""

    def __init__(self) -> None:
        self.runs: list[Run] = []
        self._bold: dict[int, bool] = {}

    def __call__(self, text: Any, cm: Any, tm: Any, font: Any, font_size: Any) -> None:
        if not text or not str(text).strip():
            return
        a, b, c, d, e, f = _multiply(tm, cm)
        if abs(b) > 1e-3 * abs(a) + 1e-6 or abs(c) > 1e-3 * abs(d) + 1e-6 or a <= 0 or d <= 0:
            return  # rotated or mirrored text: the reader falls back to plain extraction
        nominal = float(font_size or 0)
        size = max(nominal * d if nominal > 0 else d, 1.0)  # "Tf 1" scaled by the matrix
        bold = self._is_bold(font)
        for offset, piece in enumerate(str(text).split("\n")):
            piece = piece.replace("\t", " ")
            if piece.strip():
                y = f - offset * size * 1.2
                self.runs.append(Run(e, y, size, bold, piece, len(self.runs)))

    def _is_bold(self, font: Any) -> bool:
        if font is None:
            return False
        key = id(font)
        if key not in self._bold:
            self._bold[key] = _font_is_bold(font)
        return self._bold[key]


def _font_is_bold(font: Any) -> bool:
    try:
        name = str(font.get("/BaseFont", ""))
        if _BOLD_NAME.search(name.split("+")[-1]):
            return True
        descriptor = font.get("/FontDescriptor")
        if descriptor is None and "/DescendantFonts" in font:
            descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
        if descriptor is not None:
            descriptor = descriptor.get_object()
            weight = descriptor.get("/FontWeight")
            if weight is not None and float(weight) >= 600:
                return True
            flags = int(descriptor.get("/Flags", 0))
            return bool(flags & (1 << 18))  # ForceBold
    except Exception:  # a malformed font dictionary: treat as regular
        return False
    return False


def _multiply(tm: Any, cm: Any) -> tuple[float, float, float, float, float, float]:
    a1, b1, c1, d1, e1, f1 = (float(v) for v in tm)
    a2, b2, c2, d2, e2, f2 = (float(v) for v in cm)
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _join_runs(runs: list[Run]) -> str:
    """Text of runs on one line: a space where the gap between two runs is a word space."""
    out = ""
    previous: Run | None = None
    for run in runs:
        text = run.text
        if (
            previous is not None
            and out
            and not out.endswith(" ")
            and not text.startswith(" ")
            and run.x - previous.end > 0.12 * run.size
        ):
            out += " "
        out += text
        previous = run
    return re.sub(r"\s+", " ", out).strip()


# --- lines -------------------------------------------------------------------------------


def _visual_lines(runs: list[Run]) -> list[VisualLine]:
    """Runs grouped by baseline, top to bottom; each line split into cells."""
    ordered = sorted(runs, key=lambda r: (-r.y, r.x))
    groups: list[list[Run]] = []
    for run in ordered:
        if groups and abs(groups[-1][0].y - run.y) <= 0.35 * min(groups[-1][0].size, run.size):
            groups[-1].append(run)
        else:
            groups.append([run])
    lines = []
    for group in groups:
        # Content-stream order, not x order: pypdf reports the position where a text object
        # started, so a run shown after another one (a bold word mid-line) may claim the
        # line's start. A run that does not lie past the one before follows on directly.
        group.sort(key=lambda r: r.order)
        for previous, run in itertools.pairwise(group):
            if run.x < previous.end - 0.5 * run.size:
                run.x = previous.end
        chars = Counter()
        bold_chars = 0
        for run in group:
            n = len(run.text.strip())
            chars[round(run.size * 2) / 2] += n
            bold_chars += n if run.bold else 0
        size = chars.most_common(1)[0][0]
        total = sum(chars.values())
        lines.append(
            VisualLine(
                y=group[0].y,
                cells=[Cell(group[0].x, group)],
                size=size,
                bold=bold_chars >= 0.85 * total,
            )
        )
    return lines


def _column_positions(lines: list[VisualLine]) -> set[float]:
    """x positions (rounded to 1 pt) where runs start on three or more lines."""
    seen: dict[float, set[int]] = {}
    for index, line in enumerate(lines):
        for run in line.cells[0].runs:
            seen.setdefault(round(run.x), set()).add(index)
    return {x for x, where in seen.items() if len(where) >= 3}


def _split_cells(line: VisualLine, columns: set[float]) -> None:
    """Split a line into table cells at wide gaps or at shared column positions."""
    runs = line.cells[0].runs
    cells = [Cell(runs[0].x, [runs[0]])]
    for run in runs[1:]:
        previous = cells[-1].runs[-1]
        gap = run.x - previous.end
        wide = gap > max(2.0 * run.size, 1.2 * run.size + 0.1 * (previous.end - previous.x))
        aligned = gap > 0.8 * run.size and any(abs(run.x - x) <= 1.0 for x in columns)
        if wide or aligned:
            cells.append(Cell(run.x, [run]))
        else:
            cells[-1].runs.append(run)
    # A list marker in its own cell ("•", "1.") belongs with the item text.
    if len(cells) >= 2 and _LIST_MARKER.match(cells[0].text):
        cells[0:2] = [Cell(cells[0].x, cells[0].runs + cells[1].runs)]
    line.cells = cells


# --- document-level measures --------------------------------------------------------------


@dataclass
class Measures:
    leading: float  # usual distance between baselines, as a multiple of the font size
    right: float  # the right margin as seen through the width estimate


def measure(pages: list[list[VisualLine]]) -> Measures:
    ratios: Counter[float] = Counter()
    rights: list[float] = []
    for lines in pages:
        for above, below in itertools.pairwise(lines):
            if abs(above.size - below.size) < 0.6 and above.y > below.y:
                ratios[round((above.y - below.y) / below.size, 2)] += 1
        rights.extend(line.right for line in lines if not line.is_row and len(line.text) >= 30)
    leading = ratios.most_common(1)[0][0] if ratios else 1.2
    if rights:
        rights.sort()
        right = rights[min(len(rights) - 1, int(len(rights) * 0.9))]
    else:
        right = max((line.right for lines in pages for line in lines), default=0.0)
    return Measures(leading=max(leading, 1.0), right=right)


# --- blocks and logical lines ---------------------------------------------------------------


def _new_block(above: VisualLine, below: VisualLine, measures: Measures) -> bool:
    if abs(above.size - below.size) >= 0.6 or above.bold != below.bold:
        return True
    distance = above.y - below.y
    return distance <= 0 or distance > measures.leading * below.size * 1.15


def _full(line: VisualLine, following: VisualLine, measures: Measures) -> bool:
    """Would the first word of `following` have fitted at the end of `line`?"""
    first_word = following.text.split(" ", 1)[0]
    needed = text_width(" " + first_word, following.size, following.bold)
    slack = measures.right - (line.right + needed)
    tolerance = 0.03 * max(measures.right - line.x, 1.0)
    text = line.text
    if following.text[:1].islower() and not _TERMINAL.search(text):
        tolerance *= 4  # the sentence visibly goes on
    return slack < tolerance


def _continues(
    line: VisualLine, following: VisualLine, measures: Measures, line_list: bool
) -> bool:
    """Is `following` the next visual line of the paragraph `line` belongs to?

    A long next word leaves a wrapped line well short of the margin, so a hard line break
    before a capitalized word can look the same ("Socialförvaltningens ledningssystem ..." /
    "Kvalitetsberättelse för året 2022 ..."). In a block that has hard breaks elsewhere
    (`line_list`: titles, names, recipients), a line ending before a capital must itself
    reach near the margin, unless it ends open (a comma, "och", "för" ...).
    """
    text = line.text
    if _LIST_START.match(following.text) or text.endswith(":"):
        return False
    if not _full(line, following, measures):
        return False
    if line_list and following.text[:1].isupper() and not _OPEN_END.search(text):
        return measures.right - line.right < 0.10 * max(measures.right - line.x, 1.0)
    return True


def _is_line_list(block: list[VisualLine], measures: Measures) -> bool:
    """A block with a line that ends short of the margin before a line that is no list item:
    its lines are separate entries (or it is a page of paragraphs set without spacing)."""
    for above, below in itertools.pairwise(block):
        if _LIST_START.match(below.text):
            continue
        if above.text.endswith(":") or not _full(above, below, measures):
            return True
    return False


def _row_continuation(row: VisualLine, line: VisualLine) -> bool:
    """Does `line` hold the next lines of the cells of table row `row`?

    A line with a cell in the row's first column and one in a later column is the next row
    when its first cell starts a new entry (capital, digit or §): a header table of
    `Label  value` rows set without spacing between rows, or an agenda. A wrapped label goes
    on in lower case ("Justeringens plats och" / "tid")."""
    columns = [cell.x for cell in row.cells]
    first = line.cells[0]
    if (
        len(line.cells) >= 2
        and abs(first.x - columns[0]) <= 2.0
        and first.text[:1].isupper() | first.text[:1].isdigit() | (first.text[:1] == "§")
    ):
        return False
    return all(any(abs(run.x - x) <= 2.0 for x in columns) for run in line.cells[0].runs) and (
        all(any(abs(cell.x - x) <= 2.0 for x in columns) for cell in line.cells)
    )


def _merge_into_row(row: list[list[str]], columns: list[float], line: VisualLine) -> None:
    for cell in line.cells:
        for run in cell.runs:
            index = max(i for i, x in enumerate(columns) if x <= run.x + 2.0)
            parts = row[index]
            if parts:
                parts[-1] = join_words(parts[-1], run.text.strip())
            else:
                parts.append(run.text.strip())


def page_text(lines: list[VisualLine], measures: Measures) -> tuple[str, str | None]:
    """Logical lines of one page, a blank line between blocks; and the line that runs on
    to the next page (the page's last paragraph ends in a full line), if any."""
    out: list[str] = []
    index = 0
    previous: VisualLine | None = None
    last_text: tuple[str, VisualLine] | None = None
    block_end = 0  # end (exclusive) of the block of text lines being read
    line_list = False
    while index < len(lines):
        line = lines[index]
        if previous is not None and (_new_block(previous, line, measures) or previous.is_row):
            out.append("")
        if line.is_row:
            columns = [cell.x for cell in line.cells]
            row = [[cell.text] for cell in line.cells]
            last = line
            index += 1
            while (
                index < len(lines)
                and not _new_block(last, lines[index], measures)
                and _row_continuation(line, lines[index])
            ):
                _merge_into_row(row, columns, lines[index])
                last = lines[index]
                index += 1
            out.append("\t".join(" ".join(parts) for parts in row))
            previous = last
            continue
        if block_end <= index:
            block_end = index + 1
            while (
                block_end < len(lines)
                and not lines[block_end].is_row
                and not _new_block(lines[block_end - 1], lines[block_end], measures)
            ):
                block_end += 1
            line_list = _is_line_list(lines[index:block_end], measures)
        text = line.text
        last = line
        index += 1
        while index < block_end and _continues(last, lines[index], measures, line_list):
            text = join_words(text, lines[index].text)
            last = lines[index]
            index += 1
        out.append(text)
        if not _short(last, measures):
            last_text = (text, last)
        previous = last
    runs_on = None
    if last_text is not None:
        text, last = last_text
        position = lines.index(last)
        tail = lines[position + 1 :]
        if _ends_full(last, measures) and all(t.is_row or _short(t, measures) for t in tail):
            runs_on = text
    return "\n".join(out), runs_on


def _short(line: VisualLine, measures: Measures) -> bool:
    """A line covering less than half the text width (a page number, a signature label)."""
    return line.right - line.x < 0.5 * (measures.right - line.x)


def _ends_full(line: VisualLine, measures: Measures) -> bool:
    """The line reaches the right margin and its sentence is not finished."""
    if _TERMINAL.search(line.text) or line.text.endswith(":"):
        return False
    needed = text_width(" aaaaa", line.size, line.bold)
    return measures.right - (line.right + needed) < 0.03 * max(measures.right - line.x, 1.0)


def layout_pages(collected: list[PageCollector]) -> tuple[list[str], list[str | None]]:
    """Page texts from the runs collected on each page, and the line of each page that
    runs on to the next one (None when the page ends with a finished paragraph)."""
    pages = []
    for collector in collected:
        lines = _visual_lines(collector.runs)
        columns = _column_positions(lines)
        for line in lines:
            _split_cells(line, columns)
        pages.append(lines)
    measures = measure(pages)
    texts: list[str] = []
    runs_on: list[str | None] = []
    for lines in pages:
        text, continued = page_text(lines, measures)
        texts.append(text)
        runs_on.append(continued)
    return texts, runs_on
