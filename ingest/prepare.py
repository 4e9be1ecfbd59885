"""Everything about one file that can be computed before touching the store: read, normalize,
parse, and hash what will be embedded. Runs in the parse worker (ingest/worker.py) or in
process."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from index.embed import passage_text, text_hash
from swedish.model import Chunk, ParsedDocument

from .dedup import bands
from .normalize import normalize
from .parse import Hints, parse_document
from .readers import IngestError, Limits, read_file


@dataclass
class Prepared:
    parsed: ParsedDocument
    fmt: str
    content_hash: str
    bands: list[list[str]]
    embed_hashes: list[str]


def prepare(path: Path, hints: Hints | None, limits: Limits) -> Prepared:
    raw, data = read_file(path, limits)
    parsed = parse_document(normalize(raw), hints)
    if not parsed.chunks:
        raise IngestError("no text found")
    return Prepared(
        parsed=parsed,
        fmt=raw.fmt,
        content_hash=hashlib.sha256(data).hexdigest(),
        bands=[bands(chunk.text) for chunk in parsed.chunks],
        embed_hashes=[embed_hash(parsed, chunk) for chunk in parsed.chunks],
    )


def embed_hash(parsed: ParsedDocument, chunk: Chunk) -> str:
    """The embedding cache key of a chunk: the hash of the text it is embedded as (with
    its place: kommun, nämnd, § and rubrik)."""
    part = parsed.parts[chunk.part_index]
    paragraph = part.paragraphs[chunk.paragraph_index]
    return text_hash(
        passage_text(
            parsed.kommun,
            part.namnd,
            paragraph.paragraf,
            paragraph.rubrik or part.title,
            chunk.text,
        )
    )
