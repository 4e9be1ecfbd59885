"""Ärenden: the connected groups of linked units, kept current as documents come and go.

After a document is stored, its facts and links are added (`ingest.links`) and only the
groups it touches are recomputed; before a document is replaced, the ärenden it belonged to
are noted so their remaining units are regrouped (a group may split when its bridge goes)
and ärende ids survive the replacement.

Within an ärende, the units joined by certain links around the largest such group are
"säker"; every other unit carries the confidence of its weakest link on the best path to
them ("trolig" from 0.7, else "osäker"), so a guessed member is never shown as certain.
A bilaga is a leaf: only its bilaga link places it.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from swedish.domain import HEAD_TYPES, TYPE_ORDER

from .links import link_document, store_facts

# Bump when linking rules change: the next ingest relinks every document.
ARENDEN_VERSION = 4
PROBABLE = 0.7
PERIOD_TYPES = HEAD_TYPES | {"motion"}


@dataclass
class Previous:
    """What a document's units belonged to before it was deleted or replaced."""

    arenden: set[int] = field(default_factory=set)
    by_position: dict[tuple[int, int], int] = field(default_factory=dict)  # (part, §) -> ärende


@dataclass
class Link:
    a: int
    b: int
    regel: str
    konfidens: float
    saker: bool


# --- entry points ------------------------------------------------------------------------


def before_delete(conn: sqlite3.Connection, document_id: int) -> Previous:
    """Note the ärenden of a document about to be deleted or replaced."""
    previous = Previous()
    for row in conn.execute(
        """SELECT u.arende_id, pa.ordinal AS part, p.ordinal FROM arende_units u
           JOIN paragraphs p ON p.id = u.paragraph_id JOIN parts pa ON pa.id = p.part_id
           WHERE u.document_id = ? AND u.arende_id IS NOT NULL""",
        [document_id],
    ):
        previous.arenden.add(row["arende_id"])
        previous.by_position[(row["part"], row["ordinal"])] = row["arende_id"]
    return previous


def after_delete(conn: sqlite3.Connection, previous: Previous) -> None:
    """Regroup what is left of the ärenden a deleted document belonged to."""
    _regroup(conn, _members_of(conn, previous.arenden), {}, previous.arenden)


def after_insert(
    conn: sqlite3.Connection, document_id: int, previous: Previous | None = None
) -> None:
    """Add a stored document's facts and links, and regroup the ärenden it touches."""
    units = store_facts(conn, document_id)
    link_document(conn, document_id, units)
    previous = previous or Previous()
    hints = {
        u.id: previous.by_position[(u.part_ordinal, u.ordinal)]
        for u in units
        if u.member and (u.part_ordinal, u.ordinal) in previous.by_position
    }
    seeds = {u.id for u in units if u.member} | _members_of(conn, previous.arenden)
    _regroup(conn, seeds, hints, previous.arenden)


def relink_all(conn: sqlite3.Connection) -> None:
    """Recompute every fact, link and ärende (new rules, or a store from before ärenden);
    ärende ids are kept where the same units still group together."""
    hints = dict(
        conn.execute(
            "SELECT paragraph_id, arende_id FROM arende_units WHERE arende_id IS NOT NULL"
        ).fetchall()
    )
    old = {r[0] for r in conn.execute("SELECT id FROM arenden")}
    for table in (
        "arende_links",
        "hanvisningar",
        "rekommendationer",
        "chunk_referenser",
        "paragraph_referenser",
        "arende_units",
    ):
        conn.execute(f"DELETE FROM {table}")
    documents = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]
    units_by_document = {d: store_facts(conn, d) for d in documents}
    for document_id, units in units_by_document.items():
        link_document(conn, document_id, units)
    seeds = {r[0] for r in conn.execute("SELECT paragraph_id FROM arende_units")}
    _regroup(conn, seeds, hints, old)


