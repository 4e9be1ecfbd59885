"""The embedded store: one SQLite file in the data directory, the source of truth.

The BM25 and vector indexes are derived from it and can always be rebuilt (`namnd reindex`).
Chunk ids come from AUTOINCREMENT and are never reused, so an id in an index always means
the same chunk or a deleted one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from swedish.model import ParsedDocument

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL UNIQUE,
    filename TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    format TEXT NOT NULL,
    kommun TEXT,
    kommun_kalla TEXT,
    namnd TEXT,
    datum TEXT,
    datum_typ TEXT,
    dokumenttyp TEXT NOT NULL,
    title TEXT,
    source_url TEXT,
    ordforande TEXT,
    justerare TEXT NOT NULL DEFAULT '[]',
    paragraf_range TEXT,
    page_starts TEXT,
    text TEXT NOT NULL,
    parser_version INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(content_hash);

-- Pages read by OCR, with Tesseract's mean word confidence (0-100).
CREATE TABLE IF NOT EXISTS ocr_pages (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    page INTEGER NOT NULL,
    konfidens REAL NOT NULL,
    PRIMARY KEY (document_id, page)
);

CREATE TABLE IF NOT EXISTS parts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    dokumenttyp TEXT NOT NULL,
    title TEXT,
    namnd TEXT,
    datum TEXT,
    datum_typ TEXT,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS parts_document ON parts(document_id);

CREATE TABLE IF NOT EXISTS paragraphs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    part_id INTEGER NOT NULL REFERENCES parts(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    paragraf TEXT,
    nummer INTEGER,
    rubrik TEXT,
    dnr TEXT NOT NULL DEFAULT '[]',
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    sections TEXT NOT NULL DEFAULT '[]',
    att_satser TEXT NOT NULL DEFAULT '[]',
    skickas_till TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS paragraphs_document ON paragraphs(document_id);

CREATE TABLE IF NOT EXISTS paragraph_dnr (
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    dnr TEXT NOT NULL,
    PRIMARY KEY (paragraph_id, dnr)
);
CREATE INDEX IF NOT EXISTS paragraph_dnr_dnr ON paragraph_dnr(dnr);

CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    part_id INTEGER NOT NULL REFERENCES parts(id) ON DELETE CASCADE,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    sektion TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    page INTEGER,
    text TEXT NOT NULL,
    kommun TEXT,
    namnd TEXT,
    datum TEXT,
    paragraf TEXT,
    dnr TEXT,
    rubrik TEXT,
    dokumenttyp TEXT NOT NULL,
    embed_hash TEXT NOT NULL,
    dup_group INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_embed_hash ON chunks(embed_hash);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id);
CREATE INDEX IF NOT EXISTS chunks_paragraph ON chunks(paragraph_id);
CREATE INDEX IF NOT EXISTS chunks_dup_group ON chunks(dup_group);

CREATE TABLE IF NOT EXISTS chunk_bands (
    band TEXT NOT NULL,
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS chunk_bands_band ON chunk_bands(band);
CREATE INDEX IF NOT EXISTS chunk_bands_chunk ON chunk_bands(chunk_id);

CREATE TABLE IF NOT EXISTS paragraph_links (
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    other_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    share REAL NOT NULL,
    PRIMARY KEY (paragraph_id, other_id, kind)
);

CREATE TABLE IF NOT EXISTS persons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    paragraph_id INTEGER REFERENCES paragraphs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    party TEXT,
    roll TEXT NOT NULL,
    detalj TEXT,
    grupp INTEGER NOT NULL DEFAULT 0,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    mening TEXT
);
CREATE INDEX IF NOT EXISTS persons_paragraph ON persons(paragraph_id);
CREATE INDEX IF NOT EXISTS persons_document ON persons(document_id);

CREATE TABLE IF NOT EXISTS ingest_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    content_hash TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    document_id INTEGER,
    n_chunks INTEGER,
    seconds REAL
);

CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, hash)
);

CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Ärenden (ingest/arenden.py, ingest/links.py): units (§, and parts without §) linked into
-- cases with the evidence for every link; kept current as documents come and go.
CREATE TABLE IF NOT EXISTS arenden (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kommun TEXT,
    rubrik TEXT,
    dnr TEXT NOT NULL DEFAULT '[]',
    forsta_datum TEXT,
    senaste_datum TEXT,
    antal INTEGER NOT NULL,
    osakra INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS arende_units (
    paragraph_id INTEGER PRIMARY KEY REFERENCES paragraphs(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    arende_id INTEGER,
    kommun TEXT,
    typ TEXT NOT NULL,
    datum TEXT,
    datum_typ TEXT,
    datum_kalla TEXT,
    titel TEXT,
    titel_nyckel TEXT,
    sakerhet TEXT,
    konfidens REAL
);
CREATE INDEX IF NOT EXISTS arende_units_arende ON arende_units(arende_id);
CREATE INDEX IF NOT EXISTS arende_units_kommun ON arende_units(kommun);

CREATE TABLE IF NOT EXISTS arende_links (
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    other_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    regel TEXT NOT NULL,
    varde TEXT NOT NULL,
    konfidens REAL NOT NULL,
    saker INTEGER NOT NULL,
    start INTEGER,
    end INTEGER,
    PRIMARY KEY (paragraph_id, other_id, regel)
);
CREATE INDEX IF NOT EXISTS arende_links_other ON arende_links(other_id);

CREATE TABLE IF NOT EXISTS hanvisningar (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    kommun TEXT,
    typ TEXT NOT NULL,
    text TEXT NOT NULL,
    organ TEXT,
    datum TEXT,
    paragraf TEXT,
    dnr TEXT,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    target_id INTEGER REFERENCES paragraphs(id) ON DELETE SET NULL,
    samma_arende INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS hanvisningar_paragraph ON hanvisningar(paragraph_id);
CREATE INDEX IF NOT EXISTS hanvisningar_target ON hanvisningar(target_id);
CREATE INDEX IF NOT EXISTS paragraphs_paragraf ON paragraphs(paragraf);

CREATE TABLE IF NOT EXISTS rekommendationer (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    lista INTEGER NOT NULL,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    inledning TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rekommendationer_paragraph ON rekommendationer(paragraph_id);

-- Law and remiss references (Ds 2023:17, 4 kap. 1 § SoL) per chunk and per §.
CREATE TABLE IF NOT EXISTS chunk_referenser (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    referens TEXT NOT NULL,
    nyckel TEXT NOT NULL,
    antal INTEGER NOT NULL,
    PRIMARY KEY (chunk_id, nyckel)
);
CREATE TABLE IF NOT EXISTS paragraph_referenser (
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    referens TEXT NOT NULL,
    nyckel TEXT NOT NULL,
    antal INTEGER NOT NULL,
    PRIMARY KEY (paragraph_id, nyckel)
);
CREATE INDEX IF NOT EXISTS paragraph_referenser_nyckel ON paragraph_referenser(nyckel);
"""

