"""Saved searches (`namnd watch`) in the data directory's SQLite store.

A saved search is a query with its filters, mode and depth; it remembers the § and parts
(by their stable key, search/citation.py `unit_key`) it has reported, so each run reports
only what is new since its previous run. The tables are created by the command that first
adds a watch (the API opens the store read-only and never writes them), and they travel in
`namnd export` / restore (ingest/backup.py) as the export header's `watches`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .store import Store, now

# How many results a watch looks at per run, by default: the API's largest page of results.
DEFAULT_DEPTH = 50

SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    query TEXT NOT NULL,
    filters TEXT NOT NULL DEFAULT '{}',
    mode TEXT NOT NULL,
    depth INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    last_run_at TEXT
);
CREATE TABLE IF NOT EXISTS watch_seen (
    watch_id INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    nyckel TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (watch_id, nyckel)
);
"""


def has_watches(store: Store) -> bool:
    return bool(
        store.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'watches'")
    )


def ensure_tables(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def add_watch(store: Store, query: str, filters: dict[str, Any], mode: str, depth: int) -> int:
    with store.transaction() as conn:
        ensure_tables(conn)
        cursor = conn.execute(
            """INSERT INTO watches (query, filters, mode, depth, created_at)
               VALUES (?, ?, ?, ?, ?)""",
            [query, _filters_json(filters), mode, depth, now()],
        )
        return int(cursor.lastrowid)


def remove_watch(store: Store, watch_id: int) -> bool:
    if not has_watches(store):
        return False
    with store.transaction() as conn:
        return conn.execute("DELETE FROM watches WHERE id = ?", [watch_id]).rowcount > 0


def list_watches(store: Store) -> list[dict[str, Any]]:
    if not has_watches(store):
        return []
    return [
        {
            "id": row["id"],
            "query": row["query"],
            "filters": json.loads(row["filters"]),
            "mode": row["mode"],
            "depth": row["depth"],
            "created_at": row["created_at"],
            "last_run_at": row["last_run_at"],
            "seen": row["seen"],
        }
        for row in store.query(
            """SELECT w.*, (SELECT count(*) FROM watch_seen s WHERE s.watch_id = w.id) AS seen
               FROM watches w ORDER BY w.id"""
        )
    ]


def seen_keys(store: Store, watch_id: int) -> set[str]:
    return {
        row[0]
        for row in store.query("SELECT nyckel FROM watch_seen WHERE watch_id = ?", [watch_id])
    }


def remember(store: Store, watch_id: int, keys: list[str]) -> None:
    """Record a run: its new keys are seen from now on."""
    at = now()
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO watch_seen VALUES (?, ?, ?)",
            [(watch_id, key, at) for key in keys],
        )
        conn.execute("UPDATE watches SET last_run_at = ? WHERE id = ?", [at, watch_id])


# --- export and restore ----------------------------------------------------------------------


def export_watches(store: Store) -> list[dict[str, Any]]:
    """Every watch with what it has seen, for an export's header."""
    out = []
    for watch in list_watches(store):
        del watch["seen"]
        watch["seen_keys"] = sorted(seen_keys(store, watch["id"]))
        out.append(watch)
    return out


def restore_watches(store: Store, watches: list[dict[str, Any]]) -> int:
    """Add an export's watches: a watch with the same query, filters and mode as one here
    merges what it has seen into it; another keeps its id when that id is free. Returns how
    many watches were added."""
    added = 0
    with store.transaction() as conn:
        ensure_tables(conn)
        for watch in watches:
            if not (
                isinstance(watch, dict)
                and isinstance(watch.get("query"), str)
                and isinstance(watch.get("filters", {}), dict)
            ):
                continue  # not a saved search: the documents are restored all the same
            filters = _filters_json(watch.get("filters") or {})
            same = conn.execute(
                "SELECT id FROM watches WHERE query = ? AND filters = ? AND mode = ?",
                [watch["query"], filters, str(watch.get("mode") or "hybrid")],
            ).fetchone()
            if same is not None:
                watch_id = same[0]
            else:
                free = (
                    isinstance(watch.get("id"), int)
                    and conn.execute("SELECT 1 FROM watches WHERE id = ?", [watch["id"]]).fetchone()
                    is None
                )
                cursor = conn.execute(
                    """INSERT INTO watches (id, query, filters, mode, depth, created_at,
                           last_run_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    [
                        watch.get("id") if free else None,
                        watch["query"],
                        filters,
                        str(watch.get("mode") or "hybrid"),
                        int(watch.get("depth") or DEFAULT_DEPTH),
                        str(watch.get("created_at") or now()),
                        watch.get("last_run_at"),
                    ],
                )
                watch_id = int(cursor.lastrowid)
                added += 1
            at = now()
            conn.executemany(
                "INSERT OR IGNORE INTO watch_seen VALUES (?, ?, ?)",
                [(watch_id, str(key), at) for key in watch.get("seen_keys", [])],
            )
    return added


def _filters_json(filters: dict[str, Any]) -> str:
    """Filters as canonical JSON (set values only, sorted keys), so equal filters compare
    equal."""
    return json.dumps(
        {k: v for k, v in sorted(filters.items()) if v}, ensure_ascii=False, sort_keys=True
    )
