"""`namnd ingest`: files in, store and BM25 index updated, then embeddings.

Each file is read, understood and stored in one transaction; a file that fails is logged
with its reason and skipped, and the rest of the batch goes on. Re-ingesting an unchanged
file (same content hash) changes nothing; a changed file replaces its old rows. The BM25
index is updated right after each stored document, so documents are searchable before the
slow embedding step has run.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from index.datadir import DataDir
from index.embed import passage_text, text_hash

from . import arenden
from .dedup import bands, is_duplicate
from .manifest import Manifest
from .model import ParsedDocument
from .normalize import normalize
from .parse import PARSER_VERSION, Hints, parse_document
from .readers import SUPPORTED_SUFFIXES, IngestError, Limits, read_file


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


@dataclass
class Prepared:
    """Everything about one file that can be computed before touching the store."""

    parsed: ParsedDocument
    fmt: str
    content_hash: str
    bands: list[list[str]]
    embed_hashes: list[str]


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


def prepare(path: Path, hints: Hints | None, limits: Limits) -> Prepared:
    raw, data = read_file(path, limits)
    parsed = parse_document(normalize(raw), hints)
    if not parsed.chunks:
        raise IngestError("no text found")
    hashes = []
    for chunk in parsed.chunks:
        part = parsed.parts[chunk.part_index]
        paragraph = part.paragraphs[chunk.paragraph_index]
        hashes.append(
            text_hash(
                passage_text(
                    parsed.kommun,
                    part.namnd,
                    paragraph.paragraf,
                    paragraph.rubrik or part.title,
                    chunk.text,
                )
            )
        )
    return Prepared(
        parsed=parsed,
        fmt=raw.fmt,
        content_hash=hashlib.sha256(data).hexdigest(),
        bands=[bands(chunk.text) for chunk in parsed.chunks],
        embed_hashes=hashes,
    )


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
    if relinked:
        data.bm25.clear()  # the BM25 fields from persons and references change with it
    data.reconcile_bm25()
    bar = tqdm(files, unit="file", desc="ingest", disable=not progress)
    for path in bar:
        bar.set_postfix_str(path.name[:40])
        summary.results.append(
            ingest_one(data, path, manifest.hints_for(path) if manifest else None, limits)
        )
    bar.close()
    summary.seconds = time.perf_counter() - started
    return summary


def ingest_one(data: DataDir, path: Path, hints: Hints | None, limits: Limits) -> FileResult:
    started = time.perf_counter()
    source = str(path.resolve()) if path.exists() else str(path)
    try:
        quick_hash = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    except OSError as error:
        return _skip(data, source, f"cannot read file: {error.strerror}", started)
    existing = data.store.document_by_source(source)
    current = existing is not None and existing["parser_version"] == PARSER_VERSION
    if current and existing["content_hash"] == quick_hash:
        return _done(
            data,
            FileResult(source, "unchanged", "same content already ingested", existing["id"]),
            started,
            quick_hash,
        )
    if existing is None and quick_hash:
        twin = data.store.document_by_hash(quick_hash)
        if twin is not None and twin["parser_version"] == PARSER_VERSION:
            return _done(
                data,
                FileResult(source, "unchanged", f"same content as {twin['source']}", twin["id"]),
                started,
                quick_hash,
            )
    try:
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
            filename=path.name,
            fmt=prepared.fmt,
            content_hash=prepared.content_hash,
            source_url=hints.source_url if hints else None,
            parser_version=PARSER_VERSION,
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
        document_id=document_id,
        parts=len(parsed.parts),
        paragraphs=sum(1 for p in parsed.parts for q in p.paragraphs if q.paragraf),
        chunks=len(chunk_ids),
    )
    return _done(data, result, started, prepared.content_hash)


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
