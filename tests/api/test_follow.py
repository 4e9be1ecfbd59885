"""Following a kommun through the real CLI and API (real SQLite, tantivy, HTTP via FastAPI's
TestClient; BM25 only, so no embedding is needed): saved searches that report only new §,
across runs and an export/restore; Atom feeds that parse as Atom and whose links open; CSV
of a result list; coverage with a gap made by leaving a meeting out; citations and
permalinks; notes when a filter lies outside the collection; the original file."""

from __future__ import annotations

import csv
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from support.paths import SEEDS

from api.app import create_app
from api.cli import main

ATOM = "{http://www.w3.org/2005/Atom}"
CSV_HEADER = "kommun,namnd,datum,paragraf,dnr,rubrik,dokumenttyp,permalink,snippet"
# Byggnadsnämnden in Torsby meets monthly; § are numbered through the year, three a meeting.
MEETINGS = ["2024-01-16", "2024-02-13", "2024-03-12", "2024-04-16", "2024-05-14"]
PER_MEETING = 3


def run(capsys, *argv: str) -> str:
    code = main(list(argv))
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def run_json(capsys, *argv: str):
    return json.loads(run(capsys, *argv, "--json"))


def protokoll(datum: str, first: int) -> str:
    lines = [
        f"## Protokoll fört vid byggnadsnämndens sammanträde {datum}",
        "",
        "**Plats och tid** Stadshuset klockan 08:30–12:00",
        "",
        "Ledamöter\tAnna Berg (S) ordförande, Olle Ek (M)",
        "",
    ]
    for number in range(first, first + PER_MEETING):
        lines += [
            f"§ {number}",
            "",
            f"BN/2024:{100 + number}",
            "",
            f"## Bygglov för fastigheten Tallen {number}:1",
            "",
            "### Beslut",
            "",
            f"Byggnadsnämnden beviljar bygglov för tillbyggnad på Tallen {number}:1.",
            "",
        ]
    return "\n".join(lines)


def write_meetings(folder: Path, dates: list[str]) -> Path:
    """One protokoll file per meeting date (numbered as if every meeting in MEETINGS took
    place) and a manifest naming kommun, organ and the publisher's URL."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["file,kommun,namnd,datum,source_url"]
    for index, datum in enumerate(MEETINGS):
        if datum not in dates:
            continue
        name = f"bn_{datum}.txt"
        (folder / name).write_text(protokoll(datum, 1 + index * PER_MEETING), encoding="utf-8")
        rows.append(f"{name},Torsby,Byggnadsnämnden,,https://www.torsby.se/bn/{datum}.pdf")
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return manifest


def ingest(capsys, data: Path, *paths: Path, manifest: Path | None = None) -> None:
    extra = ["--manifest", str(manifest)] if manifest else []
    run(
        capsys, "ingest", *map(str, paths), *extra, "--no-embed", "--quiet", "--data-dir", str(data)
    )


@pytest.fixture(scope="module")
def client(ingested):
    with TestClient(create_app(ingested.path)) as opened:
        yield opened


# --- saved searches ---------------------------------------------------------------------------


def test_watch_reports_a_new_document_once_and_survives_export(tmp_path, capsys):
    data = str(tmp_path / "data")
    assert main(["watch", "add", "vräkning", "--data-dir", data]) == 2  # nothing ingested
    assert not Path(data).exists()
    katrineholm = next(p for p in SEEDS if p.name.startswith("001_"))
    ingest(capsys, Path(data), *[p for p in SEEDS if p != katrineholm])
    run(capsys, "watch", "add", "vräkning", "--mode", "bm25", "--data-dir", data)
    run(capsys, "watch", "add", "vräkning", "--kommun", "Stockholm", "--data-dir", data)
    watches = run_json(capsys, "watch", "list", "--data-dir", data)
    assert [(w["query"], w["filters"]) for w in watches] == [
        ("vräkning", {}),
        ("vräkning", {"kommun": "Stockholm"}),
    ]
    run(capsys, "watch", "remove", str(watches[1]["id"]), "--data-dir", data)
    assert main(["watch", "remove", str(watches[1]["id"]), "--data-dir", data]) == 2

    first = run_json(capsys, "watch", "run", "--data-dir", data)
    assert len(first) == 1 and first[0]["previous_run_at"] is None
    assert run_json(capsys, "watch", "run", "--data-dir", data)[0]["new"] == []

    ingest(capsys, Path(data), katrineholm)
    report = run_json(capsys, "watch", "run", "--data-dir", data)[0]
    documents = run_json(capsys, "documents", "--data-dir", data)["documents"]
    new_id = next(d["id"] for d in documents if d["filename"] == katrineholm.name)
    assert report["new"], "the new document matches vräkning"
    for hit in report["new"]:
        assert hit["document_id"] == new_id
        assert hit["kommun"] == "Katrineholm"
        for field in ("paragraf", "rubrik", "datum", "snippet", "kallhanvisning", "permalink"):
            assert field in hit
    assert len({hit["nyckel"] for hit in report["new"]}) == len(report["new"])  # one per §
    assert run_json(capsys, "watch", "run", "--data-dir", data)[0]["new"] == []
    text = run(capsys, "watch", "run", "--data-dir", data)
    assert "0 new" in text

    backup = tmp_path / "backup.jsonl"
    run(capsys, "export", str(backup), "--data-dir", data)
    restored = str(tmp_path / "restored")
    run(capsys, "ingest", str(backup), "--no-embed", "--quiet", "--data-dir", restored)
    again = run_json(capsys, "watch", "list", "--data-dir", restored)
    assert [(w["id"], w["query"], w["seen"]) for w in again] == [
        (watches[0]["id"], "vräkning", report["hits"])
    ]
    assert run_json(capsys, "watch", "run", "--data-dir", restored)[0]["new"] == []


# --- feeds --------------------------------------------------------------------------------------


def parse_feed(response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):  # required by RFC 4287
        assert (root.findtext(f"{ATOM}{name}") or "").strip(), name
    assert root.findtext(f"{ATOM}author/{ATOM}name")
    rels = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert "self" in rels and "alternate" in rels
    ids = []
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "summary"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
        ids.append(entry.findtext(f"{ATOM}id"))
    assert len(ids) == len(set(ids)), "entry ids are unique"
    return root


def opens(client, href: str) -> dict:
    """An entry's link opens the UI at a § or part that exists: returns that unit."""
    url = urlsplit(href)
    assert client.get(url.path).status_code == 200  # the UI page
    place = {k: v[0] for k, v in parse_qs(url.query).items()}
    document = client.get(f"/api/documents/{place['doc']}").json()
    if "paragraf" in place:
        return next(p for p in document["paragrafer"] if p["paragraf"] == place["paragraf"])
    return next(p for p in document["parts"] if str(p["id"]) == place["del"])


