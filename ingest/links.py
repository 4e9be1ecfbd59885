"""Evidence that units belong to the same ärende, found when a document is stored.

Every link keeps its rule, the evidence (a dnr, the referring words, the two titles), a
confidence and whether it is certain. Only rules that cannot be a guess are certain:

| regel | when | konfidens | säker |
|---|---|---|---|
| dnr | the same normalized dnr (SOCN/2023:39 = SOCN 2023:39), same kommun | 1.0 | yes |
| dnr | the same dnr, but a kommun is unknown | 0.6 | no |
| dubblett | most of one unit's text is the other's (a § and its utdrag) | share | share ≥ 0.8 |
| bilaga | a bilaga or rapport right after its tjänsteskrivelse/yttrande/missiv | 0.9 | yes |
| samma_handling | another head in the same (non-kallelse) bundle, no conflicting dnr | 0.75 | no |
| granskning | a svar, anmälan or § quoting an audit's recommendations or its title | 1.0 | yes |
| hänvisning | "Socialnämnden beslutade den 13 oktober 2022, § 90" (own decision) | 0.7 | no |
| rubrik | similar titles where the dnr is missing or from another diarium | 0.6 × sim | no |

A kallelse's tjänsteskrivelser are separate ärenden; a bilaga is a leaf of its head's ärende
(its own dnr or text does not pull that ärende into another). References to decisions by
other organs (a kommunfullmäktige policy) and dnr mentioned in passing ("REV/2022:14") are
kept as hänvisningar, resolved to the unit they name when it is in the corpus (otherwise
external), but they do not merge ärenden.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from datetime import date

from swedish.domain import HEAD_TYPES
from swedish.patterns import find_dnr, find_references, reference_key
from swedish.recommendations import coverage, find_recommendations, words
from swedish.titles import TITLE_THRESHOLD, TitleKey, title_key, title_similarity

from .citations import find_citations
from .units import Unit, document_units

DNR_UNKNOWN_KOMMUN = 0.6
DUPLICATE_CERTAIN = 0.8
DUPLICATE_MIN_CHARS = 300
BILAGA_CONFIDENCE = 0.9
SAME_BUNDLE_CONFIDENCE = 0.75
REFERENCE_CONFIDENCE = 0.7
TITLE_WEIGHT = 0.6
JUSTERING_DAYS = 21  # a protokoll dated by its justering is at most this long after the meeting
AUDIT_TYPES = ("revisionsrapport", "missiv")
AUDIT_ANSWER_TYPES = ("svar", "yttrande", "anmälan", "beslut", "tjänsteskrivelse")
# A revision asks for a svar within months (the seed missiv: four); a granskning of the same
# subject more than a year away is a new one (a follow-up audit).
AUDIT_DAYS = 365
# Quoting this many of a revision's recommendations (all of them when it has fewer) is a
# reference to that revision: a list of recommendations is not written twice by chance.
QUOTED_RECOMMENDATIONS = 2
SAME_RECOMMENDATION = 0.9  # word coverage both ways (search.audit measures it on the seeds)
_GRANSKNING = re.compile(r"granskning|revisionsrapport|revisionens|revisorernas", re.I)


# --- facts of one document -----------------------------------------------------------------


def store_facts(conn: sqlite3.Connection, document_id: int) -> list[Unit]:
    """Units with type and date, their hänvisningar, recommendations and law references."""
    text = conn.execute("SELECT text FROM documents WHERE id = ?", [document_id]).fetchone()[0]
    units = document_units(conn, document_id, text)
    for unit in units:
        if not unit.member:
            continue
        key = title_key(unit.title)
        conn.execute(
            """INSERT OR REPLACE INTO arende_units (paragraph_id, document_id, kommun, typ,
                   datum, datum_typ, datum_kalla, titel, titel_nyckel)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                unit.id,
                document_id,
                unit.kommun,
                unit.typ,
                unit.datum,
                unit.datum_typ,
                unit.datum_kalla,
                unit.title,
                key.encode() if key else None,
            ],
        )
        body = text[unit.start : unit.end]
        conn.executemany(
            """INSERT INTO hanvisningar (paragraph_id, document_id, kommun, typ, text, organ,
                   datum, paragraf, dnr, start, end) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
            [
                (
                    unit.id,
                    document_id,
                    unit.kommun,
                    c.typ,
                    c.text,
                    c.organ,
                    c.datum,
                    c.paragraf,
                    c.dnr,
                    c.start,
                    c.end,
                )
                for c in find_citations(body, unit.dnr, unit.start)
            ],
        )
        lists: dict[int, int] = {}
        for found in find_recommendations(body, unit.start):
            lista = lists.setdefault(found.inledning_start, len(lists) + 1)
            conn.execute(
                """INSERT INTO rekommendationer (paragraph_id, document_id, lista, ordinal, text,
                       start, end, inledning) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    unit.id,
                    document_id,
                    lista,
                    found.ordinal,
                    found.text,
                    found.start,
                    found.end,
                    found.inledning,
                ],
            )
    _store_references(conn, document_id, units)
    return units


