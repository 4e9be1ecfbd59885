"""Ärenden as JSON-ready dicts: the list, one ärende (members with the organ that decided
them, the chain, the timeline with bilagor under their part, evidence, hänvisningar, audit
trail, positions), and one § with its positions and references.
Shared by the `namnd arenden` / `namnd arende` commands and the HTTP API."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from index.filters import Filters
from index.store import Store
from swedish.domain import TYPE_ORDER
from swedish.organs import paragraph_organ
from swedish.patterns import find_dnr

from .audit import audit_trail
from .chain import STEPS, audit_chain
from .citation import unit_citations
from .facts import paragraph_references, positions
from .query import parse_query

if TYPE_CHECKING:
    from .hybrid import Searcher

MAX_SEARCH_DEPTH = 300



def has_arenden(store: Store) -> bool:
    """Whether the store has ärenden (a store from before them gets them on next ingest)."""
    return bool(
        store.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'arenden'")
    )


# --- the list --------------------------------------------------------------------------------

_LIST_FIELDS = "id, kommun, rubrik, dnr, forsta_datum, senaste_datum, antal, osakra"


def list_arenden(
    store: Store,
    q: str | None = None,
    *,
    searcher: Searcher | None = None,
    kommun: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> dict[str, Any]:
    """Ärenden, newest first; with `q`, those whose texts match best (a dnr in `q` finds
    its ärende directly)."""
    if q and q.strip():
        ids = _matching(store, q, searcher, kommun)
        total = len(ids)
        page = ids[offset : offset + limit]
        rows = {r["id"]: r for r in _rows_by_id(store, page)}
        items = [rows[i] for i in page if i in rows]
    else:
        where, params = ("WHERE kommun = ?", [kommun]) if kommun else ("", [])
        total = int(store.scalar(f"SELECT count(*) FROM arenden {where}", params) or 0)
        items = store.query(
            f"""SELECT {_LIST_FIELDS} FROM arenden {where}
                ORDER BY senaste_datum DESC, antal DESC, id LIMIT ? OFFSET ?""",
            [*params, limit, offset],
        )
    return {
        "q": q,
        "total": total,
        "limit": limit,
        "offset": offset,
        "arenden": [_list_item(store, r) for r in items],
    }


def _rows_by_id(store: Store, ids: list[int]) -> list[sqlite3.Row]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return store.query(f"SELECT {_LIST_FIELDS} FROM arenden WHERE id IN ({marks})", ids)


def _matching(store: Store, q: str, searcher: Searcher | None, kommun: str | None) -> list[int]:
    ordered: list[int] = []
    dnr = [d for _, _, d in find_dnr(q)]
    if dnr:
        marks = ",".join("?" * len(dnr))
        for row in store.query(
            f"""SELECT DISTINCT u.arende_id FROM paragraph_dnr d
                JOIN arende_units u ON u.paragraph_id = d.paragraph_id
                WHERE d.dnr IN ({marks}) AND u.arende_id IS NOT NULL
                  AND (? IS NULL OR u.kommun = ?) ORDER BY u.arende_id""",
            [*dnr, kommun, kommun],
        ):
            ordered.append(row[0])
    if searcher is not None:
        hits = searcher.rank(
            parse_query(q), Filters(kommun=kommun), MAX_SEARCH_DEPTH, "bm25", "rrf"
        )
        chunk_ids = [h.chunk_id for h in hits[:MAX_SEARCH_DEPTH]]
        by_chunk: dict[int, int] = {}
        for start in range(0, len(chunk_ids), 900):
            batch = chunk_ids[start : start + 900]
            for row in store.query(
                f"""SELECT c.id, u.arende_id FROM chunks c
                    JOIN arende_units u ON u.paragraph_id = c.paragraph_id
                    WHERE c.id IN ({",".join("?" * len(batch))}) AND u.arende_id IS NOT NULL""",
                batch,
            ):
                by_chunk[row[0]] = row[1]
        ordered.extend(by_chunk[c] for c in chunk_ids if c in by_chunk)
    return list(dict.fromkeys(ordered))


def _list_item(store: Store, row: sqlite3.Row) -> dict[str, Any]:
    types = store.query(
        "SELECT typ, count(*) AS n FROM arende_units WHERE arende_id = ? GROUP BY typ ORDER BY typ",
        [row["id"]],
    )
    recommendations = store.scalar(
        """SELECT count(*) FROM rekommendationer r
           JOIN arende_units u ON u.paragraph_id = r.paragraph_id WHERE u.arende_id = ?""",
        [row["id"]],
    )
    return {
        "id": row["id"],
        "kommun": row["kommun"],
        "rubrik": row["rubrik"],
        "dnr": _json(row["dnr"]),
        "forsta_datum": row["forsta_datum"],
        "senaste_datum": row["senaste_datum"],
        "antal": row["antal"],
        "osakra": row["osakra"],
        "typer": {t["typ"]: t["n"] for t in types},
        "har_rekommendationer": bool(recommendations),
    }


# --- one ärende -------------------------------------------------------------------------------

_MEMBER_SQL = """
    SELECT u.paragraph_id, u.document_id, u.arende_id, u.kommun, u.typ, u.datum, u.datum_typ,
           u.datum_kalla, u.sakerhet, u.konfidens, p.part_id, p.paragraf, p.rubrik, p.dnr,
           p.start, p.end, p.sections, p.att_satser, p.skickas_till, pa.dokumenttyp, pa.title,
           pa.namnd, d.filename, d.source_url,
           substr(d.text, pa.start + 1, min(p.start - pa.start, {HEAD_CHARS})) AS head
    FROM arende_units u JOIN paragraphs p ON p.id = u.paragraph_id
    JOIN parts pa ON pa.id = p.part_id JOIN documents d ON d.id = u.document_id
