"""Generate realistic PDF, DOCX and HTML test documents from the bundled text corpus.

The corpus files (``corpus/*.txt``) are text extracted from Swedish municipal PDFs in a
markdown-ish form.  The test-suite needs the *original* formats back, so this module parses
that text into visual blocks (:func:`blocks_from_markdownish`) and renders them with fpdf2,
python-docx or plain HTML.  It also writes deliberately broken inputs (truncated, encrypted,
image-only PDFs, binary garbage, non-UTF-8 text, a zip-bomb .docx) for robustness tests.

Only test dependencies are used: fpdf2, pikepdf, python-docx and Pillow (an fpdf2 dependency).
"""

from __future__ import annotations

import html
import io
import random
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pikepdf
from docx import Document
from docx.text.paragraph import Paragraph
from fpdf import FPDF, XPos, YPos
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}

FURNITURE_LABELS = ("Justerandes sign", "Utdragsbestyrkande")

#: A short protocol in the corpus markup, used by the broken-input writers by default.
#: ``\x20\x20`` at a line end is the markup's hard line break (two trailing spaces).
SAMPLE_TEXT = """\
## Protokoll fört vid socialnämndens sammanträde 2023-09-21

**Plats och tid** Stadshuset klockan 08:30–12:00

Ledamöter	Göran Gredfors (M) ordförande, Anna Wilder (S), Carina Åkesson (SD)
Övriga närvarande	Sara Boëthius nämndsekreterare

§ 70

## Fastställande av föredragningslista

### Beslut

1. Föredragningslistan godkänns.
2. Ärendet om ”Vistelseförbud” läggs till som § 75.

\\_\\_\\_\\_\\_

**§ 71****Socialnämndens delårsrapport 2 år 2023**

Socialnämnden uppvisar för delår 2 ett negativt resultat om -29,3 miljoner kronor. Vårddygnet \
för barn och unga fortsätter ligga på höga nivåer, och kostnaderna för extern vård ökar.

- Bilaga 1: Uppföljning av verksamhet som bedrivs av privata utförare
- Bilaga 2: Rapport av insatser som verkställs av externa utförare

*Kostnaden för införandet belastar kommunledningskontorets ram.*

Beslutet skickas till:\x20\x20
Kommunstyrelsen\x20\x20
Kommunrevisionen
"""

#: Markdown's soft wrap: a newline without two trailing spaces joins lines with a space.
#: The corpus never soft-wraps (see :func:`_join_lines`), so this is off.
SOFT_WRAP = False

BlockKind = Literal["heading", "paragraph", "list_item", "table_row", "rule", "furniture"]