def ensure_current(conn: sqlite3.Connection) -> bool:
    """Relink everything when the store's ärenden were built by other rules (or never);
    True when it did."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'arenden_version'").fetchone()
    if row is not None and int(row[0]) == ARENDEN_VERSION:
        return False
    relink_all(conn)
    conn.execute(
        "INSERT OR REPLACE INTO meta VALUES ('arenden_version', ?)", [str(ARENDEN_VERSION)]
    )
    return True


# --- grouping ------------------------------------------------------------------------------


def _members_of(conn: sqlite3.Connection, arenden: set[int]) -> set[int]:
    if not arenden:
        return set()
    marks = ",".join("?" * len(arenden))
    return {
        r[0]
        for r in conn.execute(
            f"SELECT paragraph_id FROM arende_units WHERE arende_id IN ({marks})",
            sorted(arenden),
        )
    }


class _Graph:
    """The stored links around units, as the grouping sees them: a leaf (a bilaga) is
    placed only by its bilaga link, and nothing else reaches a leaf."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._heads: dict[int, int | None] = {}

    def head_of_leaf(self, unit: int) -> int | None:
        if unit not in self._heads:
            row = self.conn.execute(
                """SELECT other_id FROM arende_links WHERE paragraph_id = ? AND regel = 'bilaga'
                   ORDER BY konfidens DESC, other_id LIMIT 1""",
                [unit],
            ).fetchone()
            self._heads[unit] = row[0] if row else None
        return self._heads[unit]

    def links(self, unit: int) -> list[Link]:
        out = []
        for row in self.conn.execute(
            """SELECT paragraph_id, other_id, regel, konfidens, saker FROM arende_links
               WHERE paragraph_id = ? OR other_id = ?""",
            [unit, unit],
        ):
            link = Link(row[0], row[1], row[2], row[3], bool(row[4]))
            if self._usable(link):
                out.append(link)
        return out

    def _usable(self, link: Link) -> bool:
        for leaf, other in ((link.a, link.b), (link.b, link.a)):
            head = self.head_of_leaf(leaf)
            if head is not None and not (link.regel == "bilaga" and head == other):
                return False
        return True


def _components(conn: sqlite3.Connection, seeds: set[int]) -> list[tuple[set[int], list[Link]]]:
    """The groups reachable from `seeds` over usable links, each with its links."""
    marks = ",".join("?" * len(seeds))
    known = [
        r[0]
        for r in conn.execute(
            f"SELECT paragraph_id FROM arende_units WHERE paragraph_id IN ({marks})",
            sorted(seeds),
        )
    ]
    graph = _Graph(conn)
    seen: set[int] = set()
    out = []
    for seed in sorted(known):
        if seed in seen:
            continue
        group = {seed}
        links: dict[tuple[int, int, str], Link] = {}
        frontier = [seed]
        while frontier:
            unit = frontier.pop()
            for link in graph.links(unit):
                links[(link.a, link.b, link.regel)] = link
                other = link.b if link.a == unit else link.a
                if other not in group:
                    group.add(other)
                    frontier.append(other)
        seen |= group
        out.append((group, list(links.values())))
    return out


def _certainty(group: set[int], links: list[Link], typ: dict[int, str]) -> dict[int, float]:
    """Each unit's confidence: 1.0 in the largest certainly linked core, else the weakest
    link on the best path to the core."""
    certain: dict[int, set[int]] = defaultdict(set)
    for link in links:
        if link.saker:
            certain[link.a].add(link.b)
            certain[link.b].add(link.a)
    cores: list[set[int]] = []
    seen: set[int] = set()
    for unit in sorted(group):
        if unit in seen:
            continue
        core, stack = {unit}, [unit]
        while stack:
            for other in certain[stack.pop()]:
                if other not in core:
                    core.add(other)
                    stack.append(other)
        seen |= core
        cores.append(core)
    core = max(
        cores,
        key=lambda c: (len(c), any(typ.get(u) == "beslut" for u in c), -min(c)),
    )
    best = dict.fromkeys(core, 1.0)
    neighbours: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for link in links:
        weight = 1.0 if link.saker else link.konfidens
        neighbours[link.a].append((link.b, weight))
        neighbours[link.b].append((link.a, weight))
    heap = [(-1.0, u) for u in core]
    while heap:
        value, unit = heapq.heappop(heap)
        value = -value
        if value < best.get(unit, 0.0):
            continue
        for other, weight in neighbours[unit]:
            candidate = min(value, weight)
            if candidate > best.get(other, 0.0):
                best[other] = candidate
                heapq.heappush(heap, (-candidate, other))
    return best


