"""Documents as JSON-ready dicts: metadata, parts, § list, and (for one document) its
normalized text with chunk offsets. Shared by `namnd documents` and the HTTP API."""

from __future__ import annotations

import json
from typing import Any

from index.check import range_gap
from index.store import Store
from search.arenden import has_arenden
from swedish.model import LOW_OCR_CONFIDENCE

from .citation import unit_citations
from .facts import paragraph_references, positions

_DOC_FIELDS = (
    "id",
    "filename",
    "source_url",
    "kommun",
    "kommun_kalla",
    "namnd",
    "datum",
    "datum_typ",
    "dokumenttyp",
    "title",
    "ordforande",
    "paragraf_range",
    "format",
    "content_hash",
    "ingested_at",
)


def list_documents(store: Store) -> list[dict[str, Any]]:
    rows = store.query(
        f"SELECT {', '.join(_DOC_FIELDS)}, justerare FROM documents ORDER BY kommun, datum, id"
    )
    return [_document_dict(store, row) for row in rows]


def get_document(store: Store, document_id: int, with_text: bool = True) -> dict[str, Any] | None:
    rows = store.query(
        f"SELECT {', '.join(_DOC_FIELDS)}, justerare, text, page_starts FROM documents "
        "WHERE id = ?",
        [document_id],
    )
    if not rows:
        return None
    row = rows[0]
    out = _document_dict(store, row)
    if with_text:
        out["text"] = row["text"]
        out["page_starts"] = json.loads(row["page_starts"]) if row["page_starts"] else None
        out["chunks"] = [
            dict(r)
            for r in store.query(
                """SELECT id, paragraph_id, part_id, sektion, start, end, page, paragraf
                   FROM chunks WHERE document_id = ? ORDER BY start""",
                [document_id],
            )
        ]
        out["narvarande"] = [
            dict(r)
            for r in store.query(
                """SELECT name, party, roll, detalj FROM persons
                   WHERE document_id = ? AND paragraph_id IS NULL ORDER BY id""",
                [document_id],
            )
        ]
        out["enheter"] = document_units(store, document_id)
    return out


def document_units(store: Store, document_id: int) -> list[dict[str, Any]]:
    """Every § and part without § of a document with its ärende (id, the member's type and
    certainty), its law and remiss references and the positions taken in it, in text order:
    what a document view needs to link each § to its ärende and precedent."""
    if not has_arenden(store):
        return []
    rows = store.query(
        """SELECT p.id, p.part_id, p.paragraf, p.rubrik, p.start, p.end, pa.title,
                  u.arende_id, u.typ, u.sakerhet, u.konfidens
           FROM paragraphs p JOIN parts pa ON pa.id = p.part_id
           JOIN arende_units u ON u.paragraph_id = p.id
           WHERE p.document_id = ? ORDER BY p.start""",
        [document_id],
    )
    ids = [r["id"] for r in rows]
    references = paragraph_references(store, ids)
    said = positions(store, ids)
    cited = unit_citations(store, ids)
    return [
        cited.get(r["id"], {})
        | {
            "paragraph_id": r["id"],
            "part_id": r["part_id"],
            "paragraf": r["paragraf"],
            "rubrik": r["rubrik"] or r["title"],
            "start": r["start"],
            "end": r["end"],
            "arende_id": r["arende_id"],
            "typ": r["typ"],
            "sakerhet": r["sakerhet"],
            "konfidens": r["konfidens"],
            "referenser": references.get(r["id"], []),
            "positioner": said.get(r["id"], []),
        }
        for r in rows
    ]