def test_search_feed_is_atom_newest_first_with_stable_ids(client, ingested):
    params = {"q": "socialnämnden beslut", "mode": "bm25", "limit": 30}
    root = parse_feed(client.get("/feed.atom", params=params))
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) > 5
    published = [e.findtext(f"{ATOM}published") for e in entries]
    dated = [p for p in published if p]
    assert dated == sorted(dated, reverse=True), "newest meeting date first"
    for entry in entries:
        title = entry.findtext(f"{ATOM}title")
        unit = opens(client, entry.find(f"{ATOM}link[@rel='alternate']").get("href"))
        if "paragraf" in unit:
            assert f" · § {unit['paragraf']} " in title
            assert title.endswith(unit["rubrik"] or "")
        assert title.count(" · ") >= 3  # kommun · nämnd · datum · rubrik
    # The same feed from a restarted server has the same ids.
    with TestClient(create_app(ingested.path)) as restarted:
        again = parse_feed(restarted.get("/feed.atom", params=params))
    assert [e.findtext(f"{ATOM}id") for e in again.findall(f"{ATOM}entry")] == [
        e.findtext(f"{ATOM}id") for e in entries
    ]
    assert again.findtext(f"{ATOM}id") == root.findtext(f"{ATOM}id")


def test_arende_feed_lists_its_members(client):
    listing = client.get("/api/arenden", params={"limit": 100}).json()["arenden"]
    arende = max(listing, key=lambda a: a["antal"])
    assert arende["antal"] > 1
    root = parse_feed(client.get("/feed.atom", params={"arende": arende["id"]}))
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == arende["antal"]
    members = client.get(f"/api/arenden/{arende['id']}").json()["tidslinje"]
    links = {e.find(f"{ATOM}link[@rel='alternate']").get("href") for e in entries}
    assert {urlsplit(link).query for link in links} == {
        urlsplit(m["permalink"]).query for m in members
    }
    assert client.get("/feed.atom", params={"arende": 10**9}).status_code == 404
    both = client.get("/feed.atom", params={"arende": arende["id"], "q": "x"})
    assert both.status_code == 422
    assert client.get("/feed.atom").status_code == 422


