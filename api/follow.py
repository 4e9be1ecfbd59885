"""HTTP endpoints for following a kommun (included by api/app.py); all read-only.

GET /feed.atom?q=…&<search filters>   Atom 1.0 feed of a search: one entry per § or part,
                                      newest meeting date first
GET /feed.atom?arende=ID              the members of an ärende, newest first
GET /api/search.csv?q=…&<filters>     the result list as CSV
GET /api/coverage                     meetings per kommun and organ, with missing § and
                                      months without a meeting
GET /api/documents/{id}/original      the original file of a document, as ingested

The original is read only from the file recorded as that document's source at ingest (never
a path from the request) and only while its content still has the hash recorded then; a
missing file is 404, a changed one 409. While output is masked, an original whose text holds
a personnummer is refused (403): a PDF cannot be masked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response

from api.masking import find_personnummer, mask_data, mask_text
from api.params import MAX_ID, MAX_LIMIT, MAX_QUERY, check_query, filter_query_params
from index.filters import Filters
from ingest.readers import Limits
from search.arenden import get_arende, has_arenden
from search.coverage import coverage
from search.feeds import (
    ATOM_TYPE,
    arende_entries,
    atom_feed,
    feed_id,
    newest_first,
    results_csv,
    unit_results,
)

router = APIRouter(tags=["bevakning"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
MEDIA_TYPES = {
    "pdf": ("application/pdf", "inline"),
    "text": ("text/plain", "inline"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "attachment",
    ),
    "html": ("text/html", "attachment"),  # never rendered on this origin
}


@dataclass
class SearchParams:
    """The parameters of /api/search, shared by the feed and the CSV."""

    q: str | None
    filters: Filters
    limit: int
    mode: str
    fusion: str | None

    def query(self) -> dict[str, Any]:
        """The parameters as given (for the feed's id and its links)."""
        out: dict[str, Any] = {"q": self.q, "limit": self.limit, "mode": self.mode}
        out.update(self.filters.as_params())
        return {k: v for k, v in out.items() if v not in (None, "")}


_filters = Depends(filter_query_params())


def search_params(
    q: Annotated[str | None, Query(max_length=MAX_QUERY, description="Sökfrågan")] = None,
    filters: Filters = _filters,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    mode: Annotated[str, Query(pattern="^(hybrid|bm25|dense)$")] = "hybrid",
    fusion: Annotated[str | None, Query(pattern="^(rrf|convex)$")] = None,
) -> SearchParams:
    return SearchParams(q, filters, limit, mode, fusion)


Search = Annotated[SearchParams, Depends(search_params)]


def _service(request: Request):
    service = request.app.state.service
    service.data.refresh()
    return service


def _checked(service, params: SearchParams) -> str:
    """The query, checked as /api/search checks it (422 otherwise)."""
    q = params.q or ""
    check_query(q, service.mask)
    return q.strip()


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _masker(service):
    return mask_data if service.mask else (lambda value: value)


def _updated(service) -> str | None:
    return service.data.store.scalar("SELECT max(ingested_at) FROM documents")


@router.get("/feed.atom", response_class=Response)
def feed(
    request: Request,
    params: Search,
    arende: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    service = _service(request)
    base = _base(request)
    self_url = str(request.url)
    if arende is not None:
        if params.q:
            raise HTTPException(status_code=422, detail="Give either q or arende, not both.")
        found = get_arende(service.data.store, arende) if has_arenden(service.data.store) else None
        if found is None:
            raise HTTPException(status_code=404, detail=f"no ärende {arende}")
        body = atom_feed(
            title=f"Nämndsök: ärende {found['rubrik'] or arende} ({found['kommun'] or '–'})",
            feed_urn=feed_id("arende", {"arende": arende}),
            self_url=self_url,
            alternate_url=f"{base}/?arende={arende}",
            updated=_updated(service),
            entries=arende_entries(service.data.store, found),
            base=base,
            mask=_masker(service),
        )
        return Response(body, media_type=ATOM_TYPE)
    q = _checked(service, params)
    results, _ = unit_results(
        service.searcher, q, params.filters, params.limit, params.mode, params.fusion
    )
    shown = params.query()
    ui = {k: v for k, v in shown.items() if k not in ("limit", "mode", "from", "to")}
    year = (shown.get("from") or "")[:4]
    if year and shown.get("from") == f"{year}-01-01" and shown.get("to") == f"{year}-12-31":
        ui["ar"] = year  # the UI's year filter
    scope = " · ".join(str(v) for k, v in ui.items() if k != "q")
    body = atom_feed(
        title=f"Nämndsök: ”{q}”" + (f" · {scope}" if scope else ""),
        feed_urn=feed_id("search", shown),
        self_url=self_url,
        alternate_url=f"{base}/?{urlencode(ui)}",
        updated=_updated(service),
        entries=newest_first(results),
        base=base,
        mask=_masker(service),
    )
    return Response(body, media_type=ATOM_TYPE)


@router.get("/api/search.csv", response_class=Response)
def search_csv(request: Request, params: Search) -> Response:
    service = _service(request)
    q = _checked(service, params)
    results, _ = unit_results(
        service.searcher, q, params.filters, params.limit, params.mode, params.fusion
    )
    text = results_csv(results, _base(request))
    if service.mask:
        text = mask_text(text)
    return Response(
        # A byte order mark, so a spreadsheet opens the file as UTF-8 (å, ä, ö).
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="namndsok.csv"'},
    )


@router.get("/api/coverage")
def coverage_report(request: Request) -> dict[str, Any]:
    return coverage(_service(request).data.store)


@router.get("/api/documents/{document_id}/original", response_class=Response)
def original(request: Request, document_id: Id) -> Response:
    service = _service(request)
    rows = service.data.store.query(
        "SELECT source, filename, content_hash, format, text FROM documents WHERE id = ?",
        [document_id],
    )
    if not rows:
        raise HTTPException(status_code=404, detail=f"no document {document_id}")
    row = rows[0]
    if service.mask and find_personnummer(row["text"]):
        raise HTTPException(
            status_code=403,
            detail="The original holds a personnummer, which masked output cannot show.",
        )
    path = FilePath(row["source"])
    try:
        if not path.is_file() or path.stat().st_size > Limits().max_bytes:
            raise FileNotFoundError
        content = path.read_bytes()
    except OSError:
        raise HTTPException(
            status_code=404, detail=f"the original file of document {document_id} is not here"
        ) from None
    if hashlib.sha256(content).hexdigest() != row["content_hash"]:
        raise HTTPException(
            status_code=409,
            detail=f"the original file of document {document_id} changed since it was ingested",
        )
    media_type, disposition = MEDIA_TYPES.get(
        row["format"], ("application/octet-stream", "attachment")
    )
    if row["format"] == "text":
        try:
            content.decode("utf-8")
            media_type += "; charset=utf-8"
        except UnicodeDecodeError:
            media_type += "; charset=windows-1252"
    safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in row["filename"])
    headers = {
        "Content-Disposition": f'{disposition}; filename="{safe_name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }
    if row["format"] != "pdf":  # nothing in it may run on this origin
        headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return Response(content, media_type=media_type, headers=headers)