def _store_references(conn: sqlite3.Connection, document_id: int, units: list[Unit]) -> None:
    """Law and remiss references per chunk, and per § (its chunks and its rubrik)."""
    per_paragraph: dict[int, Counter[str]] = {u.id: Counter() for u in units}
    for chunk_id, paragraph_id, chunk_text in conn.execute(
        "SELECT id, paragraph_id, text FROM chunks WHERE document_id = ?", [document_id]
    ).fetchall():
        found = Counter(reference for _, _, reference in find_references(chunk_text))
        conn.executemany(
            "INSERT OR REPLACE INTO chunk_referenser VALUES (?, ?, ?, ?, ?)",
            [(chunk_id, paragraph_id, r, reference_key(r), n) for r, n in found.items()],
        )
        per_paragraph.setdefault(paragraph_id, Counter()).update(found)
    for unit in units:
        for _, _, reference in find_references(unit.title or ""):
            per_paragraph[unit.id].setdefault(reference, 1)
    members = {u.id for u in units if u.member}  # not a header's table of contents
    for paragraph_id, found in per_paragraph.items():
        if paragraph_id not in members:
            continue
        conn.executemany(
            "INSERT OR REPLACE INTO paragraph_referenser VALUES (?, ?, ?, ?, ?)",
            [(paragraph_id, document_id, r, reference_key(r), n) for r, n in found.items()],
        )


# --- links -----------------------------------------------------------------------------------


def link_document(conn: sqlite3.Connection, document_id: int, units: list[Unit]) -> None:
    """Store every link between this document's units and the stored units."""
    members = [u for u in units if u.member]
    _bundle_links(conn, members)
    _dnr_links(conn, document_id)
    _duplicate_links(conn, document_id)
    _title_links(conn, document_id, members)
    _audit_links(conn, document_id, members)
    resolve_citations(conn, document_id)


def _link(
    conn: sqlite3.Connection,
    a: int,
    b: int,
    regel: str,
    varde: str,
    konfidens: float,
    saker: bool,
    start: int | None = None,
    end: int | None = None,
    directed: bool = False,
) -> None:
    if a == b:
        return
    if not directed and a > b:
        a, b = b, a
        start = end = None
    conn.execute(
        "INSERT OR IGNORE INTO arende_links VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [a, b, regel, varde, round(konfidens, 3), int(saker), start, end],
    )


def _bundle_links(conn: sqlite3.Connection, members: list[Unit]) -> None:
    """Bilagor belong to the head they follow; in a bundle that is not a kallelse, later
    heads belong to the first head's ärende unless their dnr say otherwise."""
    if not members:
        return
    kallelse = conn.execute(
        "SELECT dokumenttyp FROM parts WHERE document_id = ? AND ordinal = 0",
        [members[0].document_id],
    ).fetchone()[0] in ("kallelse",)
    first: Unit | None = None
    head: Unit | None = None
    for unit in members:
        if unit.is_paragraph and unit.dokumenttyp == "protokoll":
            first = head = None  # every § of a protokoll is its own unit
            continue
        if unit.typ == "revisionsrapport" and head is not None and head.typ == "missiv":
            _bilaga(conn, unit, head)
            continue
        if unit.typ in HEAD_TYPES:
            if first is not None and not kallelse and not _dnr_conflict(first, unit):
                _link(
                    conn,
                    unit.id,
                    first.id,
                    "samma_handling",
                    _pair(unit, first),
                    SAME_BUNDLE_CONFIDENCE,
                    False,
                    directed=True,
                )
            else:
                first = unit
            head = unit
            continue
        if head is not None:
            _bilaga(conn, unit, head)


def _bilaga(conn: sqlite3.Connection, unit: Unit, head: Unit) -> None:
    _link(
        conn, unit.id, head.id, "bilaga", _pair(unit, head), BILAGA_CONFIDENCE, True, directed=True
    )


def _pair(unit: Unit, head: Unit) -> str:
    return f"{unit.title or unit.typ} → {head.title or head.typ}"


def _series(dnr: list[str]) -> set[str]:
    return {d.split("/")[0] if "/" in d else "" for d in dnr}