def _document_dict(store: Store, row) -> dict[str, Any]:
    out = {field: row[field] for field in _DOC_FIELDS}
    out["justerare"] = json.loads(row["justerare"])
    # Each part with the type and date source of its unit (a revisionsrapport in a svar's
    # bundle opens under its own kind, title and date), when the store has ärenden.
    unit = (
        """(SELECT u.{0} FROM paragraphs p JOIN arende_units u ON u.paragraph_id = p.id
             WHERE p.part_id = pa.id ORDER BY p.ordinal LIMIT 1)"""
        if has_arenden(store)
        else "NULL"
    )
    out["parts"] = [
        dict(r)
        for r in store.query(
            f"""SELECT pa.id, pa.ordinal, pa.dokumenttyp, pa.title, pa.namnd, pa.datum,
                       pa.datum_typ, pa.start, pa.end, {unit.format("typ")} AS typ,
                       {unit.format("datum_kalla")} AS datum_kalla
                FROM parts pa WHERE pa.document_id = ? ORDER BY pa.ordinal""",
            [row["id"]],
        )
    ]
    out["paragrafer"] = paragraph_list(store, row["id"])
    out["ocr_sidor"] = ocr_pages(store, row["id"])
    numbers = [
        r["nummer"]
        for r in store.query(
            "SELECT nummer FROM paragraphs WHERE document_id = ? AND nummer IS NOT NULL",
            [row["id"]],
        )
    ]
    out["paragraf_avvikelse"] = range_gap(row["paragraf_range"], numbers)
    people = store.query(
        """SELECT name, roll, detalj FROM persons WHERE document_id = ?
           AND paragraph_id IS NULL AND roll IN ('ledamot', 'tjänstgörande ersättare',
           'sekreterare') ORDER BY id""",
        [row["id"]],
    )
    out["vice_ordforande"] = next(
        (p["name"] for p in people if p["detalj"] and "vice ordf" in p["detalj"].lower()), None
    )
    out["sekreterare"] = next((p["name"] for p in people if p["roll"] == "sekreterare"), None)
    return out


def ocr_pages(store: Store, document_id: int) -> list[dict[str, Any]]:
    """The pages read by OCR ("maskinläst"), with Tesseract's confidence and whether it is
    too low to trust the text."""
    return [
        {
            "sida": r["page"],
            "konfidens": r["konfidens"],
            "osaker": r["konfidens"] < LOW_OCR_CONFIDENCE,
        }
        for r in store.query(
            "SELECT page, konfidens FROM ocr_pages WHERE document_id = ? ORDER BY page",
            [document_id],
        )
    ]


def paragraph_list(store: Store, document_id: int) -> list[dict[str, Any]]:
    """The § of a document (number, rubrik, dnr, offsets) with links to duplicates."""
    rows = store.query(
        """SELECT p.id, p.part_id, p.paragraf, p.rubrik, p.dnr, p.start, p.end,
                  p.att_satser, p.skickas_till
           FROM paragraphs p WHERE p.document_id = ? AND p.paragraf IS NOT NULL
           ORDER BY p.start""",
        [document_id],
    )
    links = _duplicate_links(store, [r["id"] for r in rows])
    cited = unit_citations(store, [r["id"] for r in rows])
    return [
        cited.get(r["id"], {})
        | {
            "id": r["id"],
            "part_id": r["part_id"],
            "paragraf": r["paragraf"],
            "rubrik": r["rubrik"],
            "dnr": json.loads(r["dnr"]),
            "start": r["start"],
            "end": r["end"],
            "att_satser": json.loads(r["att_satser"]),
            "skickas_till": json.loads(r["skickas_till"]),
            "dubbletter": links.get(r["id"], []),
        }
        for r in rows
    ]


def _duplicate_links(store: Store, paragraph_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not paragraph_ids:
        return {}
    marks = ",".join("?" * len(paragraph_ids))
    out: dict[int, list[dict[str, Any]]] = {}
    for r in store.query(
        f"""SELECT l.paragraph_id, l.share, o.id, o.document_id, o.paragraf, o.rubrik,
                   d.filename
            FROM paragraph_links l JOIN paragraphs o ON o.id = l.other_id
            JOIN documents d ON d.id = o.document_id
            WHERE l.paragraph_id IN ({marks}) ORDER BY o.document_id""",
        paragraph_ids,
    ):
        out.setdefault(r["paragraph_id"], []).append(
            {
                "paragraph_id": r["id"],
                "document_id": r["document_id"],
                "paragraf": r["paragraf"],
                "rubrik": r["rubrik"],
                "filename": r["filename"],
                "share": r["share"],
            }
        )
    return out
