"""The CLI prints what the API serves: `namnd search/ask/documents --json` and `namnd get` give
the same bodies as the HTTP routes, and both take the same declared filters."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from index.filters import FILTER_SPECS


@pytest.fixture(scope="module")
def client(embedded):
    with TestClient(create_app(embedded.path)) as http:
        yield http


def _cli(capsys, embedded, *args: str) -> dict:
    assert main([*args, "--data-dir", str(embedded.path)]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("args", "params"),
    [
        (["vräkning"], {}),
        (
            ["beslut", "--kommun", "Eskilstuna", "--mode", "bm25"],
            {"kommun": "Eskilstuna", "mode": "bm25"},
        ),
        (
            ["reservation", "--roll", "reservation", "--from", "2023-01-01"],
            {"roll": "reservation", "from": "2023-01-01"},
        ),
    ],
)
def test_search_json_is_the_api_body(client, embedded, capsys, args, params):
    cli = _cli(capsys, embedded, "search", *args, "--json")
    api = client.get("/api/search", params={"q": args[0], **params}).json()
    assert "facets" in cli
    assert cli == api


def test_ask_json_is_the_api_body_with_every_filter(client, embedded, capsys):
    question = "Vem var ordförande?"
    cli = _cli(capsys, embedded, "ask", question, "--kommun", "Eskilstuna", "--json")
    assert cli == client.get("/api/ask", params={"q": question, "kommun": "Eskilstuna"}).json()
    posted = client.post("/api/ask", json={"q": question, "kommun": "Eskilstuna"}).json()
    assert posted == cli


def test_ask_takes_every_declared_filter(client):
    for spec in FILTER_SPECS:
        value = "2023-01-01" if spec.kind == "date" else "reservation"
        got = client.get("/api/ask", params={"q": "Vad beslutades?", spec.param: value})
        assert got.status_code == 200, (spec.param, got.text)


def test_documents_json_and_get_are_the_api_body(client, embedded, capsys):
    api = client.get("/api/documents").json()
    assert _cli(capsys, embedded, "documents", "--json") == api
    assert _cli(capsys, embedded, "get", "/api/documents") == api
    search = client.get("/api/search", params={"q": "vräkning", "mode": "bm25"}).json()
    assert _cli(capsys, embedded, "get", "/api/search?q=vr%C3%A4kning&mode=bm25") == search


def test_get_reports_an_error_status(embedded, capsys):
    assert main(["get", "/api/documents/999999", "--data-dir", str(embedded.path)]) == 1
    assert "no document 999999" in capsys.readouterr().out
