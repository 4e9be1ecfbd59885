"""Precedent ("Liknande"): the § most like a given § or chunk, in other meetings and, by
default, other kommuner ("how did others answer?").

A § is represented by the mean of its chunk vectors (from the embedding cache, so nothing
is embedded at query time). Candidates are the § of the nearest chunks in the vector index
plus the § whose text best matches the § rubrik in BM25; each candidate is scored by the
cosine between the two § means, supported by its BM25 score on the rubrik (convex fusion of
min-max normalized scores, 0.7 dense + 0.3 BM25). Without embeddings the BM25 side ranks
alone. The § itself, its duplicates, the other members of its ärende and the other § of its
own meeting are never precedent, and each ärende is shown once (by its best §), so a § and
its protokollsutdrag do not fill the list twice. `andra_kommuner` (default on) keeps only
other kommuner; off, the kommun's own earlier meetings count too.

Precedent is the same kind of handling on the same matter, so the list is ordered by:
close before not close; then the same remiss (Ds, SOU, Dir., prop.) named by both; then the
same kind of handling (yttrande for yttrande, svar på remiss for svar på remiss) sharing a
law reference; the same kind; a shared law reference; the rest; each by the fused score.

How close a § is, in words ("nära", "liknande ämne"), is measured absolutely, not by the
fused score (which is relative to the candidates): by the best cosine between a chunk of
each § (`textlikhet`) and by the tf-idf cosine of their words (`ordlikhet`, idf from the
BM25 index), which both have to agree. Measured on the seed corpus over 13 pairs of § from
different kommuner labelled by hand (tests/test_precedent.py, RELATED and UNRELATED): the 4
pairs on one matter (ej verkställda beslut twice, kvalitetsberättelser, handläggning av
barnärenden) have textlikhet 0.915–0.939 and ordlikhet 0.216–0.395, the 9 unrelated pairs
textlikhet 0.863–0.906 and ordlikhet 0.035–0.129; "liknande ämne" needs 0.91 and 0.15,
"nära" 0.93 and 0.25. Recurring items (a dagordning, two månadsrapporter) come near on text
(0.914–0.940) but share few words (0.071–0.079): the same routine, not precedent. The two
yttranden on one remiss in the test score 0.97 and 0.69. A § naming the same remiss is
"nära" whatever its wording. When nothing reaches "liknande ämne" the answer says so
(`nara_prejudikat` false: "Inget nära prejudikat"); the nearest are still listed, last.

`dokumenttyp` filters on what a unit is: its part's dokumenttyp, its timeline type, or, for
"yttrande"/"svar", a § that decides one ("Yttrande över remiss …", "Svar på …").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from swedish.titles import is_routine

from .facts import arende_of, paragraph_references
from .hybrid import minmax

if TYPE_CHECKING:
    from .hybrid import Searcher

DENSE_WEIGHT = 0.7
CANDIDATE_CHUNKS = 300
QUERY_CHARS = 600  # of the § text added to the rubrik when BM25 ranks alone
POOL = 3  # candidates weighed for closeness and kind: this many times the limit
# Closeness thresholds, measured as the module docstring says.
TEXT_NEAR = 0.93
TEXT_TOPIC = 0.91
WORDS_NEAR = 0.25
WORDS_TOPIC = 0.15
NEAR, TOPIC = "nära", "liknande ämne"
_REMISS = ("ds", "sou", "dir.", "prop.")
_KINDS = [
    ("svar på remiss", re.compile(r"^(?:svar på remiss|remissvar)\b", re.I)),
    ("yttrande", re.compile(r"^(?:yttrande|remissyttrande)\b|\byttrande över\b", re.I)),
    ("svar", re.compile(r"^svar på\b", re.I)),
    ("motion", re.compile(r"^(?:motion|medborgarförslag)\b", re.I)),
    ("granskning", re.compile(r"\bgranskning\b|^revisionsrapport", re.I)),
    ("val", re.compile(r"^(?:val|fyllnadsval|entledigande)\b", re.I)),
]


def handling_kind(rubrik: str | None, typ: str | None) -> str:
    """The kind of handling a unit is: "yttrande", "svar på remiss", "svar", "motion",
    "granskning", "val", "rutin" (a recurring procedural item), or its type."""
    title = (rubrik or "").strip()
    for kind, pattern in _KINDS:
        if pattern.search(title):
            return kind
    if typ in ("revisionsrapport", "missiv"):
        return "granskning"
    if typ in ("yttrande", "svar", "motion"):
        return typ
    if is_routine(title):
        return "rutin"
    return typ or "beslut"


def liknande(
    searcher: Searcher,
    *,
    paragraph_id: int | None = None,
    chunk_id: int | None = None,
    dokumenttyp: str | None = None,
    andra_kommuner: bool = True,
    limit: int = 10,
) -> dict[str, Any] | None:
    """Nearest other § for a § (or for a chunk), one per ärende (its best §), never from
    the same meeting, by default only from other kommuner; None when the id is unknown."""
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
        """SELECT p.id, p.rubrik, p.start, p.end, pa.title, d.text, u.typ FROM paragraphs p
           JOIN parts pa ON pa.id = p.part_id JOIN documents d ON d.id = p.document_id
           LEFT JOIN arende_units u ON u.paragraph_id = p.id WHERE p.id = ?""",
        [paragraph_id],
    )
    if not source:
        return None
    title = source[0]["rubrik"] or source[0]["title"] or ""
    kind = handling_kind(title, source[0]["typ"])
    allowed = _allowed(store, paragraph_id, dokumenttyp, andra_kommuner)
    model = store.get_meta("embedder_name")
    source_vectors = _vectors(store, model, source_chunks) if model else np.zeros((0, 0))
    query_vector = _mean(source_vectors)
    dense: dict[int, float] = {}
    best_chunk: dict[int, int] = {}
    if query_vector is not None and allowed and searcher._has_vectors():
        ids = np.fromiter(allowed.keys(), dtype=np.int64)
        for hit, _ in searcher.data.vectors.search(query_vector, CANDIDATE_CHUNKS, ids):
            best_chunk.setdefault(allowed[hit], hit)
        candidates = set(best_chunk)
        means = _paragraph_means(store, model, candidates)
        dense = {p: float(v @ query_vector) for p, v in means.items()}
    body = source[0]["text"][source[0]["start"] : source[0]["end"]]
    if chunk_id is not None:
        body = store.scalar("SELECT text FROM chunks WHERE id = ?", [chunk_id]) or body
    text = title if dense else f"{title} {body[:QUERY_CHARS]}"
    lexical: dict[int, float] = {}
    for hit, score in searcher.data.bm25.search(text, CANDIDATE_CHUNKS) if text.strip() else []:
        unit = allowed.get(hit)
        if unit is not None and score > lexical.get(unit, 0.0):
            lexical[unit] = score
            best_chunk.setdefault(unit, hit)
    fused = _fuse(dense, lexical)
    pool = _one_per_arende(store, sorted(fused, key=lambda p: (-fused[p], p)), limit * POOL)
    closeness = _Closeness(searcher, model, source_vectors, body)
    references = paragraph_references(store, [paragraph_id, *pool])
    own = references.get(paragraph_id, [])
    items = [
        _item(searcher, p, best_chunk.get(p), fused[p], dense.get(p), lexical.get(p)) for p in pool
    ]
    for item in items:
        shared = [r for r in references.get(item["paragraph_id"], []) if r in own]
        item["handling"] = handling_kind(item["rubrik"], item["typ"])
        item["samma_handling"] = item["handling"] == kind
        item["gemensamma_referenser"] = shared
        item["textlikhet"] = closeness.text(item["paragraph_id"])
        item["ordlikhet"] = closeness.words(item["paragraph_id"], item["start"], item["end"])
        item["narhet"] = _nearness(item["textlikhet"], item["ordlikhet"], _remiss(shared))
    items.sort(key=lambda i: (i["narhet"] is None, _tier(i), -i["likhet"]))
    items = items[:limit]
    close = [i for i in items if i["narhet"]]
    return {
        "paragraph_id": paragraph_id,
        "chunk_id": chunk_id,
        "rubrik": title,
        "handling": kind,
        "dokumenttyp": dokumenttyp,
        "andra_kommuner": andra_kommuner,
        "metod": "hybrid" if dense else "bm25",
        "nara_prejudikat": bool(close),
        "trosklar": {
            "textlikhet": {NEAR: TEXT_NEAR, TOPIC: TEXT_TOPIC},
            "ordlikhet": {NEAR: WORDS_NEAR, TOPIC: WORDS_TOPIC},
        },
        "liknande": items,
    }


def closeness(
    searcher: Searcher, paragraph_id: int, other_id: int
) -> tuple[float | None, float | None]:
    """(textlikhet, ordlikhet) of two §: what the closeness thresholds are measured on."""
    store = searcher.data.store
    spans = {
        r["id"]: r
        for r in store.query(
            """SELECT p.id, p.start, p.end, substr(d.text, p.start + 1, p.end - p.start) AS body
               FROM paragraphs p JOIN documents d ON d.id = p.document_id WHERE p.id IN (?, ?)""",
            [paragraph_id, other_id],
        )
    }
    model = store.get_meta("embedder_name")
    chunk_ids = [
        r[0] for r in store.query("SELECT id FROM chunks WHERE paragraph_id = ?", [paragraph_id])
    ]
    vectors = _vectors(store, model, chunk_ids) if model else np.zeros((0, 0))
    measure = _Closeness(searcher, model, vectors, spans[paragraph_id]["body"])
    other = spans[other_id]
    return measure.text(other_id), measure.words(other_id, other["start"], other["end"])


def _remiss(references: list[str]) -> bool:
    return any("".join(r.split()).lower().startswith(_REMISS) for r in references)


def _tier(item: dict[str, Any]) -> int:
    """0 the same remiss, 1 the same kind sharing a law, 2 the same kind, 3 a shared law."""
    shared = item["gemensamma_referenser"]
    if _remiss(shared):
        return 0
    if item["samma_handling"]:
        return 1 if shared else 2
    return 3 if shared else 4


def _nearness(text: float | None, words: float | None, same_remiss: bool) -> str | None:
    if same_remiss:
        return NEAR
    if words is None:
        return None
    if text is None:  # no embeddings: the words alone
        return TOPIC if words >= WORDS_TOPIC else None
    if text >= TEXT_NEAR and words >= WORDS_NEAR:
        return NEAR
    if text >= TEXT_TOPIC and words >= WORDS_TOPIC:
        return TOPIC
    return None


class _Closeness:
    """Absolute closeness of candidates to one source §: the best cosine between a chunk of
    each (`text`) and the tf-idf cosine of their words (`words`)."""

    def __init__(self, searcher: Searcher, model: str | None, vectors: np.ndarray, body: str):
        self.searcher = searcher
        self.store = searcher.data.store
        self.model = model
        self.vectors = vectors
        self.bm25 = searcher.data.bm25
        self._df: dict[str, int] = {}
        self.source = self._weights(body) if hasattr(self.bm25, "doc_freq") else None

    def text(self, paragraph_id: int) -> float | None:
        if not self.model or not self.vectors.size:
            return None
        chunk_ids = [
            r[0]
            for r in self.store.query(
                "SELECT id FROM chunks WHERE paragraph_id = ?", [paragraph_id]
            )
        ]
        other = _vectors(self.store, self.model, chunk_ids)
        if not other.size:
            return None
        return round(float((self.vectors @ other.T).max()), 4)

    def words(self, paragraph_id: int, start: int, end: int) -> float | None:
        if self.source is None:
            return None
        body = self.store.scalar(
            """SELECT substr(d.text, ? + 1, ?) FROM paragraphs p
               JOIN documents d ON d.id = p.document_id WHERE p.id = ?""",
            [start, end - start, paragraph_id],
        )
        other = self._weights(body or "")
        return round(sum(w * other.get(t, 0.0) for t, w in self.source.items()), 4)

    def _weights(self, text: str) -> dict[str, float]:
        """Unit-length tf-idf weights of a text's analyzed words."""
        counts = Counter(
            token.term
            for token in self.searcher.data.analyzer.tokens(text)
            if token.term[:1].isalpha()
        )
        total = self.bm25.num_docs() + 1
        weights = {
            term: (1 + math.log(n)) * math.log(total / (self._doc_freq(term) + 1))
            for term, n in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {t: w / norm for t, w in weights.items()} if norm else {}

    def _doc_freq(self, term: str) -> int:
        if term not in self._df:
            self._df[term] = self.bm25.doc_freq(term)
        return self._df[term]


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
    store, paragraph_id: int, dokumenttyp: str | None, andra_kommuner: bool = True
) -> dict[int, int]:
    """chunk id -> § id for the chunks that may be precedent: not the § itself, its
    duplicates or its ärende, nothing from its own document or meeting (the same kommun,
    organ and date), nor an ärende with a part in its document (the protokollsutdrag of
    another § of the same meeting)."""
    arende = arende_of(store, paragraph_id)
    meeting = store.query(
        """SELECT p.document_id, d.kommun, pa.namnd, pa.datum FROM paragraphs p
           JOIN parts pa ON pa.id = p.part_id JOIN documents d ON d.id = p.document_id
           WHERE p.id = ?""",
        [paragraph_id],
    )[0]
    sql = """SELECT c.id, c.paragraph_id FROM chunks c
             JOIN arende_units u ON u.paragraph_id = c.paragraph_id
             JOIN paragraphs p ON p.id = c.paragraph_id JOIN parts pa ON pa.id = p.part_id
             WHERE c.paragraph_id != ? AND (u.arende_id IS NOT ? OR u.arende_id IS NULL)
               AND c.paragraph_id NOT IN (
                   SELECT other_id FROM paragraph_links WHERE paragraph_id = ?)
               AND c.document_id != ?
               AND NOT (u.kommun IS ? AND pa.namnd IS ? AND pa.datum IS ?)
               AND (u.arende_id IS NULL OR u.arende_id NOT IN (
                   SELECT arende_id FROM arende_units
                   WHERE document_id = ? AND arende_id IS NOT NULL))"""
    params: list[Any] = [
        paragraph_id,
        arende,
        paragraph_id,
        meeting["document_id"],
        meeting["kommun"],
        meeting["namnd"],
        meeting["datum"],
        meeting["document_id"],
    ]
    if andra_kommuner:
        sql += " AND u.kommun IS NOT ?"
        params.append(meeting["kommun"])
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
