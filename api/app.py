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
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.arenden import router as arenden_router
from api.follow import router as follow_router
from api.masking import MaskedJSONResponse, install_log_masking
from api.params import (
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY,
    AskRequest,
    body_filters,
    check_query,
    filter_query_params,
)
from api.service import Service
from index.filters import FilterError, Filters
from search.hybrid import DEFAULT_FUSION

log = logging.getLogger("namnd.api")

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


class HeadAsGet:
    """Answer HEAD on every GET route as GET would, without the body (HTTP says a server that
    answers GET answers HEAD; FastAPI routes list only the methods they are declared with)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


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

    # /docs loads Swagger UI from the fastapi-offline package, not from a CDN: it works on an
    # offline server and tells no third party who reads it. Swagger's validator badge would
    # fetch from Swagger's host, and ReDoc its logo from Redocly's: the one is off, the other
    # page is not served.
    app = FastAPIOffline(
        title="Nämndsök",
        redoc_url=None,
        description="Sök och frågor med källhänvisningar i kommunala nämndhandlingar.",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=json_response,
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.service = service
    app.add_middleware(BodyLimit, limit=MAX_BODY)
    app.add_middleware(HeadAsGet)
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

    @app.exception_handler(FilterError)
    async def filter_error(request: Request, error: FilterError) -> JSONResponse:
        problems = [{"parameter": error.param, "message": str(error)}]
        return json_response(status_code=422, content={"detail": problems})
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        # Through the masking response: a 404 may echo a personnummer from the path.
        return json_response(
            status_code=error.status_code, content={"detail": error.detail}, headers=error.headers
        )

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

    filters_from_query = Depends(filter_query_params())

    @app.get("/api/search")
    def search(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY, description="Sökfrågan")],
        filters: Filters = filters_from_query,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        sort: Annotated[str, Query(pattern="^(relevans|nyast|aldst)$")] = "relevans",
        mode: Annotated[str, Query(pattern="^(hybrid|bm25|dense)$")] = "hybrid",
        fusion: Annotated[str, Query(pattern="^(rrf|convex)$")] = DEFAULT_FUSION,
    ) -> dict[str, Any]:
        """Relevant results only, one per § (or part without §): `total` counts them all,
        `offset` pages through them, `facets` count them per value with the other filters
        applied, `suggestions` offer spellings from the documents' own words."""
        check_query(q, service.mask)
        return service.search(
            q, filters, limit=limit, mode=mode, fusion=fusion, offset=offset, sort=sort
        )

    @app.get("/api/ask")
    def ask_get(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY, description="Frågan")],
        filters: Filters = filters_from_query,
    ) -> dict[str, Any]:
        check_query(q, service.mask)
        return service.ask(q, filters)

    @app.post("/api/ask")
    def ask_post(body: AskRequest) -> dict[str, Any]:  # type: ignore[valid-type]
        check_query(body.q, service.mask)
        return service.ask(body.q, body_filters(body))

    @app.get("/api/documents")
    def documents() -> dict[str, Any]:
        return service.documents()

    @app.get("/api/documents/{document_id}")
    def document(document_id: int) -> dict[str, Any]:
        found = service.document(document_id) if 0 < document_id <= MAX_ID else None
        if found is None:
            raise HTTPException(status_code=404, detail=f"no document {document_id}")
        return found

    app.include_router(arenden_router)
    app.include_router(follow_router)

    static = resources.files("web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(str(static / "index.html"), media_type="text/html")

    return app
