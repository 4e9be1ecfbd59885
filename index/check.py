"""`namnd check`: is a data directory consistent, and what is wrong when it is not.

The store is the source of truth; the BM25 and vector indexes are derived from it. A data
directory is consistent when SQLite finds no corruption, no row points to a missing parent
(documents → parts → § → chunks, and everything hanging off them), every chunk is in the
BM25 index exactly once and nothing else is, and the vector index holds exactly the chunks
whose text is in the embedding cache, each once. The embedding cache itself is keyed by
text hash and may hold vectors no chunk uses any more: that is a cache, not an orphan.

The ingest log is history, not state: its last entry per file is reported, and a file
whose last entry says it is stored while its document is gone counts as a problem.

`repair` re-syncs both indexes from the store with the reconcilers that ingest and embed
use (`DataDir.reconcile_bm25`, `index.embed.sync_vectors`); a broken store is not repaired.
Run it when no ingest is writing: an ingest stores a document before it indexes it.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from .backend import BackendUnavailable
from .datadir import DataDir
from .embed import sync_vectors
from .vectors import VECTORS_FILE

SAMPLE = 10  # ids or sources named per finding
STORED = ("ingested", "replaced")


@dataclass
class Finding:
    code: str  # stable name, e.g. "bm25_missing"
    message: str
    count: int
    sample: list[Any] = field(default_factory=list)
    repairable: bool = False  # `namnd check --repair` fixes it


@dataclass
class CheckReport:
    counts: dict[str, int] = field(default_factory=dict)
    ingest_log: dict[str, int] = field(default_factory=dict)  # last state per file
    problems: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)  # worth knowing, not inconsistent
    repaired: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, code: str, message: str, ids: list[Any], repairable: bool = False) -> None:
        if ids:
            self.problems.append(Finding(code, message, len(ids), list(ids[:SAMPLE]), repairable))

    def note(self, code: str, message: str, ids: list[Any]) -> None:
        if ids:
            self.notes.append(Finding(code, message, len(ids), list(ids[:SAMPLE])))

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}


def check(data: DataDir) -> CheckReport:
    report = CheckReport()
    store = data.store
    report.counts = {
        table: int(store.scalar(f"SELECT count(*) FROM {table}"))
        for table in ("documents", "parts", "paragraphs", "chunks", "arenden")
    }
    _check_sqlite(data, report)
    _check_bm25(data, report)
    _check_vectors(data, report)
    _check_log(data, report)
    _check_ranges(data, report)
    return report


def range_gap(declared: str | None, numbers: list[int]) -> dict[str, list[int]] | None:
    """The § a protokoll's declared range (`Paragrafer 17–29`, stored as "17–29") names
    but were not found (`saknas`), and those found outside it (`extra`); None when the
    range is not stated or everything agrees."""
    if not declared or not numbers:
        return None
    bounds = [int(n) for n in re.findall(r"\d+", declared)[:2]]
    if len(bounds) != 2 or bounds[1] < bounds[0] or bounds[1] - bounds[0] > 2000:
        return None
    low, high = bounds
    found = set(numbers)
    missing = [n for n in range(low, high + 1) if n not in found]
    extra = sorted(n for n in found if not low <= n <= high)
    if not missing and not extra:
        return None
    return {"saknas": missing, "extra": extra}


def gap_text(gap: dict[str, list[int]]) -> str:
    """ "saknas § 45, 47; extra § 90" for a `range_gap`."""
    out = []
    for key in ("saknas", "extra"):
        if gap[key]:
            shown = ", ".join(map(str, gap[key][:12])) + (" …" if len(gap[key]) > 12 else "")
            out.append(f"{key} § {shown}")
    return "; ".join(out)


def _check_ranges(data: DataDir, report: CheckReport) -> None:
    """Documents whose declared § range disagrees with the § found in them (a § the
    reader missed, or one the header does not list): worth a look, not an inconsistency."""
    numbers: dict[int, list[int]] = defaultdict(list)
    for row in data.store.query(
        "SELECT document_id, nummer FROM paragraphs WHERE nummer IS NOT NULL"
    ):
        numbers[row[0]].append(row[1])
    found = []
    for row in data.store.query(
        "SELECT id, paragraf_range FROM documents WHERE paragraf_range IS NOT NULL"
    ):
        gap = range_gap(row[1], numbers.get(row[0], []))
        if gap:
            found.append(f"dokument {row[0]} (Paragrafer {row[1]}): {gap_text(gap)}")
    report.note(
        "paragraf_range_mismatch",
        "documents whose declared § range (Paragrafer …) differs from the § found",
        found,
    )


def repair(data: DataDir) -> dict[str, int]:
    """Re-sync both indexes from the store; returns how many ids each step changed."""
    missing, orphans, twice = data.reconcile_bm25()
    fixed = {"bm25_added": missing, "bm25_removed": orphans, "bm25_reindexed": twice}
    model = data.store.get_meta("embedder_name")
    if model and (_embedded_ids(data, model) or data.indexes.vector_ids() is not None):
        added, removed = sync_vectors(data.store, model, data.vectors)
        fixed |= {"vectors_added": added, "vectors_removed": removed}
    return fixed


# --- the store ---------------------------------------------------------------------------

# Rows whose parents disagree about their document (no foreign key can say this).
_MISPLACED = {
    "paragraphs": """SELECT p.id FROM paragraphs p JOIN parts pa ON pa.id = p.part_id
                     WHERE pa.document_id != p.document_id""",
    "chunks": """SELECT c.id FROM chunks c JOIN paragraphs p ON p.id = c.paragraph_id
                 JOIN parts pa ON pa.id = c.part_id
                 WHERE p.document_id != c.document_id OR pa.document_id != c.document_id
                    OR p.part_id != c.part_id""",
}


def _check_sqlite(data: DataDir, report: CheckReport) -> None:
    store = data.store
    try:
        result = [r[0] for r in store.query("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        result = [str(error)]
    if result != ["ok"]:
        report.problem("sqlite_integrity", "SQLite integrity_check failed", result)
    # Every declared parent link (documents → parts → paragraphs → chunks, persons, links,
    # ärende units, references …) at once.
    orphans: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in store.query("PRAGMA foreign_key_check"):
        orphans[(row[0], row[2])].append(row[1])
    for (table, parent), rowids in sorted(orphans.items()):
        report.problem(
            f"orphan_{table}",
            f"{table}: rows pointing to a missing {parent} row (rowids)",
            sorted(rowids),
        )
    for table, sql in _MISPLACED.items():
        report.problem(
            f"misplaced_{table}",
            f"{table}: rows whose part or § belongs to another document",
            [r[0] for r in store.query(sql)],
        )
    report.problem(
        "orphan_arende_units",
        "arende_units: units in an ärende that does not exist (paragraph ids)",
        [
            r[0]
            for r in store.query(
                """SELECT u.paragraph_id FROM arende_units u LEFT JOIN arenden a
                   ON a.id = u.arende_id WHERE u.arende_id IS NOT NULL AND a.id IS NULL"""
            )
        ],
    )
    report.problem(
        "empty_arenden",
        "arenden: ärenden without any unit",
        [
            r[0]
            for r in store.query(
                """SELECT a.id FROM arenden a WHERE NOT EXISTS
                   (SELECT 1 FROM arende_units u WHERE u.arende_id = a.id)"""
            )
        ],
    )


# --- the indexes -------------------------------------------------------------------------


def _stored_ids(data: DataDir) -> set[int]:
    return {r[0] for r in data.store.query("SELECT id FROM chunks")}


def _check_bm25(data: DataDir, report: CheckReport) -> None:
    stored = _stored_ids(data)
    counts = Counter(data.bm25.ids())
    report.counts["bm25"] = sum(counts.values())
    _compare_ids(report, "bm25", "the BM25 index", "chunks in the store", stored, counts)


def _embedded_ids(data: DataDir, model: str) -> set[int]:
    return {
        r[0]
        for r in data.store.query(
            """SELECT c.id FROM chunks c JOIN embeddings e
               ON e.model = ? AND e.hash = c.embed_hash""",
            [model],
        )
    }


def _check_vectors(data: DataDir, report: CheckReport) -> None:
    model = data.store.get_meta("embedder_name")
    embedded = _embedded_ids(data, model) if model else set()
    report.counts["embedded"] = len(embedded)
    try:  # checking never loads the embedding model
        present = data.indexes.vector_ids() or []
    except BackendUnavailable:
        raise
    except RuntimeError as error:  # FAISS cannot read the file
        report.problem("vectors_unreadable", f"{VECTORS_FILE}: {error}", [VECTORS_FILE])
        return
    report.counts["vectors"] = len(present)
    _compare_ids(
        report, "vectors", "the vector index", "embedded chunks", embedded, Counter(present)
    )


def _compare_ids(
    report: CheckReport, kind: str, index: str, what: str, expected: set[int], held: Counter
) -> None:
    """Problems `<kind>_missing`, `_orphans` and `_duplicates`: an index must hold each of
    the `expected` ids (`what`) exactly once and nothing else."""
    report.problem(
        f"{kind}_missing",
        f"{what} not in {index}",
        sorted(expected - held.keys()),
        repairable=True,
    )
    report.problem(
        f"{kind}_orphans",
        f"ids in {index} that are not {what}",
        sorted(held.keys() - expected),
        repairable=True,
    )
    report.problem(
        f"{kind}_duplicates",
        f"{what} held more than once in {index}",
        sorted(i for i, n in held.items() if n > 1),
        repairable=True,
    )


# --- the ingest log ----------------------------------------------------------------------


def _check_log(data: DataDir, report: CheckReport) -> None:
    last = data.store.query(
        """SELECT l.source, l.status, l.reason, l.document_id FROM ingest_log l
           JOIN (SELECT source, max(id) AS id FROM ingest_log GROUP BY source) m
             ON m.id = l.id ORDER BY l.source"""
    )
    report.ingest_log = dict(Counter(r["status"] for r in last))
    documents = {r["id"]: r["source"] for r in data.store.query("SELECT id, source FROM documents")}
    sources = set(documents.values())
    report.problem(
        "log_document_missing",
        "files whose last ingest stored them, but whose document is not in the store",
        [
            r["source"]
            for r in last
            if r["status"] in STORED
            and r["document_id"] not in documents
            and r["source"] not in sources
        ],
    )
    report.note(
        "log_twin_missing",
        "files skipped as the same content as a document that has since gone (re-ingest them)",
        [
            r["source"]
            for r in last
            if r["status"] == "unchanged" and r["document_id"] not in documents
        ],
    )
    report.note(
        "log_skipped",
        "files whose last ingest skipped them",
        [f"{r['source']}: {r['reason']}" for r in last if r["status"] == "skipped"],
    )
    logged = {r["source"] for r in last}
    report.note(
        "log_unlogged_documents",
        "documents stored without a log entry (an ingest stopped right after storing them; "
        "the next ingest of the file logs it as unchanged)",
        sorted(s for s in sources if s not in logged),
    )
