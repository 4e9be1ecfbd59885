"""HTTP endpoints for ärenden, §, positions and precedent (included by api/app.py).

GET /api/arenden?q=&kommun=&limit=&offset=   search or list ärenden
GET /api/arenden/{id}                         members, timeline, evidence, hänvisningar,
                                              audit trail (recommendation ↔ answer passages
                                              with document offsets), positions per §
GET /api/arenden/{id}/export.json             for the audit file: the chain, audit trail,
GET /api/arenden/{id}/export.csv              evidence and hänvisningar, and one row per step,
GET /api/arenden/{id}/utskrift                date, citation and link (CSV); a printable page
GET /api/paragrafer/{id}                      a § with positions, ärende id and references
GET /api/paragrafer/{id}/liknande?dokumenttyp=&andra_kommuner=&limit=   precedent: the nearest
                                              other § (one per ärende, never the same meeting,
                                              other kommuner unless andra_kommuner=false), the
                                              same kind of handling first, each "nära" /
                                              "liknande ämne" or not close
GET /api/chunks/{id}/liknande?…               the same, for one chunk

Unknown ids give 404, bad parameters 422 (with the app's validation handler).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.arende_export import to_csv, to_html, to_json
from api.masking import mask_data, refuse_personnummer
from api.params import MAX_ID
from search.arenden import get_arende, get_paragraf, has_arenden, list_arenden
from search.precedent import liknande

router = APIRouter(tags=["ärenden"])

MAX_LIMIT = 100
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Dokumenttyp = Annotated[str | None, Query(max_length=50, pattern=r"^[\wåäöÅÄÖ -]+$")]
LiknandeLimit = Annotated[int, Query(ge=1, le=50)]


def _service(request: Request):
    service = request.app.state.service
    service.data.refresh()
    if not has_arenden(service.data.store):
        raise HTTPException(
            status_code=503, detail="no ärenden in this data directory yet: run namnd ingest"
        )
    return service


@router.get("/api/arenden")
def arenden(
    request: Request,
    q: Annotated[str | None, Query(max_length=500, description="Sökord eller dnr")] = None,
    kommun: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    service = _service(request)
    if q:
        refuse_personnummer(q, service.mask)
    return list_arenden(
        service.data.store,
        q,
        searcher=service.searcher,
        kommun=kommun,
        limit=limit,
        offset=offset,
    )


@router.get("/api/arenden/{arende_id}")
def arende(request: Request, arende_id: Id) -> dict[str, Any]:
    found = get_arende(_service(request).data.store, arende_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no ärende {arende_id}")
    return found


def _exported(request: Request, arende_id: int) -> tuple[dict[str, Any], str]:
    """The ärende (masked when output is) and the base address of links into the UI."""
    service = _service(request)
    found = get_arende(service.data.store, arende_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no ärende {arende_id}")
    return (mask_data(found) if service.mask else found), str(request.base_url)


@router.get("/api/arenden/{arende_id}/export.json")
def arende_json(request: Request, arende_id: Id) -> dict[str, Any]:
    found, base = _exported(request, arende_id)
    return to_json(found, base)


@router.get("/api/arenden/{arende_id}/export.csv", response_class=Response)
def arende_csv(request: Request, arende_id: Id) -> Response:
    found, base = _exported(request, arende_id)
    return Response(
        to_csv(found, base),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="arende-{arende_id}.csv"'},
    )


@router.get("/api/arenden/{arende_id}/utskrift", response_class=HTMLResponse)
def arende_utskrift(request: Request, arende_id: Id) -> HTMLResponse:
    found, base = _exported(request, arende_id)
    return HTMLResponse(to_html(found, base))


@router.get("/api/paragrafer/{paragraph_id}")
def paragraf(request: Request, paragraph_id: Id) -> dict[str, Any]:
    found = get_paragraf(_service(request).data.store, paragraph_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no § {paragraph_id}")
    return found


@router.get("/api/paragrafer/{paragraph_id}/liknande")
def paragraf_liknande(
    request: Request,
    paragraph_id: Id,
    dokumenttyp: Dokumenttyp = None,
    andra_kommuner: bool = True,
    limit: LiknandeLimit = 10,
) -> dict[str, Any]:
    return _liknande(request, "§", dokumenttyp, andra_kommuner, limit, paragraph_id=paragraph_id)


@router.get("/api/chunks/{chunk_id}/liknande")
def chunk_liknande(
    request: Request,
    chunk_id: Id,
    dokumenttyp: Dokumenttyp = None,
    andra_kommuner: bool = True,
    limit: LiknandeLimit = 10,
) -> dict[str, Any]:
    return _liknande(request, "chunk", dokumenttyp, andra_kommuner, limit, chunk_id=chunk_id)


def _liknande(
    request: Request,
    what: str,
    dokumenttyp: str | None,
    andra_kommuner: bool,
    limit: int,
    **start: int,
) -> dict[str, Any]:
    """The nearest § to a § or a chunk (`start`: paragraph_id= or chunk_id=); 404 when it
    does not exist."""
    found = liknande(
        _service(request).searcher,
        dokumenttyp=dokumenttyp,
        andra_kommuner=andra_kommuner,
        limit=limit,
        **start,
    )
    if found is None:
        raise HTTPException(status_code=404, detail=f"no {what} {next(iter(start.values()))}")
    return found