DB_NAME = "namnd.sqlite"
# A text in more places than this is boilerplate: its § are not linked as duplicates.
DUPLICATE_MAX_PLACES = 25


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


MMAP_BYTES = 2**30


class Store:
    """Thread-safe access to the SQLite store of one data directory."""

    def __init__(self, data_dir: Path, *, readonly: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        if readonly:
            if not self.path.exists():
                raise FileNotFoundError(f"no Nämndsök data in {self.data_dir} (run namnd ingest)")
            uri = f"file:{self.path}?mode=ro"
            self.conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA busy_timeout = 30000")
        # Reads through a memory map: a search's result rows came 1.5 ms sooner (median, at
        # 100k chunks) than through read() calls into SQLite's small page cache.
        self.conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        if not readonly:
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.executescript(SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.rollback()
                raise
            self.conn.commit()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside all see one state of the store, whatever another process commits
        meanwhile (a read transaction on the WAL)."""
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                yield
            finally:
                self.conn.rollback()

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, tuple(params)).fetchall()

    def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    # --- documents -----------------------------------------------------------------------

    def document_by_source(self, source: str) -> sqlite3.Row | None:
        rows = self.query(
            "SELECT id, content_hash, parser_version FROM documents WHERE source = ?", [source]
        )
        return rows[0] if rows else None

    def document_by_hash(self, content_hash: str) -> sqlite3.Row | None:
        rows = self.query(
            "SELECT id, source, parser_version FROM documents WHERE content_hash = ? LIMIT 1",
            [content_hash],
        )
        return rows[0] if rows else None

    def delete_document(self, conn: sqlite3.Connection, document_id: int) -> list[int]:
        """Delete a document and everything derived from it; returns its chunk ids."""
        ids = [
            r[0] for r in conn.execute("SELECT id FROM chunks WHERE document_id = ?", [document_id])
        ]
        conn.execute("DELETE FROM documents WHERE id = ?", [document_id])
        return ids

    def insert_document(
        self,
        conn: sqlite3.Connection,
        parsed: ParsedDocument,
        *,
        source: str,
        filename: str,
        fmt: str,
        content_hash: str,
        source_url: str | None,
        parser_version: int,
        bands: list[list[str]],
        embed_hashes: list[str],
        same_text: Callable[[str, str], bool],
    ) -> tuple[int, list[int]]:
        """Insert a parsed document with its parts, §, persons and chunks.

        A chunk whose text `same_text` finds among the stored chunks sharing one of its LSH
        `bands` joins that chunk's duplicate group; otherwise it starts its own group.
        """
        cursor = conn.execute(
            """INSERT INTO documents (source, filename, content_hash, format, kommun,
                   kommun_kalla, namnd, datum, datum_typ, dokumenttyp, title, source_url,
                   ordforande, justerare, paragraf_range, page_starts, text, parser_version,
                   ingested_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                source,
                filename,
                content_hash,
                fmt,
                parsed.kommun,
                parsed.kommun_kalla,
                parsed.namnd,
                parsed.datum,
                parsed.datum_typ,
                parsed.dokumenttyp,
                parsed.title,
                source_url,
                parsed.header.ordforande,
                json.dumps(parsed.header.justerare, ensure_ascii=False),
                parsed.header.paragraf_range,
                json.dumps(parsed.page_starts) if parsed.page_starts else None,
                parsed.text,
                parser_version,
                now(),
            ],
        )
        document_id = int(cursor.lastrowid)
        conn.executemany(
            "INSERT INTO ocr_pages (document_id, page, konfidens) VALUES (?, ?, ?)",
            [(document_id, page, confidence) for page, confidence in parsed.ocr_pages.items()],
        )
        part_ids: list[int] = []
        paragraph_ids: list[list[int]] = []
        for ordinal, part in enumerate(parsed.parts):
            cursor = conn.execute(
                """INSERT INTO parts (document_id, ordinal, dokumenttyp, title, namnd, datum,
                       datum_typ, start, end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    document_id,
                    ordinal,
                    part.dokumenttyp,
                    part.title,
                    part.namnd,
                    part.datum,
                    part.datum_typ,
                    part.start,
                    part.end,
                ],
            )
            part_id = int(cursor.lastrowid)
            part_ids.append(part_id)
            ids: list[int] = []
            for p_ordinal, paragraph in enumerate(part.paragraphs):
                cursor = conn.execute(
                    """INSERT INTO paragraphs (document_id, part_id, ordinal, paragraf, nummer,
                           rubrik, dnr, start, end, sections, att_satser, skickas_till)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [
                        document_id,
                        part_id,
                        p_ordinal,
                        paragraph.paragraf,
                        paragraph.nummer,
                        paragraph.rubrik,
                        _json(paragraph.dnr),
                        paragraph.start,
                        paragraph.end,
                        _json(
                            [
                                {"sektion": s.sektion, "start": s.start, "end": s.end}
                                for s in paragraph.sections
                            ]
                        ),
                        _json(paragraph.att_satser),
                        _json(paragraph.skickas_till),
                    ],
                )
                paragraph_id = int(cursor.lastrowid)
                ids.append(paragraph_id)
                conn.executemany(
                    "INSERT OR IGNORE INTO paragraph_dnr VALUES (?, ?, ?)",
                    [(paragraph_id, document_id, d) for d in paragraph.dnr],
                )
                conn.executemany(
                    """INSERT INTO persons (document_id, paragraph_id, name, party, roll,
                           detalj, grupp, start, end, mening) VALUES (?,?,?,?,?,?,?,?,?,?)""",
                    [
                        (
                            document_id,
                            paragraph_id,
                            p.name,
                            p.party,
                            p.roll,
                            p.detalj,
                            int(p.grupp),
                            p.start,
                            p.end,
                            p.mening,
                        )
                        for p in paragraph.persons
                    ],
                )
            paragraph_ids.append(ids)
        conn.executemany(
            """INSERT INTO persons (document_id, paragraph_id, name, party, roll, detalj, grupp,
                   start, end, mening) VALUES (?, NULL, ?, ?, ?, ?, 0, ?, ?, NULL)""",
            [
                (document_id, p.name, p.party, p.roll, p.detalj, p.start, p.end)
                for p in parsed.header.narvarande
            ],
        )
        chunk_ids: list[int] = []
        groups_by_text: dict[str, int] = {}  # a text repeated in this document: no lookup
        for chunk, chunk_bands, embed_hash in zip(parsed.chunks, bands, embed_hashes, strict=True):
            group = groups_by_text.get(chunk.text)
            if group is None:
                group = next(
                    (
                        row["dup_group"]
                        for row in self.band_candidates(conn, chunk_bands)
                        if same_text(chunk.text, row["text"])
                    ),
                    None,
                )
            part = parsed.parts[chunk.part_index]
            paragraph = part.paragraphs[chunk.paragraph_index]
            cursor = conn.execute(
                """INSERT INTO chunks (document_id, part_id, paragraph_id, ordinal, sektion,
                       start, end, page, text, kommun, namnd, datum, paragraf, dnr, rubrik,
                       dokumenttyp, embed_hash, dup_group)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, 0)""",
                [
                    document_id,
                    part_ids[chunk.part_index],
                    paragraph_ids[chunk.part_index][chunk.paragraph_index],
                    chunk.ordinal,
                    chunk.sektion,
                    chunk.start,
                    chunk.end,
                    chunk.page,
                    chunk.text,
                    parsed.kommun,
                    part.namnd,
                    part.datum,
                    paragraph.paragraf,
                    ", ".join(paragraph.dnr) or None,
                    paragraph.rubrik or part.title,
                    part.dokumenttyp,
                    embed_hash,
                ],
            )
            chunk_id = int(cursor.lastrowid)
            group = group if group is not None else chunk_id
            groups_by_text.setdefault(chunk.text, group)
            conn.execute("UPDATE chunks SET dup_group = ? WHERE id = ?", [group, chunk_id])
            conn.executemany(
                "INSERT INTO chunk_bands VALUES (?, ?)", [(b, chunk_id) for b in chunk_bands]
            )
            chunk_ids.append(chunk_id)
        self._link_duplicate_paragraphs(conn, document_id)
        return document_id, chunk_ids

    def _link_duplicate_paragraphs(self, conn: sqlite3.Connection, document_id: int) -> None:
        """Link § (or parts) whose text is mostly shared: seed 004 repeats § 72 of seed 000.

        The share is measured on each side: how much of this §'s text is duplicated there.
        """
        # Only groups with few places: a text found in hundreds of § ("Val av justerare")
        # is boilerplate, not a § repeated in another document, and linking every pair of
        # its places was quadratic in their number.
        groups = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT dup_group FROM chunks WHERE document_id = ?", [document_id]
            )
        ]
        rows: list[sqlite3.Row] = []
        for start in range(0, len(groups), 500):
            batch = groups[start : start + 500]
            marks = ",".join("?" * len(batch))
            few = [
                row[0]
                for row in conn.execute(
                    f"""SELECT dup_group FROM chunks WHERE dup_group IN ({marks})
                        GROUP BY dup_group HAVING count(*) BETWEEN 2 AND ?""",
                    [*batch, DUPLICATE_MAX_PLACES],
                )
            ]
            if not few:
                continue
            marks = ",".join("?" * len(few))
            rows += conn.execute(
                f"""SELECT DISTINCT c.paragraph_id AS p, o.paragraph_id AS o, c.id AS chunk,
                       length(c.text) AS size
                    FROM chunks c JOIN chunks o
                      ON o.dup_group = c.dup_group AND o.paragraph_id != c.paragraph_id
                    WHERE c.dup_group IN ({marks})
                      AND (c.document_id = ? OR o.document_id = ?)""",
                [*few, document_id, document_id],
            ).fetchall()
        shared: dict[tuple[int, int], int] = {}
        for row in rows:
            shared[(row["p"], row["o"])] = shared.get((row["p"], row["o"]), 0) + row["size"]
        involved = sorted({p for p, _ in shared})
        sizes: dict[int, int] = {}
        for start in range(0, len(involved), 500):
            batch = involved[start : start + 500]
            marks = ",".join("?" * len(batch))
            sizes.update(
                conn.execute(
                    f"""SELECT paragraph_id, sum(length(text)) FROM chunks
                        WHERE paragraph_id IN ({marks}) GROUP BY paragraph_id""",
                    batch,
                ).fetchall()
            )
        for (p, o), size in shared.items():
            share = size / sizes[p] if sizes.get(p) else 0.0
            if share >= 0.5:
                conn.execute(
                    "INSERT OR REPLACE INTO paragraph_links VALUES (?, ?, 'dubblett', ?)",
                    [p, o, round(min(share, 1.0), 3)],
                )

    def band_candidates(self, conn: sqlite3.Connection, bands: list[str]) -> list[sqlite3.Row]:
        """Stored chunks sharing at least one MinHash band with the given ones, one per
        distinct text in each duplicate group (recurring boilerplate would otherwise be
        compared once per copy: quadratic in the number of copies)."""
        if not bands:
            return []
        marks = ",".join("?" * len(bands))
        return conn.execute(
            f"""SELECT min(c.id) AS id, c.text, c.dup_group FROM chunk_bands b
                JOIN chunks c ON c.id = b.chunk_id WHERE b.band IN ({marks})
                GROUP BY c.dup_group, c.text""",
            bands,
        ).fetchall()

    def log(
        self,
        source: str,
        status: str,
        *,
        reason: str | None = None,
        content_hash: str | None = None,
        document_id: int | None = None,
        n_chunks: int | None = None,
        seconds: float | None = None,
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                """INSERT INTO ingest_log (at, source, content_hash, status, reason,
                       document_id, n_chunks, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [now(), source, content_hash, status, reason, document_id, n_chunks, seconds],
            )

    # --- meta ----------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        return self.scalar("SELECT value FROM meta WHERE key = ?", [key])

    def set_meta(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def bump_generation(self) -> None:
        """Tell readers (a running server) that the indexes changed on disk."""
        with self.transaction() as conn:
            conn.execute(
                """INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key)
                   DO UPDATE SET value = CAST(value AS INTEGER) + 1"""
            )

    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
