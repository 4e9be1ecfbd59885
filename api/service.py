"""The JSON bodies of the API, built in one place for the HTTP routes and for `namnd`.

Each endpoint has one builder here; `namnd search --json`, `namnd ask --json` and
`namnd documents --json` print the same body that `/api/search`, `/api/ask` and
`/api/documents` serve (as datasette's CLI does), and `namnd get PATH` runs any route
in-process. `place_line` is the one place that writes a source as "kommun · nämnd · datum
· § N · dnr" for text output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.datadir import DataDir
from index.filters import Filters
from search.answer import Answerer
from search.documents import get_document, list_documents
from search.hybrid import Searcher
from search.sources import answered, searched


class Service:
    """The search and answer machinery over one data directory, opened once (read-only)
    and shared by all requests of `namnd serve`, or by one command."""

    def __init__(self, data_dir: Path, mask: bool = True) -> None:
        self.data = DataDir(data_dir, readonly=True)
        self.searcher = Searcher(self.data)
        self.answerer = Answerer(self.searcher)
        self.mask = mask  # personnummer masked in output, and refused in queries

    def close(self) -> None:
        self.data.close()

    def search(
        self,
        q: str,
        filters: Filters,
        *,
        limit: int,
        mode: str,
        fusion: str,
        offset: int = 0,
        sort: str = "relevans",
    ) -> dict[str, Any]:
        """Relevant results only, one card per § (or part without §), with the total, the
        facets and spelling suggestions (`Searcher.find`), each result with its citation."""
        page = self.searcher.find(
            q, filters, limit=limit, mode=mode, fusion=fusion, offset=offset, sort=sort
        )
        return searched(self.data.store, page.as_dict(), filters)

    def ask(self, q: str, filters: Filters) -> dict[str, Any]:
        return answered(self.data.store, self.answerer.ask(q, filters), filters)

    def documents(self) -> dict[str, Any]:
        items = list_documents(self.data.store)
        return {"total": len(items), "documents": items}

    def document(self, document_id: int) -> dict[str, Any] | None:
        return get_document(self.data.store, document_id)


def place_line(item: dict[str, Any]) -> str:
    """Where a result or citation comes from, on one line: kommun · nämnd · datum · § · dnr."""
    paragraf = f"§ {item['paragraf']}" if item.get("paragraf") else None
    dnr = item.get("dnr")
    if isinstance(dnr, list):
        dnr = ", ".join(dnr)
    return " · ".join(
        str(x) for x in (item.get("kommun"), item.get("namnd"), item.get("datum"), paragraf, dnr)
        if x
    )
