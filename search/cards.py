"""From relevant chunks to result cards, honest totals and true facet counts.

A search's relevant chunks (search/relevance.py) are grouped into cards: one card per §, or
per part without § (a tjänsteskrivelse, a bilaga). A card is represented by its best chunk;
cards whose best chunks share one duplicate group (a § and its protokollsutdrag, the same
disclaimer in many e-mails) are one result, the others listed as its other places.

Every count comes from one function over the same relevant set: `total` is the number of
results passing all filters, and a facet value's count is the number of results passing the
other filters and that value (the disjunctive facet convention). A filter a facet stands for
is §-level (kommun, nämnd, year, dokumenttyp, positions, references all hold for every chunk
of a §), so a count equals the `total` of the same search with that filter added, by
construction. Positions and parties count §, never chunks.

The chunk metadata this needs is read into memory once per store generation (a few MB at
100k chunks), so a search filters and groups thousands of relevant chunks in numpy without a
query per chunk.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.filters import Filters
from index.store import Store
from swedish.domain import ROLES
from swedish.patterns import normalize_dnr, reference_key

# The facets a search reports, in the API's order.
FACETS = ("kommun", "namnd", "ar", "dokumenttyp", "referenser", "roll", "parti")


def _date_number(iso: str | None) -> int:
    return int(iso.replace("-", "")) if iso else 0


class ChunkTable:
    """Per-chunk metadata of the whole store as numpy columns (row i is chunk `ids[i]`)."""

    def __init__(self, store: Store) -> None:
        rows = store.query(
            """SELECT id, document_id, paragraph_id, part_id, dup_group, kommun, namnd, datum,
                      dokumenttyp, sektion FROM chunks ORDER BY id"""
        )
        n = len(rows)
        self.ids = np.fromiter((r["id"] for r in rows), dtype=np.int64, count=n)
        self.paragraph = np.fromiter(
            (r["paragraph_id"] or 0 for r in rows), dtype=np.int64, count=n
        )
        # A card is its § (positive id) or, for a part without §, its part (negative id).
        self.card = np.where(
            self.paragraph > 0,
            self.paragraph,
            -np.fromiter((r["part_id"] or 0 for r in rows), dtype=np.int64, count=n),
        )
        self.group = np.fromiter((r["dup_group"] for r in rows), dtype=np.int64, count=n)
        self.datum = np.fromiter((_date_number(r["datum"]) for r in rows), np.int64, count=n)
        self.values: dict[str, list[str]] = {}
        self.codes: dict[str, np.ndarray] = {}
        for name in ("kommun", "namnd", "dokumenttyp", "sektion"):
            table: dict[str, int] = {}
            self.codes[name] = np.fromiter(
                (table.setdefault(r[name], len(table)) if r[name] else -1 for r in rows),
                dtype=np.int64,
                count=n,
            )
            self.values[name] = list(table)
        # How many documents hold each chunk's text: what recurs is boilerplate.
        documents = np.fromiter((r["document_id"] for r in rows), dtype=np.int64, count=n)
        pairs = np.unique(np.stack([self.group, documents], axis=1), axis=0) if n else np.empty(
            (0, 2), dtype=np.int64
        )
        groups, places = np.unique(pairs[:, 0], return_counts=True)
        self.places = places[np.searchsorted(groups, self.group)] if n else self.group
        self.positions = _positions(store)
        self.references = _references(store)

    def rows(self, chunk_ids: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, their rows) of the ids the table holds (deleted since: dropped)."""
        ids = np.fromiter(chunk_ids, dtype=np.int64)
        rows = np.searchsorted(self.ids, ids)
        rows = np.minimum(rows, len(self.ids) - 1) if len(self.ids) else rows
        known = (self.ids[rows] == ids) if len(self.ids) else np.zeros(len(ids), bool)
        return ids[known], rows[known]


