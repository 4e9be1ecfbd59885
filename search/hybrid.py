"""Hybrid search: Swedish BM25 and multilingual embeddings, fused, filtered, deduplicated.

`Searcher.find` is the search people see (API, CLI, web UI): only relevant chunks
(search/relevance.py), one card per § with an honest total and true facets
(search/cards.py), sorted and paged. `Searcher.search` ranks chunks without a cutoff, for
the question answerer, which picks sentences from many candidate chunks itself.

Both retrievers apply the filters themselves (BM25 inside tantivy, dense through a FAISS id
selector), so a filtered search still fills `limit`. Lists are fused by a convex combination
of min-max normalized scores (the default, chosen by measurement) or by reciprocal rank
(k=60). A dnr or `§ N` query is answered by exact lookup first; quoted phrases must match
as phrases. Chunks with the same text (a § and its protokollsutdrag) are shown once, with
the other places listed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.datadir import DataDir
from index.embed import pending_count
from index.filters import Filters
from swedish.domain import ROLES
from swedish.patterns import normalize_dnr, reference_key

from .cards import Card, ChunkTables, Grouping
from .facts import arende_of
from .query import ParsedQuery, parse_query
from .relevance import (
    BOILERPLATE_PLACES,
    BOILERPLATE_WEIGHT,
    DENSE_DEPTH,
    DENSE_MIN,
    LexicalMatches,
    lexical_matches,
)
from .snippets import make_snippet
from .suggest import suggestions

RRF_K = 60
# Convex fusion beat RRF on hit@1 and MRR@10 of the evaluation set and tied on hit@5, and
# RRF fell below BM25-only on hit@1 (BENCHMARKS.md), so it is the default; RRF stays
# available.
DEFAULT_FUSION = "convex"
CANDIDATES = 100
CONVEX_ALPHA = 0.5
# Other places of a result's text listed with it (all are counted).
OTHER_PLACES_SHOWN = 20
# Other matching passages of a result's § listed in its card (all are counted).
PASSAGES_SHOWN = 5
SORTS = ("relevans", "nyast", "aldst")
# An exact lookup's § rank above every scored match (fused scores are at most 1).
EXACT_SCORE = 2.0
RESULT_FIELDS = (
    "paragraph_id",
    "part_id",
    "kommun",
    "namnd",
    "datum",
    "paragraf",
    "dnr",
    "rubrik",
    "sektion",
    "dokumenttyp",
    "page",
)


@dataclass
class Hit:
    chunk_id: int
    bm25: float | None = None
    dense: float | None = None
    bm25_rank: int | None = None
    dense_rank: int | None = None
    fused: float = 0.0
    exact: bool = False


@dataclass
class SearchResponse:
    query: str
    mode: str
    results: list[dict[str, Any]]
    embedded: int
    not_embedded: int
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "total": len(self.results),
            "results": self.results,
            "embedded": self.embedded,
            "not_embedded": self.not_embedded,
            "notes": self.notes,
        }


@dataclass
class SearchPage:
    """One page of a search: a card per § (or part), the honest total and true facets."""

    query: str
    mode: str
    sort: str
    offset: int
    total: int
    total_exact: bool  # False: more passages matched than a search collects (a lower bound)
    results: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]]
    suggestions: list[str]
    embedded: int
    not_embedded: int
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "sort": self.sort,
            "total": self.total,
            "total_exact": self.total_exact,
            "offset": self.offset,
            "results": self.results,
            "facets": self.facets,
            "suggestions": self.suggestions,
            "embedded": self.embedded,
            "not_embedded": self.not_embedded,
            "notes": self.notes,
        }


class Searcher:
    """Search over one data directory; safe to share between threads."""

    def __init__(self, data: DataDir) -> None:
        self.data = data
        self._query_vectors: dict[str, np.ndarray] = {}  # the last 512 queries' vectors
        self._cache_lock = threading.Lock()
        self._coverage: tuple[int, tuple[int, int]] | None = None  # (generation, counts)
        self.tables = ChunkTables(data.store)

    # --- retrievers ----------------------------------------------------------------------

    def bm25(
        self, query: ParsedQuery, filters: Filters, k: int, phrases: bool = True
    ) -> list[tuple[int, float]]:
        return self.data.bm25.search(
            query.text, k, filters, phrases=query.phrases if phrases else None
        )

    def embed_query(self, text: str) -> np.ndarray | None:
        return self.start_embedding(text)()

    def start_embedding(self, text: str) -> Callable[[], np.ndarray | None]:
        """Start embedding a query on the embedder's thread; the returned function waits
        for the vector (None when nothing is embedded yet)."""
        if not self._has_vectors():
            return lambda: None
        vector = self._query_vectors.get(text)
        if vector is not None:
            return lambda: vector
        future = self.data.embedder.submit_queries([text])

        def wait() -> np.ndarray:
            vector = future.result()[0]
            with self._cache_lock:
                self._query_vectors[text] = vector
                if len(self._query_vectors) > 512:
                    del self._query_vectors[next(iter(self._query_vectors))]
            return vector

        return wait

    def dense(
        self, vector: np.ndarray | None, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Nearest chunks to the query vector, among `allowed` (None: all)."""
        if vector is None:
            return []
        return self.data.vectors.search(vector, k, allowed)

    def allowed_ids(self, filters: Filters, allowed: np.ndarray | None = None) -> np.ndarray | None:
        """The chunk ids the dense side may return (None: all), `allowed` narrowed by the
        filters."""
        if filters.empty():
            return allowed
        ids = self.filtered_ids(filters)
        return ids if allowed is None else np.intersect1d(allowed, ids)

    def _has_vectors(self) -> bool:
        try:
            return len(self.data.vectors) > 0
        except ValueError:
            return False

    def filtered_ids(self, filters: Filters) -> np.ndarray:
        """Chunk ids passing the filters, from the store (the dense side's id selector)."""
        where, params = filter_sql(filters)
        rows = self.data.store.query(f"SELECT id FROM chunks c WHERE {where}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    # --- the search ----------------------------------------------------------------------

    def search(
        self,
        text: str,
        filters: Filters | None = None,
        limit: int = 10,
        mode: str = "hybrid",
        fusion: str = DEFAULT_FUSION,
    ) -> SearchResponse:
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"unknown mode {mode!r}")
        if fusion not in ("rrf", "convex"):
            raise ValueError(f"unknown fusion {fusion!r}")
        query = parse_query(text)
        filters = filters or Filters()
        hits = self.rank(query, filters, limit, mode, fusion)
        results = self.present(query, hits, limit)
        embedded, missing = self.coverage()
        response = SearchResponse(text, mode, results, embedded, missing)
        if mode != "bm25" and missing:
            response.notes.append(
                f"{missing} av {embedded + missing} textavsnitt är inte inbäddade än; den "
                "semantiska sökningen täcker bara resten (kör `namnd embed`)."
            )
        return response

    def find(
        self,
        text: str,
        filters: Filters | None = None,
        limit: int = 10,
        mode: str = "hybrid",
        fusion: str = DEFAULT_FUSION,
        *,
        offset: int = 0,
        sort: str = "relevans",
        timings: dict[str, float] | None = None,
    ) -> SearchPage:
        """The search people see: only relevant chunks (search/relevance.py), one card per
        § or part, `total` of all of them, facets counted over all of them, paged by
        `offset`, sorted by relevance or date (`nyast`, `aldst`). `timings`, when given,
        receives the milliseconds of each step (the benchmark's profile)."""
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"unknown mode {mode!r}")
        if fusion not in ("rrf", "convex"):
            raise ValueError(f"unknown fusion {fusion!r}")
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r} (use {', '.join(SORTS)})")
        if offset < 0 or limit < 1:
            raise ValueError("offset must be 0 or more and limit 1 or more")
        lap = Laps(timings)
        query = parse_query(text)
        filters = filters or Filters()
        hits, lexical = self.relevant(query, mode, fusion, lap)
        table = self.tables.get()
        scores = {h.chunk_id: h.fused for h in hits.values()}
        grouping = Grouping(table, self.data.store, scores, filters)
        cards = grouping.page(sort, offset, limit, {h.chunk_id for h in hits.values() if h.exact})
        total = grouping.total()
        lap("cards")
        facets = grouping.facets()
        lap("facets")
        results = self.present_cards(query, cards, hits)
        lap("present")
        suggested: list[str] = []
        if mode != "dense" and (lexical.unknown or not total):
            suggested = suggestions(self.data.bm25, self.data.analyzer, self.data.store, text)
        lap("suggest")
        embedded, missing = self.coverage()
        # The lists the relevant set comes from were cut: the total is a lower bound.
        close = sum(h.dense is not None and h.dense >= DENSE_MIN for h in hits.values())
        exact = lexical.complete and close < DENSE_DEPTH
        page = SearchPage(
            text, mode, sort, offset, total, exact, results, facets, suggested,
            embedded, missing,
        )
        if mode != "bm25" and missing:
            page.notes.append(
                f"{missing} av {embedded + missing} textavsnitt är inte inbäddade än; den "
                "semantiska sökningen täcker bara resten (kör `namnd embed`)."
            )
        return page

    def relevant(
        self, query: ParsedQuery, mode: str, fusion: str, lap: Laps | None = None
    ) -> tuple[dict[int, Hit], LexicalMatches]:
        """Every relevant chunk of the whole index with its scores, before filters (the
        filters narrow this set: search/cards.py). Exact lookups score above the rest;
        boilerplate scores at BOILERPLATE_WEIGHT."""
        lap = lap or Laps(None)
        self.data.refresh()
        vector = self.start_embedding(query.text) if mode in ("hybrid", "dense") else None
        first, rest = self.exact_lookup(query, Filters())
        phrase_ids: np.ndarray | None = None
        if query.phrases:
            # A quoted phrase must match: both sides keep only phrase matches.
            everything = max(self.data.bm25.num_docs(), 1)
            phrase_ids = np.asarray(
                [i for i, _ in self.data.bm25.search("", everything, phrases=query.phrases)],
                dtype=np.int64,
            )
        lexical = LexicalMatches()
        if mode in ("hybrid", "bm25"):
            lexical = lexical_matches(self.data.bm25, self.data.analyzer, query.text)
            if phrase_ids is not None:
                allowed = set(phrase_ids.tolist())
                lexical.scores = {i: v for i, v in lexical.scores.items() if i in allowed}
        lap("lexical")
        semantic: list[tuple[int, float]] = []
        if vector is not None and (phrase_ids is None or len(phrase_ids)):
            wanted = vector()
            lap("wait")
            semantic = self.dense(wanted, DENSE_DEPTH, phrase_ids)
            lap("dense")
        lexical_list = sorted(lexical.scores.items(), key=lambda item: (-item[1], item[0]))
        fused = fuse(lexical_list, semantic, fusion)
        hits = {
            h.chunk_id: h
            for h in fused
            if h.chunk_id in lexical.scores or (h.dense is not None and h.dense >= DENSE_MIN)
        }
        table = self.tables.get()
        ids, rows = table.rows(hits)
        for chunk_id, places in zip(ids.tolist(), table.places[rows].tolist(), strict=True):
            if places >= BOILERPLATE_PLACES:
                hits[chunk_id].fused *= BOILERPLATE_WEIGHT
        exact = [*first, *rest]
        for position, chunk_id in enumerate(exact):
            hit = hits.get(chunk_id) or Hit(chunk_id)
            # Lookup order first (the opening chunk of each § newest first, then the rest).
            hit.fused = EXACT_SCORE + (len(exact) - position) / (len(exact) + 1)
            hit.exact = True
            hits[chunk_id] = hit
        lap("fuse")
        return hits, lexical

    def present_cards(
        self, query: ParsedQuery, cards: list[Card], hits: dict[int, Hit]
    ) -> list[dict[str, Any]]:
        """Result objects for cards: the best chunk as the result, with the other matching
        passages of its § (best first) and the other places of its text."""
        if not cards:
            return []
        passages = {c.key: c.chunks[1 : 1 + PASSAGES_SHOWN] for c in cards}
        wanted = [c.best for c in cards] + [i for p in passages.values() for i in p]
        rows = {row["id"]: row for row in self._rows(wanted)}
        terms = self._highlight_terms(query)
        out: list[dict[str, Any]] = []
        for card in cards:
            row = rows.get(card.best)
            if row is None:  # deleted between the two reads
                continue
            result = self._result(row, hits[card.best], terms, *self._others(row))
            result["passages"] = [
                self._passage(rows[i], terms) for i in passages[card.key] if i in rows
            ]
            result["passages_total"] = len(card.chunks) - 1
            out.append(result)
        return out

    def _passage(self, row, terms: set[str]) -> dict[str, Any]:
        snippet = make_snippet(self.data.analyzer, row["text"], terms)
        return {
            "chunk_id": row["id"],
            "snippet": snippet.text,
            "highlights": [list(h) for h in snippet.highlights],
            "sektion": row["sektion"],
            "page": row["page"],
            "start": row["start"],
            "end": row["end"],
        }

    def _highlight_terms(self, query: ParsedQuery) -> set[str]:
        terms = set(self.data.analyzer.query_terms(query.text))
        for phrase in query.phrases:
            terms.update(t for _, t in self.data.analyzer.phrase(phrase))
        return terms

    def rank(
        self, query: ParsedQuery, filters: Filters, limit: int, mode: str, fusion: str
    ) -> list[Hit]:
        """Fused candidate list (exact lookups first), before duplicate collapsing."""
        self.data.refresh()
        k = max(CANDIDATES, limit * 5)
        # The query embeds (the slowest step) while BM25 and the lookups run.
        vector = self.start_embedding(query.text) if mode in ("hybrid", "dense") else None
        first, rest = self.exact_lookup(query, filters)
        lexical = self.bm25(query, filters, k) if mode in ("hybrid", "bm25") else []
        semantic: list[tuple[int, float]] = []
        if vector is not None:
            allowed = None
            if query.phrases:
                # A quoted phrase must match: the dense side ranks only phrase matches.
                allowed = np.asarray(
                    [i for i, _ in self.bm25(query, filters, 10_000)], dtype=np.int64
                )
            allowed = self.allowed_ids(filters, allowed)
            semantic = self.dense(vector(), k, allowed)
        fused = fuse(lexical, semantic, fusion)
        if not first:
            return fused
        # Exact lookup first: the opening chunk of each matching §, then the rest of those §
        # in fused order, then everything else.
        by_id = {h.chunk_id: h for h in fused}
        inside = set(rest)
        ordered = [by_id.get(i) or Hit(i) for i in first]
        for hit in ordered:
            hit.exact = True
        ordered += [h for h in fused if h.chunk_id in inside]
        ordered += [Hit(i, exact=True) for i in rest if i not in by_id]
        ordered += [h for h in fused if h.chunk_id not in inside and h.chunk_id not in first]
        return ordered

    def exact_lookup(self, query: ParsedQuery, filters: Filters) -> tuple[list[int], list[int]]:
        """For a dnr or `§ N` query: the first chunk of each matching § (newest first), and
        the other chunks of those §."""
        if not query.is_lookup:
            return [], []
        where, params = filter_sql(filters)
        if query.dnr:
            marks = ",".join("?" * len(query.dnr))
            # A § or part whose dnr list is short owns the matter; one listing many dnr
            # (a list of decisions it refers to) only mentions it: fewest dnr first.
            sql = f"""SELECT c.id, c.paragraph_id FROM chunks c JOIN paragraph_dnr d
                        ON d.paragraph_id = c.paragraph_id
                      WHERE d.dnr IN ({marks}) AND {where}
                      ORDER BY (SELECT count(*) FROM paragraph_dnr o
                                WHERE o.paragraph_id = c.paragraph_id),
                               c.datum DESC, c.paragraph_id, c.ordinal"""
            params = [*[normalize_dnr(d) for d in query.dnr], *params]
        else:
            # A date named in the query ("§ 18 … 14 december 2022") puts that meeting first.
            sql = f"""SELECT c.id, c.paragraph_id FROM chunks c WHERE c.paragraf = ? AND {where}
                      {"AND c.kommun = ?" if query.kommun else ""}
                      ORDER BY c.datum IN ({",".join("?" * len(query.dates))}) DESC,
                               c.datum DESC, c.paragraph_id, c.ordinal"""
            params = [
                query.paragraf,
                *params,
                *([query.kommun] if query.kommun else []),
                *query.dates,
            ]
        first: dict[int, int] = {}
        rest: list[int] = []
        for row in self.data.store.query(sql, params):
            if row["paragraph_id"] in first:
                rest.append(row["id"])
            else:
                first[row["paragraph_id"]] = row["id"]
        return list(first.values()), rest

    def coverage(self) -> tuple[int, int]:
        """(embedded, not yet embedded) chunk counts, counted again only when the store's
        generation changed (ingest and `sync_vectors` bump it): the count joins every chunk
        with the embedding cache, 119 ms a search at 100k chunks (BENCHMARKS.md)."""
        generation = self.data.store.generation()
        if self._coverage is None or self._coverage[0] != generation:
            self._coverage = (generation, self._count_coverage())
        return self._coverage[1]

    def _count_coverage(self) -> tuple[int, int]:
        total = int(self.data.store.scalar("SELECT count(*) FROM chunks") or 0)
        name = self.data.store.get_meta("embedder_name")
        if not name:
            return 0, total
        missing = pending_count(self.data.store, name)
        return total - missing, missing

    # --- presenting ----------------------------------------------------------------------

    def present(self, query: ParsedQuery, hits: list[Hit], limit: int) -> list[dict[str, Any]]:
        """Result objects for the best `limit` distinct texts, with the other places."""
        if not hits:
            return []
        # Duplicate groups (small rows) of the best hits, a window at a time until `limit`
        # distinct texts are found; whole rows only for the results shown.
        chosen: list[Hit] = []
        shown: set[int] = set()
        window = 2 * limit
        for start in range(0, len(hits), window):
            batch = hits[start : start + window]
            marks = ",".join("?" * len(batch))
            groups = dict(
                self.data.store.query(
                    f"SELECT id, dup_group FROM chunks WHERE id IN ({marks})",
                    [h.chunk_id for h in batch],
                )
            )
            for hit in batch:
                group = groups.get(hit.chunk_id)
                if group is None or group in shown:
                    continue  # deleted since indexing, or a duplicate of a result shown
                shown.add(group)
                chosen.append(hit)
                if len(chosen) >= limit:
                    break
            if len(chosen) >= limit:
                break
        rows = {row["id"]: row for row in self._rows([h.chunk_id for h in chosen])}
        terms = self._highlight_terms(query)
        return [
            self._result(rows[hit.chunk_id], hit, terms, *self._others(rows[hit.chunk_id]))
            for hit in chosen
            if hit.chunk_id in rows  # deleted between the two reads
        ]

    def _rows(
        self, chunk_ids: list[int], columns: str = "c.*, d.filename, d.source_url"
    ) -> list[Any]:
        out: list[Any] = []
        for start in range(0, len(chunk_ids), 900):
            batch = chunk_ids[start : start + 900]
            marks = ",".join("?" * len(batch))
            out += self.data.store.query(
                f"""SELECT {columns} FROM chunks c
                    JOIN documents d ON d.id = c.document_id WHERE c.id IN ({marks})""",
                batch,
            )
        return out

    def _others(self, row) -> tuple[list[dict[str, Any]], int]:
        """The first OTHER_PLACES_SHOWN other places of a result's text (by date), and how
        many there are: boilerplate recurs in thousands of §."""
        others = self.data.store.query(
            """SELECT c.id, c.document_id, c.kommun, c.datum, c.paragraf, c.rubrik,
                      c.dokumenttyp, c.page, d.filename, count(*) OVER () AS total
               FROM chunks c JOIN documents d ON d.id = c.document_id
               WHERE c.dup_group = ? AND c.id != ? ORDER BY c.datum, c.id LIMIT ?""",
            [row["dup_group"], row["id"], OTHER_PLACES_SHOWN],
        )
        return [
            {
                "chunk_id": o["id"],
                "document_id": o["document_id"],
                "kommun": o["kommun"],
                "datum": o["datum"],
                "paragraf": o["paragraf"],
                "rubrik": o["rubrik"],
                "dokumenttyp": o["dokumenttyp"],
                "page": o["page"],
                "source": o["filename"],
            }
            for o in others
        ], others[0]["total"] if others else 0

    def _result(
        self, row, hit: Hit, terms: set[str], others: list[dict[str, Any]], others_total: int
    ) -> dict[str, Any]:
        snippet = make_snippet(self.data.analyzer, row["text"], terms)
        result: dict[str, Any] = {
            "chunk_id": row["id"],
            "document_id": row["document_id"],
            "text": row["text"],
            "snippet": snippet.text,
            "highlights": [list(h) for h in snippet.highlights],
        }
        result.update({name: row[name] for name in RESULT_FIELDS})
        result["source"] = row["filename"]
        result["source_url"] = row["source_url"]
        result["start"] = row["start"]
        result["end"] = row["end"]
        result["scores"] = {
            "bm25": _round(hit.bm25),
            "dense": _round(hit.dense),
            "fused": _round(hit.fused),
            "bm25_rank": hit.bm25_rank,
            "dense_rank": hit.dense_rank,
            "exact": hit.exact,
        }
        result["other_places"] = others
        result["other_places_total"] = others_total
        result["arende_id"] = arende_of(self.data.store, row["paragraph_id"])
        return result


