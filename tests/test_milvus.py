"""The Milvus backend against the real engine of milvus-lite 2.5.1, run as a local server by
`index.milvus`: the corpus ingested with `backend = milvus` ranks like the embedded backend
(tantivy, FAISS), filters and phrases hold, re-ingest and reindex keep Milvus equal to the
store, and the server processes belong to their data directories and go with them.

Vectors are not computed again: the embedding cache of the `embedded` fixture is copied in,
so the embedding step only moves cached vectors into Milvus."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_parse_seeds import seed_path

from api.cli import main
from index.analyzer import Analyzer
from index.bm25 import Filters, IndexedChunk
from index.datadir import DataDir
from index.embed import embed_pending
from index.milvus import (
    DB_FILE,
    SERVER_FILE,
    MilvusIndex,
    MilvusServer,
    acquire_server,
    filter_expr,
    literal,
    milvus_binary,
    release_server,
)
from ingest.pipeline import ingest_paths
from search.hybrid import Searcher

pytest.importorskip("pymilvus")
try:
    milvus_binary()
except RuntimeError as error:  # pragma: no cover - depends on the environment
    pytest.skip(f"milvus-lite is not installed: {error}", allow_module_level=True)

pytestmark = pytest.mark.milvus

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "corpus").glob("*.txt"))
EVAL = Path(__file__).resolve().parent / "data" / "eval.jsonl"
GOLD_FILE = "000_29fe9c520a1ba3ef.txt"  # Eskilstuna socialnämnden, § 75 vistelseförbud


def questions(n: int = 20) -> list[str]:
    rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line]
    return [row["question"] for row in rows[:n]]


def copy_embeddings(source: DataDir, target: DataDir) -> None:
    rows = source.store.query("SELECT model, hash, vector FROM embeddings")
    with target.store.transaction() as conn:
        conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)
        target.store.set_meta(conn, "embedder_name", source.store.get_meta("embedder_name"))


def embed_from_cache(source: DataDir, target: DataDir) -> int:
    """Embed `target` with the cache of `source`; returns how many chunks were computed."""
    copy_embeddings(source, target)
    stats = embed_pending(target.store, target.embedder, target.vectors, progress=False)
    return stats.embedded


def chunk_ids(data: DataDir) -> set[int]:
    return {r[0] for r in data.store.query("SELECT id FROM chunks")}


def ids(hits) -> list[int]:
    return [i for i, _ in hits]


def wait_gone(pid: int, seconds: float = 20.0) -> bool:
    """Whether the process has exited (or is a zombie) within `seconds` (not a timing
    assertion: the server polls its lock file, so it takes a moment)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def milvus_data(tmp_path_factory, embedded):
    """The corpus ingested into a Milvus-backed data directory, with every chunk embedded."""
    path = tmp_path_factory.mktemp("milvus")
    data = DataDir(path, backend="milvus")
    summary = ingest_paths(data, SEEDS, progress=False)
    assert summary.count("ingested") == 5, [r.reason for r in summary.results]
    assert embed_from_cache(embedded, data) == 0  # every vector came from the cache
    yield data
    data.close()


# --- the collection mirrors the store ------------------------------------------------------


def test_backend_is_recorded_and_milvus_holds_exactly_the_stored_chunks(milvus_data):
    data = milvus_data
    assert data.store.get_meta("backend") == "milvus"
    assert isinstance(data.bm25, MilvusIndex)
    stored = chunk_ids(data)
    assert len(stored) > 100
    assert data.bm25.all_ids() == stored
    assert data.bm25.count() == len(stored)
    assert set(data.vectors.ids().tolist()) == stored
    assert len(data.vectors) == len(stored)
    assert (data.path / DB_FILE).is_file()
    # Neither tantivy nor FAISS files were made.
    assert not (data.path / "bm25").exists() and not (data.path / "vectors.faiss").exists()


# --- ranking like the embedded backend -----------------------------------------------------


