"""Referenced remisser and laws per § and chunk (search, filter, facet), and the extraction of
hänvisningar and recommendations from the exact wordings the documents use."""

from __future__ import annotations

import pytest
from support.arenden import unit_id

from index.filters import Filters
from ingest.citations import find_citations
from search.facts import paragraph_references
from search.hybrid import Searcher
from swedish.patterns import find_references
from swedish.recommendations import find_recommendations


def test_references_are_stored_per_paragraph_and_chunk(ingested):
    store = ingested.store
    paragraph = unit_id(store, "000", paragraf="75")
    assert paragraph_references(store, [paragraph])[paragraph] == ["Ds 2023:17"]
    chunks = store.query(
        "SELECT c.id, c.text, r.referens FROM chunks c LEFT JOIN chunk_referenser r "
        "ON r.chunk_id = c.id WHERE c.paragraph_id = ?",
        [paragraph],
    )
    for row in chunks:
        assert (row["referens"] == "Ds 2023:17") == ("Ds 2023:17" in row["text"])
    katrineholm = unit_id(store, "001", title="Yttrande gällande motion")
    assert "prop. 2017/18:186" in paragraph_references(store, [katrineholm])[katrineholm]
    rapport = unit_id(store, "003", title="Granskning av handläggning inom barn")
    assert {"5 kap. 1 § SoL", "14 kap. 1 § SoL", "SOSFS 2011:9"} <= set(
        paragraph_references(store, [rapport])[rapport]
    )


@pytest.mark.parametrize(("fixture", "mode"), [("ingested", "bm25"), ("embedded", "hybrid")])
@pytest.mark.parametrize("value", ["Ds 2023:17", "ds 2023:17", "Ds  2023:17"])
def test_the_ref_filter_finds_the_paragraphs_that_cite_it(request, fixture, mode, value):
    ingested = request.getfixturevalue(fixture)
    paragraph = unit_id(ingested.store, "000", paragraf="75")
    found = Searcher(ingested).search("yttrande", Filters(ref=value), 20, mode)
    assert found.results and {r["paragraph_id"] for r in found.results} == {paragraph}


@pytest.mark.parametrize(
    "query", ["Ds 2023:17", "alla yttranden över Ds 2023:17", "Vistelseförbud Ds 2023:17"]
)
def test_a_plain_query_for_the_remiss_finds_paragraph_75(ingested, query):
    paragraph = unit_id(ingested.store, "000", paragraf="75")
    found = Searcher(ingested).search(query, limit=3, mode="bm25")
    assert found.results[0]["paragraph_id"] == paragraph


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("enligt 4 kap. 1 § SoL som", "4 kap. 1 § SoL"),
        ("Enligt 5 kap. 1 § socialtjänstlagen (SoL) ska", "5 kap. 1 § SoL"),
        ("med stöd i 3 kap. 3 § socialtjänstlagen. För", "3 kap. 3 § SoL"),
        ("Enligt 16 kap. 6 h § socialtjänstlagen (SoL) ska", "16 kap. 6 h § SoL"),
        ("se 26 kap. 1 § offentlighets- och sekretesslagen", "26 kap. 1 § OSL"),
        ("remissen (Ds 2023:17)", "Ds 2023:17"),
        ("betänkandet SOU 2020:47", "SOU 2020:47"),
        ("se prop. 2017/18:186 s. 96", "prop. 2017/18:186"),
        ("enligt SOSFS 2011:9", "SOSFS 2011:9"),
    ],
)
def test_law_and_remiss_references_take_one_canonical_form(text, reference):
    assert [r for _, _, r in find_references(text)] == [reference]