class ParagraphValues:
    """Values of a multi-valued § property (references; positions as role and party), one
    entry per (§, first value, second value), sorted by §: a search finds the entries of
    thousands of § with two `searchsorted`, not a dict lookup per §. Both columns are coded
    against one sorted list of the values of either (`values`)."""

    def __init__(self, entries: list[tuple[int, str, str]]) -> None:
        entries = sorted(set(entries))
        self.values: list[str] = sorted({e[1] for e in entries} | {e[2] for e in entries})
        code = {v: i for i, v in enumerate(self.values)}
        n = len(entries)
        self.paragraph = np.fromiter((e[0] for e in entries), dtype=np.int64, count=n)
        self.first = np.fromiter((code[e[1]] for e in entries), dtype=np.int64, count=n)
        self.second = np.fromiter((code[e[2]] for e in entries), dtype=np.int64, count=n)

    def code(self, value: str) -> int:
        """The code of `value` (-2, matching nothing, for a value never seen)."""
        i = bisect_left(self.values, value)
        return i if i < len(self.values) and self.values[i] == value else -2

    def entries(self, paragraphs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in `paragraphs`, entry index) of every entry of the given §."""
        low = np.searchsorted(self.paragraph, paragraphs, side="left")
        counts = np.searchsorted(self.paragraph, paragraphs, side="right") - low
        owner = np.repeat(np.arange(len(paragraphs)), counts)
        starts = np.repeat(low - (np.cumsum(counts) - counts), counts)
        return owner, starts + np.arange(len(owner))


def _positions(store: Store) -> ParagraphValues:
    """(§, roll, PARTY or "") of every position taken in each §."""
    return ParagraphValues(
        [
            (row["paragraph_id"], row["roll"], (row["party"] or "").strip().upper())
            for row in store.query(
                f"""SELECT paragraph_id, roll, party FROM persons
                    WHERE paragraph_id IS NOT NULL AND roll IN ({",".join("?" * len(ROLES))})""",
                list(ROLES),
            )
        ]
    )


def _references(store: Store) -> ParagraphValues:
    """(§, how a reference is written, its key) of every reference of each §."""
    return ParagraphValues(
        [
            (row["paragraph_id"], row["referens"], row["nyckel"])
            for row in store.query(
                "SELECT paragraph_id, nyckel, min(referens) AS referens "
                "FROM paragraph_referenser GROUP BY paragraph_id, nyckel"
            )
        ]
    )


class ChunkTables:
    """The table of the store's current generation, rebuilt after an ingest."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._table: tuple[int, ChunkTable] | None = None

    def get(self) -> ChunkTable:
        generation = self.store.generation()
        with self._lock:
            if self._table is None or self._table[0] != generation:
                self._table = (generation, ChunkTable(self.store))
            return self._table[1]


@dataclass
class Card:
    """One result: a § (or part) with its best chunk and its other matching chunks."""

    key: int
    best: int  # chunk id
    score: float
    datum: int
    chunks: list[int]  # matching chunks of the card, best first