def test_bm25_top10_overlaps_the_embedded_backend(milvus_data, embedded):
    overlaps = []
    for question in questions():
        ours = ids(milvus_data.bm25.search(question, 10, Filters()))
        theirs = ids(embedded.bm25.search(question, 10, Filters()))
        assert len(ours) == len(theirs), question
        if theirs:
            overlaps.append(len(set(ours) & set(theirs)) / len(theirs))
    assert len(overlaps) == 20
    # Same tokens, same k1/b; the scores differ only by tantivy's one-byte length norms.
    assert np.mean(overlaps) >= 0.9, overlaps
    assert min(overlaps) >= 0.7, overlaps


def test_bm25_scores_are_close_to_tantivy(milvus_data, embedded):
    for question in questions(5):
        theirs = dict(embedded.bm25.search(question, 5, Filters()))
        ours = dict(milvus_data.bm25.search(question, 50, Filters()))
        for chunk_id, score in theirs.items():
            assert ours[chunk_id] == pytest.approx(score, rel=0.05), question


def _same_up_to_ties(ours, theirs, tolerance=1e-4) -> None:
    assert len(ours) == len(theirs)
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=tolerance)
    # Ids may swap only among equal scores (duplicate texts have equal vectors).
    last = theirs[-1][1]
    sure_ours = {i for i, s in ours if s > last + tolerance}
    sure_theirs = {i for i, s in theirs if s > last + tolerance}
    assert sure_ours == sure_theirs


def test_dense_top10_equals_faiss_exact_search(milvus_data, embedded):
    for question in questions():
        vector = embedded.embedder.queries([question])[0]
        _same_up_to_ties(
            milvus_data.vectors.search(vector, 10), embedded.vectors.search(vector, 10)
        )
    # With an id restriction too.
    vector = embedded.embedder.queries(["placering av barn"])[0]
    allowed = np.asarray(sorted(chunk_ids(milvus_data))[::3], dtype=np.int64)
    ours = milvus_data.vectors.search(vector, 10, allowed)
    _same_up_to_ties(ours, embedded.vectors.search(vector, 10, allowed))
    assert set(ids(ours)) <= set(allowed.tolist())
    assert milvus_data.vectors.search(vector, 10, np.zeros(0, dtype=np.int64)) == []


def test_hybrid_search_through_the_searcher_finds_the_gold_paragraph(milvus_data, embedded):
    searcher = Searcher(milvus_data)
    lookup = searcher.search("SOCN/2023:82", limit=5).results
    assert lookup[0]["source"] == GOLD_FILE and lookup[0]["paragraf"] == "75"
    results = searcher.search("vistelseförbud reservation", limit=5).results
    assert (results[0]["source"], results[0]["paragraf"]) == (GOLD_FILE, "75")
    assert results[0]["scores"]["bm25"] is not None and results[0]["scores"]["dense"] is not None
    phrased = searcher.search('"information på annat sätt"', limit=10).results
    assert phrased
    for result in phrased:
        assert "information på annat sätt" in " ".join(result["text"].lower().split())
    # The whole hybrid top-10 is close to the embedded backend's.
    reference = Searcher(embedded)
    for question in questions(10):
        ours = [r["chunk_id"] for r in searcher.search(question, limit=10).results]
        theirs = [r["chunk_id"] for r in reference.search(question, limit=10).results]
        assert len(set(ours) & set(theirs)) >= 0.7 * len(theirs), question


@pytest.mark.parametrize(
    ("query", "filters"),
    [("budget", Filters()), ("vrakning", Filters()), ("granskning", Filters(kommun="Eskilstuna")),
     ("xyzzyqwerty", Filters())],
)
def test_the_journalist_search_finds_the_same_cards_and_counts_as_tantivy(
    milvus_data, embedded, query, filters
):
    ours = Searcher(milvus_data).find(query, filters, limit=50)
    theirs = Searcher(embedded).find(query, filters, limit=50)
    # The same analyzer tokens and vectors: the same relevant set, so the same counts.
    assert ours.total == theirs.total
    assert ours.facets == theirs.facets
    key = lambda r: (r["source"], r["paragraf"], r["rubrik"])  # noqa: E731
    assert {key(r) for r in ours.results} == {key(r) for r in theirs.results}
    if query == "xyzzyqwerty":
        assert ours.total == 0


