"""What a search response or an answer says about its sources and its scope: each result's
or citation's kallhanvisning, permalink and readable source (search/citation.py), whether its
page was read by OCR, and a note when a kommun or date filter lies outside what the
collection covers (search/coverage.py). Shared by the HTTP API and the `namnd search` /
`namnd ask` commands."""

from __future__ import annotations

from typing import Any

from index.filters import Filters
from index.store import Store

from .citation import annotate
from .coverage import outside_notes


def searched(store: Store, response: dict[str, Any], filters: Filters) -> dict[str, Any]:
    """A search response (SearchResponse.as_dict) with its results annotated and a note
    when a filter lies outside the collection."""
    annotate(store, response["results"])
    machine_read(store, response["results"])
    response["notes"] = [*response.get("notes", []), *outside_notes(store, filters)]
    return response


def answered(store: Store, answer: dict[str, Any], filters: Filters) -> dict[str, Any]:
    """An answer with its citations annotated and `notes` when a filter lies outside the
    collection."""
    annotate(store, answer["citations"])
    machine_read(store, answer["citations"])
    answer["notes"] = outside_notes(store, filters)
    return answer


def machine_read(store: Store, items: list[dict[str, Any]]) -> None:
    """Mark each result or citation whose passage lies on a page read by OCR
    (`maskinlast`: the text may hold misreadings), in place."""
    ids = [item["chunk_id"] for item in items]
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    read = {
        row["id"]
        for row in store.query(
            f"""SELECT c.id FROM chunks c JOIN ocr_pages o
                  ON o.document_id = c.document_id AND o.page = c.page
                WHERE c.id IN ({marks})""",
            ids,
        )
    }
    for item in items:
        item["maskinlast"] = item["chunk_id"] in read