@dataclass
class Span:
    """A run of inline text with uniform emphasis; ``text`` may contain ``\\n`` line breaks."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass
class Block:
    """One visual block of a document.

    ``text`` is the plain text with markup removed (line breaks as ``\\n``); ``spans`` keeps
    the inline emphasis for paragraphs, headings and list items.  ``level`` is the heading
    level (1–4) or, for list items, the nesting depth (0 = top level).  ``cells`` holds the
    cell texts of a table row.  ``bold``/``italic`` are true when the whole text has that
    emphasis.
    """

    kind: BlockKind
    text: str = ""
    level: int = 0
    bold: bool = False
    italic: bool = False
    ordered: bool = False
    number: int | None = None
    cells: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(
    r"^(?P<indent>[ \t]*)(?:(?P<bullet>[-+•])|(?P<num>\d{1,3})[.)])\s+(?P<body>.*)$"
)
_RULE = re.compile(r"^(?:-{3,}|_{3,}|(?:\\_){3,}|\*{3,})$")
_TABLE_RULE_CELL = re.compile(r"^:?-+:?$")
_PARAGRAPH_MARK = re.compile(r"^§{1,2}\s*\d+(?:\s*[-–]\s*\d+)?$")
_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\s]*\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_HTML_LAYOUT_TAG = re.compile(r"</?(?:p|ul|ol|li|br|div|span|sup|sub|u|font)\b[^>]*>", re.I)
# Inline tokens: backslash escape | emphasis tag | run of asterisks | strike marker.
# ``\*\*(?=\*\*)`` makes "****" two bold markers ("**a****b**" = two adjacent bold spans).
_INLINE = re.compile(r"\\([^\w\s])|(</?(?:b|strong|i|em)>)|(\*\*(?=\*\*)|\*{1,3})|(~~)", re.I)
_SPACES = re.compile(r"[ \t\u00a0]+")


def is_paragraph_mark(text: str) -> bool:
    """True for a protocol paragraph number line such as ``§ 70`` or ``§§ 1-17``."""
    return bool(_PARAGRAPH_MARK.match(text.strip()))


def _is_rule_line(stripped: str) -> bool:
    return bool(_RULE.match(stripped))


def _is_furniture(line: str) -> bool:
    """Page furniture left in the corpus by the PDF export: signature boxes, table rules."""
    cells = [_plain(cell) for cell in line.split("\t")]
    cells = [c for c in cells if c]
    if not cells:
        return False
    if "\t" in line and all(_TABLE_RULE_CELL.match(c) for c in cells):
        return True
    words = " ".join(cells)
    for label in FURNITURE_LABELS:
        words = words.replace(label, "")
    return not words.strip()


def _plain(text: str) -> str:
    return "".join(span.text for seg in _parse_inline(text) for span in seg).strip()


@dataclass
class _Token:
    text: str
    kind: str = ""  # "" for text, else the marker kind ("*", "**", "***", "~~", "<b>", ...)
    role: str = ""  # "open" / "close" for paired markers


def _tokenize(text: str) -> list[_Token]:
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_LAYOUT_TAG.sub(" ", text)
    tokens: list[_Token] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            tokens.append(_Token(text[pos : m.start()]))
        if m.group(1):
            tokens.append(_Token(m.group(1)))
        elif m.group(2):
            tag = m.group(2).lower().replace("strong", "b").replace("em>", "i>")
            tokens.append(_Token(m.group(2), tag, "close" if tag.startswith("</") else "open"))
        else:
            tokens.append(_Token(m.group(0), m.group(0)))
        pos = m.end()
    if pos < len(text):
        tokens.append(_Token(text[pos:]))
    return tokens


def _pair_markers(tokens: list[_Token]) -> None:
    """Mark symmetric markers (``*``, ``**``, ``***``, ``~~``) as open/close.

    A marker opens when followed by non-space and closes when preceded by non-space and an
    opener of the same kind is pending.  Unpaired markers become literal text, so footnote
    stars such as ``Nej*`` or ``*utfall för indikatorer ...`` (never closed) are kept.
    """

    def neighbour(i: int, step: int) -> str:
        j = i + step
        if 0 <= j < len(tokens) and not tokens[j].kind and tokens[j].text:
            return tokens[j].text[-1 if step < 0 else 0]
        return ""

    pending: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        if not tok.kind or tok.kind.startswith("<"):
            continue
        opener = pending.get(tok.kind)
        before, after = neighbour(i, -1), neighbour(i, 1)
        if opener is not None and opener != i - 1 and not before.isspace():
            tokens[opener].role, tok.role = "open", "close"
            del pending[tok.kind]
        elif after and not after.isspace():
            pending[tok.kind] = i
    for tok in tokens:
        if tok.kind and not tok.role:
            tok.kind = ""  # unpaired: literal text


def _parse_inline(text: str) -> list[list[Span]]:
    """Parse inline markup into segments of spans.

    A closing marker directly followed by an opening one (``**§ 2****Val**``,
    ``~~A~~~~B~~``, ``**Ledamöter**~~Namn~~``) is where the PDF extraction lost a line break,
    so it starts a new segment; callers turn segments into separate blocks or lines.
    """
    tokens = _tokenize(text)
    _pair_markers(tokens)
    segments: list[list[Span]] = [[]]
    bold = italic = False
    just_closed = False
    for tok in tokens:
        if not tok.kind:
            segments[-1].append(Span(tok.text, bold, italic))
            just_closed = False
            continue
        if tok.role == "open" and just_closed and segments[-1]:
            segments.append([])
        on = tok.role == "open"
        kind = tok.kind.strip("</>")
        if kind in ("**", "***", "b"):
            bold = on
        if kind in ("*", "***", "i"):
            italic = on
        just_closed = not on
    return [s for s in (_clean_spans(seg) for seg in segments) if s]


def _clean_spans(spans: list[Span]) -> list[Span]:
    """Collapse whitespace, trim the segment's ends and merge runs with equal emphasis."""
    out: list[Span] = []
    for span in spans:
        t = _SPACES.sub(" ", span.text)
        t = re.sub(r" ?\n ?", "\n", t)
        if not t:
            continue
        if out and (out[-1].bold, out[-1].italic) == (span.bold, span.italic):
            out[-1].text = _SPACES.sub(" ", out[-1].text + t)
        else:
            out.append(Span(t, span.bold, span.italic))
    if out:
        out[0].text = out[0].text.lstrip()
        out[-1].text = out[-1].text.rstrip()
    return [s for s in out if s.text]