def test_spelling_suggestions_on_milvus(milvus_data):
    page = Searcher(milvus_data).find("vräknig")
    assert page.total == 0 and "vräkning" in page.suggestions


# --- filters and phrases -------------------------------------------------------------------


FILTER_CASES = [
    ("barn och unga", Filters(kommun="Stockholm")),
    ("barn och unga", Filters(kommun="Stockholm", datum_from="2022-01-01", datum_to="2022-12-31")),
    ("granskning av kontroll", Filters(dokumenttyp="revisionsrapport")),
    ("beslut", Filters(dnr="SOCN/2023:82")),
    ("nämnden beslutar", Filters(datum_from="2023-01-01")),
    ("yttrande", Filters(roll="reservation", parti="V")),
    ("yttrande", Filters(ref="Ds 2023:17")),
]


@pytest.mark.parametrize(("query", "filters"), FILTER_CASES)
def test_filters_return_only_matching_chunks_and_fill_the_limit(
    milvus_data, embedded, query, filters
):
    searcher = Searcher(milvus_data)
    allowed = set(searcher.filtered_ids(filters).tolist())
    assert allowed
    # BM25: only matching chunks that hold a query term, up to the limit. (Tantivy scores its
    # filters as terms, so it also returns filtered chunks without any query term.)
    holding = allowed & set(ids(embedded.bm25.search(query, 10_000, Filters())))
    assert holding
    ours = milvus_data.bm25.search(query, 10, filters)
    assert set(ids(ours)) <= holding
    assert len(ours) == min(10, len(holding))
    # Dense: `allowed` from the store, filled up to k.
    vector = embedded.embedder.queries([query])[0]
    dense = searcher.dense(vector, 10, searcher.allowed_ids(filters))
    assert set(ids(dense)) <= allowed and len(dense) == min(10, len(allowed))
    # Hybrid through the Searcher.
    results = searcher.search(query, filters, limit=10).results
    assert results and {r["chunk_id"] for r in results} <= allowed
    reference = Searcher(embedded).search(query, filters, limit=10).results
    assert len(results) == len(reference)


def test_filter_values_are_escaped(milvus_data):
    assert literal('a"b\\c') == '"a\\"b\\\\c"'
    assert literal("two\nlines") is None
    expr = filter_expr(
        Filters(kommun='Sala "Nord"', dnr="KS 1", datum_from="2023-01-01", datum_to="2023-12-31")
    )
    assert expr == (
        'kommun == "Sala \\"Nord\\"" and array_contains(dnr, "KS 1") and datum >= 20230101'
        " and datum > 0 and datum <= 20231231"
    )
    for hostile in ('Eskilstuna" or kommun != "', "Eskilstuna\\", "Eskil\nstuna", "%", "\\_"):
        assert milvus_data.bm25.search("socialnämnden", 10, Filters(kommun=hostile)) == []
    # The server survived all of it.
    assert milvus_data.bm25.search("socialnämnden", 3, Filters(kommun="Eskilstuna"))


@pytest.mark.parametrize(
    "phrase",
    [
        "information på annat sätt",
        "skriftliga reservationer",
        "annat sätt information",  # the words, not the phrase
        "vistelseförbud",
        "ekonomiskt bistånd",
    ],
)
def test_phrases_match_like_tantivy(milvus_data, embedded, phrase):
    query = f'"{phrase}"'
    # 10,000: what the Searcher asks for to restrict the dense side to phrase matches.
    ours = ids(milvus_data.bm25.search(query, 10_000, Filters(), phrases=[phrase]))
    theirs = ids(embedded.bm25.search(query, 10_000, Filters(), phrases=[phrase]))
    assert set(ours) == set(theirs)
    if phrase == "annat sätt information":
        assert not ours
        assert milvus_data.bm25.search("annat sätt information", 10, Filters())
    else:
        assert ours