"""
HEAD_CHARS = 3000  # of a part before its §: a protokoll's header names its organ there
_MEMBER_SQL = _MEMBER_SQL.replace("{HEAD_CHARS}", str(HEAD_CHARS))


def get_arende(store: Store, arende_id: int) -> dict[str, Any] | None:
    """One ärende: members and timeline (date order), the evidence of every link, its
    hänvisningar, the audit trail of a revision, and the positions taken in its §."""
    rows = store.query(f"SELECT {_LIST_FIELDS} FROM arenden WHERE id = ?", [arende_id])
    if not rows:
        return None
    out = _list_item(store, rows[0])
    members = [
        _with_organ(dict(r))
        for r in store.query(f"{_MEMBER_SQL} WHERE u.arende_id = ?", [arende_id])
    ]
    ids = [m["paragraph_id"] for m in members]
    references = paragraph_references(store, ids)
    said = positions(store, ids)
    same_text = _duplicates(store, ids)
    links = _links(store, ids)
    leaves = _leaves(members, links)
    timeline = _grouped(sorted(members, key=_sortable), leaves)
    cited = unit_citations(store, ids, with_source=True)
    first_of_text: dict[int, int] = {}
    twins: dict[int, int] = {}
    out["tidslinje"] = []
    for member in timeline:
        entry = _member(member, references, said) | cited.get(member["paragraph_id"], {})
        earlier = [t for t in same_text.get(member["paragraph_id"], []) if t in first_of_text]
        entry["samma_text_som"] = first_of_text[earlier[0]] if earlier else None
        if earlier:
            twins[member["paragraph_id"]] = entry["samma_text_som"]
        first_of_text[member["paragraph_id"]] = entry["samma_text_som"] or member["paragraph_id"]
        entry["bilaga_till"] = leaves.get(member["paragraph_id"])
        out["tidslinje"].append(entry)
    out["kedja"] = audit_chain(store, members, links, leaves, twins)
    out["lankar"] = links
    out["hanvisningar"] = _references(store, ids)
    out["revision"] = audit_trail(store, members)
    out["positioner"] = [
        {
            "paragraph_id": m["paragraph_id"],
            "document_id": m["document_id"],
            "paragraf": m["paragraf"],
            "rubrik": m["rubrik"] or m["title"],
            "datum": m["datum"],
            "positioner": said[m["paragraph_id"]],
        }
        for m in timeline
        if said.get(m["paragraph_id"])
    ]
    return out


def _with_organ(member: dict[str, Any]) -> dict[str, Any]:
    """The member with the organ that decided it (a § from its protokoll and dnr series)."""
    member["dnr"] = _json(member["dnr"])
    member["att_satser"] = _json(member["att_satser"])
    if member["paragraf"]:
        member["organ"], member["organ_kalla"] = paragraph_organ(
            member["namnd"], member["head"] or "", member["dnr"], _json(member["skickas_till"])
        )
    else:
        member["organ"], member["organ_kalla"] = member["namnd"], "handlingen"
    return member


def _leaves(members: list[dict[str, Any]], links: list[dict[str, Any]]) -> dict[int, int]:
    """Bilaga -> the member it is attached to (a revisionsrapport after its missiv, or a
    motion, is a step of its own, not a bilaga)."""
    typ = {m["paragraph_id"]: m["typ"] for m in members}
    out: dict[int, int] = {}
    for link in links:
        unit, head = link["fran"], link["till"]
        if link["regel"] == "bilaga" and head in typ and typ.get(unit) not in STEPS:
            out.setdefault(unit, head)
    return out


def _grouped(timeline: list[dict[str, Any]], leaves: dict[int, int]) -> list[dict[str, Any]]:
    """The timeline with each bilaga right after the member it is attached to."""
    attached: dict[int, list[dict[str, Any]]] = {}
    for member in timeline:
        if member["paragraph_id"] in leaves:
            attached.setdefault(leaves[member["paragraph_id"]], []).append(member)
    out: list[dict[str, Any]] = []

    def place(member: dict[str, Any]) -> None:
        out.append(member)
        for bilaga in attached.get(member["paragraph_id"], []):
            place(bilaga)

    for member in timeline:
        if member["paragraph_id"] not in leaves:
            place(member)
    return out


def _sortable(member: dict[str, Any]) -> tuple:
    return (
        member["datum"] or "9999",
        TYPE_ORDER.get(member["typ"], 9),
        member["document_id"],
        member["start"],
    )


def _member(
    member: dict[str, Any],
    references: dict[int, list[str]],
    said: dict[int, list[dict[str, Any]]],
) -> dict[str, Any]:
    return {
        "paragraph_id": member["paragraph_id"],
        "document_id": member["document_id"],
        "part_id": member["part_id"],
        "typ": member["typ"],
        "dokumenttyp": member["dokumenttyp"],
        "datum": member["datum"],
        "datum_typ": member["datum_typ"],
        "datum_kalla": member["datum_kalla"],
        "kommun": member["kommun"],
        "namnd": member["organ"],
        "organ_kalla": member["organ_kalla"],
        "paragraf": member["paragraf"],
        "rubrik": member["rubrik"] or member["title"],
        "dnr": member["dnr"],
        "source": member["filename"],
        "source_url": member["source_url"],
        "start": member["start"],
        "end": member["end"],
        "sakerhet": member["sakerhet"],
        "konfidens": member["konfidens"],
        "referenser": references.get(member["paragraph_id"], []),
        "positioner": len(said.get(member["paragraph_id"], [])),
    }


def _duplicates(store: Store, ids: list[int]) -> dict[int, list[int]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    out: dict[int, list[int]] = {}
    for row in store.query(
        f"""SELECT paragraph_id, other_id FROM paragraph_links
            WHERE kind = 'dubblett' AND share >= 0.8
              AND paragraph_id IN ({marks}) AND other_id IN ({marks})""",
        [*ids, *ids],
    ):
        out.setdefault(row[0], []).append(row[1])
    return out


def _links(store: Store, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return [
        {
            "fran": r["paragraph_id"],
            "till": r["other_id"],
            "regel": r["regel"],
            "varde": r["varde"],
            "konfidens": r["konfidens"],
            "saker": bool(r["saker"]),
            "document_id": r["document_id"],
            "start": r["start"],
            "end": r["end"],
        }
        for r in store.query(
            f"""SELECT l.*, p.document_id FROM arende_links l
                JOIN paragraphs p ON p.id = l.paragraph_id
                WHERE l.paragraph_id IN ({marks}) OR l.other_id IN ({marks})
                ORDER BY l.saker DESC, l.konfidens DESC, l.paragraph_id, l.other_id""",
            [*ids, *ids],
        )
    ]


def _references(store: Store, ids: list[int]) -> list[dict[str, Any]]:
    """Hänvisningar made by the members (out) and to them from other ärenden (in)."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    out = []
    for r in store.query(
        f"""SELECT h.*, t.document_id AS t_document, t.paragraf AS t_paragraf,
                   t.rubrik AS t_rubrik, tu.arende_id AS t_arende, tu.datum AS t_datum,
                   su.arende_id AS s_arende
            FROM hanvisningar h
            LEFT JOIN paragraphs t ON t.id = h.target_id
            LEFT JOIN arende_units tu ON tu.paragraph_id = h.target_id
            LEFT JOIN arende_units su ON su.paragraph_id = h.paragraph_id
            WHERE h.paragraph_id IN ({marks}) OR h.target_id IN ({marks})
            ORDER BY h.document_id, h.start""",
        [*ids, *ids],
    ):
        out.append(
            {
                "riktning": "ut" if r["paragraph_id"] in ids else "in",
                "paragraph_id": r["paragraph_id"],
                "document_id": r["document_id"],
                "arende_id": r["s_arende"],
                "typ": r["typ"],
                "text": r["text"],
                "organ": r["organ"],
                "datum": r["datum"],
                "paragraf": r["paragraf"],
                "dnr": r["dnr"],
                "start": r["start"],
                "end": r["end"],
                "extern": r["target_id"] is None,
                "samma_arende": bool(r["samma_arende"]),
                "mal": None
                if r["target_id"] is None
                else {
                    "paragraph_id": r["target_id"],
                    "document_id": r["t_document"],
                    "arende_id": r["t_arende"],
                    "paragraf": r["t_paragraf"],
                    "rubrik": r["t_rubrik"],
                    "datum": r["t_datum"],
                },
            }
        )
    return out


