"""From normalized text to a `ParsedDocument`: parts, §, metadata, persons and chunks."""

from __future__ import annotations

from dataclasses import dataclass

from swedish.model import Header, ParsedDocument, Part, Person, Section
from swedish.nlp import party_mentions
from swedish.patterns import find_dnr

from .chunking import chunk_parts
from .lines import Line, split_lines
from .metadata import (
    DateFact,
    Evidence,
    document_date,
    header_organ,
    infer_kommun,
    infer_namnd,
    prefix_organ,
    protokoll_dates,
    split_header_fields,
)
from .normalize import NormalizedText
from .paragraphs import find_headings, header_ranges, parse_unit
from .parts import PartSpan, agenda_items, match_agenda, split_parts
from .persons import header_persons, unit_persons

# Bump when parsing changes: documents parsed by an older version are parsed again on the
# next ingest even though their files did not change.
PARSER_VERSION = 7


@dataclass
class Hints:
    """Facts given by a manifest; each one that is set overrides inference."""

    kommun: str | None = None
    namnd: str | None = None
    datum: str | None = None
    source_url: str | None = None


def parse_document(normalized: NormalizedText, hints: Hints | None = None) -> ParsedDocument:
    hints = hints or Hints()
    text = normalized.text
    lines = split_lines(text)
    headings = find_headings(lines)
    spans = split_parts(lines, headings)

    kommun = infer_kommun(text)
    namnd = (
        header_organ(text)
        or prefix_organ([h.prefix for h in headings if h.prefix])
        or infer_namnd(text)
    )
    header = Header()
    agenda: list[tuple[str, str, str]] = []
    parts: list[Part] = []
    own_dates: list[DateFact | None] = []
    for span in spans:
        part, date, part_header = _parse_part(text, lines, span, agenda)
        if span.dokumenttyp == "kallelse":
            agenda = agenda_items(lines, span)
        if part_header is not None and not header.narvarande and not header.ordforande:
            header = part_header
        parts.append(part)
        own_dates.append(date)

    if header.sekreterare and not any(p.roll == "sekreterare" for p in header.narvarande):
        # Stored with the närvaro (roll "sekreterare", no party): the store keeps header
        # people as document-level persons.
        at = text.find(header.sekreterare)
        if at >= 0:
            end = at + len(header.sekreterare)
            header.narvarande.append(Person(header.sekreterare, None, "sekreterare", None, at, end))
    known_parties = _known_parties(text, header)
    if kommun is None and namnd is not None and namnd.value.endswith("stadsdelsnämnd"):
        # Stadsdelsnämnder are Stockholm's (Göteborg's were closed at the end of 2020).
        kommun = Evidence("Stockholm", f"stadsdelsnämnd '{namnd.value}'")
    if namnd is None and parts and parts[0].dokumenttyp == "revisionsrapport":
        # The auditors' own report: its organ is the revision, not the nämnd it examines.
        namnd = Evidence("Revisionen", "revisionsrapport")
    for part in parts:
        for paragraph in part.paragraphs:
            paragraph.persons = unit_persons(text, paragraph, known_parties)
            for person in paragraph.persons:
                if person.roll == "justerare" and person.name not in header.justerare:
                    header.justerare.append(person.name)

    main = _document_date(own_dates)
    if hints.datum:
        # The manifest's date is the document's date: it replaces the first part's own date
        # (which inference would have made the document's) as well as the fallback.
        main = DateFact(hints.datum, "sammanträde", "manifest")
        if own_dates:
            own_dates[0] = main
    for part, date in zip(parts, own_dates, strict=True):
        chosen = date or main
        if chosen is not None:
            part.datum, part.datum_typ = chosen.datum, chosen.datum_typ
        part.namnd = hints.namnd or (namnd.value if namnd else None)
        if part.dokumenttyp in ("protokoll", "kallelse") and _generic_title(part.title):
            label = "Protokoll" if part.dokumenttyp == "protokoll" else "Kallelse"
            part.title = " ".join(x for x in (label, part.namnd, part.datum) if x)
    chunks = chunk_parts(text, parts)
    document = ParsedDocument(
        text=text,
        page_starts=normalized.page_starts,
        kommun=hints.kommun or (kommun.value if kommun else None),
        kommun_kalla="manifest" if hints.kommun else (kommun.source if kommun else None),
        namnd=hints.namnd or (namnd.value if namnd else None),
        datum=main.datum if main else None,
        datum_typ=main.datum_typ if main else None,
        dokumenttyp=parts[0].dokumenttyp if parts else "rapport",
        title=parts[0].title if parts else None,
        header=header,
        parts=parts,
        chunks=chunks,
        ocr_pages=normalized.ocr_pages,
    )
    for chunk in chunks:
        chunk.page = document.page_at(chunk.start)
    return document


