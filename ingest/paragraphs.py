"""§ segmentation and the inside of one unit: rubrik, dnr, sections, att-satser, recipients.

A § heading is a line such as `§ 72`, `§ 5 Rubrik` (PDF layout), `SN § 13` or `Sn 49`.
Candidates are validated as a whole: the accepted headings form the longest strictly
increasing chain of numbers, so a stray `§ 90` from a wrapped sentence or a list of
"KF §64 ..." references cannot break the sequence. Bare ranges (`§ 18-19`, `§§ 1-17`,
`Paragrafer 70 - 81`) describe a protokoll header, not a §.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from swedish.model import Paragraph, Section
from swedish.patterns import SECTION_HEADING, YEAR_SUFFIX, find_dates, find_dnr
from swedish.sections import section_label

from .lines import Line

# The number after the rubrik, right-aligned in the PDF: "Revidering av riktlinjer  § 58".
# The layout leaves a tab or a run of spaces before it; with one space it is a reference
# closing a line ("Arbetsutskottets förslag 2024-02-20 § 45").
_TRAILING_NUMBER = re.compile(
    r"^(?P<rubrik>[A-ZÅÄÖ0-9].*?)(?:\t|\s{2,})"
    r"(?:(?P<prefix>[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{0,5})\s*)?§\s*(?P<num>\d{1,4})"
    rf"(?P<year>{YEAR_SUFFIX})?\s*$"
)
# The § glyph lost in extraction: "Sn 12", "KSAU 88", "Ks 45/21" at a line start.
_BARE_NUMBERED = re.compile(
    r"^(?P<prefix>[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{1,5})\s+(?P<num>\d{1,4})"
    rf"(?P<year>{YEAR_SUFFIX})?(?P<rest>(?:\t|\s{{2,}}).*)?$"
)
_RANGE = re.compile(
    r"^(?:§§\s*|paragrafer\s*:?\s*(?:§§?\s*)?|§\s*)(\d{1,4})(?:/\d{2,4})?\s*[-–]\s*(?:§\s*)?"
    r"(\d{1,4})(?:/\d{2,4})?\s*$",
    re.IGNORECASE,
)
# A table-of-contents row ends in a page number, after dot leaders or in a cell of its own.
_TOC_ROW = re.compile(r"(?:\.{3,}|…)\s*\d{1,3}$|\t\s*\d{1,3}$")
# A line ending in an organ or its protokoll before a "§ N" cites that organ's decision.
_ORGAN_END = re.compile(
    r"(?:(?i:nämnd|nämnden|nämndens|styrelsen|styrelsens|fullmäktige|fullmäktiges|utskott|"
    r"utskottet|utskottets|protokoll|protokollet|beslut)|\b[A-ZÅÄÖ]{2,5})$"
)
# Words before a "§ N" at a line end that make it a reference in a sentence, not a heading.
_REFERENCE_WORDS = {
    "i", "enligt", "se", "under", "vid", "till", "och", "samt", "från", "av", "med", "om",
    "beslut", "beslutet", "protokoll", "protokollet", "paragraf", "kap.", "kap", "jfr",
}  # fmt: skip

# A title line ending in one of these words continues on the next line.
_OPEN_ENDINGS = {
    "av",
    "och",
    "om",
    "för",
    "till",
    "mellan",
    "med",
    "i",
    "på",
    "inom",
    "enligt",
    "samt",
    "från",
    "vid",
    "över",
    "under",
    "mot",
    "hos",
    "efter",
    "kring",
    "gällande",
    "avseende",
    "rörande",
    "eller",
    "att",
    "en",
    "ett",
    "den",
    "det",
    "de",
}
_RECIPIENT_WORDS = re.compile(
    r"akt|nämnd|styrels|fullmäktig|revis|förvaltning|kommun|region|berörd|vald|entlediga|"
    r"arvode|support|enhet|avdelning|kontor|råd|utskott|registrat|diari|ekonomi|personal|"
    r"samtliga|sökande|klagande|länsstyrelse|polis|ivo|inspektion|myndighet|socialstyrelse|"
    r"chef|bolag|sekreterare|handläggare|stadsdel",
    re.IGNORECASE,
)


@dataclass
class Heading:
    line: Line
    number: int
    paragraf: str  # the label shown: "17", "118/21"
    inline_rubrik: str | None
    prefix: str | None = None  # organ abbreviation before the § ("KS", "Sn")
    dnr: list[str] = field(default_factory=list)  # dnr on the heading line


def header_ranges(lines: list[Line]) -> list[tuple[Line, int, int]]:
    """Bare paragraph ranges (`§§ 1-17`, `Paragrafer 70 - 81`) with their lines."""
    out = []
    for line in lines:
        match = _RANGE.match(line.text.strip())
        if match:
            out.append((line, int(match[1]), int(match[2])))
    return out


def find_headings(lines: list[Line]) -> list[Heading]:
    """The accepted § headings of a document, in order."""
    candidates: list[Heading] = []
    bare: list[tuple[str, Heading]] = []
    for line in lines:
        text = line.text.strip()
        if _RANGE.match(text) or _TOC_ROW.search(text):
            continue
        heading = _heading(line, text)
        if heading is not None:
            candidates.append(heading)
            continue
        match = _BARE_NUMBERED.match(text)
        if match and match["prefix"].lower() not in _NOT_PREFIX:
            rest = (match["rest"] or "").strip()
            if rest and not _dnr_line(rest):
                continue
            heading = _numbered(line, match, None)
            heading.dnr = (_dnr_line(rest) or []) if rest else []
            bare.append((match["prefix"], heading))
    chain = _longest_increasing(_without_lists(candidates))
    if chain:
        return chain
    by_prefix: dict[str, list[Heading]] = {}
    for prefix, heading in bare:
        by_prefix.setdefault(prefix, []).append(heading)
    best = max((_longest_increasing(h) for h in by_prefix.values()), key=len, default=[])
    return best if len(best) >= 2 else []


def _without_lists(candidates: list[Heading]) -> list[Heading]:
    """Drop runs of rubrik-bearing candidates on consecutive lines: a list of earlier
    decisions ("KF §64 Årsredovisning 2023 (SOCN2024:252)" / "KF §67 …") or an agenda,
    since a § heading is followed by its text before the next one."""
    out = []
    for index, heading in enumerate(candidates):
        listed = heading.inline_rubrik is not None and any(
            0 <= index + step < len(candidates)
            and candidates[index + step].inline_rubrik is not None
            and abs(candidates[index + step].line.index - heading.line.index) == 1
            for step in (-1, 1)
        )
        if not listed:
            out.append(heading)
    return out


# Words that precede a number at a line start without naming an organ.
_NOT_PREFIX = {"kl", "sida", "sid", "bilaga", "nr", "år", "tid", "punkt", "kap", "ärende", "dnr"}


def _numbered(line: Line, match: re.Match[str], inline: str | None) -> Heading:
    number = int(match["num"])
    label = str(number)
    if match["year"]:
        label += re.sub(r"\s+", "", match["year"])
    return Heading(line, number, label, inline, prefix=match["prefix"])


def _heading(line: Line, text: str) -> Heading | None:
    """A § heading on `line`: `§ 17`, `KS § 17  Dnr KS 2023/301`, `§ 5 Rubrik`,
    `Rubrik  § 58`; None for references, ranges and agenda rows."""
    match = SECTION_HEADING.match(text)
    if match:
        if match["num2"]:
            return None
        rest = match["rest"].strip(" .:–-\t")
        if not rest:
            return _numbered(line, match, None)
        dnr = _dnr_line(rest)
        if dnr:
            heading = _numbered(line, match, None)
            heading.dnr = dnr
            return heading
        if SECTION_HEADING.match(rest) or not rest[0].isupper():
            return None
        rubrik, dnr = split_dnr(rest)
        if match["prefix"] and not _title_like(rubrik):
            return None
        dates = find_dates(rubrik)
        if dates and _ORGAN_END.search(rubrik[: dates[0][0]].rstrip(" ,")):
            return None  # "§ 45 Kommunstyrelsen 2024-02-20": a reference, not a rubrik
        heading = _numbered(line, match, rubrik)
        heading.dnr = dnr
        return heading
    match = _TRAILING_NUMBER.match(text)
    if match is None:
        return None
    rubrik = match["rubrik"].strip()
    last = rubrik.split()[-1].lower() if rubrik.split() else ""
    if (
        not _title_like(rubrik)
        or ". " in rubrik
        or last.rstrip(",") in _REFERENCE_WORDS
        or rubrik.endswith(",")
        or find_dates(rubrik)
        or _ORGAN_END.search(rubrik)
    ):
        return None
    rubrik, dnr = split_dnr(rubrik)
    heading = _numbered(line, match, rubrik)
    heading.dnr = dnr
    return heading


_APPENDED_DNR = re.compile(r"[,;–-]?\s*\(?(?:dnr|diarienummer|diarienr)\.?:?\s*", re.IGNORECASE)


def split_dnr(rubrik: str) -> tuple[str, list[str]]:
    """ "Taxa för bygglov 2025, Dnr Ks 415/2024" -> ("Taxa för bygglov 2025", ["Ks 415/2024"])."""
    found = find_dnr(rubrik)
    if not found:
        return rubrik, []
    start = found[0][0]
    head = rubrik[:start]
    label = _APPENDED_DNR.search(head)
    cut = label.start() if label and not head[label.end() :].strip() else start
    tail = rubrik[found[-1][1] :].strip(" )")
    if tail or cut == 0:
        return rubrik, []
    return rubrik[:cut].rstrip(" ,;–-("), [d for _, _, d in found]


def _longest_increasing(headings: list[Heading]) -> list[Heading]:
    """Longest strictly increasing subsequence by number, in O(n log n)."""
    tails: list[int] = []
    tail_index: list[int] = []
    previous: list[int] = [-1] * len(headings)
    for i, heading in enumerate(headings):
        position = bisect.bisect_left(tails, heading.number)
        if position == len(tails):
            tails.append(heading.number)
            tail_index.append(i)
        else:
            tails[position] = heading.number
            tail_index[position] = i
        previous[i] = tail_index[position - 1] if position else -1
    out: list[Heading] = []
    i = tail_index[-1] if tail_index else -1
    while i >= 0:
        out.append(headings[i])
        i = previous[i]
    return out[::-1]


def parse_unit(
    lines: list[Line],
    paragraf: str | None,
    nummer: int | None,
    inline_rubrik: str | None,
    title_from_first_line: bool,
    heading_dnr: list[str] | None = None,
) -> Paragraph:
    """Parse one § (or one part without §) from its lines.

    `lines[0]` is the § heading line when `paragraf` is set; for a part without § the
    rubrik is given by the caller through `inline_rubrik` when known. `heading_dnr` are
    the dnr written on the § line itself (`KS § 17   Dnr KS 2023/301`).
    """
    start, end = lines[0].start, lines[-1].end
    body = lines[1:] if paragraf is not None else lines
    dnr: list[str] = list(heading_dnr or [])
    rubrik = inline_rubrik
    position = 0
    # Heading zone: the rubrik, an optional subtitle and dnr lines, in any order.
    index = 0
    while index < len(body) and index < 6:
        text = body[index].text.strip()
        if section_label(text) or len(text) > 220:
            break
        found = _dnr_line(text)
        if found:
            dnr.extend(d for d in found if d not in dnr)
            position = index = index + 1
            continue
        if rubrik is None and title_from_first_line and _title_like(text):
            rubrik, used = _join_title(body, index)
            rubrik, appended = split_dnr(rubrik)
            dnr.extend(d for d in appended if d not in dnr)
            position = index = index + used
            continue
        if rubrik is not None and _title_like(text) and index + 1 < len(body):
            index += 1  # a subtitle ("Redovisning av budgetuppdrag") may precede the dnr
            continue
        break
    rubrik, trailing_label = _split_trailing_label(rubrik)
    sections = _sections(lines, body, position, trailing_label)
    paragraph = Paragraph(
        paragraf=paragraf,
        nummer=nummer,
        rubrik=rubrik,
        dnr=dnr,
        start=start,
        end=end,
        sections=sections,
    )
    _fill_decision(paragraph, lines)
    return paragraph


def _dnr_line(text: str) -> list[str] | None:
    """The dnr on a line that holds nothing else (besides a `Dnr`/`Diarienummer` label)."""
    label = re.match(r"^(?:dnr|diarienummer|vår beteckning)\.?:?\s*", text, flags=re.I)
    body = text[label.end() :] if label else text
    # A shape only its label makes a dnr ("Dnr 44/15") is found in the labelled text.
    found = find_dnr(body) or [
        (a - len(text) + len(body), b - len(text) + len(body), d)
        for a, b, d in (find_dnr(text) if label else [])
    ]
    if not found:
        return None
    rest = body
    for a, b, _ in reversed(found):
        rest = rest[:a] + rest[b:]
    if re.sub(r"[\s,;()–-]|och", "", rest):
        return None
    return [d for _, _, d in found]


def _title_like(text: str) -> bool:
    return 2 <= len(text) <= 220 and "\t" not in text and not text.endswith((".", ":"))


def _join_title(body: list[Line], position: int) -> tuple[str, int]:
    """A rubrik may wrap: "… insatser till avhoppare mellan" + "Stockholm, Göteborg …"."""
    title = body[position].text.strip()
    used = 1
    while position + used < len(body) and used < 3 and title.split()[-1].lower() in _OPEN_ENDINGS:
        nxt = body[position + used].text.strip()
        if section_label(nxt) or _dnr_line(nxt):
            break
        title = f"{title} {nxt.lstrip('-–• ').strip()}"
        used += 1
    return title, used


def _split_trailing_label(rubrik: str | None) -> tuple[str | None, str | None]:
    """ "Stöd för digital arbetsplats - Microsoft 365 Beslut": a heading fused to the rubrik."""
    if not rubrik:
        return rubrik, None
    match = re.search(r"\s(Beslut|Ärendebeskrivning|Förslag till beslut)$", rubrik)
    if match:
        return rubrik[: match.start()].rstrip(), match[1].lower()
    return rubrik, None


def _sections(
    unit: list[Line], body: list[Line], position: int, leading: str | None
) -> list[Section]:
    """Sections by heading lines; text before the first heading gets `leading` or brödtext.

    The heading zone (§ line, dnr, rubrik) belongs to the first section, so a § opens with
    its rubrik and beslut together rather than with a chunk holding only its title.
    """
    sections: list[Section] = []
    current = Section(leading or "brödtext", unit[0].start, unit[-1].end, unit[0].start)
    only_heading = True
    for line in body[position:]:
        label = section_label(line.text)
        if label is None:
            # Letterhead and title lines (short, no sentence) still count as heading zone.
            if len(line.text.split()) > 12 or line.text.rstrip().endswith("."):
                only_heading = False
            continue
        sektion, inline = label
        heading_end = line.end if not inline else line.start
        if only_heading and not sections and leading is None:
            current = Section(sektion, unit[0].start, unit[-1].end, heading_end)
            only_heading = False
            continue
        if line.start > current.start:
            current.end = _previous_end(unit, line)
            sections.append(current)
        current = Section(sektion, line.start, unit[-1].end, heading_end)
    current.end = unit[-1].end
    sections.append(current)
    return sections


def _previous_end(unit: list[Line], line: Line) -> int:
    index = _position(unit, line.start)
    return unit[index - 1].end if index else line.start


def _position(lines: list[Line], start: int) -> int:
    """Index (into `lines`, in text order) of the line starting at `start` (by bisection:
    searching from the top for every section was quadratic on thousands of sections)."""
    index = bisect.bisect_left(lines, start, key=lambda line: line.start)
    if index == len(lines) or lines[index].start != start:
        raise ValueError(f"no line starts at {start}")
    return index


def _fill_decision(paragraph: Paragraph, lines: list[Line]) -> None:
    """Att-satser of the beslut (or förslag till beslut) and the recipients."""
    for section in paragraph.sections:
        if section.sektion in ("beslut", "förslag till beslut") and not paragraph.att_satser:
            # The lines from the heading's end to the section's end (lines are in order).
            first = bisect.bisect_left(lines, section.heading_end, key=lambda line: line.start)
            last = bisect.bisect_right(lines, section.end, key=lambda line: line.end)
            inside = [line for line in lines[first:last] if line.end <= section.end]
            paragraph.att_satser = _att_satser(inside)
        elif section.sektion == "beslutet skickas till":
            paragraph.skickas_till = recipients(lines, section)


def _att_satser(lines: list[Line]) -> list[str]:
    numbered = re.compile(r"^(?:[-–•]\s*)?(?:\d{1,2}[.)]?|att)\s+(?=\S)")
    items = [numbered.sub("", line.text.strip()) for line in lines if numbered.match(line.text)]
    if items:
        return items
    return [line.text.strip() for line in lines[:3] if len(line.text.split()) >= 3]


def recipients(lines: list[Line], section: Section) -> list[str]:
    """Recipients named after "Beslutet skickas till" (inline or on the lines below)."""
    position = _position(lines, section.start)
    label = section_label(lines[position].text)
    inline = [label[1]] if label and label[1] else []
    end = min(recipients_end(lines, position), len(lines))
    return inline + [line.text.strip() for line in lines[position + 1 : end]]


def recipients_end(lines: list[Line], label_position: int, stop: int | None = None) -> int:
    """Index (into `lines`) of the first line after a "Beslutet skickas till" block.

    Recipients are short lines; after the first one, a line set off by a blank line must
    look like a recipient (a nämnd, förvaltning, akten, ...) or the block has ended.
    """
    label = section_label(lines[label_position].text)
    count = 1 if label and label[1] else 0
    position = label_position + 1
    limit = min(len(lines), stop if stop is not None else len(lines), label_position + 13)
    while position < limit:
        text = lines[position].text.strip()
        if len(text) > 70 or ":" in text or text.endswith(".") or re.search(r"\d", text):
            break
        if SECTION_HEADING.match(text) or section_label(text):
            break
        if count and lines[position].blank_before and not _RECIPIENT_WORDS.search(text):
            break
        count += 1
        position += 1
    return position