class Laps:
    """Milliseconds since the previous lap, added to `timings` under each step's name (a
    no-op without `timings`)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, name: str) -> None:
        if self.timings is None:
            return
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + (now - self.last) * 1000
        self.last = now


def fuse(
    lexical: list[tuple[int, float]],
    semantic: list[tuple[int, float]],
    fusion: str = DEFAULT_FUSION,
) -> list[Hit]:
    hits: dict[int, Hit] = {}
    for rank, (chunk_id, score) in enumerate(lexical, start=1):
        hits.setdefault(chunk_id, Hit(chunk_id)).bm25 = score
        hits[chunk_id].bm25_rank = rank
    for rank, (chunk_id, score) in enumerate(semantic, start=1):
        hits.setdefault(chunk_id, Hit(chunk_id)).dense = score
        hits[chunk_id].dense_rank = rank
    if fusion == "rrf":
        for hit in hits.values():
            hit.fused = sum(
                1.0 / (RRF_K + rank) for rank in (hit.bm25_rank, hit.dense_rank) if rank
            )
    else:
        lexical_norm = minmax(dict(lexical))
        semantic_norm = minmax(dict(semantic))
        for hit in hits.values():
            hit.fused = CONVEX_ALPHA * lexical_norm.get(hit.chunk_id, 0.0) + (
                1 - CONVEX_ALPHA
            ) * semantic_norm.get(hit.chunk_id, 0.0)
    return sorted(hits.values(), key=lambda h: (-h.fused, h.chunk_id))


def minmax(scores: dict[int, float]) -> dict[int, float]:
    """Scores scaled to 0..1 (all 1.0 when they are equal), for convex fusion."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return dict.fromkeys(scores, 1.0)
    return {k: (v - low) / (high - low) for k, v in scores.items()}


