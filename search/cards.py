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


def _positions(store: Store) -> dict[int, set[tuple[str, str]]]:
    """(roll, PARTY or "") of every position taken in each §."""
    out: dict[int, set[tuple[str, str]]] = {}
    for row in store.query(
        f"""SELECT paragraph_id, roll, party FROM persons
            WHERE paragraph_id IS NOT NULL AND roll IN ({",".join("?" * len(ROLES))})""",
        list(ROLES),
    ):
        party = (row["party"] or "").strip().upper()
        out.setdefault(row["paragraph_id"], set()).add((row["roll"], party))
    return out


def _references(store: Store) -> dict[int, dict[str, str]]:
    """The references of each § as {key: how it is written}."""
    out: dict[int, dict[str, str]] = {}
    for row in store.query(
        "SELECT paragraph_id, nyckel, min(referens) AS referens FROM paragraph_referenser "
        "GROUP BY paragraph_id, nyckel"
    ):
        out.setdefault(row["paragraph_id"], {})[row["nyckel"]] = row["referens"]
    return out


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
            key = reference_key(filters.ref)
            return np.fromiter(
                (key in self.table.references.get(int(p), {}) for p in self.table.paragraph[rows]),
                dtype=bool,
                count=len(rows),
            )
        if name in ("roll", "parti"):
            # One person holds both the role and the party, as the search filters them.
            if not (filters.roll or filters.parti):
                return None
            roll = (filters.roll or "").strip().lower()
            party = (filters.parti or "").strip().upper()
            return np.fromiter(
                (
                    any(
                        (not roll or r == roll) and (not party or p == party)
                        for r, p in self.table.positions.get(int(par), ())
                    )
                    for par in self.table.paragraph[rows]
                ),
                dtype=bool,
                count=len(rows),
            )
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
            best = self.best[self._passing(self.filters, without=name)]
            rows = self.rows[best]
            groups = self.table.group[rows]
            pairs: set[tuple[int, str]] = set()
            if name in ("kommun", "namnd", "dokumenttyp"):
                values = self.table.values[name]
                codes = self.table.codes[name][rows]
                pairs = {(int(g), values[c]) for g, c in zip(groups, codes, strict=True) if c >= 0}
            elif name == "ar":
                years = self.table.datum[rows] // 10_000
                pairs = {(int(g), str(y)) for g, y in zip(groups, years, strict=True) if y > 0}
            else:
                for group, paragraph in zip(groups, self.table.paragraph[rows], strict=True):
                    pairs.update((int(group), v) for v in self._values(name, int(paragraph)))
            counts: dict[str, int] = {}
            for _, value in pairs:
                counts[value] = counts.get(value, 0) + 1
            out[name] = [
                {"value": v, "count": c}
                for v, c in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            ]
        return out

    def _values(self, name: str, paragraph: int) -> set[str]:
        """The values a § has for a multi-valued facet, as the filter that selects it takes
        them (with the other of roll/parti applied: one person holds both)."""
        if name == "referenser":
            return set(self.table.references.get(paragraph, {}).values())
        positions = self.table.positions.get(paragraph, ())
        roll = (self.filters.roll or "").strip().lower()
        party = (self.filters.parti or "").strip().upper()
        if name == "roll":
            return {r for r, p in positions if not party or p == party}
        return {p for r, p in positions if p and (not roll or r == roll)}