def _regroup(
    conn: sqlite3.Connection, seeds: set[int], hints: dict[int, int], stale: set[int]
) -> None:
    """Recompute the ärenden around `seeds`; keep ids where the units agree."""
    components = _components(conn, seeds) if seeds else []
    current = {}
    units_all = {u for group, _ in components for u in group}
    rows = {}
    if units_all:
        marks = ",".join("?" * len(units_all))
        for row in conn.execute(
            f"""SELECT u.*, p.rubrik, p.dnr FROM arende_units u
                JOIN paragraphs p ON p.id = u.paragraph_id WHERE u.paragraph_id IN ({marks})""",
            sorted(units_all),
        ):
            rows[row["paragraph_id"]] = row
            if row["arende_id"] is not None:
                current[row["paragraph_id"]] = row["arende_id"]
    candidates = {*stale, *current.values(), *hints.values()}
    used: set[int] = set()
    ordered = sorted(components, key=lambda c: (-len(c[0]), min(c[0])))
    for group, links in ordered:
        votes = Counter(current.get(u) or hints.get(u) for u in group)
        votes.pop(None, None)
        choice = next(
            (
                arende
                for arende, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
                if arende not in used and arende in candidates
            ),
            None,
        )
        members = [rows[u] for u in group]
        summary = _summary(members)
        if (
            choice is None
            or not conn.execute("SELECT 1 FROM arenden WHERE id = ?", [choice]).fetchone()
        ):
            if choice is None:
                choice = conn.execute("INSERT INTO arenden (antal) VALUES (0)").lastrowid
            else:
                conn.execute("INSERT INTO arenden (id, antal) VALUES (?, 0)", [choice])
        used.add(choice)
        conn.execute(
            """UPDATE arenden SET kommun = ?, rubrik = ?, dnr = ?, forsta_datum = ?,
                   senaste_datum = ?, antal = ?, osakra = ? WHERE id = ?""",
            [*summary, 0, choice],
        )
        confidence = _certainty(group, links, {u: rows[u]["typ"] for u in group})
        uncertain = 0
        for unit in group:
            value = round(confidence.get(unit, 0.0), 3)
            label = "säker" if value >= 1.0 else "trolig" if value >= PROBABLE else "osäker"
            uncertain += label != "säker"
            conn.execute(
                """UPDATE arende_units SET arende_id = ?, sakerhet = ?, konfidens = ?
                   WHERE paragraph_id = ?""",
                [choice, label, value, unit],
            )
        conn.execute("UPDATE arenden SET osakra = ? WHERE id = ?", [uncertain, choice])
    gone = (candidates | stale) - used
    for arende in gone:
        if not conn.execute(
            "SELECT 1 FROM arende_units WHERE arende_id = ? LIMIT 1", [arende]
        ).fetchone():
            conn.execute("DELETE FROM arenden WHERE id = ?", [arende])


def _summary(members: list[sqlite3.Row]) -> list:
    """kommun, rubrik, dnr, first and last datum, count of an ärende's members."""
    kommun = Counter(m["kommun"] for m in members if m["kommun"]).most_common(1)
    heads = [m for m in members if m["typ"] not in ("bilaga", "rapport", "motion")] or members
    decisions = [m for m in heads if m["typ"] == "beslut"]
    named = sorted(
        decisions or heads,
        key=lambda m: (m["datum"] or "", TYPE_ORDER.get(m["typ"], 9), m["paragraph_id"]),
    )
    rubrik = (named[-1] if decisions else named[0])["titel"]
    dnr: list[str] = []
    for member in sorted(heads, key=lambda m: (m["datum"] or "", m["paragraph_id"])):
        for value in json.loads(member["dnr"]):
            if value not in dnr:
                dnr.append(value)
    # The period is the ärende's steps (a motion starts one): a bilaga's own date (a
    # ledningssystem from last year, a rapport attached as underlag) says when it was
    # written, not when the ärende was handled.
    steps = [m["datum"] for m in members if m["datum"] and m["typ"] in PERIOD_TYPES]
    dates = sorted(steps or [m["datum"] for m in members if m["datum"]])
    return [
        kommun[0][0] if kommun else None,
        rubrik,
        json.dumps(dnr, ensure_ascii=False),
        dates[0] if dates else None,
        dates[-1] if dates else None,
        len(members),
    ]