def test_phrase_search_looks_deeper_than_the_first_candidates(tmp_path):
    # 300 chunks hold both words apart and rank first; 2 long ones hold the phrase.
    def chunk(chunk_id: int, text: str) -> IndexedChunk:
        return IndexedChunk(chunk_id, 1, text, "", "Sala", None, "protokoll", "beslut", None, [])

    apart = [chunk(i, "zylofon alfa zylofon beta zylofon") for i in range(1, 301)]
    filler = " ".join(f"ord{n}" for n in range(60))
    together = [chunk(i, f"{filler} zylofon alfa beta {filler}") for i in (401, 402)]
    index = MilvusIndex(tmp_path, Analyzer("none"), 8)
    try:
        index.add([*apart, *together])
        plain = ids(index.search("zylofon alfa beta", 302, Filters()))
        assert plain.index(401) >= 300 and plain.index(402) >= 300  # last by BM25
        hits = index.search("zylofon alfa beta", 2, Filters(), phrases=["alfa beta"])
        assert sorted(ids(hits)) == [401, 402]
        assert ids(index.search("alfa", 5, Filters(), phrases=["beta alfa"])) == []
    finally:
        index.close()


# --- keeping Milvus equal to the store -----------------------------------------------------


def test_reingest_of_a_changed_file_and_reindex_keep_milvus_equal_to_the_store(tmp_path, embedded):
    source = tmp_path / "in" / "protokoll.txt"
    source.parent.mkdir()
    shutil.copy(seed_path("000"), source)
    data = DataDir(tmp_path / "data", backend="milvus")
    try:
        ingest_paths(data, [source], progress=False)
        assert embed_from_cache(embedded, data) == 0
        old = chunk_ids(data)
        assert data.bm25.all_ids() == old == set(data.vectors.ids().tolist())

        text = source.read_text(encoding="utf-8").replace(
            "1. Föredragningslistan godkänns.",
            "1. Föredragningslistan godkänns med tillägget om zebrafinkar.",
        )
        source.write_text(text, encoding="utf-8")
        (result,) = ingest_paths(data, [source], progress=False).results
        assert result.status == "replaced"
        new = chunk_ids(data)
        assert new and not new & old
        assert data.bm25.all_ids() == new  # every old row is gone from Milvus
        assert not set(data.vectors.ids().tolist()) & old
        assert set(ids(data.bm25.search("zebrafinkar", 10, Filters()))) <= new
        assert data.bm25.search("zebrafinkar", 10, Filters())

        assert embed_from_cache(embedded, data) <= 3  # only the changed text is new
        assert set(data.vectors.ids().tolist()) == new

        # Reindex (the command, on the same data directory): same rows, vectors back.
        assert main(["reindex", "--data-dir", str(data.path), "--quiet"]) == 0
        assert data.bm25.all_ids() == new
        assert set(data.vectors.ids().tolist()) == new
        results = Searcher(data).search("zebrafinkar", limit=3).results
        assert results and results[0]["scores"]["dense"] is not None
    finally:
        data.close()


def test_cli_ingest_records_the_backend_and_refuses_another(tmp_path, capsys):
    directory = tmp_path / "data"
    seed = str(seed_path("001"))
    args = ["--data-dir", str(directory), "--no-embed", "--quiet"]
    assert main(["ingest", seed, "--backend", "milvus", *args]) == 0
    data = DataDir(directory)
    try:
        assert data.backend == "milvus"
        assert data.bm25.count() == len(chunk_ids(data)) > 0
    finally:
        data.close()
    capsys.readouterr()
    assert main(["ingest", seed, "--backend", "embedded", *args]) == 2
    assert "'milvus' backend" in capsys.readouterr().err
    search = ["search", "nämnden", "--mode", "bm25", "--json", "--data-dir", str(directory)]
    assert main(search) == 0
    assert json.loads(capsys.readouterr().out)["results"]


