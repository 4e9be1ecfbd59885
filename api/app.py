"""The HTTP API and the web UI it serves, over one data directory.

Every page of the UI is backed by a JSON endpoint (as in datasette): /api/search,
/api/ask, /api/documents, /api/documents/{id}. Parameters are validated (422 with a clear
message), limits are capped, unknown ids give 404, errors never leak stack traces or paths,
and no parameter is ever used as a file path.
"""

from __future__ import annotations

import logging
import re
from contextlib import asynccontextmanager
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.arenden import router as arenden_router
from api.masking import MaskedJSONResponse, install_log_masking, refuse_personnummer
from index.bm25 import Filters
from index.datadir import DataDir
from search.answer import Answerer
from search.documents import get_document, list_documents
from search.hybrid import DEFAULT_FUSION, Searcher

log = logging.getLogger("namnd.api")

MAX_QUERY = 500
MAX_LIMIT = 50
MAX_OFFSET = 100_000
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
MAX_ID = 2**63 - 1  # SQLite's largest integer
MAX_BODY = 16_384  # bytes of a request body; a question with its filters needs far less
# An absolute file system path or Python source in an error message: not for the client.
_INTERNALS = re.compile(r"(?:^|[\s'\"(=:])/(?:[\w.-]+/)+[\w.-]*|\.py\b|Traceback")