def _parse_part(
    text: str, lines: list[Line], span: PartSpan, agenda: list[tuple[str, str, str]]
) -> tuple[Part, DateFact | None, Header | None]:
    part_lines = lines[span.first : span.last + 1]
    part = Part(span.dokumenttyp, span.title, part_lines[0].start, part_lines[-1].end)
    header: Header | None = None
    date: DateFact | None = None
    if span.headings:
        first = span.headings[0].line.index
        header_lines = lines[span.first : first]
        if header_lines:
            fields = split_header_fields(header_lines)
            date = _best_protokoll_date(protokoll_dates(fields))
            people = header_persons(fields, text)
            ranges = header_ranges(fields)
            header = Header(
                ordforande=people.ordforande,
                vice_ordforande=people.vice_ordforande,
                sekreterare=people.sekreterare,
                justerare=people.justerare,
                narvarande=people.narvarande,
                paragraf_range=_range_text(ranges),
            )
            zone = parse_unit(header_lines, None, None, span.title, False)
            zone.sections = [
                Section(
                    "protokollshuvud",
                    header_lines[0].start,
                    header_lines[-1].end,
                    header_lines[0].start,
                )
            ]
            part.paragraphs.append(zone)
        for index, heading in enumerate(span.headings):
            stop = (
                span.headings[index + 1].line.index
                if index + 1 < len(span.headings)
                else span.last + 1
            )
            unit_lines = lines[heading.line.index : stop]
            part.paragraphs.append(
                parse_unit(
                    unit_lines,
                    heading.paragraf,
                    heading.number,
                    heading.inline_rubrik,
                    True,
                    heading.dnr,
                )
            )
        if part.dokumenttyp == "protokollsutdrag" and part.paragraphs[-1].rubrik:
            last = part.paragraphs[-1]
            part.title = f"§ {last.paragraf} {last.rubrik}"
    else:
        unit = parse_unit(part_lines, None, None, span.title, False)
        if not unit.dnr:
            unit.dnr = _letterhead_dnr(part_lines)
        row = match_agenda(span.title, agenda) if span.dokumenttyp != "kallelse" else None
        if row and not unit.dnr:
            unit.dnr = [d for _, _, d in find_dnr(row[2])]
        part.paragraphs.append(unit)
        date = None
        if span.dokumenttyp == "kallelse":
            # A kallelse is dated by the meeting it calls to, not by the day it was sent.
            meeting = [f for f in protokoll_dates(part_lines[:40]) if f.datum_typ == "sammanträde"]
            date = meeting[0] if meeting else None
        date = date or document_date(part_lines)
    return part, date, header


def _generic_title(title: str | None) -> bool:
    """No title, a bare type word, or a header line that names no meeting."""
    return title is None or title in ("Kallelse",) or title.lower().startswith(("plats", "tid"))


def _best_protokoll_date(facts: list[DateFact]) -> DateFact | None:
    """The meeting date; a header's bare "Datum" field is the meeting's when no field
    names the meeting; the justering date only when neither is stated."""
    for kind in ("sammanträde", "datumfält", "justering"):
        found = [f for f in facts if f.datum_typ == kind]
        if found:
            fact = found[0]
            if kind == "datumfält":
                return DateFact(fact.datum, "sammanträde", fact.kalla)
            return fact
    return None


def _range_text(ranges: list[tuple[Line, int, int]]) -> str | None:
    if not ranges:
        return None
    low = min(a for _, a, _ in ranges)
    high = max(b for _, _, b in ranges)
    return f"{low}–{high}"


def _letterhead_dnr(part_lines: list[Line]) -> list[str]:
    """Dnr from "Vår beteckning", "Diarienummer" or "Dnr" at the top of a part, or a line
    that is nothing but a dnr there (a letterhead table's cell whose label was lost in
    extraction or taken for page furniture)."""
    alone: list[str] = []
    for position, line in enumerate(part_lines[:25]):
        text = line.text.strip()
        lowered = text.lower()
        if lowered.startswith(("vår beteckning", "diarienummer", "dnr", "vårt dnr")):
            found = find_dnr(line.text)
            if not found and position + 1 < len(part_lines):
                found = find_dnr(part_lines[position + 1].text)
            if found:
                return [found[0][2]]
        found = find_dnr(text)
        if not alone and len(found) == 1 and found[0][1] - found[0][0] == len(text):
            alone = [found[0][2]]
    return alone


def _document_date(own: list[DateFact | None]) -> DateFact | None:
    """The main date: the first part's own date, else the latest date any part states."""
    if own and own[0] is not None:
        return own[0]
    stated = [d for d in own if d is not None]
    for kind in ("sammanträde", "justering"):
        found = [d for d in stated if d.datum_typ == kind]
        if found:
            return found[0]
    if stated:
        return max(stated, key=lambda d: d.datum)
    # A date only mentioned in the text ("från den 1 maj 2024", "senast 2025-06-30") is not
    # the document's: no date rather than a wrong one.
    return None


def _known_parties(text: str, header: Header) -> dict[str, str]:
    """Name -> party from the närvaro list and every "Name (PARTY)" in the document."""
    known: dict[str, str] = {}
    for mention in party_mentions(text):
        if mention.party:
            known.setdefault(mention.name, mention.party)
    person: Person
    for person in header.narvarande:
        if person.party:
            known[person.name] = person.party
    return known
