"""`namnd ingest`: files in, store and BM25 index updated, then embeddings.

Each file is read and understood in a parse worker process under a per-file time limit
(ingest/worker.py), then stored in one transaction; a file that fails or takes too long is
logged with its reason and skipped, and the rest of the batch goes on. Re-ingesting an unchanged
file (same content hash) changes nothing; a changed file replaces its old rows. The BM25
index is updated right after each stored document, so documents are searchable before the
slow embedding step has run.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from index.datadir import DataDir
from index.embed import sync_vectors
from index.watches import restore_watches

from . import arenden, backup
from .dedup import is_duplicate
from .manifest import Manifest
from .parse import PARSER_VERSION, Hints
from .prepare import Prepared, prepare
from .readers import IngestError, Limits, open_regular
from .walk import Entry, collect_files
from .worker import ParseWorker, shared_worker

__all__ = [
    "FileResult",
    "Prepared",
    "Summary",
    "collect_files",
    "ingest_one",
    "ingest_paths",
    "restore",
]


@dataclass
class FileResult:
    source: str
    status: str  # ingested, replaced, unchanged, skipped
    reason: str | None = None
    document_id: int | None = None
    parts: int = 0
    paragraphs: int = 0
    chunks: int = 0
    seconds: float = 0.0
    # Pages read by OCR: 1-based page -> Tesseract's mean word confidence.
    ocr_pages: dict[int, float] = field(default_factory=dict)
    note: str | None = None  # e.g. a file name that is not UTF-8, stored escaped
    # Skipped by the folder walk without being read (a link out of the folder, a .csv): not a
    # document that failed.
    passed_over: bool = False


@dataclass
class Summary:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.results if r.status in statuses)

    @property
    def skipped(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "skipped"]

    @property
    def failed(self) -> list[FileResult]:
        """Files named or read as documents that could not be ingested."""
        return [r for r in self.skipped if not r.passed_over]

    def totals(self) -> dict[str, int]:
        stored = [r for r in self.results if r.status in ("ingested", "replaced")]
        return {
            "files": len(self.results),
            "ingested": self.count("ingested"),
            "replaced": self.count("replaced"),
            "unchanged": self.count("unchanged"),
            "skipped": self.count("skipped"),
            "parts": sum(r.parts for r in stored),
            "paragraphs": sum(r.paragraphs for r in stored),
            "chunks": sum(r.chunks for r in stored),
        }


def ingest_paths(
    data: DataDir,
    paths: Iterable[Path],
    *,
    manifest: Manifest | None = None,
    limits: Limits | None = None,
    progress: bool = True,
    shown: Callable[[str], str] = str,
) -> Summary:
    """Ingest the files of `paths` (ingest/walk.py); `shown` is applied to the file names the
    progress bar prints (the command masks personnummer in them)."""
    limits = limits or Limits()
    files = collect_files(paths)
    summary = Summary()
    started = time.perf_counter()
    data.record_settings()
    with data.store.transaction() as conn:
        relinked = arenden.ensure_current(conn)
    if relinked and data.store.scalar("SELECT count(*) FROM chunks"):
        data.rebuild_indexes()  # the BM25 fields from persons and references change
    data.reconcile_bm25()
    # Files are parsed in a worker process under the time limit (none: in this process).
    worker = shared_worker() if limits.max_seconds else None
    bar = tqdm(files, unit="file", desc="ingest", disable=not progress)
    for entry in bar:
        bar.set_postfix_str(shown(Path(entry.source).name)[:40])
        if entry.target is None:
            result = _skip(data, entry.source, entry.skip or "", time.perf_counter())
            result.passed_over = not entry.named
            summary.results.append(result)
            continue
        header = backup.read_header(entry.target)
        if header is not None:
            summary.results.extend(restore(data, entry, header))
            continue
        hints = manifest.hints_for(entry.path) if manifest else None
        result = ingest_one(data, entry, hints, limits, worker)
        result.note = entry.note
        summary.results.append(result)
    bar.close()
    summary.seconds = time.perf_counter() - started
    return summary


def ingest_one(
    data: DataDir,
    entry: Entry,
    hints: Hints | None,
    limits: Limits,
    worker: ParseWorker | None = None,
) -> FileResult:
    """Read, parse and store one file of `collect_files` (its `target` is read, its
    `source` stored)."""
    started = time.perf_counter()
    source, path = entry.source, entry.target
    assert path is not None, "a skipped entry is not read"
    try:
        quick_hash = file_hash(path, limits.max_bytes)
    except OSError as error:
        return _skip(data, source, f"cannot read file: {error.strerror}", started)
    existing = data.store.document_by_source(source)
    unchanged = _unchanged(data, source, existing, quick_hash, PARSER_VERSION, started)
    if unchanged is not None:
        return unchanged
    try:
        if worker is not None:
            prepared = worker.prepare(path, hints, limits)
        else:
            prepared = prepare(path, hints, limits)
    except IngestError as error:
        return _skip(data, source, str(error), started, quick_hash)
    except Exception as error:  # a parser bug must not stop the batch
        return _skip(
            data,
            source,
            f"internal error while parsing: {type(error).__name__}",
            started,
            quick_hash,
        )
    source_url = hints.source_url if hints else None
    filename = Path(source).name
    return _store(data, source, filename, source_url, PARSER_VERSION, prepared, existing, started)


def restore(data: DataDir, entry: Entry, header: dict[str, Any]) -> list[FileResult]:
    """Store the documents of an export (ingest/backup.py, `header` its first line) as they
    were parsed, with their vectors in the embedding cache when they were made by this data
    directory's embedder."""
    model = data.store.get_meta("embedder_name")
    if model is None and header["embedder_name"] and header["embedder"] == data.embedder_spec:
        model = header["embedder_name"]
        with data.store.transaction() as conn:
            data.store.set_meta(conn, "embedder_name", model)
    carry = model is not None and model == header["embedder_name"]
    results = []
    assert entry.target is not None, "a skipped entry is not read"
    for item in backup.read_export(entry.target, header):
        started = time.perf_counter()
        if isinstance(item, backup.BadLine):
            results.append(_skip(data, f"{entry.source} line {item.line}", item.reason, started))
            continue
        if carry and item.vectors:
            with data.store.transaction() as conn:
                conn.executemany(
                    "INSERT OR IGNORE INTO embeddings (model, hash, vector) VALUES (?, ?, ?)",
                    [(model, h, v) for h, v in item.vectors.items()],
                )
        prepared = item.prepared
        existing = data.store.document_by_source(item.source)
        result = _unchanged(
            data, item.source, existing, prepared.content_hash, item.parser_version, started
        )
        results.append(
            result
            or _store(
                data,
                item.source,
                item.filename,
                item.source_url,
                item.parser_version,
                prepared,
                existing,
                started,
                reason=f"restored from {Path(entry.source).name}",
            )
        )
    if carry:
        sync_vectors(data.store, model, data.vectors)
    restore_watches(data.store, header.get("watches") or [])
    return results