def _block_from_spans(
    kind: BlockKind,
    spans: list[Span],
    *,
    level: int = 0,
    ordered: bool = False,
    number: int | None = None,
) -> Block:
    visible = [s for s in spans if s.text.strip()]
    return Block(
        kind,
        text="".join(s.text for s in spans),
        level=level,
        bold=bool(visible) and all(s.bold for s in visible),
        italic=bool(visible) and all(s.italic for s in visible),
        ordered=ordered,
        number=number,
        spans=spans,
    )


def _flatten(segments: list[list[Span]]) -> list[Span]:
    """Join segments with a space, for contexts that cannot split (headings, list items)."""
    spans: list[Span] = []
    for seg in segments:
        if spans:
            spans.append(Span(" ", seg[0].bold, seg[0].italic))
        spans.extend(seg)
    return _clean_spans(spans)


def _join_lines(lines: list[str]) -> str:
    """Join source lines: a trailing double space is a hard line break, else a space.

    With ``SOFT_WRAP`` off (the default) every newline is a line break: the corpus keeps each
    paragraph on one line, so a newline inside a block ("Beslutet skickas till:" /
    "Kommunstyrelsen", a letterhead label over its value) was a line break in the source
    document, whether or not the extraction marked it with two trailing spaces.
    """
    parts = []
    for i, line in enumerate(lines):
        hard = line.endswith("  ") or not SOFT_WRAP
        sep = "" if i == len(lines) - 1 else ("\n" if hard else " ")
        parts.append(line.strip() + sep)
    return "".join(parts)