def _dnr_conflict(a: Unit, b: Unit) -> bool:
    """Both have dnr in the same diarium and share none: two ärenden."""
    return bool(a.dnr and b.dnr and not set(a.dnr) & set(b.dnr) and _series(a.dnr) & _series(b.dnr))


def _dnr_links(conn: sqlite3.Connection, document_id: int) -> None:
    rows = conn.execute(
        """SELECT d1.paragraph_id AS a, d2.paragraph_id AS b, d1.dnr, u1.kommun AS ka,
                  u2.kommun AS kb
           FROM paragraph_dnr d1
           JOIN paragraph_dnr d2 ON d2.dnr = d1.dnr AND d2.paragraph_id != d1.paragraph_id
           JOIN arende_units u1 ON u1.paragraph_id = d1.paragraph_id
           JOIN arende_units u2 ON u2.paragraph_id = d2.paragraph_id
           WHERE d1.document_id = ?""",
        [document_id],
    ).fetchall()
    texts: dict[int, str] = {}
    for row in rows:
        if row["ka"] and row["kb"] and row["ka"] != row["kb"]:
            continue  # SOCN/2023:39 in Eskilstuna is not SOCN/2023:39 in Katrineholm
        known = bool(row["ka"] and row["kb"])
        first, second = sorted((row["a"], row["b"]))
        _link(
            conn,
            first,
            second,
            "dnr",
            row["dnr"],
            1.0 if known else DNR_UNKNOWN_KOMMUN,
            known,
            *_dnr_span(conn, texts, first, row["dnr"]),
        )


def _dnr_span(
    conn: sqlite3.Connection, texts: dict[int, str], paragraph_id: int, dnr: str
) -> tuple[int | None, int | None]:
    """Where the unit writes the dnr, as document offsets (for the UI to highlight)."""
    document_id, start, end = conn.execute(
        "SELECT document_id, start, end FROM paragraphs WHERE id = ?", [paragraph_id]
    ).fetchone()
    if document_id not in texts:
        texts[document_id] = conn.execute(
            "SELECT text FROM documents WHERE id = ?", [document_id]
        ).fetchone()[0]
    for a, b, found in find_dnr(texts[document_id][start:end]):
        if found == dnr:
            return start + a, start + b
    return None, None


def _duplicate_links(conn: sqlite3.Connection, document_id: int) -> None:
    rows = conn.execute(
        """SELECT l.paragraph_id AS a, l.other_id AS b, max(l.share) AS share,
                  ua.kommun AS ka, ub.kommun AS kb, ua.titel AS ta, ub.titel AS tb,
                  pa.end - pa.start AS size_a, pb.end - pb.start AS size_b
           FROM paragraph_links l
           JOIN arende_units ua ON ua.paragraph_id = l.paragraph_id
           JOIN arende_units ub ON ub.paragraph_id = l.other_id
           JOIN paragraphs pa ON pa.id = l.paragraph_id
           JOIN paragraphs pb ON pb.id = l.other_id
           WHERE l.kind = 'dubblett' AND (pa.document_id = ? OR pb.document_id = ?)
           GROUP BY min(l.paragraph_id, l.other_id), max(l.paragraph_id, l.other_id)""",
        [document_id, document_id],
    ).fetchall()
    for row in rows:
        if row["ka"] and row["kb"] and row["ka"] != row["kb"]:
            continue
        if min(row["size_a"], row["size_b"]) < DUPLICATE_MIN_CHARS:
            continue  # "Föredragningslistan godkänns." recurs at every meeting
        share = float(row["share"])
        _link(
            conn,
            row["a"],
            row["b"],
            "dubblett",
            f"{round(share * 100)} % av texten är densamma",
            share,
            share >= DUPLICATE_CERTAIN,
        )


def _title_links(conn: sqlite3.Connection, document_id: int, members: list[Unit]) -> None:
    heads = [u for u in members if u.typ in HEAD_TYPES and u.kommun]
    if not heads:
        return
    candidates = conn.execute(
        """SELECT u.paragraph_id, u.titel, u.titel_nyckel, p.dnr FROM arende_units u
           JOIN paragraphs p ON p.id = u.paragraph_id
           WHERE u.kommun = ? AND u.document_id != ? AND u.titel_nyckel IS NOT NULL
             AND u.typ IN ({})""".format(",".join("?" * len(HEAD_TYPES))),
        [heads[0].kommun, document_id, *sorted(HEAD_TYPES)],
    ).fetchall()
    for unit in heads:
        key = title_key(unit.title)
        if key is None:
            continue
        for row in candidates:
            other_dnr = json.loads(row["dnr"])
            if set(unit.dnr) & set(other_dnr):
                continue  # the dnr rule links them already
            if unit.dnr and other_dnr and _series(unit.dnr) & _series(other_dnr):
                continue  # the same diarium, different dnr: different ärenden
            similarity = title_similarity(key, TitleKey.decode(row["titel_nyckel"]))
            if similarity >= TITLE_THRESHOLD:
                _link(
                    conn,
                    unit.id,
                    row["paragraph_id"],
                    "rubrik",
                    f"{unit.title} ≈ {row['titel']} (likhet {similarity:.2f})",
                    TITLE_WEIGHT * similarity,
                    False,
                )


