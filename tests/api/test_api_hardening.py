"""API hardening over the corpus without embeddings: request body limits, errors that never
show internals, ids and static paths that never reach files, CORS off by default, and no
endpoint that writes."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from support.paths import ROOT

from api.app import MAX_BODY, create_app

LEAKS = ("Traceback", 'File "', "/work", str(ROOT), "site-packages", ".py", "root:")


def assert_clean(response) -> None:
    assert response.headers["content-type"].startswith("application/json"), response.text
    json.loads(response.text)
    for leak in LEAKS:
        assert leak not in response.text, (leak, response.text[:300])


@pytest.fixture(scope="module")
def app(ingested):
    return create_app(ingested.path)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


# --- request size ------------------------------------------------------------------------------


def test_a_body_over_the_limit_gets_413(client):
    body = json.dumps({"q": "vräkning", "kommun": "x" * MAX_BODY}).encode()
    response = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "16,384 bytes" in response.json()["detail"]
    assert_clean(response)


def test_a_streamed_body_without_length_is_counted(client):
    def chunks():
        for _ in range(64):
            yield b" " * 1024

    response = client.post(
        "/api/ask", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers  # sent chunked
    assert response.status_code == 413
    assert_clean(response)


def test_a_body_under_the_limit_is_read(client):
    body = json.dumps({"q": ""}).encode().ljust(MAX_BODY - 10, b" ")
    response = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422  # parsed and validated: the question is empty
    assert response.json()["detail"][0]["parameter"] == "q"


def post_through_asgi(app, headers: list[tuple[bytes, bytes]], receive) -> list[dict]:
    """POST /api/ask straight through ASGI with `receive` as the body; the messages sent."""
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/ask",
        "raw_path": b"/api/ask",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    return sent


def test_an_endless_body_is_not_read_past_the_limit(app):
    """Straight through ASGI: the body never ends, and the app stops asking for more."""
    calls = 0

    async def receive():
        nonlocal calls
        calls += 1
        return {"type": "http.request", "body": b" " * 1024, "more_body": True}

    sent = post_through_asgi(app, [(b"content-type", b"application/json")], receive)
    assert sent[0]["status"] == 413
    assert calls <= MAX_BODY // 1024 + 1


def test_a_declared_length_over_the_limit_is_refused_before_reading(app):
    received = False

    async def receive():
        nonlocal received
        received = True
        return {"type": "http.request", "body": b"{}", "more_body": False}

    sent = post_through_asgi(app, [(b"content-length", b"999999999")], receive)
    assert sent[0]["status"] == 413 and not received


# --- errors show no internals ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "detail"),
    [
        # an internal error is a plain 500
        (RuntimeError(f"index broken at {ROOT}/index/bm25.py"), 500, "internal error"),
        # a library's ValueError naming files is not echoed
        (ValueError(f"Failed to open file '{ROOT}/namnd-data/bm25/meta.json'"), 422,
         "invalid request"),
    ],
)
def test_errors_name_no_paths(app, client, monkeypatch, error, status, detail):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(app.state.service.searcher, "find", broken)
    response = client.get("/api/search", params={"q": "vräkning"})
    assert response.status_code == status
    assert response.json() == {"detail": detail}
    assert_clean(response)


def test_our_own_value_errors_still_say_what_is_wrong(client):
    response = client.get("/api/search", params={"q": "vräkning", "roll": "kung"})
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["parameter"] == "roll" and "unknown roll 'kung'" in problem["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing-here",
        "/api/documents/abc",
        "/api/documents/999999",
        "/api/arenden/0",
        "/api/arenden/abc",
        "/api/paragrafer/999999999",
        "/api/paragrafer/x/liknande",
        "/api/chunks/-1/liknande",
    ],
)
def test_not_found_and_invalid_ids_are_clean(client, path):
    response = client.get(path)
    assert response.status_code in (404, 422, 503), (path, response.status_code)
    assert_clean(response)


# --- no path reaches a file ---------------------------------------------------------------------


# --- CORS and writes ----------------------------------------------------------------------------


def test_cors_headers_are_absent_by_default(client):
    origin = {"origin": "https://elsewhere.example"}
    response = client.get("/api/search", params={"q": "vräkning"}, headers=origin)
    assert response.status_code == 200
    assert not any(h.startswith("access-control-") for h in response.headers)
    preflight = client.options(
        "/api/search", headers={**origin, "access-control-request-method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_only_the_configured_origins(ingested):
    app = create_app(ingested.path, cors_origins=["https://kommun.example"])
    with TestClient(app) as client:
        allowed = client.get(
            "/api/search", params={"q": "vräkning"}, headers={"origin": "https://kommun.example"}
        )
        other = client.get(
            "/api/search", params={"q": "vräkning"}, headers={"origin": "https://x.example"}
        )
    assert allowed.headers["access-control-allow-origin"] == "https://kommun.example"
    assert "access-control-allow-origin" not in other.headers


def test_the_api_has_no_write_endpoints(app):
    """Read-only: ingest is done with the CLI on the server. POST /api/ask only asks."""
    writes = {
        (route.path, method)
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
        if method not in ("GET", "HEAD")
    }
    assert writes == {("/api/ask", "POST")}
