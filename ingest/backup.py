"""Backups as JSON Lines: `namnd export FILE.jsonl` writes them, `namnd ingest FILE.jsonl`
restores them.

The first line is a header (`format`, `version`, the parser version, the embedder, the
number of documents, and the saved searches with what they have reported). Every other line
is one stored document: its file facts (`source`, `filename`, `format`, `content_hash`,
`source_url`, `parser_version`) and the parsed document
as the store holds it, in the shape of `swedish.model.ParsedDocument` (normalized text, header,
parts with their § and persons, chunks with offsets), plus each chunk's `embed_hash` and its
vector (base64 float32, little-endian, `dim` in the header) when it was embedded. A chunk's
kommun, namnd, datum, §, dnr and rubrik come from its part and §, as when it was first stored.

A restore stores these documents through the same code as ingest (`ingest.pipeline`), so
duplicates, ärenden and the BM25 index are derived as they were; nothing is parsed again and
carried vectors are not embedded again. The export is written to a temporary file and renamed,
so a stopped export never leaves a file that looks whole.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from index.datadir import DataDir
from index.store import now
from index.watches import export_watches
from swedish.model import Chunk, Header, Paragraph, ParsedDocument, Part, Person, Section

from .dedup import bands
from .parse import PARSER_VERSION
from .prepare import Prepared

FORMAT = "namnd-export"
VERSION = 1
FILE_FIELDS = ("source", "filename", "format", "content_hash", "source_url", "parser_version")


# --- export ------------------------------------------------------------------------------


def export(data: DataDir, path: Path) -> dict[str, int]:
    """Write every stored document to `path`; returns counts (documents, chunks, vectors)."""
    store = data.store
    counts = {"documents": 0, "chunks": 0, "vectors": 0}
    tmp = path.with_name(path.name + ".tmp")
    with store.snapshot(), _private(tmp) as out:
        model = store.get_meta("embedder_name")
        ids = [r[0] for r in store.query("SELECT id FROM documents ORDER BY id")]
        header = {
            "format": FORMAT,
            "version": VERSION,
            "parser_version": PARSER_VERSION,
            "embedder": store.get_meta("embedder"),
            "embedder_name": model,
            "dim": store.scalar(
                "SELECT length(vector) / 4 FROM embeddings WHERE model = ? LIMIT 1", [model]
            ),
            "documents": len(ids),
            "exported_at": now(),
            # Saved searches (`namnd watch`) with the § they have reported.
            "watches": export_watches(store),
        }
        out.write(json.dumps(header, ensure_ascii=False) + "\n")
        for document_id in ids:
            record = _record(store.conn, document_id, model)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            counts["documents"] += 1
            counts["chunks"] += len(record["chunks"])
            counts["vectors"] += sum(1 for c in record["chunks"] if c["vector"])
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)
    return counts


def _private(path: Path) -> TextIO:
    """`path` opened for writing, readable by its owner only (0600): an export holds the
    documents unmasked, personnummer included. Set on the open file, so no other user can
    open it in between, whatever the umask or a leftover file's mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8")


def _record(conn: sqlite3.Connection, document_id: int, model: str | None) -> dict[str, Any]:
    doc = conn.execute("SELECT * FROM documents WHERE id = ?", [document_id]).fetchone()
    persons: dict[int | None, list[Person]] = {}
    for row in conn.execute(
        "SELECT * FROM persons WHERE document_id = ? ORDER BY id", [document_id]
    ):
        persons.setdefault(row["paragraph_id"], []).append(
            Person(
                name=row["name"],
                party=row["party"],
                roll=row["roll"],
                detalj=row["detalj"],
                start=row["start"],
                end=row["end"],
                grupp=bool(row["grupp"]),
                mening=row["mening"],
            )
        )
    parts: list[Part] = []
    place: dict[int, tuple[int, int]] = {}  # paragraph id -> (part index, § index)
    part_rows = conn.execute(
        "SELECT * FROM parts WHERE document_id = ? ORDER BY ordinal", [document_id]
    ).fetchall()
    for part_index, row in enumerate(part_rows):
        part = Part(
            dokumenttyp=row["dokumenttyp"],
            title=row["title"],
            start=row["start"],
            end=row["end"],
            datum=row["datum"],
            datum_typ=row["datum_typ"],
            namnd=row["namnd"],
        )
        for p in conn.execute(
            "SELECT * FROM paragraphs WHERE part_id = ? ORDER BY ordinal", [row["id"]]
        ):
            place[p["id"]] = (part_index, len(part.paragraphs))
            part.paragraphs.append(
                Paragraph(
                    paragraf=p["paragraf"],
                    nummer=p["nummer"],
                    rubrik=p["rubrik"],
                    dnr=json.loads(p["dnr"]),
                    start=p["start"],
                    end=p["end"],
                    # The heading's end is not stored (only parsing uses it).
                    sections=[
                        Section(heading_end=s["start"], **s) for s in json.loads(p["sections"])
                    ],
                    persons=persons.get(p["id"], []),
                    att_satser=json.loads(p["att_satser"]),
                    skickas_till=json.loads(p["skickas_till"]),
                )
            )
        parts.append(part)
    chunks: list[dict[str, Any]] = []
    for c in conn.execute(
        """SELECT c.*, e.vector FROM chunks c LEFT JOIN embeddings e
           ON e.model = ? AND e.hash = c.embed_hash WHERE c.document_id = ? ORDER BY c.id""",
        [model, document_id],
    ):
        part_index, paragraph_index = place[c["paragraph_id"]]
        chunk = Chunk(
            part_index=part_index,
            paragraph_index=paragraph_index,
            ordinal=c["ordinal"],
            sektion=c["sektion"],
            start=c["start"],
            end=c["end"],
            text=c["text"],
            page=c["page"],
        )
        vector = base64.b64encode(c["vector"]).decode("ascii") if c["vector"] else None
        chunks.append({**asdict(chunk), "embed_hash": c["embed_hash"], "vector": vector})
    parsed = ParsedDocument(
        text=doc["text"],
        page_starts=json.loads(doc["page_starts"]) if doc["page_starts"] else None,
        kommun=doc["kommun"],
        kommun_kalla=doc["kommun_kalla"],
        namnd=doc["namnd"],
        datum=doc["datum"],
        datum_typ=doc["datum_typ"],
        dokumenttyp=doc["dokumenttyp"],
        title=doc["title"],
        header=Header(
            ordforande=doc["ordforande"],
            justerare=json.loads(doc["justerare"]),
            narvarande=persons.get(None, []),
            paragraf_range=doc["paragraf_range"],
        ),
        parts=parts,
        chunks=[],
    )
    record = {name: doc[name] for name in FILE_FIELDS} | asdict(parsed)
    for part in record["parts"]:
        for paragraph in part["paragraphs"]:
            for section in paragraph["sections"]:
                del section["heading_end"]
    record["chunks"] = chunks
    return record