# --- server processes ----------------------------------------------------------------------


def test_the_server_lives_in_the_data_directory_and_stops_with_the_backend(tmp_path):
    path = tmp_path / "data"
    first = DataDir(path, backend="milvus")
    ingest_paths(first, [seed_path("002")], progress=False)
    count = first.bm25.count()
    server = first.milvus.server
    pid = server.pid
    assert server.owned and Path(f"/proc/{pid}").exists()
    assert (path / DB_FILE).is_file()
    assert json.loads((path / SERVER_FILE).read_text())["pid"] == pid

    second = DataDir(path)  # the same directory in the same process: the same server
    assert second.bm25.count() == count and second.milvus.server is server
    first.close()
    assert second.bm25.count() == count  # still served
    second.close()
    assert wait_gone(pid)
    assert not (path / SERVER_FILE).exists()

    third = DataDir(path)  # a new server on the same database: the rows persisted
    try:
        assert third.milvus.server.pid != pid
        assert third.bm25.count() == count
        assert third.bm25.search("nämnden", 3, Filters())
        crashed = third.milvus.server.pid
        os.kill(crashed, signal.SIGKILL)  # a crashed server is started again on next use
        assert wait_gone(crashed)
        assert third.bm25.count() == count
        assert third.milvus.server.pid != crashed
    finally:
        third.close()


def test_data_directories_get_separate_servers_and_a_busy_port_is_refused(tmp_path):
    a = acquire_server(tmp_path / "a")
    b = acquire_server(tmp_path / "b")
    try:
        assert a.pid != b.pid and a.uri != b.uri
        assert Path(a.db).parent.name == "a" and Path(b.db).parent.name == "b"
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            server = MilvusServer(tmp_path / "c", port=port)
            with pytest.raises(RuntimeError, match=f"port 127.0.0.1:{port} is already in use"):
                server.start()
        # The refusal left nothing behind: the lock is free, and a free port works.
        server = MilvusServer(tmp_path / "c")
        server.start()
        assert server.owned
        server.stop()
    finally:
        release_server(a)
        release_server(b)
    assert wait_gone(a.pid) and wait_gone(b.pid)


ATTACH = """
import sys, time
from pathlib import Path
from index.analyzer import Analyzer
from index.milvus import MilvusIndex
index = MilvusIndex(Path(sys.argv[1]), Analyzer(), 384)
print(index.server.pid, index.server.owned, index.count(), flush=True)
if sys.argv[2] == "hold":
    time.sleep(600)
"""


def test_another_process_attaches_to_the_server_and_takes_over_when_its_owner_exits(tmp_path):
    path = tmp_path / "data"
    data = DataDir(path, backend="milvus")
    ingest_paths(data, [seed_path("002")], progress=False)
    count = data.bm25.count()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Another process attaches to our server.
    out = subprocess.run(
        [sys.executable, "-c", ATTACH, str(path), "once"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout.split()
    assert out == [str(data.milvus.server.pid), "False", str(count)]
    data.close()
    assert wait_gone(int(out[0]))

    # The other way round: a process owns the server, we attach, it is killed, we take over.
    holder = subprocess.Popen(
        [sys.executable, "-c", ATTACH, str(path), "hold"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        pid, owned, counted = holder.stdout.readline().split()
        assert owned == "True" and int(counted) == count
        data = DataDir(path)
        assert data.bm25.count() == count
        assert not data.milvus.server.owned and data.milvus.server.pid == int(pid)
        holder.kill()
        holder.wait()
        assert data.bm25.count() == count  # served again, now by us
        assert data.milvus.server.owned and data.milvus.server.pid != int(pid)
        data.close()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
