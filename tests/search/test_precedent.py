"""Precedent ("Liknande"): the nearest other § by the mean of its chunk vectors with BM25
support on its rubrik, across kommuner, filterable by dokumenttyp; BM25 alone without
embeddings."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from support.arenden import arende_id, unit_id

from api.app import create_app
from search.hybrid import Searcher
from search.precedent import liknande

YTTRANDE_KINDS = ("Yttrande", "Svar på")


def _excluded(store, paragraph_id: int) -> set[int]:
    """The § itself, its duplicates and the rest of its ärende: never precedent."""
    arende = arende_id(store, paragraph_id)
    same = {
        r[0]
        for r in store.query("SELECT paragraph_id FROM arende_units WHERE arende_id = ?", [arende])
    }
    twins = {
        r[0]
        for r in store.query(
            "SELECT other_id FROM paragraph_links WHERE paragraph_id = ?", [paragraph_id]
        )
    }
    return same | twins | {paragraph_id}


def test_liknande_returns_other_paragraphs_by_embedding_and_rubrik(embedded):
    store = embedded.store
    paragraph = unit_id(store, "000", paragraf="76")
    found = liknande(Searcher(embedded), paragraph_id=paragraph, limit=8)
    assert found["metod"] == "hybrid"
    items = found["liknande"]
    assert len(items) == 8
    ids = [i["paragraph_id"] for i in items]
    assert not set(ids) & _excluded(store, paragraph)
    # The seed-003 svar is § 76's own ärende, not precedent; other kommuner are.
    assert len({i["kommun"] for i in items}) >= 2
    scores = [i["likhet"] for i in items]
    assert scores == sorted(scores, reverse=True)
    assert all(i["dense"] is not None for i in items)
    # One precedent per ärende: § 72 and its protokollsutdrag are one.
    assert len({i["arende_id"] for i in items}) == len(items)
    assert items[0]["chunk"]["chunk_id"] in {
        r[0] for r in store.query("SELECT id FROM chunks WHERE paragraph_id = ?", [ids[0]])
    }


def test_liknande_filters_by_dokumenttyp(embedded):
    store = embedded.store
    paragraph = unit_id(store, "000", paragraf="75")
    found = liknande(Searcher(embedded), paragraph_id=paragraph, dokumenttyp="yttrande")
    items = found["liknande"]
    assert items
    for item in items:
        assert (
            item["dokumenttyp"] == "yttrande"
            or item["typ"] in ("yttrande", "svar")
            or (item["rubrik"].startswith(YTTRANDE_KINDS))
        ), item
    kommuner = {i["kommun"] for i in items}
    assert "Katrineholm" in kommuner  # the yttrande over the motion on vräkningar
    assert not {i["paragraph_id"] for i in items} & _excluded(store, paragraph)


def test_liknande_from_other_kommuner(embedded):
    store = embedded.store
    paragraph = unit_id(store, "002", paragraf="15")  # Stockholm: handläggning av barnärenden
    found = liknande(Searcher(embedded), paragraph_id=paragraph, andra_kommuner=True, limit=5)
    items = found["liknande"]
    assert items and "Stockholm" not in {i["kommun"] for i in items}
    # The nearest: Eskilstuna's granskning of handläggning in barn- och ungdomsvården.
    assert items[0]["rubrik"].startswith("Granskning av handläggning inom barn")


def test_liknande_for_a_chunk(embedded):
    store = embedded.store
    paragraph = unit_id(store, "002", paragraf="15")
    chunk = store.scalar(
        "SELECT id FROM chunks WHERE paragraph_id = ? ORDER BY ordinal", [paragraph]
    )
    found = liknande(Searcher(embedded), chunk_id=chunk, limit=5)
    assert found["paragraph_id"] == paragraph and found["chunk_id"] == chunk
    assert len(found["liknande"]) == 5
    assert paragraph not in {i["paragraph_id"] for i in found["liknande"]}


def test_liknande_without_embeddings_ranks_by_bm25(ingested):
    paragraph = unit_id(ingested.store, "000", paragraf="76")
    found = liknande(Searcher(ingested), paragraph_id=paragraph)
    assert found["metod"] == "bm25"
    assert found["liknande"]
    assert not {i["paragraph_id"] for i in found["liknande"]} & _excluded(ingested.store, paragraph)
    assert all(i["dense"] is None for i in found["liknande"])


def test_liknande_over_http(embedded):
    paragraph = unit_id(embedded.store, "000", paragraf="75")
    with TestClient(create_app(embedded.path)) as client:
        body = client.get(
            f"/api/paragrafer/{paragraph}/liknande", params={"dokumenttyp": "yttrande"}
        ).json()
        assert body["metod"] == "hybrid" and body["liknande"]
        chunk = embedded.store.scalar("SELECT id FROM chunks WHERE paragraph_id = ?", [paragraph])
        body = client.get(f"/api/chunks/{chunk}/liknande", params={"limit": 3}).json()
        assert len(body["liknande"]) == 3


@pytest.mark.parametrize("dokumenttyp", ["protokoll", "tjänsteskrivelse"])
def test_liknande_dokumenttyp_is_respected(ingested, dokumenttyp):
    paragraph = unit_id(ingested.store, "000", paragraf="75")
    items = liknande(Searcher(ingested), paragraph_id=paragraph, dokumenttyp=dokumenttyp)[
        "liknande"
    ]
    assert items
    assert all(dokumenttyp in (i["dokumenttyp"], i["typ"]) for i in items)