def blocks_from_markdownish(text: str) -> list[Block]:
    """Parse corpus text into visual blocks.

    Block markup: ``#``–``####`` headings, ``- `` / ``1. `` list items (two spaces of indent
    per nesting level), tab-separated table rows, ``---`` and ``\\_\\_\\_`` rules, blank
    lines between paragraphs and a newline (or markdown's two trailing spaces) for a line
    break inside one (see :data:`SOFT_WRAP`).  Inline:
    ``**bold**``, ``*italic*``, ``***both***``, ``~~struck~~`` (kept as plain text),
    ``<b>``/``<i>`` tags, ``\\x`` escapes and ``[text](url)`` links.  "Justerandes sign",
    "Utdragsbestyrkande" and table rule lines become ``furniture`` blocks.
    """
    blocks: list[Block] = []
    pending: list[str] = []
    pending_item: Block | None = None

    def flush() -> None:
        nonlocal pending, pending_item
        if pending_item is not None:
            spans = _flatten(_parse_inline(_join_lines(pending)))
            if spans:
                blocks.append(
                    _block_from_spans(
                        "list_item",
                        spans,
                        level=pending_item.level,
                        ordered=pending_item.ordered,
                        number=pending_item.number,
                    )
                )
        elif pending:
            for seg in _parse_inline(_join_lines(pending)):
                block = _block_from_spans("paragraph", seg)
                if is_paragraph_mark(block.text):
                    block.bold = True  # protocols print paragraph numbers in bold
                blocks.append(block)
        pending, pending_item = [], None

    for raw in text.splitlines():
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if _is_furniture(line):
            flush()
            blocks.append(Block("furniture", text=" ".join(_plain(c) for c in line.split("\t"))))
            continue
        if "\t" in line.rstrip():
            flush()
            cells = line.rstrip(" ").split("\t")
            segs = [_flatten(_parse_inline(c)) for c in cells]
            texts = ["".join(s.text for s in seg) for seg in segs]
            filled = [seg for seg in segs if seg]
            blocks.append(
                Block(
                    "table_row",
                    text="\t".join(texts),
                    cells=texts,
                    bold=bool(filled) and all(s.bold for seg in filled for s in seg),
                )
            )
            continue
        if _is_rule_line(stripped):
            flush()
            blocks.append(Block("rule", text="_____" if "_" in stripped else ""))
            continue
        if m := _HEADING.match(stripped):
            flush()
            spans = _flatten(_parse_inline(m.group(2)))
            if spans:
                blocks.append(_block_from_spans("heading", spans, level=min(len(m.group(1)), 4)))
            continue
        if m := _LIST_ITEM.match(line):
            flush()
            indent = len(m.group("indent").expandtabs(4))
            num = m.group("num")
            pending_item = Block(
                "list_item",
                level=min(indent // 2, 3),
                ordered=num is not None,
                number=int(num) if num else None,
            )
            pending = [m.group("body") + ("  " if line.endswith("  ") else "")]
            continue
        pending.append(line)
    flush()
    return blocks


def plain_text(text: str, *, furniture: bool = False) -> str:
    """The visible text of the rendered documents, one block per line (for assertions)."""
    lines = []
    for b in blocks_from_markdownish(text):
        if b.kind == "furniture" and not furniture:
            continue
        lines.append(" ".join(c for c in b.cells if c) if b.kind == "table_row" else b.text)
    return "\n".join(line for line in lines if line)


def _runs(blocks: list[Block]) -> Iterator[tuple[str, list[Block]]]:
    """Group consecutive table rows ("table") and list items ("list"); others one by one."""
    i = 0
    while i < len(blocks):
        kind = blocks[i].kind
        if kind in ("table_row", "list_item"):
            j = i
            while j < len(blocks) and blocks[j].kind == kind:
                j += 1
            yield ("table" if kind == "table_row" else "list"), blocks[i:j]
            i = j
        else:
            yield kind, [blocks[i]]
            i += 1


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------

BODY_SIZE = 10.5
HEADING_SIZE = {1: 16.0, 2: 13.5, 3: 12.0, 4: 11.0}
_FIXED_DATE = datetime(2023, 9, 26, 12, 0, tzinfo=UTC)  # deterministic output bytes


class _ProtocolPDF(FPDF):
    """A4 page with optional protocol furniture drawn by fpdf2's header/footer hooks."""

    def __init__(self, *, furniture: bool, header_text: str | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.furniture = furniture
        self.header_text = header_text
        for style, name in FONT_FILES.items():
            self.add_font("DejaVu", style, str(FONT_DIR / name))
        self.set_margins(left=25, top=22, right=20)
        self.set_auto_page_break(auto=True, margin=22)
        self.set_creation_date(_FIXED_DATE)
        self.set_lang("sv-SE")
        if furniture:
            self.alias_nb_pages()  # "{nb}" is replaced by the page count on output

    def header(self) -> None:
        if not (self.furniture or self.header_text):
            return
        self.set_font("DejaVu", "", 8)
        self.set_y(10)
        if self.header_text:
            self.cell(self.epw * 0.75, 4, self.header_text, align="L")
        if self.furniture:
            self.set_x(self.l_margin)
            self.cell(0, 4, f"{self.page_no()} ({{nb}})", align="R")
        self.set_draw_color(150)
        self.line(self.l_margin, 15, self.w - self.r_margin, 15)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        if not self.furniture:
            return
        self.set_y(-16)
        self.set_draw_color(150)
        self.line(self.l_margin, self.get_y() - 1, self.w - self.r_margin, self.get_y() - 1)
        self.set_font("DejaVu", "", 8)
        self.cell(self.epw / 2, 4, FURNITURE_LABELS[0], align="L")
        self.cell(
            self.epw / 2, 4, FURNITURE_LABELS[1], align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )


_MD_SPECIAL = re.compile(r"\\|\*\*|__|~~|--")


def _markdown(spans: list[Span]) -> str:
    """Spans as fpdf2 markdown (``**bold**``, ``__italic__``) with literal markers escaped."""
    parts = []
    for s in spans:
        t = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), s.text)
        if s.italic:
            t = f"__{t}__"
        if s.bold:
            t = f"**{t}**"
        parts.append(t)
    return "".join(parts)


