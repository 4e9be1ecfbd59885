"""Precedent ("Liknande"): the § most like a given § or chunk, across kommuner and years.

A § is represented by the mean of its chunk vectors (from the embedding cache, so nothing
is embedded at query time). Candidates are the § of the nearest chunks in the vector index
plus the § whose text best matches the § rubrik in BM25; each candidate is scored by the
cosine between the two § means, supported by its BM25 score on the rubrik (convex fusion of
min-max normalized scores, 0.7 dense + 0.3 BM25). Without embeddings the BM25 side ranks
alone. The § itself, its duplicates and the other members of its ärende are not precedent,
and each ärende is shown once (by its best §), so a § and its protokollsutdrag do not fill
the list twice; `andra_kommuner` keeps only other kommuner ("how did others answer?").

`dokumenttyp` filters on what a unit is: its part's dokumenttyp, its timeline type, or, for
"yttrande"/"svar", a § that decides one ("Yttrande över remiss …", "Svar på …").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .facts import arende_of
from .hybrid import minmax

if TYPE_CHECKING:
    from .hybrid import Searcher

DENSE_WEIGHT = 0.7
CANDIDATE_CHUNKS = 300
QUERY_CHARS = 600  # of the § text added to the rubrik when BM25 ranks alone


def liknande(
    searcher: Searcher,
    *,
    paragraph_id: int | None = None,
    chunk_id: int | None = None,
    dokumenttyp: str | None = None,
    andra_kommuner: bool = False,
    limit: int = 10,
) -> dict[str, Any] | None:
    """Nearest other § for a § (or for a chunk), one per ärende (its best §), optionally
    only from other kommuner; None when the id is unknown."""
    store = searcher.data.store
    searcher.data.refresh()
    if chunk_id is not None:
        row = store.query("SELECT id, paragraph_id FROM chunks WHERE id = ?", [chunk_id])
        if not row:
            return None
        paragraph_id = row[0]["paragraph_id"]
        source_chunks = [chunk_id]
    else:
        source_chunks = [
            r[0]
            for r in store.query("SELECT id FROM chunks WHERE paragraph_id = ?", [paragraph_id])
        ]
    source = store.query(
        """SELECT p.id, p.rubrik, p.start, p.end, pa.title, d.text FROM paragraphs p
           JOIN parts pa ON pa.id = p.part_id JOIN documents d ON d.id = p.document_id
           WHERE p.id = ?""",
        [paragraph_id],
    )
    if not source:
        return None
    title = source[0]["rubrik"] or source[0]["title"] or ""
    allowed = _allowed(store, paragraph_id, dokumenttyp, andra_kommuner)
    model = store.get_meta("embedder_name")
    query_vector = _mean(_vectors(store, model, source_chunks)) if model else None
    dense: dict[int, float] = {}
    best_chunk: dict[int, int] = {}
    if query_vector is not None and allowed and searcher._has_vectors():
        ids = np.fromiter(allowed.keys(), dtype=np.int64)
        for hit, _ in searcher.data.vectors.search(query_vector, CANDIDATE_CHUNKS, ids):
            best_chunk.setdefault(allowed[hit], hit)
        candidates = set(best_chunk)
        means = _paragraph_means(store, model, candidates)
        dense = {p: float(v @ query_vector) for p, v in means.items()}
    text = title
    if not dense:
        body = source[0]["text"][source[0]["start"] : source[0]["end"]]
        if chunk_id is not None:
            body = store.scalar("SELECT text FROM chunks WHERE id = ?", [chunk_id]) or body
        text = f"{title} {body[:QUERY_CHARS]}"
    lexical: dict[int, float] = {}
    for hit, score in searcher.data.bm25.search(text, CANDIDATE_CHUNKS) if text.strip() else []:
        unit = allowed.get(hit)
        if unit is not None and score > lexical.get(unit, 0.0):
            lexical[unit] = score
            best_chunk.setdefault(unit, hit)
    fused = _fuse(dense, lexical)
    ranked = _one_per_arende(store, sorted(fused, key=lambda p: (-fused[p], p)), limit)
    return {
        "paragraph_id": paragraph_id,
        "chunk_id": chunk_id,
        "rubrik": title,
        "dokumenttyp": dokumenttyp,
        "andra_kommuner": andra_kommuner,
        "metod": "hybrid" if dense else "bm25",
        "liknande": [
            _item(searcher, p, best_chunk.get(p), fused[p], dense.get(p), lexical.get(p))
            for p in ranked
        ],
    }


def _one_per_arende(store, ranked: list[int], limit: int) -> list[int]:
    """The best § of each ärende (a § and its protokollsutdrag are one precedent)."""
    out: list[int] = []
    seen: set[int] = set()
    for paragraph_id in ranked:
        arende = arende_of(store, paragraph_id)
        if arende in seen:
            continue
        seen.add(arende)
        out.append(paragraph_id)
        if len(out) >= limit:
            break
    return out


def _allowed(
    store, paragraph_id: int, dokumenttyp: str | None, andra_kommuner: bool = False
) -> dict[int, int]:
    """chunk id -> § id for the chunks that may be precedent."""
    arende = arende_of(store, paragraph_id)
    sql = """SELECT c.id, c.paragraph_id FROM chunks c
             JOIN arende_units u ON u.paragraph_id = c.paragraph_id
             JOIN paragraphs p ON p.id = c.paragraph_id JOIN parts pa ON pa.id = p.part_id
             WHERE c.paragraph_id != ? AND (u.arende_id IS NOT ? OR u.arende_id IS NULL)
               AND c.paragraph_id NOT IN (
                   SELECT other_id FROM paragraph_links WHERE paragraph_id = ?)"""
    params: list[Any] = [paragraph_id, arende, paragraph_id]
    if andra_kommuner:
        sql += """ AND u.kommun IS NOT (SELECT kommun FROM documents d
                   JOIN paragraphs q ON q.document_id = d.id WHERE q.id = ?)"""
        params.append(paragraph_id)
    if dokumenttyp:
        kind = dokumenttyp.strip().lower()
        sql += """ AND (pa.dokumenttyp = ? OR u.typ = ? OR (? IN ('yttrande', 'svar')
                   AND (p.rubrik LIKE 'Yttrande%' OR p.rubrik LIKE 'Svar på%')))"""
        params += [kind, kind, kind]
    return {r[0]: r[1] for r in store.query(sql, params)}


def _vectors(store, model: str, chunk_ids: list[int]) -> np.ndarray:
    if not chunk_ids:
        return np.zeros((0, 0), dtype=np.float32)
    marks = ",".join("?" * len(chunk_ids))
    rows = store.query(
        f"""SELECT e.vector FROM chunks c JOIN embeddings e
            ON e.model = ? AND e.hash = c.embed_hash WHERE c.id IN ({marks})""",
        [model, *chunk_ids],
    )
    if not rows:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([np.frombuffer(r[0], dtype=np.float32) for r in rows])


def _mean(vectors: np.ndarray) -> np.ndarray | None:
    if not vectors.size:
        return None
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else None


def _paragraph_means(store, model: str, paragraph_ids: set[int]) -> dict[int, np.ndarray]:
    if not paragraph_ids:
        return {}
    ids = sorted(paragraph_ids)
    marks = ",".join("?" * len(ids))
    grouped: dict[int, list[np.ndarray]] = {}
    for row in store.query(
        f"""SELECT c.paragraph_id, e.vector FROM chunks c JOIN embeddings e
            ON e.model = ? AND e.hash = c.embed_hash WHERE c.paragraph_id IN ({marks})""",
        [model, *ids],
    ):
        grouped.setdefault(row[0], []).append(np.frombuffer(row[1], dtype=np.float32))
    out = {}
    for paragraph, vectors in grouped.items():
        mean = _mean(np.stack(vectors))
        if mean is not None:
            out[paragraph] = mean
    return out


def _fuse(dense: dict[int, float], lexical: dict[int, float]) -> dict[int, float]:
    if not dense:
        return minmax(lexical)
    dense_norm, lexical_norm = minmax(dense), minmax(lexical)
    return {
        p: DENSE_WEIGHT * dense_norm.get(p, 0.0) + (1 - DENSE_WEIGHT) * lexical_norm.get(p, 0.0)
        for p in set(dense) | set(lexical)
    }


def _item(
    searcher: Searcher,
    paragraph_id: int,
    chunk_id: int | None,
    score: float,
    dense: float | None,
    lexical: float | None,
) -> dict[str, Any]:
    store = searcher.data.store
    row = store.query(
        """SELECT p.id, p.document_id, p.paragraf, p.rubrik, p.dnr, p.start, p.end,
                  pa.dokumenttyp, pa.title, pa.namnd, pa.datum, d.kommun, d.filename,
                  u.arende_id, u.typ
           FROM paragraphs p JOIN parts pa ON pa.id = p.part_id
           JOIN documents d ON d.id = p.document_id
           JOIN arende_units u ON u.paragraph_id = p.id WHERE p.id = ?""",
        [paragraph_id],
    )[0]
    chunk = (
        store.query("SELECT id, text, start, end, page FROM chunks WHERE id = ?", [chunk_id])
        if chunk_id
        else []
    )
    return {
        "paragraph_id": row["id"],
        "document_id": row["document_id"],
        "arende_id": row["arende_id"],
        "kommun": row["kommun"],
        "namnd": row["namnd"],
        "datum": row["datum"],
        "paragraf": row["paragraf"],
        "rubrik": row["rubrik"] or row["title"],
        "dokumenttyp": row["dokumenttyp"],
        "typ": row["typ"],
        "source": row["filename"],
        "start": row["start"],
        "end": row["end"],
        "likhet": round(score, 4),
        "dense": None if dense is None else round(dense, 4),
        "bm25": None if lexical is None else round(lexical, 3),
        "chunk": {
            "chunk_id": chunk[0]["id"],
            "text": chunk[0]["text"],
            "start": chunk[0]["start"],
            "end": chunk[0]["end"],
            "page": chunk[0]["page"],
        }
        if chunk
        else None,
    }