def _unchanged(
    data: DataDir,
    source: str,
    existing: sqlite3.Row | None,
    content_hash: str | None,
    parser_version: int,
    started: float,
) -> FileResult | None:
    """The result for content stored already, under this source or another; else None."""
    current = existing is not None and existing["parser_version"] == parser_version
    if current and existing["content_hash"] == content_hash:
        return _done(
            data,
            FileResult(source, "unchanged", "same content already ingested", existing["id"]),
            started,
            content_hash,
        )
    if existing is None and content_hash:
        twin = data.store.document_by_hash(content_hash)
        if twin is not None and twin["parser_version"] == parser_version:
            return _done(
                data,
                FileResult(source, "unchanged", f"same content as {twin['source']}", twin["id"]),
                started,
                content_hash,
            )
    return None


def _store(
    data: DataDir,
    source: str,
    filename: str,
    source_url: str | None,
    parser_version: int,
    prepared: Prepared,
    existing: sqlite3.Row | None,
    started: float,
    reason: str | None = None,
) -> FileResult:
    """Store one document in one transaction (replacing `existing`), then index it."""
    parsed = prepared.parsed
    with data.store.transaction() as conn:
        old_chunks: list[int] = []
        previous = None
        if existing is not None:
            previous = arenden.before_delete(conn, existing["id"])
            old_chunks = data.store.delete_document(conn, existing["id"])
        document_id, chunk_ids = data.store.insert_document(
            conn,
            parsed,
            source=source,
            filename=filename,
            fmt=prepared.fmt,
            content_hash=prepared.content_hash,
            source_url=source_url,
            parser_version=parser_version,
            bands=prepared.bands,
            embed_hashes=prepared.embed_hashes,
            same_text=is_duplicate,
        )
        arenden.after_insert(conn, document_id, previous)
    data.bm25.delete(old_chunks)
    data.bm25.add(data.indexed_chunks(chunk_ids))
    data.bm25.commit()
    if old_chunks:
        data.vectors_remove(old_chunks)
    data.store.bump_generation()
    result = FileResult(
        source=source,
        status="replaced" if existing is not None else "ingested",
        reason=reason,
        document_id=document_id,
        parts=len(parsed.parts),
        paragraphs=sum(1 for p in parsed.parts for q in p.paragraphs if q.paragraf),
        chunks=len(chunk_ids),
        ocr_pages=parsed.ocr_pages,
    )
    return _done(data, result, started, prepared.content_hash)


def file_hash(path: Path, max_bytes: int) -> str | None:
    """SHA-256 of a regular file, read in steps; None for anything else and for a file over
    `max_bytes` (the reader refuses it, with its reason, without reading it)."""
    try:
        handle = open_regular(path)
    except IngestError:
        return None
    with handle:
        if os.fstat(handle.fileno()).st_size > max_bytes:
            return None
        digest = hashlib.sha256()
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _skip(
    data: DataDir, source: str, reason: str, started: float, content_hash: str | None = None
) -> FileResult:
    return _done(data, FileResult(source, "skipped", reason), started, content_hash)


def _done(
    data: DataDir, result: FileResult, started: float, content_hash: str | None
) -> FileResult:
    result.seconds = time.perf_counter() - started
    data.store.log(
        result.source,
        result.status,
        reason=result.reason,
        content_hash=content_hash,
        document_id=result.document_id,
        n_chunks=result.chunks or None,
        seconds=round(result.seconds, 4),
    )
    return result
