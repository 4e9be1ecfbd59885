"""The HTTP API over real data directories built from corpus/: FastAPI's TestClient on the
real app, and a real uvicorn server for raw request paths (an HTTP client would normalize
`../` away before sending)."""

from __future__ import annotations

import http.client
import itertools
import json
import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from support.live_server import serve
from support.paths import ROOT

from api.app import create_app
from api.params import MAX_LIMIT, MAX_QUERY

RESULT_FIELDS = {
    "chunk_id",
    "document_id",
    "text",
    "snippet",
    "highlights",
    "kommun",
    "namnd",
    "datum",
    "paragraf",
    "dnr",
    "rubrik",
    "sektion",
    "dokumenttyp",
    "source",
    "page",
    "scores",
    "other_places",
    "other_places_total",
    "start",
    "end",
}
NOT_FOUND = "Jag hittar inget svar på det i handlingarna."
ANSWERABLE = "Hur många ansökningar om vräkning fick Kronofogden i Katrineholm 2022?"
UNANSWERABLE = "Vad kostar den nya simhallen i Göteborg?"


@pytest.fixture(scope="module")
def client(embedded):
    with TestClient(create_app(embedded.path)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def plain(ingested):
    """The app over the corpus without embeddings (enough for documents and errors)."""
    with TestClient(create_app(ingested.path)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def live(ingested):
    with serve(ingested.path) as base_url:
        yield base_url


def search(client, **params):
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def document_text(client, document_id: int) -> str:
    response = client.get(f"/api/documents/{document_id}")
    assert response.status_code == 200
    return response.json()["text"]


def assert_clean_error(response) -> None:
    """No stack trace, no file system path, no source in an error body."""
    body = response.text
    for leak in ("Traceback", 'File "', str(ROOT), "/usr/", "site-packages", ".py"):
        assert leak not in body, (leak, body)


# --- search --------------------------------------------------------------------------------


def test_search_results_have_every_field_and_match_their_documents(client):
    body = search(client, q="vräkning av barnfamiljer", limit=10)
    assert body["query"] == "vräkning av barnfamiljer"
    assert body["total"] >= len(body["results"]) > 0
    texts = {}
    for result in body["results"]:
        assert result.keys() >= RESULT_FIELDS
        scores = result["scores"]
        assert {"bm25", "dense", "fused"} <= scores.keys()
        assert isinstance(scores["fused"], float)
        # The chunk text is the document text at the chunk's offsets.
        doc_id = result["document_id"]
        texts.setdefault(doc_id, document_text(client, doc_id))
        assert texts[doc_id][result["start"] : result["end"]] == result["text"]
        # Highlights are offsets into the snippet, in order, without overlaps.
        snippet, previous_end = result["snippet"], 0
        for start, end in result["highlights"]:
            assert previous_end <= start < end <= len(snippet)
            previous_end = end
    top = body["results"][0]
    assert top["kommun"] == "Katrineholm"
    assert top["dnr"] == "SOCN/2023:52"
    assert top["scores"]["bm25"] is not None and top["scores"]["dense"] is not None
    marked = [top["snippet"][s:e].lower() for s, e in top["highlights"]]
    assert any(word.startswith("vräkning") for word in marked), marked
    assert any("barnfamilj" in word for word in marked), marked
    assert body["notes"] == [] and body["not_embedded"] == 0


def test_facets_count_kommun_namnd_year_and_dokumenttyp(client):
    facets = search(client, q="socialnämnden beslut")["facets"]
    assert {"kommun", "namnd", "ar", "dokumenttyp"} <= set(facets)
    for name in ("kommun", "namnd", "ar", "dokumenttyp"):
        values = facets[name]
        counts = [v["count"] for v in values]
        assert counts and all(isinstance(c, int) and c > 0 for c in counts)
        assert counts == sorted(counts, reverse=True)
    assert {v["value"] for v in facets["kommun"]} == {"Eskilstuna", "Katrineholm", "Stockholm"}
    assert {v["value"] for v in facets["namnd"]} == {"Socialnämnden"}
    assert {v["value"] for v in facets["ar"]} == {"2022", "2023", "2024"}
    assert {"protokoll", "rapport"} <= {v["value"] for v in facets["dokumenttyp"]}


def facet_filter(name: str, value: str) -> dict[str, str]:
    """The search parameters that choosing a facet value adds (a year is a date range)."""
    if name == "ar":
        return {"from": f"{value}-01-01", "to": f"{value}-12-31"}
    return {{"referenser": "ref"}.get(name, name): value}


@pytest.mark.parametrize(
    ("q", "chosen"),
    [
        ("budget", {}),
        ("socialnämnden beslut", {"kommun": "Eskilstuna"}),
        ("vistelseförbud reservation", {}),
        ("ekonomiskt bistånd", {"from": "2023-01-01", "to": "2023-12-31"}),
        ("granskning", {"dokumenttyp": "revisionsrapport"}),
        ("yrkande", {"roll": "yrkande"}),
        ("ärenden", {"kommun": "Stockholm", "parti": "S"}),
    ],
)
def test_every_facet_count_is_the_total_of_the_search_with_that_filter(client, q, chosen):
    body = search(client, q=q, **chosen)
    checked = 0
    for name, values in body["facets"].items():
        for item in values:
            params = {**chosen, **facet_filter(name, item["value"])}
            assert search(client, q=q, limit=1, **params)["total"] == item["count"], (
                name, item, chosen,
            )
            checked += 1
    assert checked >= 3, body["facets"]
    # The chosen filters' own values are among their facet's, with the total as count.
    for name, value in chosen.items():
        facet = {"from": "ar", "to": "ar", "ref": "referenser"}.get(name, name)
        shown = {v["value"]: v["count"] for v in body["facets"][facet]}
        assert shown.get(value[:4] if facet == "ar" else value) == body["total"], (name, shown)


def test_total_counts_every_result_and_offset_pages_through_them_without_repeats(client):
    first = search(client, q="budget", limit=3)
    total = first["total"]
    assert total > 3
    seen: list[tuple] = []
    for offset in range(0, total, 3):
        page = search(client, q="budget", limit=3, offset=offset)
        assert page["total"] == total and page["offset"] == offset
        seen += [(r["document_id"], r["paragraph_id"], r["part_id"]) for r in page["results"]]
    assert len(seen) == total and len(set(seen)) == total
    assert search(client, q="budget", limit=3, offset=total)["results"] == []


@pytest.mark.parametrize("q", ["xyzzyqwerty", "asdfghjkl qwertz", "kanelbullar recept"])
def test_nonsense_finds_nothing(client, q):
    body = search(client, q=q)
    assert body["total"] == 0 and body["results"] == []
    assert all(values == [] for values in body["facets"].values())


def test_sort_by_date(client):
    newest = search(client, q="budget", sort="nyast", limit=50)["results"]
    oldest = search(client, q="budget", sort="aldst", limit=50)["results"]
    dates = [r["datum"] for r in newest]
    assert dates == sorted(dates, reverse=True) and len(set(dates)) > 1
    assert [r["datum"] for r in oldest] == sorted(dates)
    assert client.get("/api/search", params={"q": "budget", "sort": "x"}).status_code == 422


def test_accent_free_query_and_spelling_suggestion(client):
    plain = search(client, q="vrakning", mode="bm25")  # the two spellings embed apart
    accented = search(client, q="vräkning", mode="bm25")
    assert plain["total"] == accented["total"] > 0
    misspelled = search(client, q="vräknig")
    assert misspelled["total"] == 0 and "vräkning" in misspelled["suggestions"]
    assert search(client, q=misspelled["suggestions"][0])["total"] > 0


def test_kommun_filter(client):
    everything = search(client, q="budget", limit=30)["results"]
    assert len({r["kommun"] for r in everything}) > 1
    stockholm = search(client, q="budget", kommun="Stockholm", limit=30)["results"]
    assert stockholm and {r["kommun"] for r in stockholm} == {"Stockholm"}


def test_dokumenttyp_filter(client):
    everything = search(client, q="beslut", limit=30)["results"]
    assert len({r["dokumenttyp"] for r in everything}) > 1
    protokoll = search(client, q="beslut", dokumenttyp="protokoll", limit=30)["results"]
    assert protokoll and {r["dokumenttyp"] for r in protokoll} == {"protokoll"}


def test_date_filters(client):
    everything = search(client, q="månadsrapport", limit=30)["results"]
    assert len({r["datum"][:4] for r in everything}) > 1
    year = search(client, q="månadsrapport", limit=30, **{"from": "2022-01-01", "to": "2022-12-31"})
    assert year["results"] and all(
        "2022-01-01" <= r["datum"] <= "2022-12-31" for r in year["results"]
    )
    later = search(client, q="månadsrapport", limit=30, **{"from": "2024-01-01"})["results"]
    assert later and all(r["datum"] >= "2024-01-01" for r in later)
    earlier = search(client, q="månadsrapport", limit=30, to="2022-12-31")["results"]
    assert earlier and all(r["datum"] <= "2022-12-31" for r in earlier)


def test_filters_combine(client):
    # Stockholm's protokoll is from 2022: Stockholm in 2023 has nothing.
    body = search(client, q="budget", kommun="Stockholm", **{"from": "2023-01-01"})
    assert body["total"] == 0 and body["results"] == []


def test_exact_dnr_lookup_comes_first(client):
    results = search(client, q="SOCN/2023:82")["results"]
    assert results[0]["paragraf"] == "75"
    assert results[0]["dnr"] == "SOCN/2023:82"
    assert results[0]["scores"]["exact"] is True


def test_search_without_embeddings_says_so(plain):
    body = search(plain, q="vräkning")
    assert body["results"]
    assert body["not_embedded"] > 0 and body["notes"]


# --- ask -----------------------------------------------------------------------------------


def assert_quotes_are_in_documents(client, answer: dict) -> None:
    for citation in answer["citations"]:
        text = document_text(client, citation["document_id"])
        assert text[citation["start"] : citation["end"]] == citation["quote"]
        assert citation["chunk_start"] <= citation["start"] < citation["end"]
        assert citation["end"] <= citation["chunk_end"]
        assert f"[{citation['n']}]" in answer["answer"]


def test_ask_get_answers_with_citations(client):
    response = client.get("/api/ask", params={"q": ANSWERABLE})
    assert response.status_code == 200
    answer = response.json()
    assert {"question", "answer", "abstained", "citations"} <= answer.keys()
    assert answer["question"] == ANSWERABLE
    assert answer["abstained"] is False
    assert "41" in answer["answer"]
    assert answer["citations"] and answer["citations"][0]["n"] == 1
    assert answer["citations"][0]["kommun"] == "Katrineholm"
    assert_quotes_are_in_documents(client, answer)


def test_ask_post_gives_the_same_answer(client):
    got = client.get("/api/ask", params={"q": ANSWERABLE}).json()
    response = client.post("/api/ask", json={"q": ANSWERABLE})
    assert response.status_code == 200
    posted = response.json()
    assert posted["answer"] == got["answer"]
    assert posted["citations"] == got["citations"]


def test_ask_post_with_filters(client):
    for kommun, dates in (
        ("Stockholm", {"to": "2022-12-31"}),
        ("Eskilstuna", {"from": "2023-01-01"}),
    ):
        response = client.post(
            "/api/ask", json={"q": "Vem är ordförande?", "kommun": kommun, **dates}
        )
        assert response.status_code == 200
        answer = response.json()
        assert not answer["abstained"] and answer["citations"]
        assert {c["kommun"] for c in answer["citations"]} == {kommun}
        assert_quotes_are_in_documents(client, answer)


def test_unanswerable_question_abstains(client):
    for answer in (
        client.get("/api/ask", params={"q": UNANSWERABLE}).json(),
        client.post("/api/ask", json={"q": UNANSWERABLE}).json(),
    ):
        assert answer["abstained"] is True
        assert answer["answer"].startswith(NOT_FOUND)
        assert answer["citations"] == []


# --- documents and health --------------------------------------------------------------------


def test_documents_list(plain):
    body = plain.get("/api/documents").json()
    assert body["total"] == len(body["documents"]) == 5
    names = {d["filename"] for d in body["documents"]}
    assert names == {p.name for p in sorted((ROOT / "corpus").glob("*.txt"))}
    for doc in body["documents"]:
        assert {"id", "kommun", "namnd", "datum", "dokumenttyp", "title", "parts"} <= doc.keys()
        assert "text" not in doc  # the list is light; the text comes with one document
    protokoll = next(d for d in body["documents"] if d["filename"].startswith("000_"))
    assert [p["paragraf"] for p in protokoll["paragrafer"]] == [str(n) for n in range(70, 82)]


def test_one_document_with_text_and_offsets(client):
    listing = client.get("/api/documents").json()["documents"]
    doc_id = next(d["id"] for d in listing if d["filename"].startswith("000_"))
    doc = client.get(f"/api/documents/{doc_id}").json()
    text = doc["text"]
    assert {"page_starts", "chunks", "paragrafer", "parts", "narvarande"} <= doc.keys()
    assert "Göran Gredfors" in {p["name"] for p in doc["narvarande"]}
    chunks = doc["chunks"]
    assert chunks
    for chunk, following in itertools.pairwise(chunks):
        assert 0 <= chunk["start"] < chunk["end"] <= following["start"] <= len(text)
    for paragraph in doc["paragrafer"]:
        assert text[paragraph["start"] : paragraph["end"]].startswith(f"§ {paragraph['paragraf']}")
    # A chunk's text, as search returns it, is the document text at the chunk's offsets.
    hit = search(client, q="SOCN/2023:82")["results"][0]
    assert hit["document_id"] == doc_id
    chunk = next(c for c in chunks if c["id"] == hit["chunk_id"])
    assert text[chunk["start"] : chunk["end"]] == hit["text"]
    assert chunk["paragraf"] == "75"


def test_health(client):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["documents"] == 5
    assert body["chunks"] == body["embedded"] > 0
    assert body["not_embedded"] == 0


# --- bad requests ----------------------------------------------------------------------------

BAD_SEARCHES = [
    ({"q": ""}, "q"),
    ({"q": "   "}, "q"),
    ({"q": "x" * (MAX_QUERY + 1)}, "q"),
    ({"q": "vräkning", "limit": 0}, "limit"),
    ({"q": "vräkning", "limit": MAX_LIMIT + 1}, "limit"),
    ({"q": "vräkning", "limit": "tio"}, "limit"),
    ({"q": "vräkning", "from": "2023-13-01"}, "from"),
    ({"q": "vräkning", "from": "2023-02-30"}, "from"),
    ({"q": "vräkning", "to": "igår"}, "to"),
    ({"q": "vräkning", "to": "2023/01/01"}, "to"),
    ({"q": "vräkning", "from": "2024-01-01", "to": "2023-01-01"}, "from"),
    ({"q": "vräkning", "mode": "magic"}, "mode"),
    ({"q": "vräkning", "fusion": "average"}, "fusion"),
]


@pytest.mark.parametrize(("params", "parameter"), BAD_SEARCHES)
def test_bad_search_parameters_get_422(plain, params, parameter):
    response = plain.get("/api/search", params=params)
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert [p["parameter"] for p in problems] == [parameter]
    assert all(p["message"] for p in problems)
    assert_clean_error(response)


def test_missing_query_gets_422(plain):
    for path in ("/api/search", "/api/ask"):
        response = plain.get(path)
        assert response.status_code == 422
        assert response.json()["detail"][0]["parameter"] == "q"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [(p, name) for p, name in BAD_SEARCHES if name in ("q", "from", "to")],
)
def test_bad_ask_parameters_get_422(plain, params, parameter):
    response = plain.get("/api/ask", params=params)
    assert response.status_code == 422
    assert [p["parameter"] for p in response.json()["detail"]] == [parameter]
    posted = plain.post("/api/ask", json=params)
    assert posted.status_code == 422
    assert [p["parameter"] for p in posted.json()["detail"]] == [parameter]
    assert_clean_error(posted)


def test_ask_post_needs_a_json_object(plain):
    for content in (b"not json", b"[1, 2]", b'{"question": "x"}'):
        response = plain.post(
            "/api/ask", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        assert_clean_error(response)


@pytest.mark.parametrize("document_id", ["999999", "0", "-1", "99999999999999999999999"])
def test_unknown_document_is_404(plain, document_id):
    response = plain.get(f"/api/documents/{document_id}")
    assert response.status_code == 404
    assert_clean_error(response)


def test_non_integer_document_id_is_refused(plain):
    response = plain.get("/api/documents/abc")
    assert response.status_code == 422
    assert response.json()["detail"][0]["parameter"] == "document_id"


def raw_get(base_url: str, path: str) -> tuple[int, str]:
    """GET `path` exactly as written (no dot-segment normalization)."""
    netloc = urlsplit(base_url).netloc
    host, port = netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


APP_SOURCE_MARKERS = ("create_app", "def ", "import ")
PASSWD_MARKERS = ("root:", "/bin/")


@pytest.mark.parametrize(
    "path",
    [
        "/api/documents/../../etc/passwd",
        "/api/documents/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/documents/%2e%2e/%2e%2e/etc/passwd",
        "/static/../api/app.py",
        "/static/..%2Fapi%2Fapp.py",
        "/static/%2e%2e/api/app.py",
        "/static/%2e%2e%2f%2e%2e%2fapi%2fapp.py",
        "/static/....//api/app.py",
        "/static//work/main/api/app.py",
        "/static/../../../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/../../etc/passwd",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/static/%252e%252e/%252e%252e/etc/passwd",
        "/static/..\\..\\etc\\passwd",
        "/api/documents/..%2f..",
        "/api/documents/..%2f..%2f..%2fetc%2fpasswd",
        "/api/arenden/..%2f..%2fetc%2fpasswd",
        "/api/paragrafer/%2e%2e/%2e%2e/etc/passwd",
        "/api/chunks/..%2f..%2fetc%2fpasswd/liknande",
        "/api/documents/1%00.txt",
    ],
)
def test_no_path_reaches_files_outside_the_web_folder(live, path):
    status, body = raw_get(live, path)
    assert status in (400, 404, 422), (path, status)
    for marker in APP_SOURCE_MARKERS + PASSWD_MARKERS:
        assert marker not in body, (path, body[:200])


def test_static_files_are_served(live):
    # The counterpart of the test above: the web UI's own files do come back.
    status, body = raw_get(live, "/static/app.js")
    assert status == 200 and "import" in body
    status, body = raw_get(live, "/")
    assert status == 200 and "<title>Nämndsök</title>" in body


@pytest.mark.parametrize(
    "params",
    [
        {"q": "../../../../etc/passwd"},
        {"q": "/etc/passwd"},
        {"q": "file:///etc/passwd"},
        {"q": "vräkning", "kommun": "../../etc/passwd"},
        {"q": "vräkning", "namnd": "/etc/passwd"},
        {"q": "vräkning", "dokumenttyp": "..\\..\\api\\app.py"},
        {"q": "vräkning", "dnr": "../../api/app.py"},
    ],
)
def test_parameters_are_never_file_paths(plain, params):
    response = plain.get("/api/search", params=params)
    assert response.status_code == 200
    for marker in (*PASSWD_MARKERS, "create_app"):
        assert marker not in response.text
    if set(params) != {"q"}:
        assert response.json()["results"] == []  # a filter value matches no document


def test_error_bodies_are_json_without_internals(plain):
    responses = [
        plain.get("/api/search", params={"q": "x", "limit": 0}),
        plain.get("/api/documents/123456"),
        plain.get("/api/documents/99999999999999999999999"),
        plain.get("/api/nothing-here"),
        plain.post("/api/ask", content=b"{", headers={"content-type": "application/json"}),
    ]
    for response in responses:
        assert response.status_code >= 400
        assert response.headers["content-type"].startswith("application/json")
        json.loads(response.text)
        assert_clean_error(response)
        assert not re.search(r"line \d+", response.text)