# --- restore -----------------------------------------------------------------------------


@dataclass
class Restored:
    """One document of an export, ready to store."""

    line: int
    source: str
    filename: str
    source_url: str | None
    parser_version: int
    prepared: Prepared
    vectors: dict[str, bytes]  # embed hash -> float32 vector


@dataclass
class BadLine:
    line: int
    reason: str


def read_header(path: Path) -> dict[str, Any] | None:
    """The header of an export file, or None when `path` is not one."""
    if path.suffix.lower() != ".jsonl" or not path.is_file():
        return None
    try:
        with path.open(encoding="utf-8") as handle:
            header = json.loads(handle.readline())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return header if isinstance(header, dict) and header.get("format") == FORMAT else None


def read_export(path: Path, header: dict[str, Any]) -> Iterator[Restored | BadLine]:
    """The documents of an export (`header`: its `read_header`), line by line. A line that
    cannot be read is reported (BadLine) and the rest go on, as a bad file in an ingest
    batch; so is a file with fewer or more documents than its header counts (cut short, or
    lines lost)."""
    if header.get("version") != VERSION:
        yield BadLine(1, f"export format version {header.get('version')!r} (this reads {VERSION})")
        return
    seen = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        handle.readline()
        for number, line in enumerate(handle, start=2):
            if not line.strip():
                continue
            seen += 1
            try:
                yield _restored(number, json.loads(line), header.get("dim") or 0)
            except json.JSONDecodeError as error:
                yield BadLine(number, f"not valid JSON ({error.msg} at column {error.colno})")
            except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
                yield BadLine(number, f"not a document record ({type(error).__name__}: {error})")
    if seen != header.get("documents"):
        yield BadLine(
            number + 1 if seen else 2,
            f"the header counts {header.get('documents')} documents but the file holds {seen} "
            "lines (cut short?)",
        )


def _restored(line: int, record: dict[str, Any], dim: int) -> Restored:
    files = {name: record.pop(name) for name in FILE_FIELDS}
    chunk_records = record.pop("chunks")
    header = record.pop("header")
    parts = [
        Part(
            **{k: v for k, v in part.items() if k != "paragraphs"},
            paragraphs=[
                Paragraph(
                    **{k: v for k, v in p.items() if k not in ("sections", "persons")},
                    sections=[Section(heading_end=s["start"], **s) for s in p["sections"]],
                    persons=[Person(**person) for person in p["persons"]],
                )
                for p in part["paragraphs"]
            ],
        )
        for part in record.pop("parts")
    ]
    chunks, hashes, vectors = [], [], {}
    for c in chunk_records:
        embed_hash, vector = c.pop("embed_hash"), c.pop("vector")
        chunk = Chunk(**c)
        if not (
            0 <= chunk.part_index < len(parts)
            and 0 <= chunk.paragraph_index < len(parts[chunk.part_index].paragraphs)
        ):
            raise ValueError(f"chunk {chunk.ordinal} belongs to no § of the document")
        chunks.append(chunk)
        hashes.append(str(embed_hash))
        if vector:
            blob = base64.b64decode(vector, validate=True)
            if len(blob) != 4 * dim:
                raise ValueError(f"a vector of {len(blob)} bytes, not {dim} float32")
            vectors[str(embed_hash)] = blob
    parsed = ParsedDocument(
        **record,
        header=Header(
            **{k: v for k, v in header.items() if k != "narvarande"},
            narvarande=[Person(**person) for person in header["narvarande"]],
        ),
        parts=parts,
        chunks=chunks,
    )
    if not isinstance(parsed.text, str) or not chunks:
        raise ValueError("a document needs its text and chunks")
    return Restored(
        line=line,
        source=str(files["source"]),
        filename=str(files["filename"]),
        source_url=files["source_url"],
        parser_version=int(files["parser_version"]),
        prepared=Prepared(
            parsed=parsed,
            fmt=str(files["format"]),
            content_hash=str(files["content_hash"]),
            bands=[bands(chunk.text) for chunk in chunks],
            embed_hashes=hashes,
        ),
        vectors=vectors,
    )