class Grouping:
    """The relevant chunks of one search, ready to be filtered, counted and paged."""

    def __init__(
        self,
        table: ChunkTable,
        store: Store,
        scores: dict[int, float],
        filters: Filters,
    ) -> None:
        self.table = table
        self.store = store
        ids, rows = table.rows(scores)
        score = np.fromiter((scores[int(i)] for i in ids), dtype=np.float64, count=len(ids))
        self.filters = filters
        # Filters that are no facet (sektion, dnr) narrow the chunks before any count.
        keep = np.ones(len(ids), dtype=bool)
        if filters.sektion:
            keep &= self._equals("sektion", filters.sektion)
        if filters.dnr:
            wanted = {
                r[0]
                for r in store.query(
                    "SELECT paragraph_id FROM paragraph_dnr WHERE dnr = ?",
                    [normalize_dnr(filters.dnr)],
                )
            }
            keep &= np.isin(table.paragraph[rows], list(wanted))
        self.ids, self.rows, self.score = ids[keep], rows[keep], score[keep]
        self.cards = table.card[self.rows]
        # Each card's best chunk (ties: the lower chunk id), the card's row in this search.
        order = np.lexsort((self.ids, -self.score, self.cards))
        first = np.ones(len(order), dtype=bool)
        first[1:] = self.cards[order][1:] != self.cards[order][:-1]
        self.best = order[first]  # indexes into ids, one per card, sorted by card key
        self._order = order
        self._sorted_cards = self.cards[order]

    # --- filters, card by card (every filter here holds for all chunks of a §) -----------

    def _equals(self, name: str, value: str) -> np.ndarray:
        values = self.table.values[name]
        code = values.index(value) if value in values else -2
        return self.table.codes[name][self.rows] == code

    def _card_mask(self, name: str, filters: Filters) -> np.ndarray | None:
        """Which best chunks pass the filter a facet stands for (None: no such filter)."""
        best = self.best
        rows = self.rows[best]
        if name in ("kommun", "namnd", "dokumenttyp"):
            value = getattr(filters, name)
            if not value:
                return None
            values = self.table.values[name]
            code = values.index(value) if value in values else -2
            return self.table.codes[name][rows] == code
        if name == "ar":
            if not (filters.datum_from or filters.datum_to):
                return None
            datum = self.table.datum[rows]
            low = _date_number(filters.datum_from) if filters.datum_from else 1
            high = _date_number(filters.datum_to) if filters.datum_to else 99_999_999
            return (datum >= low) & (datum <= high)
        if name == "referenser":
            if not filters.ref:
                return None
            references = self.table.references
            owner, entry = references.entries(self.table.paragraph[rows])
            found = references.second[entry] == references.code(reference_key(filters.ref))
            return np.bincount(owner[found], minlength=len(rows)) > 0
        if name in ("roll", "parti"):
            # One person holds both the role and the party, as the search filters them.
            if not (filters.roll or filters.parti):
                return None
            owner, _, found = self._position_entries(rows, filters.roll, filters.parti)
            return np.bincount(owner[found], minlength=len(rows)) > 0
        raise ValueError(f"unknown facet {name!r}")

    def _passing(self, filters: Filters, without: str | None = None) -> np.ndarray:
        """Best chunks (indexes into `best`) of the cards passing the filters, except the
        one `without` names (roll and parti are one filter: one person holds both)."""
        mask = np.ones(len(self.best), dtype=bool)
        for name in ("kommun", "namnd", "dokumenttyp", "ar", "referenser", "roll"):
            if name == without or (name == "roll" and without == "parti"):
                continue
            part = self._card_mask(name, filters)
            if part is not None:
                mask &= part
        return np.flatnonzero(mask)

    def _results(self, passing: np.ndarray) -> np.ndarray:
        """Of the passing cards (indexes into `best`), the first of each duplicate group by
        score: one result per text."""
        best = self.best[passing]
        order = np.lexsort((self.ids[best], -self.score[best]))
        groups = self.table.group[self.rows[best[order]]]
        _, first = np.unique(groups, return_index=True)
        return passing[order[np.sort(first)]]

    # --- what a search returns ---------------------------------------------------------

    def total(self) -> int:
        return len(self._results(self._passing(self.filters)))

    def page(self, sort: str, offset: int, limit: int, exact: set[int]) -> list[Card]:
        """The cards of one page, in `sort` order (relevans, nyast, aldst)."""
        passing = self._passing(self.filters)
        results = self._results(passing)
        best = self.best[results]
        score = self.score[best]
        datum = self.table.datum[self.rows[best]]
        is_exact = np.fromiter((int(i) in exact for i in self.ids[best]), bool, len(best))
        if sort == "relevans":
            order = np.lexsort((self.ids[best], -score, ~is_exact))
        elif sort == "nyast":
            order = np.lexsort((self.ids[best], -score, -datum))
        elif sort == "aldst":
            # Undated last.
            order = np.lexsort((self.ids[best], -score, np.where(datum > 0, datum, 10**9)))
        else:
            raise ValueError(f"unknown sort {sort!r} (use relevans, nyast or aldst)")
        cards: list[Card] = []
        for index in results[order][offset : offset + limit]:
            b = self.best[index]
            key = int(self.cards[b])
            lo = np.searchsorted(self._sorted_cards, key, side="left")
            hi = np.searchsorted(self._sorted_cards, key, side="right")
            members = self._order[lo:hi]  # this card's chunks, best first
            cards.append(
                Card(
                    key=key,
                    best=int(self.ids[b]),
                    score=float(self.score[b]),
                    datum=int(self.table.datum[self.rows[b]]),
                    chunks=[int(self.ids[m]) for m in members],
                )
            )
        return cards

    def facets(self) -> dict[str, list[dict[str, Any]]]:
        """Counts of results per value, each facet with the other filters applied. A text
        in several cards (one result) counts for every value one of its cards has: choosing
        that value gives a result for it."""
        out: dict[str, list[dict[str, Any]]] = {}
        for name in FACETS:
            rows = self.rows[self.best[self._passing(self.filters, without=name)]]
            groups = self.table.group[rows]
            if name in ("kommun", "namnd", "dokumenttyp"):
                values, codes = self.table.values[name], self.table.codes[name][rows]
            elif name == "ar":
                years = self.table.datum[rows] // 10_000
                known = np.unique(years[years > 0])
                values = [str(y) for y in known.tolist()]
                codes = np.where(years > 0, np.searchsorted(known, years), -1)
            elif name == "referenser":
                references = self.table.references
                owner, entry = references.entries(self.table.paragraph[rows])
                values, groups, codes = references.values, groups[owner], references.first[entry]
            else:
                owner, entry, found = self._position_entries(
                    rows,
                    None if name == "roll" else self.filters.roll,
                    None if name == "parti" else self.filters.parti,
                )
                positions = self.table.positions
                codes = (positions.first if name == "roll" else positions.second)[entry[found]]
                if name == "parti":
                    codes = np.where(codes == positions.code(""), -1, codes)
                values, groups = positions.values, groups[owner[found]]
            out[name] = _counts(values, groups, codes)
        return out

    def _position_entries(
        self, rows: np.ndarray, roll: str | None, parti: str | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The position entries of the § of `rows`: (position in `rows`, entry index,
        whether the entry matches both `roll` and `parti`), for all entries of those §."""
        positions = self.table.positions
        owner, entry = positions.entries(self.table.paragraph[rows])
        found = np.ones(len(entry), dtype=bool)
        if roll and roll.strip():
            found &= positions.first[entry] == positions.code(roll.strip().lower())
        if parti and parti.strip():
            found &= positions.second[entry] == positions.code(parti.strip().upper())
        return owner, entry, found


def _counts(values: list[str], groups: np.ndarray, codes: np.ndarray) -> list[dict[str, Any]]:
    """How many distinct duplicate groups have each value (code -1: none), most first."""
    known = codes >= 0
    keys = np.unique(groups[known] * (len(values) + 1) + codes[known])
    counts = np.bincount(keys % (len(values) + 1), minlength=len(values))
    return [
        {"value": values[c], "count": int(counts[c])}
        for c in sorted(np.flatnonzero(counts).tolist(), key=lambda c: (-counts[c], values[c]))
    ]