def test_written_out_laws_are_references_of_the_paragraph(ingested):
    rapport = unit_id(ingested.store, "003", title="Granskning av handläggning inom barn")
    found = paragraph_references(ingested.store, [rapport])[rapport]
    assert "5 kap. 1 § SoL" in found  # "Enligt 5 kap. 1 § socialtjänstlagen (SoL) ska …"
    tjansteskrivelse = unit_id(ingested.store, "001", title="Rapportering av ej verkställda")
    assert (
        "16 kap. 6 h § SoL"
        in paragraph_references(ingested.store, [tjansteskrivelse])[tjansteskrivelse]
    )


def test_law_references_filter_on_their_canonical_form(ingested):
    searcher = Searcher(ingested)
    found = searcher.search("beslut", Filters(ref="4 kap. 1 § SoL"), 50, "bm25")
    assert {(r["kommun"], r["paragraf"]) for r in found.results} == {
        ("Katrineholm", None),
        ("Stockholm", "13"),
    }


def test_the_referenser_facet(ingested):
    facets = Searcher(ingested).find("vistelseförbud promemorian", mode="bm25").facets
    values = {f["value"]: f["count"] for f in facets["referenser"]}
    assert values["Ds 2023:17"] >= 1
    assert next(iter(values)) == "Ds 2023:17"


# --- extraction from the exact wordings --------------------------------------------------------


def test_decision_references_in_the_forms_the_documents_use():
    text = (
        "Då M365 är en molntjänst krävs enligt kommunfullmäktiges beslut 21 oktober 2021 § 205 "
        "(KSKF/2021:98) att nämnden beslutar.\n"
        "Socialnämnden beslutade den 13 oktober 2022, § 90 om sammanträdesplan.\n"
        "Malin valdes vid socialnämndens sammanträde 2023-01-02, § 3 som ledamot.\n"
        "Anmälan av ordförandebeslut enligt 6 kap. 39 § KL och 4 kap. 1 § 2 st. SoL.\n"
        "Revisionen (REV/2022:14) och lagen (LVU 1990:52) och SOSFS 2011:9 nämns."
    )
    found = find_citations(text, own_dnr=["SOCN/2023:74"], base=100)
    assert [(c.typ, c.organ, c.datum, c.paragraf, c.dnr) for c in found] == [
        ("beslut", "Kommunfullmäktige", "2021-10-21", "205", "KSKF/2021:98"),
        ("beslut", "Socialnämnden", "2022-10-13", "90", None),
        ("beslut", "Socialnämnden", "2023-01-02", "3", None),
        ("dnr", None, None, None, "REV/2022:14"),
    ]
    for citation in found:
        assert text[citation.start - 100 : citation.end - 100] == citation.text
    assert found[0].text == "kommunfullmäktiges beslut 21 oktober 2021 § 205 (KSKF/2021:98)"
    assert found[3].text == "(REV/2022:14)"
    assert find_citations("Ärendet SOCN 2023:74 gäller.", own_dnr=["SOCN/2023:74"]) == []


@pytest.mark.parametrize(
    "opening",
    [
        "Mot bakgrund av granskningen rekommenderar vi socialnämnden att:",
        "Revisionens rekommendationer till nämnden är:",
        "Utifrån vår bedömning rekommenderar vi nämnden att:",
    ],
)
def test_recommendation_lists_after_each_opening(opening):
    text = f"{opening}\n\n- Revidera målen.\n- Säkerställ rutinerna;\n\n— Följ lagen.\n\nSlut."
    found = find_recommendations(text)
    assert [r.text for r in found] == ["Revidera målen", "Säkerställ rutinerna", "Följ lagen"]
    assert [r.ordinal for r in found] == [1, 2, 3]
    assert all(text[r.start : r.end] == r.text for r in found)


def test_a_recommendation_without_a_list_is_the_rest_of_the_sentence():
    text = "Vi rekommenderar nämnden att säkerställa att utredningar sker skyndsamt. Övrigt."
    (found,) = find_recommendations(text)
    assert found.text == "säkerställa att utredningar sker skyndsamt"
    assert find_recommendations("Juristerna rekommenderar att kommunen inför M365.") == []