def _write_text(
    pdf: FPDF, w: float, spans: list[Span], *, size: float, bold: bool = False, align: str = "L"
) -> None:
    """multi_cell with wrapping; mixed emphasis goes through fpdf2's markdown mode."""
    spans = [replace(s, bold=s.bold or bold) for s in spans]
    uniform = {(s.bold, s.italic) for s in spans if s.text.strip()}
    if len(uniform) <= 1:
        b, i = next(iter(uniform), (False, False))
        pdf.set_font("DejaVu", ("B" if b else "") + ("I" if i else ""), size)
        text, markdown = "".join(s.text for s in spans), False
    else:  # fpdf2 starts from the current font style, so start from regular
        pdf.set_font("DejaVu", "", size)
        text, markdown = _markdown(spans), True
    pdf.multi_cell(
        w, size * 0.47, text, markdown=markdown, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )


def _column_widths(pdf: FPDF, rows: list[Block], ncols: int) -> tuple[list[float], float]:
    """Auto table layout: every column at least as wide as its longest word, the rest of the
    width shared in proportion to how much more each column would like; the font shrinks
    (down to 6.5 pt) before words have to be broken.  Returns (widths, font size)."""
    columns = [[r.cells[i] for r in rows if i < len(r.cells) and r.cells[i]] for i in range(ncols)]
    pad = 2 * pdf.c_margin + 0.5
    for size in (BODY_SIZE - 1, BODY_SIZE - 2, BODY_SIZE - 3, BODY_SIZE - 4):
        pdf.set_font("DejaVu", "B", size)  # bold is the widest: safe for every row
        least = [
            max((pdf.get_string_width(w) for c in col for w in c.split()), default=0) + pad
            for col in columns
        ]
        if sum(least) <= pdf.epw:
            break
    natural = [max((pdf.get_string_width(c) for c in col), default=0) + pad for col in columns]
    if sum(least) > pdf.epw:  # too many columns: words will be broken
        return [pdf.epw * w / sum(least) for w in least], size
    if sum(natural) <= pdf.epw:
        return [pdf.epw * w / sum(natural) for w in natural], size
    spare = pdf.epw - sum(least)
    wish = [n - m for n, m in zip(natural, least, strict=True)]
    return [m + spare * x / sum(wish) for m, x in zip(least, wish, strict=True)], size


def _pdf_table(pdf: FPDF, rows: list[Block]) -> None:
    """Rows as side-by-side multi_cells without borders (like a layout table in Word)."""
    ncols = max(len(r.cells) for r in rows)
    widths, size = _column_widths(pdf, rows, ncols)
    line_h = size * 0.47
    usable = pdf.h - pdf.t_margin - pdf.b_margin
    for row in rows:
        cells = row.cells + [""] * (ncols - len(row.cells))
        pdf.set_font("DejaVu", "B" if row.bold else "", size)
        heights = [
            len(pdf.multi_cell(w, line_h, c, dry_run=True, output="LINES")) * line_h if c else 0
            for w, c in zip(widths, cells, strict=True)
        ]
        height = max(heights) + 1
        if height > usable:  # cannot fit side by side on one page: degrade to a paragraph
            _write_text(pdf, 0, [Span(" ".join(c for c in cells if c), row.bold)], size=size)
            continue
        if pdf.will_page_break(height):
            pdf.add_page()
        y, x = pdf.get_y(), pdf.l_margin
        for w, c in zip(widths, cells, strict=True):
            if c:
                pdf.set_xy(x, y)
                pdf.multi_cell(w, line_h, c, align="L")
            x += w
        pdf.set_xy(pdf.l_margin, y + height)
    pdf.ln(2)


