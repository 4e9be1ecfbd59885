"""Turn raw page texts into the normalized document text that everything else indexes.

Removes export markup (`**`, `##`, `\\_`, `<b>`), page furniture ("Justerandes sign",
"Utdragsbestyrkande", rule lines, page numbers, repeated page headers and footers), joins
words hyphenated across lines and paragraphs broken by a page break, and unwraps the visual
lines of PDFs into paragraphs. The result uses one line per paragraph, list item or table
row, with a blank line between blocks.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field

from swedish.hyphenation import joint
from swedish.patterns import SECTION_HEADING
from swedish.sections import section_label

from .readers import RawText


@dataclass
class NormalizedText:
    text: str
    page_starts: list[int] | None
    # Pages read by OCR: 1-based page -> Tesseract's mean word confidence.
    ocr_pages: dict[int, float] = field(default_factory=dict)


@dataclass
class _Line:
    text: str
    page: int


FURNITURE = {
    "justerandes sign",
    "justerandes signatur",
    "justerandes signaturer",
    "justerares sign",
    "justerare sign",
    "ordförandes sign",
    "utdragsbestyrkande",
    "justerandes sign utdragsbestyrkande",
    "justerandes signatur utdragsbestyrkande",
}
_RULE = re.compile(r"^[\s\-–—_=|:*·•.]+$")
_PAGE_NUMBER = re.compile(
    r"^(?:sida\s+)?\d{1,4}\s*(?:\(\s*\d{1,4}\s*\)|av\s+\d{1,4}|/\s*\d{1,4})$", re.IGNORECASE
)
_LONE_NUMBER = re.compile(r"^\d{1,3}$")  # not 4 digits: a lone "2023" on a title page is a year
_TAG = re.compile(r"</?(?:b|i|u|em|strong|span|font|sup|sub|small|big|mark|a)\b[^>]*>", re.I)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
# __bold__ only around words: "window.__xss" and "\_\_\_" rules are no markup.
_UNDERSCORE_BOLD = re.compile(r"(?<![\w_])__(?=[^\s_])(.+?)(?<=[^\s_])__(?![\w_])")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>])")
_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_SPACES = re.compile(r"[ \u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SENTENCE_END = re.compile(r"[.!?]$")
_TERMINAL = re.compile(r"[.!?:;)\]”\"»]$")
_LIST_START = re.compile(r"^(?:[-–•*]\s|\d{1,2}[.)]\s|[a-zA-Z][.)]\s|§)")


def normalize(raw: RawText) -> NormalizedText:
    lines: list[_Line] = []
    for page_number, page in enumerate(raw.pages):
        for line in _split_markup(page):
            lines.append(_Line(line, page_number))
        lines.append(_Line("", page_number))
    lines = _drop_page_headers(lines)
    lines = [line for line in lines if not _is_furniture(line.text)]
    # Paged input repeats headers at page edges; exports (and PDFs printed from them) may
    # also keep them inline, mid-page.
    if raw.paged:
        lines = _drop_page_edges(lines, len(raw.pages))
    lines = _drop_repeated_runs(lines)
    if raw.visual_lines:
        lines = _unwrap(lines)
    lines = _join_broken(lines, raw.runs_on)
    normalized = _assemble(lines, raw.paged)
    normalized.ocr_pages = {index + 1: confidence for index, confidence in (raw.ocr or {}).items()}
    return normalized


def clean_line(line: str) -> str:
    """Strip markup and odd whitespace from one line of text."""
    line = line.replace("\r", "").replace("\u200b", "").replace("\ufeff", "")
    line = _TAG.sub("", line)
    if "&" in line:
        line = html.unescape(line)
    line = _HEADING.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = line.replace("**", "").replace("~~", "")
    line = _UNDERSCORE_BOLD.sub(r"\1", line)
    line = _ITALIC.sub(r"\1", line)
    line = _ESCAPE.sub(r"\1", line)
    cells = [_SPACES.sub(" ", cell).strip() for cell in line.split("\t")]
    while cells and not cells[-1]:
        cells.pop()
    return "\t".join(cells) if any(cells) else ""


def _split_markup(page: str) -> list[str]:
    """Split a page into cleaned lines; adjacent bold or struck spans become separate lines."""
    page = _BR.sub("\n", page)
    page = re.sub(r"(\*\*|~~)(\*\*|~~)", "\n", page)
    return [clean_line(line) for line in page.split("\n")]


# A page number of its own or in a header's last cell: "3 (6)", "3(6)", "Sida 3 av 6",
# "Sid 3/6". A bare "3" or "3/6" is not enough outside page edges (a count, a fraction).
_PAGE_LABEL = re.compile(
    r"^(?:sida|sid\.?)\s+\d{1,4}\s*(?:av|/)\s*\d{1,4}$|^\d{1,4}\s*\(\s*\d{1,4}\s*\)$",
    re.IGNORECASE,
)
_PAGE_CELL = re.compile(
    r"\t(?:(?:sida|sid\.?)\s+\d{1,4}\s*(?:av|/)\s*\d{1,4}|\d{1,4}\s*\(\s*\d{1,4}\s*\))$",
    re.IGNORECASE,
)


def _drop_page_headers(lines: list[_Line]) -> list[_Line]:
    """Drop page numbers and the running header or footer lines printed beside them.

    A short line within three lines of a page number that recurs beside page numbers
    is furniture wherever it occurs: this holds for a document of two pages and
    for an export that keeps its page breaks inline, where counting repeats needs three.
    A header line that ends in a page-number cell loses that cell.
    """
    numbered = [i for i, line in enumerate(lines) if _PAGE_LABEL.match(line.text)]
    if not numbered:
        return [_Line(_PAGE_CELL.sub("", line.text), line.page) for line in lines]
    # Lines (by position) near a page number; a text must occur at two such positions.
    positions: set[int] = set()
    for index in numbered:
        for step in (-1, 1):
            position, taken = index + step, 0
            while 0 <= position < len(lines) and taken < 3:
                text = lines[position].text
                if text:
                    taken += 1
                    if not _PAGE_LABEL.match(text):
                        positions.add(position)
                position += step
    # Exact text: with digits masked, dnr lines ("SOCN/2023:4", "SOCN/2023:82") near two
    # page breaks looked alike; a running header repeats its date and names unchanged.
    near = Counter(_PAGE_CELL.sub("", lines[i].text) for i in positions)
    running = {
        key
        for key, count in near.items()
        if count >= 2 and len(key) <= 100 and not section_label(key) and not key.endswith(".")
    }
    drop: set[int] = set()
    for index in numbered:
        drop.update(_header_block(lines, index))
    out = []
    for position, line in enumerate(lines):
        text = _PAGE_CELL.sub("", line.text)
        if position in drop or _PAGE_LABEL.match(text) or (text and text in running):
            continue
        out.append(_Line(text, line.page))
    return out


def _header_block(lines: list[_Line], index: int) -> list[int]:
    """The lines set with a page number without a blank line between (a running header
    block such as "KOMMUN  SAMMANTRÄDESPROTOKOLL" / "Nämnden  Sammanträdesdatum …" / "3 (8)"),
    when every one of them is short and none is a sentence, a section label or a § heading."""
    block = [index]
    for step in (-1, 1):
        position = index + step
        while 0 <= position < len(lines) and lines[position].text and len(block) <= 5:
            block.append(position)
            position += step
    if len(block) > 5:
        return []
    for position in block:
        text = lines[position].text
        if (
            len(text) > 100
            or text.endswith(".")
            or section_label(text)
            or SECTION_HEADING.match(text)
        ):
            return []
    # Of the block, only what a running header holds goes: the page number, and lines with
    # a date, table cells, capitals or the name of a kommun, organ or document kind (a short
    # rubrik set right under a page number stays).
    return [
        i for i in block if _PAGE_LABEL.match(lines[i].text) or _HEADER_MATTER.search(lines[i].text)
    ]


_HEADER_MATTER = re.compile(
    r"\d{4}-\d{2}-\d{2}|\t|\b[A-ZÅÄÖ]{4,}\b|(?i:kommun|stad\b|region|protokoll|nämnd|"
    r"styrelse|fullmäktige|utskott|sammanträde|kallelse|tjänsteskrivelse)"
)


def _furniture_key(text: str) -> str:
    return _SPACES.sub(" ", re.sub(r"[\t.:…_]+", " ", text)).strip().lower()


# Signature boxes in their spellings: "Justerandes sign", "Ordf sign", "Justerares signatur",
# "Sekreterares sign", "Justerandes initialer", any of them with "Utdragsbestyrkande".
_SIGNATURE_BOX = re.compile(
    r"^(?:(?:justerandes?|justerares?|ordförandes?|ordf|sekreterares?)\s+"
    r"(?:sign(?:atur(?:er)?)?|initialer)\s*)+(?:utdragsbestyrkande)?$|^utdragsbestyrkande$"
)


def _is_furniture(text: str) -> bool:
    if not text:
        return False
    if _RULE.match(text):
        return True
    key = _furniture_key(text)
    return key in FURNITURE or bool(_SIGNATURE_BOX.match(key))


def _drop_page_edges(lines: list[_Line], n_pages: int) -> list[_Line]:
    """Drop page numbers and header/footer lines repeated on many pages (paged input)."""
    by_page: dict[int, list[int]] = {}
    for index, line in enumerate(lines):
        if line.text:
            by_page.setdefault(line.page, []).append(index)
    edges: dict[int, list[int]] = {
        page: indexes[:3] + indexes[-3:] for page, indexes in by_page.items()
    }
    counts: Counter[str] = Counter()
    for indexes in edges.values():
        counts.update({_edge_key(lines[i].text) for i in indexes})
    # Headers and footers are short; a long line is text even when pages look alike. A §
    # heading or section label opening several pages is content ("VN § 77" / "VN § 81"
    # look alike with their digits masked).
    repeated = {
        key
        for key, count in counts.items()
        if n_pages >= 3
        and count >= n_pages / 2
        and len(key) <= 100
        and not SECTION_HEADING.match(key.replace("#", "1"))
        and not section_label(key)
    }
    drop: set[int] = set()
    for indexes in edges.values():
        for i in indexes:
            text = lines[i].text
            if _PAGE_NUMBER.match(text) or _LONE_NUMBER.match(text) or _edge_key(text) in repeated:
                drop.add(i)
    return [line for i, line in enumerate(lines) if i not in drop]


def _edge_key(text: str) -> str:
    """Page headers compare with their numbers masked ("Sida 3 av 12" ~ "Sida 4 av 12"); a
    line of digits only must repeat exactly, or a year would match every page number."""
    if not re.search(r"[^\W\d_]", text):
        return text
    return re.sub(r"\d+", "#", text.lower())


_LETTERHEAD_LABELS = re.compile(
    r"^(?:vår handläggare|handläggare|mottagare|datum|vår beteckning|diarienummer|beslut|"
    r"beslutet skickas till|ärendebeskrivning|yrkande|reservation|ordförande|sekreterare|"
    r"innehåll)",
    re.IGNORECASE,
)


def _drop_repeated_runs(lines: list[_Line]) -> list[_Line]:
    """Unpaged exports keep running page headers inline: drop every repeat after the first.

    A run is two or more consecutive non-empty short lines; it counts as a running header
    when the same run occurs at least three times. Letterhead and section labels and whole
    sentences are never header lines: "Beslutsordning" / "Nämnden ställde sig bakom
    förvaltningens förslag till beslut." / "Särskilt uttalande" recurs in a protokoll as
    content.
    """
    from swedish.sections import section_label

    texts = [line.text for line in lines]
    frequent = {
        t
        for t, c in Counter(t for t in texts if t).items()
        if c >= 3
        and len(t) <= 80
        and not _LETTERHEAD_LABELS.match(t)
        and not section_label(t)
        and not _SENTENCE_END.search(t)
    }
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(texts):
        if texts[i] in frequent:
            j = i
            members: list[int] = []
            while j < len(texts) and (not texts[j] or texts[j] in frequent):
                if texts[j]:
                    members.append(j)
                j += 1
            if len(members) >= 2:
                runs.append((members[0], members[-1] + 1))
            i = j
        else:
            i += 1
    keys = Counter(tuple(t for t in texts[a:b] if t) for a, b in runs)
    drop: set[int] = set()
    seen: set[tuple[str, ...]] = set()
    for a, b in runs:
        key = tuple(t for t in texts[a:b] if t)
        if keys[key] < 3:
            continue
        if key in seen:
            drop.update(range(a, b))
        seen.add(key)
    return [line for i, line in enumerate(lines) if i not in drop]


def _unwrap(lines: list[_Line]) -> list[_Line]:
    """Join the visual lines of a PDF into paragraphs and mark paragraph ends with blanks.

    Without layout information a line counts as wrapped when it is nearly as long as the
    page's long lines, or when the next line visibly goes on with its sentence (a lowercase
    start: a heading set in a larger font wraps long before the body text's width). What
    decides is the length of the last *visual* line, not of the paragraph built so far.
    """
    widths = sorted(len(line.text) for line in lines if line.text and "\t" not in line.text)
    if not widths:
        return lines
    full = widths[int(len(widths) * 0.9)] * 0.7
    out: list[_Joined] = []
    last_visual = 0  # length of the visual line that ends out[-1]
    for line in lines:
        text = line.text
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.length
            and text
            and (
                last_visual >= full
                or (text[:1].islower() and not _TERMINAL.search(previous.tail(1)))
            )
            and not previous.tab
            and "\t" not in text
            and not _LIST_START.match(text)
            and previous.tail(1) != ":"
        ):
            previous.join(text)
            last_visual = len(text)
            continue
        if (
            previous is not None
            and previous.length
            and text
            and (_TERMINAL.search(previous.tail(1)) or _LIST_START.match(text) or "\t" in text)
        ):
            out.append(_Joined("", line.page))
        out.append(_Joined(text, line.page))
        last_visual = len(text)
    return [line.done() for line in out]


class _Joined:
    """A line being built from joined fragments: kept as pieces, so a paragraph of many
    thousand lines is not copied again on every join (that was quadratic)."""

    __slots__ = ("length", "page", "pieces", "tab")

    def __init__(self, text: str, page: int) -> None:
        self.pieces = [text]
        self.page = page
        self.length = len(text)
        self.tab = "\t" in text

    def tail(self, n: int) -> str:
        """The last `n` characters (fewer when the line is shorter)."""
        out = ""
        for piece in reversed(self.pieces):
            out = piece + out
            if len(out) >= n:
                break
        return out[-n:] if n else ""

    def join(self, right: str) -> None:
        drop, separator = joint(self.tail(2), right)
        if drop:
            self.pieces[-1] = self.pieces[-1][:-1]  # the last piece ends with the hyphen
        self.pieces += [separator, right]
        self.length += len(separator) + len(right) - drop
        self.tab = self.tab or "\t" in right

    def done(self) -> _Line:
        return _Line("".join(self.pieces), self.page)


def _join_broken(lines: list[_Line], runs_on: list[str | None] | None = None) -> list[_Line]:
    """Rejoin a sentence that a page break (or removed furniture) split into two blocks.

    `runs_on` names, per page, the line a PDF reader saw reaching the bottom right of the
    page unfinished: its paragraph goes on at the top of the next page whatever the case of
    the next word ("... Leena Kumpulas (C), Johan" + "Graff Anderssons (L) ...").
    """
    out: list[_Joined] = []
    pending_blank = False
    for line in lines:
        if not line.text:
            pending_blank = True
            continue
        previous = out[-1] if out else None
        if (
            (
                previous is not None
                and pending_blank
                and previous.length >= 40
                and not previous.tab
                and not _TERMINAL.search(previous.tail(1))
                and line.text[:1].islower()
                and not _LIST_START.match(line.text)
            )
            or (
                previous is not None
                and re.search(r"[a-zåäö]-$", previous.tail(2))
                and line.text[:1].islower()
                and not pending_blank
            )
            or (previous is not None and _runs_on(previous, line, runs_on))
        ):
            previous.join(line.text)
            pending_blank = False
            continue
        if pending_blank and out:
            out.append(_Joined("", line.page))
        out.append(_Joined(line.text, line.page))
        pending_blank = False
    return [line.done() for line in out]


def _runs_on(previous: _Joined, line: _Line, runs_on: list[str | None] | None) -> bool:
    if not runs_on or line.page != previous.page + 1 or previous.page >= len(runs_on):
        return False
    from swedish.sections import section_label

    continued = runs_on[previous.page]
    if continued is None:
        return False
    ending = clean_line(continued)
    return (
        (not ending or previous.tail(len(ending)) == ending)
        and "\t" not in line.text
        and not _LIST_START.match(line.text)
        and section_label(line.text) is None
    )


def _assemble(lines: list[_Line], paged: bool) -> NormalizedText:
    parts: list[str] = []
    page_starts: list[int] = []
    offset = 0
    current_page = -1
    for index, line in enumerate(lines):
        if index:
            separator = "\n"
            parts.append(separator)
            offset += len(separator)
        if line.text and line.page != current_page:
            while len(page_starts) <= line.page:
                page_starts.append(offset)
            current_page = line.page
        parts.append(line.text)
        offset += len(line.text)
    text = "".join(parts)
    return NormalizedText(text=text, page_starts=page_starts if paged else None)
