"""Positions and votes per §: yrkanden, reservationer (skriftlig/muntlig), särskilda uttalanden
with person and party, and search filtered by role and party in both retrievers."""

from __future__ import annotations

import json

import pytest
from support.arenden import unit_id

from api.cli import main
from index.filters import Filters
from ingest.persons import _actors
from search.facts import positions
from search.hybrid import Searcher, filter_sql
from swedish.nlp import PartyMention


def said(store, seed: str, paragraf: str) -> set[tuple]:
    paragraph = unit_id(store, seed, paragraf=paragraf)
    return {
        (p["roll"], p["namn"], p["parti"], p["detalj"])
        for p in positions(store, [paragraph])[paragraph]
    }


def test_paragraph_75_reservations_and_yrkanden(ingested):
    found = said(ingested.store, "000", "75")
    assert {p for p in found if p[0] == "reservation"} == {
        ("reservation", "Leena Kumpula", "C", "skriftlig"),
        ("reservation", "Sebastian Nygren", "V", "skriftlig"),
        ("reservation", "Johan Graff Andersson", "L", "muntlig"),
    }
    assert {p for p in found if p[0] == "yrkande"} == {
        ("yrkande", "Göran Gredfors", "M", "bifall"),
        ("yrkande", "Tony Meshko", "KD", "bifall"),
        ("yrkande", "Carina Åkesson", "SD", "bifall"),
        ("yrkande", "Leena Kumpula", "C", "tilläggsyrkande"),
        ("yrkande", "Johan Graff Andersson", "L", "tilläggsyrkande"),
        ("yrkande", "Sebastian Nygren", "V", "avslag"),
    }


def test_the_person_a_yrkande_is_about_did_not_make_it(ingested):
    # "Tony Meshko yrkar bifall till förslaget att Leena Kumpula (C) väljs som ledamot …"
    assert said(ingested.store, "000", "79") == {("yrkande", "Tony Meshko", "KD", "bifall")}


def test_actors_are_the_names_before_the_verb():
    sentence = "Anna A (S) yrkar att Berit B (M) väljs."
    mentions = [
        PartyMention("Anna A", "S", 0, 6, 10, False),
        PartyMention("Berit B", "M", 21, 28, 32, False),
    ]
    assert [m.name for m in _actors(mentions, sentence, 0)] == ["Anna A"]
    # Without a name before the verb, every mention stays.
    late = "Det yrkades av Anna A (S)."
    assert [m.name for m in _actors([PartyMention("Anna A", "S", 15, 21, 25, False)], late, 0)] == [
        "Anna A"
    ]


def test_stockholm_group_reservation_and_statements(ingested):
    found = said(ingested.store, "002", "10")
    assert {(p[1], p[2]) for p in found if p[0] == "reservation"} == {
        ("Jan Jönsson", "L"),
        ("Ole-Jörgen Persson", "M"),
        ("Maria Paniagua Dachner", "C"),
    }
    statements = said(ingested.store, "002", "15")
    assert ("särskilt uttalande", "Anna Rantala Bonnier", "F!", None) in statements


@pytest.mark.parametrize(("fixture", "mode"), [("ingested", "bm25"), ("embedded", "hybrid")])
def test_search_by_role_and_party(request, fixture, mode):
    ingested = request.getfixturevalue(fixture)
    searcher = Searcher(ingested)
    paragraph_75 = unit_id(ingested.store, "000", paragraf="75")
    paragraph_10 = unit_id(ingested.store, "002", paragraf="10")
    found = searcher.search("vistelseförbud", Filters(roll="reservation", parti="V"), 10, mode)
    assert found.results and {r["paragraph_id"] for r in found.results} == {paragraph_75}
    # The same person must hold both: no V politician reserved in Stockholm § 10, and no M
    # politician reserved in § 75.
    found = searcher.search("ledsagning", Filters(roll="reservation", parti="m"), 10, mode)
    assert found.results and {r["paragraph_id"] for r in found.results} == {paragraph_10}
    found = searcher.search("socialnämnden", Filters(roll="reservation"), 10, mode)
    assert len(found.results) == 10  # the filter still fills the limit
    assert {r["paragraph_id"] for r in found.results} <= {paragraph_75, paragraph_10}


def test_role_and_party_facets_count_what_their_filters_find(ingested):
    # The facets count the results (one per §) whose § has a position of that role (or by
    # that party); choosing one must find exactly as many.
    searcher = Searcher(ingested)
    query = "vistelseförbud yttrande"
    facets = searcher.find(query, mode="bm25").facets
    roles = {f["value"]: f["count"] for f in facets["roll"]}
    parties = {f["value"]: f["count"] for f in facets["parti"]}
    assert roles["reservation"] >= 1 and roles["yrkande"] >= 1
    assert {"C", "V", "L"} <= set(parties)
    for key, counts in (("roll", roles), ("parti", parties)):
        for value, count in counts.items():
            found = searcher.find(query, Filters(**{key: value}), limit=50, mode="bm25")
            assert found.total == count, (key, value)


def test_role_filter_agrees_between_retrievers(ingested):
    searcher = Searcher(ingested)
    for filters in (
        Filters(roll="reservation", parti="V"),
        Filters(roll="särskilt uttalande"),
        Filters(parti="F!"),
        Filters(roll="yrkande", parti="KD"),
    ):
        where, params = filter_sql(filters)
        stored = {
            r[0] for r in ingested.store.query(f"SELECT id FROM chunks c WHERE {where}", params)
        }
        assert stored, filters
        assert set(searcher.filtered_ids(filters).tolist()) == stored
        lexical = {i for i, _ in ingested.bm25.search("beslut socialnämnden", 10_000, filters)}
        assert lexical and lexical <= stored
        everything = {i for i, _ in ingested.bm25.search("beslut socialnämnden", 10_000)}
        assert lexical == everything & stored


def test_an_unknown_role_is_refused(ingested, capsys):
    with pytest.raises(ValueError, match="unknown roll 'reserverad'"):
        Searcher(ingested).search("beslut", Filters(roll="reserverad"))
    assert main(["search", "beslut", "--roll", "ja", "--data-dir", str(ingested.path)]) == 2
    assert "unknown roll 'ja'" in capsys.readouterr().err


def test_cli_search_with_role_and_party(ingested, capsys):
    code = main(
        [
            "search",
            "reservation",
            "--roll",
            "reservation",
            "--parti",
            "V",
            "--mode",
            "bm25",
            "--json",
            "--data-dir",
            str(ingested.path),
        ]
    )
    assert code == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results and {(r["kommun"], r["paragraf"]) for r in results} == {("Eskilstuna", "75")}
