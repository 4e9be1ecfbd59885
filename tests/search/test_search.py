"""Hybrid search over the real corpus: filters in both retrievers, exact lookups, phrases,
duplicate collapse, stem-aware snippets, and the indexes' own mechanics (persistence,
incremental updates, FAISS flat/IVF with deletions)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from api.cli import main
from index.filters import Filters
from index.vectors import VectorIndex
from search.hybrid import Searcher, fuse


@pytest.fixture(scope="module")
def searcher(backend_data) -> Searcher:
    return Searcher(backend_data)


def test_result_objects_carry_place_text_snippet_and_score_parts(searcher):
    response = searcher.search("vistelseförbud reservation", limit=5)
    assert response.results
    first = response.results[0]
    for field in ("chunk_id", "document_id", "text", "snippet", "highlights", "kommun",
                  "namnd", "datum", "paragraf", "dnr", "rubrik", "sektion", "dokumenttyp",
                  "source", "page", "scores", "other_places"):
        assert field in first
    assert first["kommun"] == "Eskilstuna" and first["paragraf"] == "75"
    assert set(first["scores"]) >= {"bm25", "dense", "fused"}
    assert response.not_embedded == 0


def test_highlights_are_stem_aware_and_point_into_the_snippet(searcher):
    result = searcher.search("vräkning barnfamilj", limit=3, mode="bm25").results[0]
    marked = [result["snippet"][a:b].lower() for a, b in result["highlights"]]
    assert any(word.startswith("vräkning") for word in marked)
    assert any("barnfamiljer" in word for word in marked)


def test_find_reports_the_time_of_each_step_when_asked(searcher):
    searcher._query_vectors.clear()  # the hybrid search waits for the query's vector
    timings: dict[str, float] = {}
    page = searcher.find("vistelseförbud reservation", limit=5, timings=timings)
    assert page.results
    assert set(timings) == {
        "lexical", "wait", "dense", "fuse", "cards", "facets", "present", "suggest"
    }
    assert all(value >= 0 for value in timings.values())
    assert timings["wait"] + timings["dense"] > 0
    # A lexical search has no vector to wait for.
    lexical: dict[str, float] = {}
    assert searcher.find("vistelseförbud", mode="bm25", timings=lexical).total
    assert "wait" not in lexical and "dense" not in lexical and lexical["lexical"] > 0


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_filters_apply_inside_each_retriever_and_still_fill_the_limit(searcher, mode):
    filters = Filters(kommun="Stockholm", datum_from="2022-01-01", datum_to="2022-12-31")
    results = searcher.search("barn och unga", filters, limit=10, mode=mode).results
    assert len(results) == 10
    assert {r["kommun"] for r in results} == {"Stockholm"}
    assert all("2022-01-01" <= r["datum"] <= "2022-12-31" for r in results)
    typed = searcher.search("granskning", Filters(dokumenttyp="revisionsrapport"), limit=5,
                            mode=mode).results
    assert typed and {r["dokumenttyp"] for r in typed} == {"revisionsrapport"}


def test_dnr_filter_in_any_written_form(searcher):
    results = searcher.search("beslut", Filters(dnr="SOCN 2023:82"), limit=5).results
    assert results and {r["paragraf"] for r in results} == {"75"}


def test_dnr_query_is_answered_by_exact_lookup_first(searcher):
    results = searcher.search("SOCN/2023:39", limit=5).results
    assert results[0]["scores"]["exact"] is True
    assert results[0]["paragraf"] == "76" and results[0]["kommun"] == "Eskilstuna"
    lookup = searcher.search("§ 18 Stockholm", limit=3).results
    assert lookup[0]["paragraf"] == "18" and lookup[0]["kommun"] == "Stockholm"


def test_quoted_phrase_must_match_as_a_phrase(searcher):
    results = searcher.search('"information på annat sätt"', limit=10).results
    assert results
    for result in results:
        assert "information på annat sätt" in " ".join(result["text"].lower().split())
    # The words apart do not satisfy the phrase.
    assert not searcher.search('"annat sätt information"', limit=10).results


def test_near_duplicates_show_once_with_the_other_places(searcher):
    results = searcher.search("delårsrapport 2 negativt resultat -29,3 miljoner", limit=10).results
    texts = [" ".join(r["text"].split()) for r in results]
    assert len(texts) == len(set(texts))
    top = results[0]
    assert top["other_places"], "§ 72 is in both seed 000 and seed 004"
    sources = {top["source"], *(o["source"] for o in top["other_places"])}
    assert {"000_29fe9c520a1ba3ef.txt", "004_f694a8ad6a7b67a2.txt"} <= sources


def test_fusion_orders_by_both_lists():
    lexical = [(1, 9.0), (2, 5.0), (3, 1.0)]
    semantic = [(3, 0.9), (1, 0.85), (4, 0.8)]
    rrf = [h.chunk_id for h in fuse(lexical, semantic, "rrf")]
    convex = [h.chunk_id for h in fuse(lexical, semantic, "convex")]
    assert rrf[0] == 1 and convex[0] == 1  # high in both lists
    assert set(rrf) == set(convex) == {1, 2, 3, 4}
    only = fuse(lexical, [], "convex")
    assert [h.chunk_id for h in only] == [1, 2, 3]


@pytest.mark.parametrize(
    "filters",
    [Filters(kommun="Stockholm"), Filters(roll="yrkande"), Filters(dokumenttyp="protokoll")],
)
def test_a_bm25_filter_keeps_only_chunks_with_a_query_word(ingested, filters):
    # The filters narrow the words' matches; they never stand in for them.
    query = "vistelseförbud"
    matching = {i for i, _ in ingested.bm25.search(query, 10_000)}
    filtered = {i for i, _ in ingested.bm25.search(query, 10_000, filters)}
    assert filtered <= matching
    assert not ingested.bm25.search("xyzzyfrobnitz", 10_000, filters)


def test_search_reports_chunks_not_yet_embedded(ingested):
    response = Searcher(ingested).search("vräkning", limit=3)
    assert response.results  # BM25 serves what is stored
    assert response.not_embedded > 0 and response.notes


def test_bm25_index_persists_and_updates_incrementally(ingested):
    bm25 = ingested.bm25
    stored = {r[0] for r in ingested.store.query("SELECT id FROM chunks")}
    assert bm25.all_ids() == stored
    victim = min(stored)
    bm25.delete([victim])
    bm25.commit()
    assert victim not in bm25.all_ids()
    bm25.add(ingested.indexed_chunks([victim]))
    bm25.commit()
    assert bm25.all_ids() == stored


def test_cli_search_json(backend_data, capsys):
    code = main(["search", "vem reserverade sig mot vistelseförbud", "--json", "--limit", "3",
                 "--data-dir", str(backend_data.path)])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["results"]) == 3 and out["total"] >= 3
    assert out["results"][0]["kommun"] == "Eskilstuna"


def test_cli_rejects_bad_dates(embedded, capsys):
    assert main(["search", "x", "--from", "2023-13-40", "--data-dir", str(embedded.path)]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


# --- FAISS ------------------------------------------------------------------------------


def _unit(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_vector_index_switches_to_ivf_and_handles_deletions_and_filters(tmp_path):
    dim = 32
    vectors = _unit(3000, dim, seed=1)
    ids = np.arange(1000, 4000, dtype=np.int64)
    index = VectorIndex(tmp_path, dim, ann_threshold=2000)
    index.add(ids[:1500], vectors[:1500])
    assert index.kind == "flat"
    index.add(ids[1500:], vectors[1500:])
    assert index.kind == "ivf"
    query = vectors[10]
    assert index.search(query, 1)[0][0] == 1010
    index.remove([1010])
    assert all(i != 1010 for i, _ in index.search(query, 5))
    allowed = ids[2000:2100]
    found = index.search(query, 10, allowed=allowed)
    assert len(found) == 10 and {i for i, _ in found} <= set(allowed.tolist())
    exact = sorted(((float(vectors[i - 1000] @ query), int(i)) for i in allowed), reverse=True)
    assert [i for _, i in exact[:10]] == [i for i, _ in found]
    index.save()
    reopened = VectorIndex(tmp_path, dim)
    assert reopened.kind == "ivf" and len(reopened) == 2999
    assert set(reopened.ids().tolist()) == set(ids.tolist()) - {1010}