def filter_sql(filters: Filters) -> tuple[str, list[Any]]:
    """A WHERE clause over `chunks c` for the filters (always valid SQL)."""
    clauses: list[str] = ["1"]
    params: list[Any] = []
    for name in ("kommun", "namnd", "dokumenttyp", "sektion"):
        value = getattr(filters, name)
        if value:
            clauses.append(f"c.{name} = ?")
            params.append(value)
    if filters.datum_from:
        clauses.append("c.datum >= ?")
        params.append(filters.datum_from)
    if filters.datum_to:
        clauses.append("c.datum <= ?")
        params.append(filters.datum_to)
    if filters.dnr:
        clauses.append("c.paragraph_id IN (SELECT paragraph_id FROM paragraph_dnr WHERE dnr = ?)")
        params.append(filters.dnr)
    if filters.roll or filters.parti:
        # One person of the chunk's § holds both the role and the party (as in BM25).
        person = [
            "p.paragraph_id = c.paragraph_id",
            f"p.roll IN ({','.join('?' * len(ROLES))})",
        ]
        params.extend(ROLES)
        if filters.roll:
            person.append("p.roll = ?")
            params.append(filters.roll)
        if filters.parti:
            person.append("upper(p.party) = ?")
            params.append(filters.parti.strip().upper())
        clauses.append(f"EXISTS (SELECT 1 FROM persons p WHERE {' AND '.join(person)})")
    if filters.ref:
        clauses.append(
            "c.paragraph_id IN (SELECT paragraph_id FROM paragraph_referenser WHERE nyckel = ?)"
        )
        params.append(reference_key(filters.ref))
    return " AND ".join(clauses), params


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 5)