def _render_pdf(
    text: str, *, furniture: bool = True, header: str | None = None, justify: bool = False
) -> bytes:
    pdf = _ProtocolPDF(furniture=furniture, header_text=header)
    blocks = [b for b in blocks_from_markdownish(text) if b.kind != "furniture"]
    title = next((b.text for b in blocks if b.kind == "heading"), header or "Protokoll")
    pdf.set_title(title.replace("\n", " "))
    align = "J" if justify else "L"
    pdf.add_page()
    for group, items in _runs(blocks):
        b = items[0]
        if group == "table":
            _pdf_table(pdf, items)
        elif group == "list":
            for item in items:
                indent = 5 + 6 * item.level
                pdf.set_font("DejaVu", "", BODY_SIZE)
                pdf.set_x(pdf.l_margin + indent)
                pdf.cell(7, BODY_SIZE * 0.47, f"{item.number}." if item.ordered else "•")
                _write_text(pdf, pdf.epw - indent - 7, item.spans, size=BODY_SIZE, align=align)
                pdf.ln(1)
        elif group == "heading":
            size = HEADING_SIZE[b.level]
            if pdf.will_page_break(size + 12):  # keep a heading with its first lines
                pdf.add_page()
            pdf.ln(2 if b.level > 2 else 4)
            _write_text(pdf, 0, b.spans, size=size, bold=True)
            pdf.ln(1.5)
        elif group == "paragraph":
            _write_text(pdf, 0, b.spans, size=BODY_SIZE, bold=b.bold, align=align)
            pdf.ln(2)
        elif group == "rule":
            if b.text:
                _write_text(pdf, 0, [Span(b.text)], size=BODY_SIZE)
            else:
                y = pdf.get_y() + 2
                pdf.set_draw_color(120)
                pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
                pdf.set_y(y + 2)
            pdf.ln(2)
    return bytes(pdf.output())


def write_pdf(
    text: str,
    path: Path,
    *,
    furniture: bool = True,
    header: str | None = None,
    justify: bool = False,
) -> Path:
    """Render corpus text to an A4 PDF with a real text layer (DejaVu Sans, fpdf2).

    With ``furniture`` every page gets a page number "N (total)" top right and a footer with
    "Justerandes sign" (left) and "Utdragsbestyrkande" (right); ``header`` adds a repeated
    header line top left.  The corpus's own furniture lines are skipped.  ``justify`` sets
    body text justified: fpdf2 then spreads words, and pypdf extracts runs of 2+ spaces.
    """
    path = Path(path)
    path.write_bytes(_render_pdf(text, furniture=furniture, header=header, justify=justify))
    return path


# --------------------------------------------------------------------------------------------
# DOCX and HTML
# --------------------------------------------------------------------------------------------


def write_docx(text: str, path: Path) -> Path:
    """Render corpus text as a .docx: Heading 1–4, bold/italic runs, list styles, Word tables."""
    doc = Document()
    blocks = [b for b in blocks_from_markdownish(text) if b.kind != "furniture"]

    def add_runs(par: Paragraph, spans: list[Span], bold: bool = False) -> None:
        for s in spans:
            run = par.add_run(s.text)
            run.bold = s.bold or bold or None
            run.italic = s.italic or None

    for group, items in _runs(blocks):
        if group == "heading":
            heading = doc.add_heading("", level=items[0].level)
            add_runs(heading, items[0].spans)
        elif group == "paragraph":
            add_runs(doc.add_paragraph(), items[0].spans, bold=items[0].bold)
        elif group == "rule":
            if items[0].text:
                doc.add_paragraph(items[0].text)
        elif group == "list":
            for b in items:
                style = "List Number" if b.ordered else "List Bullet"
                if b.level:
                    style += f" {min(b.level + 1, 3)}"
                add_runs(doc.add_paragraph(style=style), b.spans)
        elif group == "table":
            ncols = max(len(r.cells) for r in items)
            table = doc.add_table(rows=len(items), cols=ncols)
            table.style = "Table Grid"
            for row, b in zip(table.rows, items, strict=True):
                for cell, value in zip(row.cells, b.cells, strict=False):
                    add_runs(cell.paragraphs[0], [Span(value, b.bold)])
    path = Path(path)
    doc.save(str(path))
    return path


