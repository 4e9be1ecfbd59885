"""Ingest end to end, through `ingest_paths` and the `namnd` command: idempotence, replacement,
bad files in a batch, duplicates across documents, manifests, and the CLI's output. Nothing
here embeds (`--no-embed`); every data directory is a real SQLite file plus tantivy index."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import docgen
from support.seeds import EXPECTED_000, seed_path

from api.cli import main
from index.datadir import DataDir
from index.filters import Filters
from ingest.manifest import Manifest
from ingest.pipeline import ingest_paths


def copy_seeds(directory: Path, *prefixes: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(seed_path(p), directory / seed_path(p).name)) for p in prefixes]


def chunk_ids(data: DataDir) -> set[int]:
    return {r[0] for r in data.store.query("SELECT id FROM chunks")}


def assert_bm25_agrees(data: DataDir) -> None:
    stored = chunk_ids(data)
    assert stored, "nothing stored"
    assert data.bm25.all_ids() == stored


def log_rows(data: DataDir) -> list[dict]:
    return [dict(r) for r in data.store.query("SELECT * FROM ingest_log ORDER BY id")]


@pytest.fixture
def data(tmp_path):
    directory = DataDir(tmp_path / "data")
    yield directory
    directory.close()


# --- idempotence and replacement -------------------------------------------------------------


def test_reingesting_the_same_files_changes_nothing(tmp_path, data):
    files = copy_seeds(tmp_path / "in", "000", "002", "004")
    first = ingest_paths(data, files, progress=False)
    assert [r.status for r in first.results] == ["ingested"] * 3
    ids = [r.document_id for r in first.results]
    chunks = chunk_ids(data)

    second = ingest_paths(data, files, progress=False)
    assert [r.status for r in second.results] == ["unchanged"] * 3
    assert [r.document_id for r in second.results] == ids
    assert chunk_ids(data) == chunks
    assert data.store.scalar("SELECT count(*) FROM documents") == 3
    assert_bm25_agrees(data)
    assert second.totals()["chunks"] == 0  # nothing new was stored
    assert [r["status"] for r in log_rows(data)] == ["ingested"] * 3 + ["unchanged"] * 3


def test_same_content_under_another_name_is_not_stored_twice(tmp_path, data):
    (original,) = copy_seeds(tmp_path / "a", "000")
    twin = tmp_path / "b" / "kopia.txt"
    twin.parent.mkdir()
    shutil.copy(original, twin)
    summary = ingest_paths(data, [original, twin], progress=False)
    assert [r.status for r in summary.results] == ["ingested", "unchanged"]
    assert summary.results[1].document_id == summary.results[0].document_id
    assert "same content as" in summary.results[1].reason


def test_changed_file_replaces_its_rows_in_store_and_bm25(tmp_path, data):
    (path,) = copy_seeds(tmp_path / "in", "000")
    path = path.rename(tmp_path / "in" / "protokoll.txt")
    first = ingest_paths(data, [path], progress=False)
    old_document = first.results[0].document_id
    old_chunks = chunk_ids(data)
    assert data.bm25.search("ajournering", 10, Filters())  # only in the old header

    text = path.read_text(encoding="utf-8")
    assert text.count("ajournering") == 1
    text = text.replace(" med ajournering kl. 10:00-10:05", "").replace(
        "1. Föredragningslistan godkänns.",
        "1. Föredragningslistan godkänns med tillägget om zebrafinkar.",
    )
    path.write_text(text, encoding="utf-8")
    second = ingest_paths(data, [path], progress=False)

    (result,) = second.results
    assert result.status == "replaced"
    assert data.store.scalar("SELECT count(*) FROM documents") == 1
    assert not data.store.query("SELECT id FROM documents WHERE id = ?", [old_document])
    new_chunks = chunk_ids(data)
    assert new_chunks and not (new_chunks & old_chunks)  # every old chunk is gone
    for table in ("parts", "paragraphs", "persons"):
        stale = data.store.scalar(
            f"SELECT count(*) FROM {table} WHERE document_id = ?", [old_document]
        )
        assert stale == 0, table
    assert_bm25_agrees(data)
    assert not data.bm25.search("ajournering", 10, Filters())
    hits = data.bm25.search("zebrafinkar", 10, Filters())
    assert hits and {i for i, _ in hits} <= new_chunks
    stored = [
        r["paragraf"]
        for r in data.store.query(
            "SELECT paragraf FROM paragraphs WHERE paragraf IS NOT NULL ORDER BY start"
        )
    ]
    assert stored == [p for p, _, _ in EXPECTED_000]


# --- a batch with bad files -------------------------------------------------------------------


def test_batch_with_bad_files(tmp_path, data):
    directory = tmp_path / "batch"
    good = copy_seeds(directory, "000", "004")
    (directory / "tom.txt").write_bytes(b"")
    docgen.write_binary_garbage(directory / "skräp.txt")
    docgen.write_truncated_pdf(directory / "avklippt.pdf")
    docgen.write_encrypted_pdf(directory / "låst.pdf")
    docgen.write_image_only_pdf(directory / "skannad.pdf")
    docgen.write_zip_bomb_docx(directory / "bomb.docx", uncompressed_mb=256)
    # Not UTF-8, and no reason to skip it: Windows-1252 is read as such.
    windows = docgen.write_cp1252_text(docgen.SAMPLE_TEXT, directory / "ansi.txt")

    summary = ingest_paths(data, [directory], progress=False)

    by_name = {Path(r.source).name: r for r in summary.results}
    assert len(by_name) == 9
    for path in [*good, windows]:
        assert by_name[path.name].status == "ingested", by_name[path.name].reason
    scanned = by_name["skannad.pdf"]  # read by OCR (tests/ingest/test_ocr.py)
    assert scanned.status == "ingested" and set(scanned.ocr_pages) == {1}
    expected = {
        "tom.txt": "empty file",
        "skräp.txt": "binary data, not a text file",
        "avklippt.pdf": "truncated PDF (no end-of-file marker)",
        "låst.pdf": "encrypted PDF (password required)",
    }
    for name, reason in expected.items():
        assert (by_name[name].status, by_name[name].reason) == ("skipped", reason)
    assert by_name["bomb.docx"].status == "skipped"
    assert by_name["bomb.docx"].reason.startswith("DOCX expands to")

    rows = log_rows(data)
    assert sorted(Path(r["source"]).name for r in rows) == sorted(by_name)
    for row in rows:
        result = by_name[Path(row["source"]).name]
        assert (row["status"], row["reason"]) == (result.status, result.reason)

    assert data.store.scalar("SELECT count(*) FROM documents") == 4  # two seeds, ansi, the scan
    assert_bm25_agrees(data)
    text = data.store.query("SELECT text FROM documents WHERE filename = 'ansi.txt'")[0]["text"]
    assert "Carina Åkesson (SD)" in text and "Föredragningslistan godkänns." in text


def test_a_missing_path_is_reported(tmp_path, data):
    summary = ingest_paths(data, [tmp_path / "finns-inte.txt"], progress=False)
    (result,) = summary.results
    assert result.status == "skipped"
    assert result.reason.startswith("cannot read file")


# --- duplicates across documents ------------------------------------------------------------


def paragraph_id(data: DataDir, filename_prefix: str, paragraf: str | None, dokumenttyp: str):
    rows = data.store.query(
        """SELECT p.id FROM paragraphs p JOIN documents d ON d.id = p.document_id
           JOIN parts a ON a.id = p.part_id
           WHERE d.filename LIKE ? AND p.paragraf IS ? AND a.dokumenttyp = ?""",
        [f"{filename_prefix}_%", paragraf, dokumenttyp],
    )
    assert len(rows) == 1, rows
    return rows[0]["id"]


def links(data: DataDir) -> set[tuple[int, int]]:
    return {
        (r["paragraph_id"], r["other_id"])
        for r in data.store.query("SELECT * FROM paragraph_links WHERE kind = 'dubblett'")
    }


def test_duplicate_paragraph_72_is_linked_and_both_kept(ingested):
    in_protokoll = paragraph_id(ingested, "000", "72", "protokoll")
    in_utdrag = paragraph_id(ingested, "004", "72", "protokollsutdrag")
    assert {(in_protokoll, in_utdrag), (in_utdrag, in_protokoll)} <= links(ingested)
    for paragraph in (in_protokoll, in_utdrag):
        n = ingested.store.scalar("SELECT count(*) FROM chunks WHERE paragraph_id = ?", [paragraph])
        assert n >= 2


def test_boilerplate_in_many_places_is_grouped_but_not_linked_pairwise(tmp_path, data):
    """A § text repeated in more than DUPLICATE_MAX_PLACES § is boilerplate: its chunks share
    one duplicate group (search shows it once), but its § are not linked pair by pair; a
    text in two places still is."""
    from index.store import DUPLICATE_MAX_PLACES
    from search.hybrid import OTHER_PLACES_SHOWN, Searcher

    boilerplate = (
        "Socialnämnden beslutar att godkänna redovisningen av uppdraget och lägga den till "
        "handlingarna samt att ge förvaltningen i uppdrag att återkomma med en ny rapport."
    )
    twice = (
        "Nämnden beslutar att anta yttrandet över remissen om vistelseförbud som sitt eget "
        "och överlämna det till kommunstyrelsen med de ändringar som framgår av protokollet."
    )
    n = DUPLICATE_MAX_PLACES + 5
    sections = [f"§ {i}\nÄrende {i}\n\n{boilerplate}" for i in range(1, n + 1)]
    sections += [f"§ {n + i}\nYttrande {i}\n\n{twice}" for i in (1, 2)]
    path = tmp_path / "protokoll.txt"
    path.write_text(
        "Eskilstuna kommun\nSocialnämnden\nProtokoll 2023-05-24\n\n" + "\n\n".join(sections)
    )
    assert ingest_paths(data, [path], progress=False).count("ingested") == 1
    groups = data.store.query(
        "SELECT dup_group, count(*) AS n FROM chunks GROUP BY dup_group HAVING n > 1"
    )
    assert sorted(row["n"] for row in groups) == [2, n]
    rubriker = {
        frozenset(row)
        for row in data.store.query(
            """SELECT a.rubrik, b.rubrik FROM paragraph_links l
               JOIN paragraphs a ON a.id = l.paragraph_id JOIN paragraphs b ON b.id = l.other_id
               WHERE l.kind = 'dubblett'"""
        )
    }
    assert rubriker == {frozenset({"Yttrande 1", "Yttrande 2"})}
    # Search shows the boilerplate once, with the first OTHER_PLACES_SHOWN other places of
    # the n - 1 counted.
    result = Searcher(data).search("godkänna redovisningen", mode="bm25").results[0]
    assert result["other_places_total"] == n - 1
    assert len(result["other_places"]) == OTHER_PLACES_SHOWN < n - 1


def test_bm25_search_shows_the_duplicate_once(ingested):
    from search.hybrid import Searcher

    response = Searcher(ingested).search("delårsrapport 2 negativt resultat", mode="bm25")
    sentence = "negativt resultat om -29,3 miljoner kronor"
    # The delårsrapport itself also has the sentence, in other words around it: not a copy.
    showing = [r for r in response.results if sentence in r["text"] and r["paragraf"] == "72"]
    assert len(showing) == 1
    (result,) = showing
    documents = {
        r["id"]: r["filename"][:3]
        for r in ingested.store.query("SELECT id, filename FROM documents")
    }
    here = documents[result["document_id"]]
    elsewhere = {(documents[o["document_id"]], o["paragraf"]) for o in result["other_places"]}
    assert here in ("000", "004")
    assert ("004" if here == "000" else "000", "72") in elsewhere
    chunk_ids_shown = {r["chunk_id"] for r in response.results}
    assert not chunk_ids_shown & {o["chunk_id"] for o in result["other_places"]}


def test_yttrande_of_seed_003_is_linked_to_paragraph_76(ingested):
    paragraph_76 = paragraph_id(ingested, "000", "76", "protokoll")
    yttrande = paragraph_id(ingested, "003", None, "yttrande")
    assert (paragraph_76, yttrande) in links(ingested)
    share = ingested.store.scalar(
        "SELECT share FROM paragraph_links WHERE paragraph_id = ? AND other_id = ?",
        [paragraph_76, yttrande],
    )
    assert share >= 0.5


# --- manifest -------------------------------------------------------------------------------


def write_manifest(directory: Path, name: str) -> Path:
    manifest = directory / "manifest.csv"
    manifest.write_text(
        "file,kommun,namnd,datum,source_url\n"
        f"{name},Solna,Äldrenämnden,2022-12-20,https://example.se/handlingar/sn-2022-12-14.pdf\n",
        encoding="utf-8",
    )
    return manifest


def test_manifest_overrides_inference(tmp_path, data):
    files = copy_seeds(tmp_path / "in", "002", "000")
    manifest = Manifest(write_manifest(tmp_path / "in", files[0].name))
    summary = ingest_paths(data, files, manifest=manifest, progress=False)
    assert summary.count("ingested") == 2
    row = data.store.query("SELECT * FROM documents WHERE filename = ?", [files[0].name])[0]
    assert (row["kommun"], row["kommun_kalla"], row["namnd"], row["datum"]) == (
        "Solna",
        "manifest",
        "Äldrenämnden",
        "2022-12-20",
    )
    assert row["source_url"] == "https://example.se/handlingar/sn-2022-12-14.pdf"
    chunks = data.store.query(
        "SELECT DISTINCT kommun, namnd, datum FROM chunks WHERE document_id = ?", [row["id"]]
    )
    assert [tuple(c) for c in chunks] == [("Solna", "Äldrenämnden", "2022-12-20")]
    # The file the manifest does not name keeps its inferred facts.
    other = data.store.query("SELECT * FROM documents WHERE filename = ?", [files[1].name])[0]
    assert (other["kommun"], other["source_url"]) == ("Eskilstuna", None)


def test_manifest_through_the_cli(tmp_path, capsys):
    files = copy_seeds(tmp_path / "in", "002")
    manifest = write_manifest(tmp_path / "in", files[0].name)
    target = tmp_path / "data"
    code = main(
        [
            "ingest",
            str(files[0]),
            "--manifest",
            str(manifest),
            "--no-embed",
            "--quiet",
            "--data-dir",
            str(target),
        ]
    )
    assert code == 0
    capsys.readouterr()
    assert main(["documents", "--json", "--data-dir", str(target)]) == 0
    (document,) = json.loads(capsys.readouterr().out)["documents"]
    assert (document["kommun"], document["namnd"], document["source_url"]) == (
        "Solna",
        "Äldrenämnden",
        "https://example.se/handlingar/sn-2022-12-14.pdf",
    )


def test_invalid_manifest_is_an_error(tmp_path, capsys):
    (path,) = copy_seeds(tmp_path / "in", "000")
    manifest = tmp_path / "in" / "manifest.csv"
    manifest.write_text(f"file,datum\n{path.name},14 december 2022\n", encoding="utf-8")
    code = main(
        [
            "ingest",
            str(path),
            "--manifest",
            str(manifest),
            "--no-embed",
            "--quiet",
            "--data-dir",
            str(tmp_path / "data"),
        ]
    )
    assert code == 2
    assert "datum must be YYYY-MM-DD" in capsys.readouterr().err


# --- the namnd command ------------------------------------------------------------------------


def test_cli_ingest_summary_and_documents(tmp_path, capsys):
    directory = tmp_path / "in"
    copy_seeds(directory, "000", "004")
    (directory / "tom.txt").write_bytes(b"")
    docgen.write_encrypted_pdf(directory / "låst.pdf")
    target = tmp_path / "data"

    code = main(["ingest", str(directory), "--no-embed", "--quiet", "--data-dir", str(target)])
    out = capsys.readouterr().out
    assert code == 0
    data = DataDir(target)
    try:
        parts = data.store.scalar("SELECT count(*) FROM parts")
        paragraphs = data.store.scalar("SELECT count(*) FROM paragraphs WHERE paragraf IS NOT NULL")
        chunks = data.store.scalar("SELECT count(*) FROM chunks")
    finally:
        data.close()
    assert "Ingested 4 file(s) in " in out
    assert "2 new, 0 replaced, 0 unchanged, 2 skipped" in out
    assert f"parts {parts} · § {paragraphs} · chunks {chunks}" in out
    assert paragraphs == 13  # § 70–81 and the utdrag's § 72
    assert f"skipped {directory.resolve() / 'tom.txt'}: empty file" in out
    assert f"skipped {directory.resolve() / 'låst.pdf'}: encrypted PDF (password required)" in out
    assert "Embedding" not in out

    assert main(["documents", "--json", "--data-dir", str(target)]) == 0
    documents = json.loads(capsys.readouterr().out)["documents"]
    by_name = {d["filename"][:3]: d for d in documents}
    assert set(by_name) == {"000", "004"}
    protokoll = by_name["000"]
    assert (protokoll["kommun"], protokoll["dokumenttyp"]) == ("Eskilstuna", "protokoll")
    assert [(p["paragraf"], p["rubrik"], p["dnr"]) for p in protokoll["paragrafer"]] == [
        (p, r, d) for p, r, d in EXPECTED_000
    ]
    paragraph_72 = next(p for p in protokoll["paragrafer"] if p["paragraf"] == "72")
    assert by_name["004"]["id"] in {d["document_id"] for d in paragraph_72["dubbletter"]}
    assert [p["paragraf"] for p in by_name["004"]["paragrafer"]] == ["72"]

    # Again: nothing changes, and the summary says so. (The exit code is 1 here: nothing
    # new was stored and files were skipped, although the two good files are unchanged.)
    main(["ingest", str(directory), "--no-embed", "--quiet", "--data-dir", str(target)])
    assert "0 new, 0 replaced, 2 unchanged, 2 skipped" in capsys.readouterr().out


def test_cli_exit_code_when_everything_is_skipped(tmp_path, capsys):
    bad = tmp_path / "tom.txt"
    bad.write_bytes(b"")
    code = main(["ingest", str(bad), "--no-embed", "--quiet", "--data-dir", str(tmp_path / "d")])
    assert code == 1
    assert "empty file" in capsys.readouterr().out


def test_cli_documents_text_listing(ingested, capsys):
    assert main(["documents", "--data-dir", str(ingested.path)]) == 0
    out = capsys.readouterr().out
    assert "Eskilstuna · Socialnämnden · 2023-09-26 (justering) · protokoll" in out
    assert "§   75 Yttrande över remiss" in out
    assert "Katrineholm · Socialnämnden · 2024-04-09 (dokument) · kallelse" in out


def test_console_script(tmp_path):
    """The installed `namnd` entry point, as a user runs it."""
    (path,) = copy_seeds(tmp_path / "in", "004")
    target = tmp_path / "data"
    namnd = Path(sys.executable).with_name("namnd")
    ingest = subprocess.run(
        [str(namnd), "ingest", str(path), "--no-embed", "--quiet", "--data-dir", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ingest.returncode == 0, ingest.stderr
    assert "1 new, 0 replaced, 0 unchanged, 0 skipped" in ingest.stdout
    listing = subprocess.run(
        [str(namnd), "documents", "--json", "--data-dir", str(target)],
        capture_output=True,
        text=True,
        check=True,
    )
    (document,) = json.loads(listing.stdout)["documents"]
    assert document["dokumenttyp"] == "protokollsutdrag"
    assert [(p["paragraf"], p["dnr"]) for p in document["paragrafer"]] == [("72", ["SOCN/2023:98"])]