def _audit_links(conn: sqlite3.Connection, document_id: int, members: list[Unit]) -> None:
    """Parts of the same audit, certainly: a revisionsrapport or missiv and the nämnd's svar,
    anmälan or § that quotes its recommendations, or that names the same granskning (the same
    subject stems, periods agreeing); a rapport and a missiv of the same granskning
    likewise. Only within one kommun, within AUDIT_DAYS, and never an answer dated before
    the revision (a follow-up audit repeats recommendations an earlier svar quoted)."""
    own = [u for u in members if u.kommun and (u.typ in AUDIT_TYPES or u.typ in AUDIT_ANSWER_TYPES)]
    if not own:
        return
    types = (*AUDIT_TYPES, *AUDIT_ANSWER_TYPES)
    others = conn.execute(
        """SELECT paragraph_id, typ, datum, titel, titel_nyckel FROM arende_units
           WHERE kommun = ? AND typ IN ({})""".format(",".join("?" * len(types))),
        [own[0].kommun, *types],
    ).fetchall()
    said = _recommendation_words(conn, [u.id for u in own] + [r["paragraph_id"] for r in others])
    for unit in own:
        key = title_key(unit.title)
        for row in others:
            if row["paragraph_id"] == unit.id:
                continue
            kinds = (unit.typ, row["typ"])
            audit_first = kinds[0] in AUDIT_TYPES
            if not (audit_first or kinds[1] in AUDIT_TYPES):
                continue
            revision, answer = (
                (unit.id, row["paragraph_id"])
                if audit_first
                else (
                    row["paragraph_id"],
                    unit.id,
                )
            )
            dates = {unit.id: unit.datum, row["paragraph_id"]: row["datum"]}
            if not _within(unit.datum, row["datum"], AUDIT_DAYS):
                continue  # a granskning of the same subject a year away is a new one
            both_audit = kinds[0] in AUDIT_TYPES and kinds[1] in AUDIT_TYPES
            if not both_audit and (dates[answer] or "9") < (dates[revision] or ""):
                continue  # an answer does not come before the revision it answers
            quoted = _quoted(said.get(revision, []), said.get(answer, []))
            if quoted:
                _link(conn, answer, revision, "granskning", quoted, 1.0, True)
                continue
            answer_title = unit.title if not audit_first else row["titel"]
            if not both_audit and not _GRANSKNING.search(answer_title or ""):
                continue
            if row["titel_nyckel"] is None:
                continue
            if title_similarity(key, TitleKey.decode(row["titel_nyckel"])) < 1.0:
                continue
            _link(
                conn,
                answer,
                revision,
                "granskning",
                f"samma granskning: {unit.title} = {row['titel']}",
                1.0,
                True,
            )


def _recommendation_words(
    conn: sqlite3.Connection, ids: list[int]
) -> dict[int, list[tuple[str, ...]]]:
    out: dict[int, list[tuple[str, ...]]] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), 900):
        batch = unique[start : start + 900]
        for paragraph_id, text in conn.execute(
            f"""SELECT paragraph_id, text FROM rekommendationer
                WHERE paragraph_id IN ({",".join("?" * len(batch))}) ORDER BY start""",
            batch,
        ):
            out.setdefault(paragraph_id, []).append(words(text))
    return out


def _quoted(revision: list[tuple[str, ...]], answer: list[tuple[str, ...]]) -> str | None:
    """ "citerar 5 av 5 rekommendationer" when the answer quotes enough of the revision's."""
    if not revision or not answer:
        return None
    found = sum(
        1
        for wanted in revision
        if any(
            min(coverage(wanted, given), coverage(given, wanted)) >= SAME_RECOMMENDATION
            for given in answer
        )
    )
    if found < min(len(revision), QUOTED_RECOMMENDATIONS):
        return None
    return f"citerar {found} av {len(revision)} av revisionens rekommendationer"


def _within(a: str | None, b: str | None, days: int) -> bool:
    if not a or not b:
        return True
    return abs((date.fromisoformat(a) - date.fromisoformat(b)).days) <= days


