"""Persons with party (`Göran Gredfors (M)`) and what they did: yrkanden, reservationer,
särskilda uttalanden, protokollsanteckningar, närvaro and roles in the protokoll header.

Names are found with spaCy token patterns on `spacy.blank("sv")` (no trained Swedish
pipeline installs offline); the same pipeline's sentencizer gives the sentence that says
what the person did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from swedish.model import Paragraph, Person
from swedish.nlp import PartyMention, nlp, party_mentions, tokenizable

from .lines import Line

# --- roles inside a § --------------------------------------------------------------------

_SECTION_ROLES = {
    "yrkanden": "yrkande",
    "reservation": "reservation",
    "särskilt uttalande": "särskilt uttalande",
    "protokollsanteckning": "protokollsanteckning",
}
_YRKANDE_KINDS = ("återremiss", "avslag", "tilläggsyrkande", "ändringsyrkande", "bifall")


def unit_persons(text: str, paragraph: Paragraph, known_parties: dict[str, str]) -> list[Person]:
    """Who proposed, reserved or made statements in one § (or part)."""
    persons: list[Person] = []
    seen: set[tuple[str, str, int]] = set()
    for section in paragraph.sections:
        if section.sektion == "protokollshuvud":
            continue
        for offset, sentence in _sentences(text, section.start, section.end):
            role, detalj = _sentence_role(sentence, section.sektion)
            if role is None:
                continue
            for mention in _actors(party_mentions(sentence, offset), sentence, offset):
                name = _strip_genitive(mention.name, known_parties)
                party = mention.party or known_parties.get(name)
                key = (name, role, offset)
                if key in seen:
                    continue
                seen.add(key)
                persons.append(
                    Person(
                        name=name,
                        party=party,
                        roll=role,
                        detalj=detalj,
                        start=mention.start,
                        end=mention.end,
                        grupp=mention.grupp,
                        mening=sentence.strip(),
                    )
                )
    return persons


# The verb that says what the persons before it did ("Tony Meshko yrkar bifall till förslaget
# att Leena Kumpula (C) väljs": Leena Kumpula is the object of the yrkande, not its maker).
_ACTION = re.compile(
    r"\b(?:yrka[rd]e?|reserver(?:ar|ade)|lämna[rd]e?|anmäl(?:er|de)|ställ(?:er|de) sig|"
    r"instämm(?:er|de))\b",
    re.IGNORECASE,
)


def _actors(mentions: list[PartyMention], sentence: str, offset: int) -> list[PartyMention]:
    """The mentions that act in the sentence: those before its first action verb, when
    there are any (otherwise all of them)."""
    verb = _ACTION.search(sentence)
    if verb is None:
        return mentions
    before = [m for m in mentions if m.start - offset < verb.start()]
    return before or mentions


def _sentences(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """Sentences of text[start:end] with their offsets; a line break also ends a sentence."""
    out: list[tuple[int, str]] = []
    offset = start
    for line in text[start:end].split("\n"):
        if line.strip():
            for sentence in nlp()(tokenizable(line)).sents:
                a, b = sentence.start_char, sentence.end_char
                out.append((offset + a, line[a:b]))
        offset += len(line) + 1
    return out


def _sentence_role(sentence: str, sektion: str) -> tuple[str | None, str | None]:
    lowered = sentence.lower()
    # "reserverar sig", and the noun: "lämnar (in) skriftliga reservationer" (in a reservation
    # section or with a verb saying someone hands one in; "med reservation för" is no role).
    if "reserver" in lowered or (
        re.search(r"\breservation", lowered)
        and (sektion == "reservation" or re.search(r"\b(?:lämna|anmä[lr]|inkom)", lowered))
    ):
        detalj = (
            "skriftlig" if "skriftlig" in lowered else "muntlig" if "muntlig" in lowered else None
        )
        return "reservation", detalj
    if sektion == "propositionsordning":
        return None, None
    if "utses att justera" in lowered or "utses till justerare" in lowered:
        return "justerare", None
    if re.search(r"\byrka(?:r|de|nde)?\b", lowered) or sektion == "yrkanden":
        kind = next((k for k in _YRKANDE_KINDS if k in lowered), None)
        return "yrkande", kind
    if "protokollsanteckning" in lowered or sektion == "protokollsanteckning":
        return "protokollsanteckning", None
    if re.search(r"särskil(?:t|da) uttalande|ersättaryttrande|ställde sig bakom", lowered):
        return "särskilt uttalande", None
    role = _SECTION_ROLES.get(sektion)
    return role, None


def _strip_genitive(name: str, known: dict[str, str]) -> str:
    """ "Leena Kumpulas" -> "Leena Kumpula" when the document knows her without the s."""
    if name.endswith("s") and name[:-1] in known:
        return name[:-1]
    return name


# --- the protokoll header ----------------------------------------------------------------

_PRESENCE_LABELS = [
    (re.compile(r"^(?:ledamöter|beslutande|närvarande ledamöter)\b", re.I), "ledamot"),
    (re.compile(r"^tjänstgörande ersättare\b", re.I), "tjänstgörande ersättare"),
    (
        re.compile(r"^(?:ersättare|närvarande ersättare|ej tjänstgörande ersättare)\b", re.I),
        "ersättare",
    ),
    (
        re.compile(r"^(?:övriga närvarande|övriga deltagare|tjänstepersoner|tjänstemän)\b", re.I),
        "övrig",
    ),
]
_REPLACES = re.compile(r"tjänstgör\s+för\s+(.+)$", re.IGNORECASE)
_CHAIR = re.compile(r"\b(?:ordförande|ordf\.)", re.IGNORECASE)


@dataclass
class HeaderPersons:
    narvarande: list[Person]
    ordforande: str | None
    justerare: list[str]
    vice_ordforande: str | None = None
    sekreterare: str | None = None


def header_persons(lines: list[Line], text: str) -> HeaderPersons:
    """Närvaro with party, ordförande and justerare from a protokoll header zone."""
    role: str | None = None
    people: list[Person] = []
    replaced: set[str] = set()
    for line in lines:
        stripped = line.text.strip()
        label = next((r for pattern, r in _PRESENCE_LABELS if pattern.match(stripped)), None)
        content = stripped
        if label is not None:
            role = label
            head = next(p for p, r in _PRESENCE_LABELS if r == label).match(stripped)
            content = stripped[head.end() :].strip(" \t:")
            if not content:
                continue
        if role is None:
            continue
        mentions = party_mentions(content, line.start + line.text.find(content))
        for index, mention in enumerate(mentions):
            nxt = mentions[index + 1].start - line.start if index + 1 < len(mentions) else None
            tail = text[mention.tag_end : line.start + nxt if nxt else line.end]
            detalj = _role_detail(tail)
            replaces = _REPLACES.search(content)
            if replaces and role == "tjänstgörande ersättare" and index == 0:
                target = party_mentions(replaces[1])
                if target:
                    replaced.add(target[0].name)
                    detalj = f"tjänstgör för {target[0].name}"
            if replaces and index > 0:
                continue
            people.append(
                Person(mention.name, mention.party, role, detalj, mention.start, mention.end)
            )
    present = [
        p
        for p in people
        if p.roll in ("ledamot", "tjänstgörande ersättare") and p.name not in replaced
    ]
    others = [p for p in people if p.roll in ("ersättare", "övrig")]
    return HeaderPersons(
        narvarande=present + others,
        ordforande=_chair(lines, present),
        justerare=_justerare(lines),
        vice_ordforande=next(
            (p.name for p in present if p.detalj and _VICE.search(p.detalj)), None
        ),
        sekreterare=_secretary(lines),
    )


_VICE = re.compile(r"\b(?:1:e\s+|förste\s+|första\s+)?vice\s+ordf", re.IGNORECASE)
_SECRETARY_LABEL = re.compile(r"^(?:underskrifter\s+)?sekreterare\b[\s.:_…]*(.*)$", re.I)
_SECRETARY_TITLE = re.compile(
    r"([A-ZÅÄÖÉ][\wåäö'’-]+(?:\s+[A-ZÅÄÖÉ][\wåäö'’-]+){1,2}),?\s+"
    r"(?:nämnd|kommun|utskotts|förvaltnings|protokolls)?sekreterare\b"
)


def _secretary(lines: list[Line]) -> str | None:
    """The sekreterare: the name by the signature label `Sekreterare` (after its dotted
    line or on the line below), else an official listed as "…, nämndsekreterare"."""
    for position, line in enumerate(lines):
        match = _SECRETARY_LABEL.match(line.text.strip())
        if not match:
            continue
        candidate = match[1].strip(" .…_\t")
        if not candidate and position + 1 < len(lines):
            candidate = lines[position + 1].text.strip(" .…_\t")
        if _name_like(candidate):
            return _drop_party(candidate)
    for line in lines:
        match = _SECRETARY_TITLE.search(line.text)
        if match:
            return match[1]
    return None


def _role_detail(tail: str) -> str | None:
    tail = tail.strip(" ,\t")
    tail = re.split(r",|\boch\b", tail)[0].strip()
    return tail[:60] or None


_NAME_LINE = re.compile(r"[A-ZÅÄÖÉ][\w'’-]+(?:\s+[A-ZÅÄÖÉ][\w'’-]+){1,3}(?:\s*\([^)]*\))?")


def _name_like(text: str) -> bool:
    return bool(_NAME_LINE.fullmatch(text))


def _chair(lines: list[Line], present: list[Person]) -> str | None:
    """The signing ordförande: the name in the same block as the "Ordförande" label."""
    for position, line in enumerate(lines):
        text = line.text.strip().rstrip(". ").strip()
        if text.lower() != "ordförande":
            continue
        below = lines[position + 1] if position + 1 < len(lines) else None
        if below is not None and not below.blank_before and _name_like(below.text.strip()):
            return _drop_party(below.text)
        if position and not line.blank_before and _name_like(lines[position - 1].text.strip()):
            return _drop_party(lines[position - 1].text)
    for person in present:
        if person.detalj and _CHAIR.search(person.detalj) and "vice" not in person.detalj:
            return person.name
    return None


def _drop_party(text: str) -> str:
    return re.sub(r"\s*\([^)]*\)$", "", text.strip())


def _justerare(lines: list[Line]) -> list[str]:
    names: list[str] = []
    for position, line in enumerate(lines):
        text = line.text.strip()
        match = re.match(r"^(?:utses att justera|justerare)\s*:?\s*(.+)$", text, re.IGNORECASE)
        if match:
            # One or two names: "Anna Ek", "Anna Ek (S) och Per Holm (M)", "Anna Ek, Per Holm".
            given = [n.strip() for n in re.split(r",|\boch\b|\t", match[1]) if n.strip()]
            if given and all(_name_like(n) for n in given):
                names.extend(_drop_party(n) for n in given)
        elif re.match(r"^justerande\b", text, re.IGNORECASE) and position + 1 < len(lines):
            candidate = lines[position + 1].text.strip()
            if _name_like(candidate) and candidate not in names:
                names.append(_drop_party(candidate))
    return list(dict.fromkeys(names))
