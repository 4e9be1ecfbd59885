"""Citations, permalinks and readable sources for § and parts.

A § (or a part without §) is cited the way a journalist or an auditor writes it: organ,
kommun, kind of document and its date, §, dnr ("Socialnämnden, Eskilstuna kommun, protokoll
2023-09-26, § 75, dnr SOCN/2023:39"); a part without § names its title instead of a §.
Its permalink is its place in the web UI (`/?doc=1&paragraf=75`, or `/?doc=2&del=7` for a
part), and its stable key (`unit_key`) names it by the content hash of its document and its §
number or part ordinal, so it stays the same across restarts, `namnd reindex` and an export
restored elsewhere (the feed's entry ids and the saved searches' memory use it).

Search results and answer citations get these fields added here (`annotate`), after the
search, so the search itself needs no change: `kallhanvisning`, `permalink`, `dokument`
(the document's title, kind and format instead of its hashed file name) and `original_url`
(the original file as served by the API, at its page for a PDF).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from index.store import Store

# The columns that describe one § or part, joined from paragraphs, parts and documents.
UNIT_SQL = """
    SELECT p.id AS paragraph_id, p.document_id, p.part_id, p.paragraf, p.rubrik, p.dnr,
           pa.ordinal AS part_ordinal, pa.dokumenttyp, pa.title AS part_title,
           pa.namnd AS part_namnd, pa.datum,
           d.kommun, d.namnd AS document_namnd, d.title AS document_title,
           d.dokumenttyp AS document_dokumenttyp, d.format, d.content_hash, d.source_url,
           d.ingested_at
    FROM paragraphs p JOIN parts pa ON pa.id = p.part_id
    JOIN documents d ON d.id = p.document_id
"""


def kommun_name(kommun: str | None) -> str | None:
    """ "Eskilstuna" -> "Eskilstuna kommun", "Karlstad" -> "Karlstad kommun"; a name that
    already says what it is ("Stockholms stad", "Region Gotland", "Gotlands kommun") stays
    as it is."""
    if not kommun:
        return None
    words = kommun.lower().split()
    if len(words) > 1 and (words[-1] in ("kommun", "stad", "region") or words[0] == "region"):
        return kommun
    return f"{kommun} kommun"


def kallhanvisning(
    *,
    namnd: str | None,
    kommun: str | None,
    dokumenttyp: str | None,
    datum: str | None,
    paragraf: str | None,
    dnr: Iterable[str] = (),
    titel: str | None = None,
) -> str:
    """A ready citation: "Socialnämnden, Eskilstuna kommun, protokoll 2023-09-26, § 75,
    dnr SOCN/2023:39". A part without § is named by its title ("tjänsteskrivelse
    2024-04-09, ”Månadsrapport mars 2024”"). Unknown pieces are left out."""
    kind = " ".join(x for x in (dokumenttyp, datum) if x)
    pieces = [namnd, kommun_name(kommun), kind or None]
    if paragraf:
        pieces.append(f"§ {paragraf}")
    elif titel:
        pieces.append(f"”{titel}”")
    numbers = [d for d in dnr if d]
    if numbers:
        pieces.append("dnr " + ", ".join(numbers))
    return ", ".join(p for p in pieces if p)


def permalink(document_id: int, paragraf: str | None, part_id: int | None) -> str:
    """The place of a § (by its number) or of a part without § (by its id) in the web UI."""
    place: dict[str, Any] = {"doc": document_id}
    if paragraf:
        place["paragraf"] = paragraf
    elif part_id is not None:
        place["del"] = part_id
    return "/?" + urlencode(place)


def unit_key(content_hash: str, paragraf: str | None, part_ordinal: int) -> str:
    """A § or part's stable name: its document's content and its § number (or, without §,
    the part's place in the document)."""
    return f"{content_hash[:32]}/" + (f"§{paragraf}" if paragraf else f"del{part_ordinal}")


def original_url(document_id: int, fmt: str | None, page: int | None) -> str:
    """The original file as the API serves it; a PDF opens at the page where it is known."""
    url = f"/api/documents/{document_id}/original"
    return f"{url}#page={page}" if fmt == "pdf" and page else url


def unit_fields(row: Any) -> dict[str, Any]:
    """Citation, permalink, stable key and the readable source of one UNIT_SQL row."""
    dnr = json.loads(row["dnr"]) if row["dnr"] else []
    namnd = row["part_namnd"] or row["document_namnd"]
    return {
        "kallhanvisning": kallhanvisning(
            namnd=namnd,
            kommun=row["kommun"],
            dokumenttyp=row["dokumenttyp"],
            datum=row["datum"],
            paragraf=row["paragraf"],
            dnr=dnr,
            titel=row["rubrik"] or row["part_title"],
        ),
        "permalink": permalink(row["document_id"], row["paragraf"], row["part_id"]),
        "nyckel": unit_key(row["content_hash"], row["paragraf"], row["part_ordinal"]),
        "dokument": document_source(row),
    }


def document_source(row: Any) -> dict[str, Any]:
    """What a reader recognises a document by: its title and kind, not its file name; and
    where the publisher has it."""
    return {
        "id": row["document_id"],
        "titel": row["document_title"],
        "dokumenttyp": row["document_dokumenttyp"],
        "format": row["format"],
        "source_url": row["source_url"],
        "ingested_at": row["ingested_at"],
    }


def units(store: Store, paragraph_ids: Iterable[int]) -> dict[int, Any]:
    """UNIT_SQL rows by paragraph id."""
    ids = sorted(set(paragraph_ids))
    out: dict[int, Any] = {}
    for start in range(0, len(ids), 900):
        batch = ids[start : start + 900]
        marks = ",".join("?" * len(batch))
        for row in store.query(f"{UNIT_SQL} WHERE p.id IN ({marks})", batch):
            out[row["paragraph_id"]] = row
    return out


def unit_citations(
    store: Store, paragraph_ids: Iterable[int], *, with_source: bool = False
) -> dict[int, dict[str, Any]]:
    """`kallhanvisning` and `permalink` by paragraph id, for JSON of § and parts; with
    `with_source` also the readable `dokument` and its `original_url` (for § listed apart
    from their document: an ärende's members, one §)."""
    out = {}
    for pid, row in units(store, paragraph_ids).items():
        fields = unit_fields(row)
        out[pid] = {"kallhanvisning": fields["kallhanvisning"], "permalink": fields["permalink"]}
        if with_source:
            out[pid]["dokument"] = fields["dokument"]
            out[pid]["original_url"] = original_url(row["document_id"], row["format"], None)
    return out


def annotate(store: Store, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Search results or answer citations (dicts with `chunk_id`) with their § or part's
    `kallhanvisning`, `permalink`, `paragraph_id`, `nyckel`, `dokument` and `original_url`
    added in place; returns `items`."""
    chunk_ids = [item["chunk_id"] for item in items]
    owners: dict[int, tuple[int, int | None]] = {}
    for start in range(0, len(chunk_ids), 900):
        batch = chunk_ids[start : start + 900]
        marks = ",".join("?" * len(batch))
        for row in store.query(
            f"SELECT id, paragraph_id, page FROM chunks WHERE id IN ({marks})", batch
        ):
            owners[row["id"]] = (row["paragraph_id"], row["page"])
    rows = units(store, (p for p, _ in owners.values()))
    for item in items:
        owner = owners.get(item["chunk_id"])
        row = rows.get(owner[0]) if owner else None
        if row is None:  # deleted since it was found
            continue
        item["paragraph_id"] = owner[0]
        item.update(unit_fields(row))
        item["original_url"] = original_url(row["document_id"], row["format"], owner[1])
    return items
