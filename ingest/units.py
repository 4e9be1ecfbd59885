"""The units of a stored document that can belong to an ärende, with their type and date.

A unit is a § or a part without § (a tjänsteskrivelse, a revisionsrapport, a bilaga). The
protokoll header zone and a kallelse's agenda are not units: they belong to every ärende
of the meeting and to none.

The timeline type says what a unit is in the life of an ärende: revisionsrapport, missiv
(the revisorer's cover letter), anmälan, tjänsteskrivelse, svar, yttrande, beslut, bilaga,
rapport, motion. `datum_kalla` says whether the unit's part states its date itself
("egen") or inherits the document's date ("dokumentet"), so a timeline never presents an
inherited date as the unit's own.

`paragraph_organ` says which organ decided a §: the one its protokoll's header names, or,
in a bundle without that header, the organ of its dnr series when the decision is sent to
the organ the bundle was filed under; never the addressee.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass

from swedish.patterns import find_dates

# The revisorer's cover letter asks for the nämnd's answer ("Vi emotser …") and is signed
# "För revisorerna"; a rapport mentions "revisorerna i X kommun" as its commissioner.
_MISSIV = re.compile(r"\bemotser\b|^\s*för revisorerna\b", re.I | re.M)


@dataclass
class Unit:
    id: int
    document_id: int
    part_ordinal: int
    ordinal: int
    kommun: str | None
    namnd: str | None
    dokumenttyp: str  # the part's
    paragraf: str | None
    title: str | None
    dnr: list[str]
    start: int
    end: int
    datum: str | None
    datum_typ: str | None
    part_start: int
    part_end: int
    sections: list[dict]
    member: bool  # False for a protokoll header zone or a kallelse's agenda
    typ: str = ""
    datum_kalla: str | None = None

    @property
    def is_paragraph(self) -> bool:
        return self.paragraf is not None


def document_units(conn: sqlite3.Connection, document_id: int, text: str) -> list[Unit]:
    """The units of one stored document, in document order, typed and dated."""
    rows = conn.execute(
        """SELECT p.id, p.document_id, pa.ordinal AS part_ordinal, p.ordinal, p.paragraf,
                  p.rubrik, p.dnr, p.start, p.end, p.sections, pa.dokumenttyp, pa.title,
                  pa.namnd, pa.datum, pa.datum_typ, pa.start AS part_start,
                  pa.end AS part_end, d.kommun
           FROM paragraphs p JOIN parts pa ON pa.id = p.part_id
           JOIN documents d ON d.id = p.document_id
           WHERE p.document_id = ? ORDER BY pa.ordinal, p.ordinal""",
        [document_id],
    ).fetchall()
    units = []
    part_dates: dict[tuple[int, int], set[str]] = {}  # every § of a part shares its dates
    for row in rows:
        zone = row["paragraf"] is None and row["dokumenttyp"] in ("protokoll", "protokollsutdrag")
        unit = Unit(
            id=row["id"],
            document_id=row["document_id"],
            part_ordinal=row["part_ordinal"],
            ordinal=row["ordinal"],
            kommun=row["kommun"],
            namnd=row["namnd"],
            dokumenttyp=row["dokumenttyp"],
            paragraf=row["paragraf"],
            title=row["rubrik"] or row["title"],
            dnr=json.loads(row["dnr"]),
            start=row["start"],
            end=row["end"],
            datum=row["datum"],
            datum_typ=row["datum_typ"],
            part_start=row["part_start"],
            part_end=row["part_end"],
            sections=json.loads(row["sections"]),
            member=not zone and row["dokumenttyp"] != "kallelse",
        )
        unit.typ = unit_typ(unit, text[unit.start : unit.end])
        unit.datum_kalla = _date_source(unit, text, part_dates)
        units.append(unit)
    return units


def unit_typ(unit: Unit, text: str) -> str:
    title = (unit.title or "").strip()
    if unit.is_paragraph:
        return "anmälan" if re.match(r"anmälan\b", title, re.I) else "beslut"
    if unit.dokumenttyp == "yttrande":
        return "svar" if re.match(r"svar\b", title, re.I) else "yttrande"
    if unit.dokumenttyp == "revisionsrapport":
        return "missiv" if len(text) < 12_000 and _MISSIV.search(text) else "revisionsrapport"
    if unit.dokumenttyp == "bilaga" and re.match(r"motion\b", title, re.I):
        return "motion"
    return unit.dokumenttyp


def _date_source(unit: Unit, text: str, part_dates: dict[tuple[int, int], set[str]]) -> str | None:
    """ "egen" when the unit's part states its date, "dokumentet" when it is inherited.
    `part_dates` caches the dates found per part (read once, not once per §)."""
    if not unit.datum:
        return None
    span = (unit.part_start, unit.part_end)
    if span not in part_dates:
        part_dates[span] = {iso for _, _, iso in find_dates(text[span[0] : span[1]])}
    return "egen" if unit.datum in part_dates[span] else "dokumentet"