class BodyLimit:
    """Refuse a request body over `limit` bytes with 413, before the app reads it: by its
    Content-Length when declared, else by counting the bytes as they stream in (a chunked
    body), so no body is ever read past the limit."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                # FastAPI passes an HTTPException from reading the body on to its handler.
                raise HTTPException(status_code=413, detail=self._message())
            return message

        await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"The request body is larger than {self.limit:,} bytes."

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(status_code=413, content={"detail": self._message()})
        await response(scope, receive, send)


def _problem(parameter: str, message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=[{"parameter": parameter, "message": message}])


def check_params(q: str, datum_from: str | None, datum_to: str | None, mask: bool) -> None:
    """What the declared constraints cannot say: a blank query, an impossible date
    (2023-02-30 has the right shape), a range that ends before it starts; and, when output
    is masked, a query holding a personnummer (its results would tell where it occurs)."""
    if not q.strip():
        raise _problem("q", "The query is blank; type at least one word.")
    refuse_personnummer(q, mask)
    for name, value in (("from", datum_from), ("to", datum_to)):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise _problem(name, f"{value} is not a calendar date (YYYY-MM-DD).") from None
    if datum_from and datum_to and datum_from > datum_to:
        raise _problem("from", f"The range starts ({datum_from}) after it ends ({datum_to}).")


class AskRequest(BaseModel):
    q: str = Field(min_length=1, max_length=MAX_QUERY, description="Frågan")
    kommun: str | None = Field(default=None, max_length=100)
    namnd: str | None = Field(default=None, max_length=100)
    dokumenttyp: str | None = Field(default=None, max_length=50)
    datum_from: str | None = Field(default=None, alias="from", pattern=DATE_PATTERN)
    datum_to: str | None = Field(default=None, alias="to", pattern=DATE_PATTERN)


class Service:
    """The search and answer machinery, opened once and shared by all requests."""

    def __init__(self, data_dir: Path, mask: bool = True) -> None:
        self.data = DataDir(data_dir, readonly=True)
        self.searcher = Searcher(self.data)
        self.answerer = Answerer(self.searcher)
        self.mask = mask  # personnummer masked in output, and refused in queries

    def close(self) -> None:
        self.data.close()


def create_app(
    data_dir: Path, *, cors_origins: list[str] | None = None, mask: bool = True
) -> FastAPI:
    """The app over `data_dir`. With `mask` (the default) every JSON response has its
    personnummer masked (api/masking.py); log records are masked either way."""
    install_log_masking()
    json_response = MaskedJSONResponse if mask else JSONResponse
    service = Service(data_dir, mask)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        service.close()

    app = FastAPI(
        title="Nämndsök",
        description="Sök och frågor med källhänvisningar i kommunala nämndhandlingar.",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=json_response,
    )
    app.state.service = service
    app.add_middleware(BodyLimit, limit=MAX_BODY)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins, allow_methods=["GET"])

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "parameter": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
                "message": e["msg"],
            }
            for e in error.errors()
        ]
        return json_response(status_code=422, content={"detail": problems})

    @app.exception_handler(ValueError)
    async def value_error(request: Request, error: ValueError) -> JSONResponse:
        message = str(error)  # our own messages may echo the input
        if _INTERNALS.search(message):  # a library's message naming files or source
            log.warning("invalid request on %s: %s", request.url.path, message)
            message = "invalid request"
        return json_response(status_code=422, content={"detail": message})

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    @app.get("/health")
    def health() -> dict[str, Any]:
        store = service.data.store
        embedded, missing = service.searcher.coverage()
        return {
            "status": "ok",
            "documents": store.scalar("SELECT count(*) FROM documents"),
            "chunks": embedded + missing,
            "embedded": embedded,
            "not_embedded": missing,
        }

    @app.get("/api/search")
    def search(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY, description="Sökfrågan")],
        kommun: Annotated[str | None, Query(max_length=100)] = None,
        namnd: Annotated[str | None, Query(max_length=100)] = None,
        dokumenttyp: Annotated[str | None, Query(max_length=50)] = None,
        sektion: Annotated[str | None, Query(max_length=50)] = None,
        dnr: Annotated[str | None, Query(max_length=60)] = None,
        roll: Annotated[str | None, Query(max_length=50)] = None,  # reservation, yrkande, …
        parti: Annotated[str | None, Query(max_length=20)] = None,
        ref: Annotated[str | None, Query(max_length=80)] = None,  # Ds 2023:17, 4 kap. 1 § SoL
        datum_from: Annotated[str | None, Query(alias="from", pattern=DATE_PATTERN)] = None,
        datum_to: Annotated[str | None, Query(alias="to", pattern=DATE_PATTERN)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        sort: Annotated[str, Query(pattern="^(relevans|nyast|aldst)$")] = "relevans",
        mode: Annotated[str, Query(pattern="^(hybrid|bm25|dense)$")] = "hybrid",
        fusion: Annotated[str, Query(pattern="^(rrf|convex)$")] = DEFAULT_FUSION,
    ) -> dict[str, Any]:
        """Relevant results only, one per § (or part without §): `total` counts them all,
        `offset` pages through them, `facets` count them per value with the other filters
        applied, `suggestions` offer spellings from the documents' own words."""
        check_params(q, datum_from, datum_to, service.mask)
        filters = Filters(
            kommun=kommun,
            namnd=namnd,
            dokumenttyp=dokumenttyp,
            sektion=sektion,
            datum_from=datum_from,
            datum_to=datum_to,
            dnr=dnr,
            roll=roll,
            parti=parti,
            ref=ref,
        )
        page = service.searcher.find(
            q, filters, limit=limit, mode=mode, fusion=fusion, offset=offset, sort=sort
        )
        return page.as_dict()

    @app.get("/api/ask")
    def ask_get(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY, description="Frågan")],
        kommun: Annotated[str | None, Query(max_length=100)] = None,
        namnd: Annotated[str | None, Query(max_length=100)] = None,
        dokumenttyp: Annotated[str | None, Query(max_length=50)] = None,
        datum_from: Annotated[str | None, Query(alias="from", pattern=DATE_PATTERN)] = None,
        datum_to: Annotated[str | None, Query(alias="to", pattern=DATE_PATTERN)] = None,
    ) -> dict[str, Any]:
        check_params(q, datum_from, datum_to, service.mask)
        filters = Filters(
            kommun=kommun,
            namnd=namnd,
            dokumenttyp=dokumenttyp,
            datum_from=datum_from,
            datum_to=datum_to,
        )
        return service.answerer.ask(q, filters)

    @app.post("/api/ask")
    def ask_post(body: AskRequest) -> dict[str, Any]:
        check_params(body.q, body.datum_from, body.datum_to, service.mask)
        filters = Filters(
            kommun=body.kommun,
            namnd=body.namnd,
            dokumenttyp=body.dokumenttyp,
            datum_from=body.datum_from,
            datum_to=body.datum_to,
        )
        return service.answerer.ask(body.q, filters)

    @app.get("/api/documents")
    def documents() -> dict[str, Any]:
        items = list_documents(service.data.store)
        return {"total": len(items), "documents": items}

    @app.get("/api/documents/{document_id}")
    def document(document_id: int) -> dict[str, Any]:
        found = None
        if 0 < document_id <= MAX_ID:
            found = get_document(service.data.store, document_id)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no document {document_id}")
        return found

    app.include_router(arenden_router)

    static = resources.files("web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(str(static / "index.html"), media_type="text/html")

    return app