# --- one § ----------------------------------------------------------------------------------


def get_paragraf(store: Store, paragraph_id: int) -> dict[str, Any] | None:
    """A § (or a part without §) with its ärende, positions, references and hänvisningar."""
    rows = store.query(
        f"""SELECT p.*, pa.dokumenttyp, pa.title, pa.namnd, pa.datum, pa.datum_typ,
                  d.kommun, d.filename, d.source_url,
                  substr(d.text, pa.start + 1, min(p.start - pa.start, {HEAD_CHARS})) AS head
           FROM paragraphs p JOIN parts pa ON pa.id = p.part_id
           JOIN documents d ON d.id = p.document_id WHERE p.id = ?""",
        [paragraph_id],
    )
    if not rows:
        return None
    row = rows[0]
    organ, organ_kalla = (
        paragraph_organ(row["namnd"], row["head"], _json(row["dnr"]), _json(row["skickas_till"]))
        if row["paragraf"]
        else (row["namnd"], "handlingen")
    )
    unit = store.query(
        "SELECT arende_id, typ, sakerhet, konfidens, datum_kalla FROM arende_units "
        "WHERE paragraph_id = ?",
        [paragraph_id],
    )
    unit_row = unit[0] if unit else None
    cited = unit_citations(store, [paragraph_id], with_source=True).get(paragraph_id, {})
    return cited | {
        "id": row["id"],
        "document_id": row["document_id"],
        "part_id": row["part_id"],
        "kommun": row["kommun"],
        "namnd": organ,
        "organ_kalla": organ_kalla,
        "datum": row["datum"],
        "datum_typ": row["datum_typ"],
        "datum_kalla": unit_row["datum_kalla"] if unit_row else None,
        "dokumenttyp": row["dokumenttyp"],
        "typ": unit_row["typ"] if unit_row else None,
        "paragraf": row["paragraf"],
        "rubrik": row["rubrik"] or row["title"],
        "dnr": _json(row["dnr"]),
        "source": row["filename"],
        "source_url": row["source_url"],
        "start": row["start"],
        "end": row["end"],
        "att_satser": _json(row["att_satser"]),
        "skickas_till": _json(row["skickas_till"]),
        "arende_id": unit_row["arende_id"] if unit_row else None,
        "sakerhet": unit_row["sakerhet"] if unit_row else None,
        "konfidens": unit_row["konfidens"] if unit_row else None,
        "positioner": positions(store, [paragraph_id]).get(paragraph_id, []),
        "referenser": paragraph_references(store, [paragraph_id]).get(paragraph_id, []),
        "hanvisningar": [h for h in _references(store, [paragraph_id]) if h["riktning"] == "ut"],
        "chunks": [
            r[0]
            for r in store.query(
                "SELECT id FROM chunks WHERE paragraph_id = ? ORDER BY ordinal", [paragraph_id]
            )
        ],
    }


def _json(value: str | None) -> Any:
    return json.loads(value) if value else []
