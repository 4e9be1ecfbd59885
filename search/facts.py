"""Facts about a § (or part) read from the store, shared by results, documents, ärenden and
precedent: its ärende, its law and remiss references, and the positions taken in it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from index.store import Store
from swedish.domain import ROLES


def arende_of(store: Store, paragraph_id: int | None) -> int | None:
    """The ärende a § (or part) belongs to; None for a header zone or an older store."""
    if paragraph_id is None:
        return None
    try:
        return store.scalar(
            "SELECT arende_id FROM arende_units WHERE paragraph_id = ?", [paragraph_id]
        )
    except sqlite3.OperationalError:
        return None


def paragraph_references(store: Store, paragraph_ids: Iterable[int]) -> dict[int, list[str]]:
    """Law and remiss references per §."""
    ids = sorted(set(paragraph_ids))
    out: dict[int, list[str]] = {}
    if not ids:
        return out
    try:
        for start in range(0, len(ids), 900):
            batch = ids[start : start + 900]
            for row in store.query(
                f"""SELECT paragraph_id, referens FROM paragraph_referenser
                    WHERE paragraph_id IN ({",".join("?" * len(batch))})
                    ORDER BY paragraph_id, antal DESC, referens""",
                batch,
            ):
                out.setdefault(row["paragraph_id"], []).append(row["referens"])
    except sqlite3.OperationalError:
        return {}
    return out


def chunk_references(store: Store, chunk_ids: list[int]) -> dict[int, list[str]]:
    """Law and remiss references each chunk mentions."""
    out: dict[int, list[str]] = {}
    try:
        for start in range(0, len(chunk_ids), 900):
            batch = chunk_ids[start : start + 900]
            for row in store.query(
                f"""SELECT chunk_id, referens FROM chunk_referenser
                    WHERE chunk_id IN ({",".join("?" * len(batch))})""",
                batch,
            ):
                out.setdefault(row["chunk_id"], []).append(row["referens"])
    except sqlite3.OperationalError:
        return {}
    return out


# --- positions -------------------------------------------------------------------------------


def positions(store: Store, paragraph_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Yrkanden, reservationer, särskilda uttalanden and protokollsanteckningar per §, in
    text order, each with the sentence that says it and its place in the document."""
    ids = sorted(set(paragraph_ids))
    out: dict[int, list[dict[str, Any]]] = {}
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    for row in store.query(
        f"""SELECT paragraph_id, document_id, name, party, roll, detalj, grupp, mening, start,
                   end FROM persons
            WHERE paragraph_id IN ({marks}) AND roll IN ({",".join("?" * len(ROLES))})
            ORDER BY paragraph_id, start, id""",
        [*ids, *ROLES],
    ):
        out.setdefault(row["paragraph_id"], []).append(
            {
                "namn": row["name"],
                "parti": row["party"],
                "roll": row["roll"],
                "detalj": row["detalj"],
                "grupp": bool(row["grupp"]),
                "mening": row["mening"],
                "document_id": row["document_id"],
                "start": row["start"],
                "end": row["end"],
            }
        )
    return out
