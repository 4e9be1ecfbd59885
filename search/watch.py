"""Running saved searches: what is new since each search's previous run.

`namnd watch run` (a newsroom's cron job) searches every saved search as `namnd search` does,
keeps one result per § or part (its best passage), reports those whose stable key it has not
reported before, and then remembers them. A document ingested after a run is reported by the
next run and never again; a document replaced by a changed file counts as new (its content,
hence its key, changed). The first run of a new watch reports everything it finds.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from index.filters import Filters
from index.store import Store
from index.watches import list_watches, remember, seen_keys

from .feeds import unit_results
from .hybrid import Searcher

FILTER_NAMES = tuple(f.name for f in fields(Filters))


def filters_of(saved: dict[str, Any]) -> Filters:
    return Filters(**{k: v for k, v in saved.items() if k in FILTER_NAMES})


def run_watches(searcher: Searcher, writer: Store) -> list[dict[str, Any]]:
    """Run every saved search; `writer` is a writable Store of the same data directory
    (the searcher may read through a read-only one). Returns, per watch, its new hits."""
    report = []
    for watch in list_watches(writer):
        hits, notes = unit_results(
            searcher,
            watch["query"],
            filters_of(watch["filters"]),
            watch["depth"],
            watch["mode"],
            None,
        )
        known = seen_keys(writer, watch["id"])
        new = [hit for hit in hits if hit["nyckel"] not in known]
        remember(writer, watch["id"], [hit["nyckel"] for hit in hits])
        report.append(
            {
                "id": watch["id"],
                "query": watch["query"],
                "filters": watch["filters"],
                "mode": watch["mode"],
                "previous_run_at": watch["last_run_at"],
                "hits": len(hits),
                "new": new,
                "notes": notes,
            }
        )
    return report