# --- hänvisningar ------------------------------------------------------------------------


def resolve_citations(conn: sqlite3.Connection, document_id: int) -> None:
    """Resolve this document's hänvisningar, and the external ones of its kommun that it
    may now answer (only its own units can be their targets); a resolved reference to the
    nämnd's own decision links the units."""
    kommun = conn.execute("SELECT kommun FROM documents WHERE id = ?", [document_id]).fetchone()[0]
    select = """SELECT h.*, u.kommun AS unit_kommun, pa.namnd AS unit_namnd FROM hanvisningar h
                JOIN paragraphs p ON p.id = h.paragraph_id JOIN parts pa ON pa.id = p.part_id
                JOIN arende_units u ON u.paragraph_id = h.paragraph_id"""
    pending = [
        (row, None)
        for row in conn.execute(f"{select} WHERE h.document_id = ?", [document_id]).fetchall()
    ]
    paragrafer = [
        r[0]
        for r in conn.execute(
            """SELECT DISTINCT paragraf FROM paragraphs
               WHERE document_id = ? AND paragraf IS NOT NULL""",
            [document_id],
        )
    ]
    dnr = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT dnr FROM paragraph_dnr WHERE document_id = ?", [document_id]
        )
    ]
    if paragrafer or dnr:
        pending += [
            (row, document_id)
            for row in conn.execute(
                f"""{select} WHERE h.target_id IS NULL AND h.kommun IS ? AND h.document_id != ?
                      AND ((h.typ = 'beslut' AND h.paragraf IN ({",".join("?" * len(paragrafer))}))
                        OR (h.typ = 'dnr' AND h.dnr IN ({",".join("?" * len(dnr))})))""",
                [kommun, document_id, *paragrafer, *dnr],
            ).fetchall()
        ]
    for row, only in pending:
        target, same = _resolve(conn, row, only)
        if target is None:
            continue
        conn.execute(
            "UPDATE hanvisningar SET target_id = ?, samma_arende = ? WHERE id = ?",
            [target, int(same), row["id"]],
        )
        if same:
            _link(
                conn,
                row["paragraph_id"],
                target,
                "hänvisning",
                row["text"],
                REFERENCE_CONFIDENCE,
                False,
                row["start"],
                row["end"],
                directed=True,
            )


def _resolve(
    conn: sqlite3.Connection, row: sqlite3.Row, only_document: int | None
) -> tuple[int | None, bool]:
    """The unit a hänvisning names (in `only_document` when given), and whether it is the
    nämnd's own decision (then the two share an ärende)."""
    if row["typ"] == "dnr":
        found = conn.execute(
            """SELECT u.paragraph_id FROM paragraph_dnr d
               JOIN arende_units u ON u.paragraph_id = d.paragraph_id
               WHERE d.dnr = ? AND u.kommun IS ? AND u.paragraph_id != ?
                 AND (? IS NULL OR d.document_id = ?)
               ORDER BY u.datum, u.paragraph_id LIMIT 1""",
            [row["dnr"], row["kommun"], row["paragraph_id"], only_document, only_document],
        ).fetchone()
        return (found[0], False) if found else (None, False)
    candidates = conn.execute(
        """SELECT u.paragraph_id, pa.datum, pa.datum_typ, pa.namnd FROM paragraphs p
           JOIN parts pa ON pa.id = p.part_id
           JOIN arende_units u ON u.paragraph_id = p.id
           WHERE p.paragraf = ? AND u.kommun IS ? AND p.id != ?
             AND (? IS NULL OR p.document_id = ?)
           ORDER BY pa.dokumenttyp = 'protokoll' DESC, p.id""",
        [row["paragraf"], row["kommun"], row["paragraph_id"], only_document, only_document],
    ).fetchall()
    for candidate in candidates:
        if not _same_meeting(row["datum"], candidate["datum"], candidate["datum_typ"]):
            continue
        if (
            row["organ"]
            and candidate["namnd"]
            and not _same_organ(row["organ"], candidate["namnd"])
        ):
            continue
        own = bool(row["organ"]) and _same_organ(row["organ"], row["unit_namnd"] or "")
        return candidate["paragraph_id"], own
    return None, False


def _same_meeting(cited: str | None, datum: str | None, datum_typ: str | None) -> bool:
    if not cited or not datum:
        return False
    if cited == datum:
        return True
    if datum_typ != "justering":
        return False
    days = (date.fromisoformat(datum) - date.fromisoformat(cited)).days
    return 0 <= days <= JUSTERING_DAYS


def _same_organ(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()