def _html_inline(spans: list[Span]) -> str:
    parts = []
    for s in spans:
        t = html.escape(s.text).replace("\n", "<br>\n")
        if s.italic:
            t = f"<i>{t}</i>"
        if s.bold:
            t = f"<b>{t}</b>"
        parts.append(t)
    return "".join(parts)


def _html_list(items: list[Block]) -> list[str]:
    """Nested <ul>/<ol>; a deeper item opens a new list inside the still-open <li>."""
    out: list[str] = []
    stack: list[str] = []
    for b in items:
        tag = "ol" if b.ordered else "ul"
        depth = min(b.level + 1, len(stack) + 1)
        while len(stack) > depth:
            out.append(f"</li></{stack.pop()}>")
        if len(stack) == depth:
            if stack[-1] == tag:
                out.append("</li>")
            else:
                out.append(f"</li></{stack.pop()}>")
        if len(stack) < depth:
            start = f' start="{b.number}"' if b.ordered and b.number not in (None, 1) else ""
            out.append(f"<{tag}{start}>")
            stack.append(tag)
        out.append(f"<li>{_html_inline(b.spans)}")
    out.extend(f"</li></{tag}>" for tag in reversed(stack))
    return out


def write_html(text: str, path: Path) -> Path:
    """Render corpus text as a simple, escaped UTF-8 HTML page."""
    blocks = [b for b in blocks_from_markdownish(text) if b.kind != "furniture"]
    title = next((b.text for b in blocks if b.kind == "heading"), Path(path).stem)
    body: list[str] = []
    for group, items in _runs(blocks):
        b = items[0]
        if group == "heading":
            body.append(f"<h{b.level}>{_html_inline(b.spans)}</h{b.level}>")
        elif group == "paragraph":
            inner = _html_inline(b.spans)
            if b.bold and "<b>" not in inner:  # e.g. "§ 70": bold by convention, not markup
                inner = f"<b>{inner}</b>"
            body.append(f"<p>{inner}</p>")
        elif group == "rule":
            body.append("<hr>")
        elif group == "list":
            body.extend(_html_list(items))
        elif group == "table":
            body.append("<table>")
            for row in items:
                tag = "th" if row.bold else "td"
                cells = "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in row.cells)
                body.append(f"<tr>{cells}</tr>")
            body.append("</table>")
    page = (
        '<!DOCTYPE html>\n<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Broken and special inputs
# --------------------------------------------------------------------------------------------


def write_truncated_pdf(path: Path, text: str = SAMPLE_TEXT, *, fraction: float = 0.5) -> Path:
    """A valid PDF cut to ``fraction`` of its bytes (no trailer, xref or font objects)."""
    data = _render_pdf(text)
    path = Path(path)
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def write_encrypted_pdf(
    path: Path,
    user_password: str = "hemligt",
    *,
    owner_password: str = "agare-hemligt",
    text: str = SAMPLE_TEXT,
    aes256: bool = True,
) -> Path:
    """A PDF that needs ``user_password`` to open (pikepdf; AES-256, or RC4-128 if not aes256).

    pypdf needs the ``cryptography`` package for AES: without it ``PdfReader(path)`` raises
    ``DependencyError`` while trying the empty password.  RC4 works with plain pypdf.
    """
    encryption = (
        pikepdf.Encryption(user=user_password, owner=owner_password, R=6)
        if aes256
        else pikepdf.Encryption(
            user=user_password, owner=owner_password, R=4, aes=False, metadata=False
        )
    )
    with pikepdf.open(io.BytesIO(_render_pdf(text))) as pdf:
        pdf.save(str(path), encryption=encryption)
    return Path(path)


def write_image_only_pdf(path: Path, text: str = SAMPLE_TEXT, *, pages: int = 1) -> Path:
    """A "scanned" PDF: each page is one raster image of text, with no text objects at all.

    The image shows real (Pillow-drawn) text, so OCR could read it, but pypdf extracts "".
    """
    lines = plain_text(text).splitlines()
    font = ImageFont.truetype(str(FONT_DIR / FONT_FILES[""]), 22)
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_creation_date(_FIXED_DATE)
    for page in range(pages):
        img = Image.new("L", (1240, 1754), color=255)  # A4 at 150 dpi
        draw = ImageDraw.Draw(img)
        y = 150
        for line in lines:
            for chunk in wrap(line, 80):
                draw.text((150, y), chunk, fill=0, font=font)
                y += 34
            if y > 1550:
                break
        draw.text((1000, 1650), f"{page + 1} ({pages})", fill=0, font=font)
        pdf.add_page()
        pdf.image(img, x=0, y=0, w=210, h=297)
    Path(path).write_bytes(bytes(pdf.output()))
    return Path(path)


def wrap(line: str, width: int) -> list[str]:
    out: list[str] = []
    current = ""
    for word in line.split():
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*out, current] if current else out


