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
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from index.datadir import DataDir
from index.embed import sync_vectors

from . import arenden, backup
from .dedup import is_duplicate
from .manifest import Manifest
from .parse import PARSER_VERSION, Hints
from .prepare import Prepared, prepare
from .readers import SUPPORTED_SUFFIXES, IngestError, Limits
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


@dataclass
class Summary:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.results if r.status in statuses)

    @property
    def skipped(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "skipped"]

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


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus supported files found under directories (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.suffix.lower() in SUPPORTED_SUFFIXES
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        else:
            files.append(path)
    return list(dict.fromkeys(files))


def ingest_paths(
    data: DataDir,
    paths: Iterable[Path],
    *,
    manifest: Manifest | None = None,
    limits: Limits | None = None,
    progress: bool = True,
) -> Summary:
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
    for path in bar:
        bar.set_postfix_str(path.name[:40])
        header = backup.read_header(path)
        if header is not None:
            summary.results.extend(restore(data, path, header))
            continue
        hints = manifest.hints_for(path) if manifest else None
        summary.results.append(ingest_one(data, path, hints, limits, worker))
    bar.close()
    summary.seconds = time.perf_counter() - started
    return summary


def ingest_one(
    data: DataDir,
    path: Path,
    hints: Hints | None,
    limits: Limits,
    worker: ParseWorker | None = None,
) -> FileResult:
    started = time.perf_counter()
    source = str(path.resolve()) if path.exists() else str(path)
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
    return _store(data, source, path.name, source_url, PARSER_VERSION, prepared, existing, started)


def restore(data: DataDir, path: Path, header: dict[str, Any]) -> list[FileResult]:
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
    for item in backup.read_export(path, header):
        started = time.perf_counter()
        if isinstance(item, backup.BadLine):
            results.append(_skip(data, f"{path.resolve()} line {item.line}", item.reason, started))
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
                reason=f"restored from {path.name}",
            )
        )
    if carry:
        sync_vectors(data.store, model, data.vectors)
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
    )
    return _done(data, result, started, prepared.content_hash)


def file_hash(path: Path, max_bytes: int) -> str | None:
    """SHA-256 of a regular file, read in steps; None for anything else and for a file over
    `max_bytes` (the reader refuses it without reading it)."""
    if not path.is_file() or path.stat().st_size > max_bytes:
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
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