# --- CSV, citations, permalinks, notes ----------------------------------------------------------


def test_search_csv_has_the_header_and_one_row_per_result(client):
    params = {"q": "vräkning", "mode": "bm25", "limit": 10}
    response = client.get("/api/search.csv", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == CSV_HEADER
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(r["kommun"] and r["permalink"].startswith("http") for r in rows)
    assert any("vräkning" in r["snippet"].lower() for r in rows)
    assert client.get("/api/search.csv", params={"q": " "}).status_code == 422


def test_citations_name_kommun_organ_date_paragraf_and_dnr(client):
    document = next(
        d
        for d in client.get("/api/documents").json()["documents"]
        if d["kommun"] == "Eskilstuna" and d["dokumenttyp"] == "protokoll"
    )
    paragraf = next(p for p in document["paragrafer"] if p["dnr"])
    unit = client.get(f"/api/paragrafer/{paragraf['id']}").json()
    citation = unit["kallhanvisning"]
    for piece in (
        unit["namnd"],
        "Eskilstuna kommun",
        f"protokoll {unit['datum']}",
        f"§ {unit['paragraf']}",
        f"dnr {unit['dnr'][0]}",
    ):
        assert piece in citation, (piece, citation)
    assert paragraf["kallhanvisning"] == citation  # the document's § list says the same
    assert unit["permalink"] == f"/?doc={document['id']}&paragraf={unit['paragraf']}"

    results = client.get("/api/search", params={"q": paragraf["rubrik"], "mode": "bm25"}).json()
    for result in results["results"]:
        assert result["permalink"].startswith(f"/?doc={result['document_id']}&")
        assert result["kallhanvisning"].startswith(result["namnd"])
        assert result["dokument"]["titel"] and result["dokument"]["dokumenttyp"]


def test_filters_outside_the_collection_are_named(client):
    inside = client.get("/api/search", params={"q": "vräkning", "mode": "bm25"}).json()
    assert not any("Samlingen" in n for n in inside["notes"])
    outside = client.get(
        "/api/search", params={"q": "vräkning", "mode": "bm25", "kommun": "Torsby"}
    ).json()
    assert any("Torsby" in n and "Eskilstuna" in n for n in outside["notes"])
    years = client.get(
        "/api/search",
        params={
            "q": "vräkning",
            "mode": "bm25",
            "kommun": "Stockholm",
            "from": "2019-01-01",
            "to": "2019-12-31",
        },
    ).json()
    assert any("Stockholm" in n and "2022" in n for n in years["notes"])


# --- coverage -------------------------------------------------------------------------------------


def organ(report: dict, kommun: str, namnd: str) -> dict:
    found = next(k for k in report["kommuner"] if k["kommun"] == kommun)
    return next(o for o in found["organ"] if o["namnd"] == namnd)


def test_coverage_shows_the_gap_left_by_a_missing_meeting(tmp_path, capsys):
    complete, gappy = tmp_path / "complete", tmp_path / "gappy"
    manifest = write_meetings(tmp_path / "all", MEETINGS)
    ingest(capsys, complete, tmp_path / "all", manifest=manifest)
    whole = organ(
        run_json(capsys, "coverage", "--data-dir", str(complete)), "Torsby", "Byggnadsnämnden"
    )
    assert [m["datum"] for m in whole["moten"]] == MEETINGS
    assert whole["moten"][0]["paragrafer"] == "1–3"
    assert whole["saknade_paragrafer"] == [] and whole["manader_utan_mote"] == []

    removed = MEETINGS[2]  # March: § 7–9
    manifest = write_meetings(tmp_path / "some", [d for d in MEETINGS if d != removed])
    ingest(capsys, gappy, tmp_path / "some", manifest=manifest)
    with TestClient(create_app(gappy)) as client:
        report = client.get("/api/coverage").json()
    lacking = organ(report, "Torsby", "Byggnadsnämnden")
    assert removed not in [m["datum"] for m in lacking["moten"]]
    assert lacking["saknade_paragrafer"] == [
        {"ar": 2024, "numrering": "per år", "saknas": ["7–9"], "antal": 3}
    ]
    assert lacking["manader_utan_mote"] == ["2024-03"]
    text = run(capsys, "coverage", "--data-dir", str(gappy))
    assert "7–9" in text and "2024-03" in text


# --- the original file ---------------------------------------------------------------------------


def test_original_is_the_recorded_file_and_refused_when_changed_or_gone(tmp_path, capsys):
    folder = tmp_path / "files"
    manifest = write_meetings(folder, MEETINGS[:2])
    data = tmp_path / "data"
    ingest(capsys, data, folder, manifest=manifest)
    first = folder / f"bn_{MEETINGS[0]}.txt"
    with TestClient(create_app(data)) as client:
        documents = {d["filename"]: d for d in client.get("/api/documents").json()["documents"]}
        doc = documents[first.name]
        assert doc["source_url"] == f"https://www.torsby.se/bn/{MEETINGS[0]}.pdf"
        response = client.get(f"/api/documents/{doc['id']}/original")
        assert response.status_code == 200
        assert response.content == first.read_bytes()
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in response.headers["content-security-policy"]
        first.write_text(first.read_text(encoding="utf-8") + "\nÄndrad.\n", encoding="utf-8")
        assert client.get(f"/api/documents/{doc['id']}/original").status_code == 409
        first.unlink()
        gone = client.get(f"/api/documents/{doc['id']}/original")
        assert gone.status_code == 404 and str(tmp_path) not in gone.text
        assert client.get("/api/documents/999999/original").status_code == 404
        assert client.post(f"/api/documents/{doc['id']}/original").status_code == 405


def test_a_pdf_result_links_the_original_at_its_page(tmp_path, capsys):
    from support.docgen import write_pdf

    folder = tmp_path / "pdf"
    folder.mkdir()
    text = "\n\n".join(protokoll(MEETINGS[0], 1 + k * PER_MEETING) for k in range(4))
    pdf = write_pdf(text, folder / "bn.pdf")
    data = tmp_path / "data"
    ingest(capsys, data, pdf)
    with TestClient(create_app(data)) as client:
        results = client.get(
            "/api/search", params={"q": "Tallen 12:1", "mode": "bm25", "limit": 5}
        ).json()["results"]
        paged = [r for r in results if r["page"]]
        assert paged, results
        for result in paged:
            assert result["original_url"].endswith(f"/original#page={result['page']}")
        original = client.get(paged[0]["original_url"].split("#")[0])
        assert original.status_code == 200
        assert original.headers["content-type"] == "application/pdf"
        assert original.content == pdf.read_bytes()
    shutil.rmtree(data)


def test_feed_csv_and_original_are_masked(tmp_path, capsys):
    folder = tmp_path / "pnr"
    folder.mkdir()
    number = "19121212-1212"  # Skatteverket's test personnummer (valid check digit)
    text = protokoll(MEETINGS[0], 1).replace(
        "beviljar bygglov för tillbyggnad på Tallen 1:1",
        f"beviljar bygglov för tillbyggnad på Tallen 1:1 åt sökanden {number}",
    )
    assert number in text
    (folder / "bn.txt").write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    ingest(capsys, data, folder)
    params = {"q": "sökanden Tallen", "mode": "bm25"}
    with TestClient(create_app(data)) as masked, TestClient(create_app(data, mask=False)) as raw:
        assert number in raw.get("/api/search.csv", params=params).text
        assert number in raw.get("/feed.atom", params=params).text
        for path in ("/api/search.csv", "/feed.atom"):
            shown = masked.get(path, params=params)
            assert shown.status_code == 200
            assert number not in shown.text and "XXXXXXXX-XXXX" in shown.text
        assert masked.get("/api/documents/1/original").status_code == 403
        assert raw.get("/api/documents/1/original").status_code == 200


def test_a_citation_names_a_part_by_its_title_and_a_kommun_by_its_name():
    from search.citation import kallhanvisning

    assert (
        kallhanvisning(
            namnd="Kommunstyrelsen",
            kommun="Karlstad",
            dokumenttyp="tjänsteskrivelse",
            datum="2024-02-01",
            paragraf=None,
            dnr=["KS 2024/12"],
            titel="Budget 2025",
        )
        == "Kommunstyrelsen, Karlstad kommun, tjänsteskrivelse 2024-02-01, ”Budget 2025”, "
        "dnr KS 2024/12"
    )
    assert kallhanvisning(
        namnd="Socialnämnden",
        kommun="Stockholms stad",
        dokumenttyp="protokoll",
        datum=None,
        paragraf="4",
    ) == ("Socialnämnden, Stockholms stad, protokoll, § 4")