def write_binary_garbage(
    path: Path, size: int = 4096, seed: int = 0, *, pdf_magic: bool = False
) -> Path:
    """Random bytes; a path without suffix gets ".pdf".

    With ``pdf_magic`` the bytes start with ``%PDF-1.7`` so that sniffing by magic number
    says PDF while parsing must fail.
    """
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".pdf")
    data = random.Random(seed).randbytes(size)
    if pdf_magic:
        data = (b"%PDF-1.7\n" + data)[:size]
    elif data.startswith(b"%PDF"):
        data = b"\x00" + data[1:]
    path.write_bytes(data)
    return path


def write_cp1252_text(text: str, path: Path) -> Path:
    """The text encoded as Windows-1252; unencodable characters (e.g. ``⁴``, ``→``) become ``?``."""
    path = Path(path)
    path.write_bytes(text.encode("cp1252", errors="replace"))
    return path


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def write_zip_bomb_docx(path: Path, *, uncompressed_mb: int = 256) -> Path:
    """A structurally valid .docx whose word/document.xml inflates to ``uncompressed_mb`` MiB.

    The part is streamed through ``ZipFile.open(..., "w")`` one MiB at a time, so building
    it needs little memory.  Each MiB is one paragraph whose text is mostly a single repeated
    letter: that deflates ~1000:1 (the format's limit), so 256 MiB gives a ~260 KB file.
    """
    prefix = "<w:p><w:r><w:t>Socialnämnden beslutar enligt förvaltningens förslag "
    suffix = "</w:t></w:r></w:p>"
    filler = "a" * (1024 * 1024 - len(prefix.encode()) - len(suffix))
    chunk = (prefix + filler + suffix).encode()
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{_W_NS}"><w:body>'
    ).encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(head)
            for _ in range(uncompressed_mb):
                part.write(chunk)
            part.write(b"</w:body></w:document>")
    return Path(path)


def write_understated_docx(path: Path, *, actual_mb: int = 16, declared: int = 4096) -> Path:
    """A .docx whose zip headers claim word/document.xml inflates to ``declared`` bytes while
    it really inflates to ``actual_mb`` MiB: a bomb that lies about its size.

    Both the local file header and the central directory entry are patched, so a reader that
    trusts the declared sizes sees a small file.
    """
    body = "".join(
        f"<w:p><w:r><w:t>Socialnämnden beslutar {'a' * 1000}</w:t></w:r></w:p>"
        for _ in range(actual_mb * 1024)
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{_W_NS}"><w:body>{body}</w:body></w:document>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("word/document.xml", document)
    data = bytearray(buffer.getvalue())
    name = b"word/document.xml"
    for signature, size_at, name_len_at, name_at in (
        (b"PK\x03\x04", 22, 26, 30),  # local file header
        (b"PK\x01\x02", 24, 28, 46),  # central directory entry
    ):
        start = 0
        while (start := data.find(signature, start)) != -1:
            length = int.from_bytes(data[start + name_len_at : start + name_len_at + 2], "little")
            if bytes(data[start + name_at : start + name_at + length]) == name:
                data[start + size_at : start + size_at + 4] = declared.to_bytes(4, "little")
            start += 4
    path = Path(path)
    path.write_bytes(bytes(data))
    return path
