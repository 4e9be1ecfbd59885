"""The search people see (`Searcher.find`, the CLI and the API share it): the relevance
cutoff, one card per §, honest totals, accent-free matching, spelling suggestions and
boilerplate ranked below substantive text, over the real corpus and index."""

from __future__ import annotations

import json

import pytest

from api.cli import main
from index.filters import Filters
from search.hybrid import Searcher
from search.suggest import edit_distance
from swedish.analyzer import Analyzer, fold

QUERIES = ["budget", "vräkning av barnfamiljer", "socialnämnden beslut", "granskning",
           "Vem reserverade sig mot vistelseförbud?", "ekonomiskt bistånd", "SOCN/2023:82"]


@pytest.fixture(scope="module")
def searcher(embedded) -> Searcher:
    return Searcher(embedded)


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
@pytest.mark.parametrize("query", ["xyzzyqwerty", "blorfen snarkle vizzbang",
                                   "Taylor Swift konsertbiljetter"])
def test_nonsense_and_off_topic_queries_find_nothing(searcher, mode, query):
    page = searcher.find(query, mode=mode)
    assert page.total == 0 and page.results == []


def test_cli_nonsense_says_no_hits_and_json_is_the_api_body(embedded, capsys):
    assert main(["search", "xyzzyqwerty", "--data-dir", str(embedded.path)]) == 0
    assert "Inga träffar." in capsys.readouterr().out
    assert main(["search", "xyzzyqwerty", "--json", "--data-dir", str(embedded.path)]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["total"] == 0 and body["results"] == []
    assert set(body) >= {"total", "offset", "sort", "facets", "suggestions", "results"}


@pytest.mark.parametrize("query", QUERIES)
def test_no_paragraph_twice_in_a_page_and_passages_belong_to_the_card(searcher, query):
    page = searcher.find(query, limit=50)
    assert page.results
    cards = [(r["paragraph_id"] or -r["part_id"]) for r in page.results]
    assert len(cards) == len(set(cards)), cards
    texts = [" ".join(r["text"].split()) for r in page.results]
    assert len(texts) == len(set(texts))  # a text in two places is one result
    store = searcher.data.store
    for result in page.results:
        assert result["passages_total"] >= len(result["passages"])
        for passage in result["passages"]:
            row = store.query(
                "SELECT paragraph_id, part_id FROM chunks WHERE id = ?", [passage["chunk_id"]]
            )[0]
            assert (row["paragraph_id"] or -row["part_id"]) == (
                result["paragraph_id"] or -result["part_id"]
            )


def test_a_filtered_search_is_the_unfiltered_one_narrowed(searcher):
    everything = searcher.find("budget", limit=50).results
    stockholm = searcher.find("budget", Filters(kommun="Stockholm"), limit=50).results
    assert stockholm and {r["kommun"] for r in stockholm} == {"Stockholm"}
    assert [r["chunk_id"] for r in stockholm] == [
        r["chunk_id"] for r in everything if r["kommun"] == "Stockholm"
    ]


def test_accent_free_words_match_their_accented_spelling(searcher):
    analyzer = Analyzer()
    assert fold("vräkningsförebyggande") == "vrakningsforebyggande"
    assert "vrakning" in {t.term for t in analyzer.tokens("Vräkningar")}
    # A query with accents asks for its own spelling only.
    assert analyzer.query_terms("får") == ["får"]
    # The words match alike (the embeddings of the two spellings differ: BM25 alone).
    plain = searcher.find("vrakning forsorjningsstod", limit=50, mode="bm25")
    accented = searcher.find("vräkning försörjningsstöd", limit=50, mode="bm25")
    assert plain.total == accented.total > 0
    assert {r["chunk_id"] for r in plain.results} == {r["chunk_id"] for r in accented.results}
    marked = [plain.results[0]["snippet"][a:b].lower() for a, b in plain.results[0]["highlights"]]
    assert any(word.startswith(("vräkning", "försörjningsstöd")) for word in marked), marked


def test_spelling_suggestions_come_from_the_index(searcher):
    page = searcher.find("vräknig")
    assert page.total == 0
    assert page.suggestions and page.suggestions[0] == "vräkning"
    assert searcher.find(page.suggestions[0]).total > 0
    assert searcher.find("xyzzyqwerty").suggestions == []
    assert edit_distance("vräknig", "vräkning") == 1
    assert edit_distance("granksning", "granskning") == 1  # a swap is one edit


def test_a_compound_member_alone_is_not_the_word(searcher):
    # "molntjänster" matches its § in Eskilstuna, not every text with "tjänst".
    page = searcher.find("molntjänster", mode="bm25")
    assert page.total >= 1
    for result in page.results:
        assert "moln" in result["text"].lower()


def test_sort_newest_and_oldest(searcher):
    newest = [r["datum"] for r in searcher.find("budget", limit=50, sort="nyast").results]
    oldest = [r["datum"] for r in searcher.find("budget", limit=50, sort="aldst").results]
    assert newest == sorted(newest, reverse=True) and oldest == sorted(newest)
    with pytest.raises(ValueError):
        searcher.find("budget", sort="datum")


DISCLAIMER = (
    "Detta e-postmeddelande och dess bilagor kan innehålla konfidentiell information om "
    "granskning och granskningen av ledningssystem som endast är avsedd för mottagaren. "
    "Om du inte är rätt mottagare ber vi dig att omedelbart meddela avsändaren och radera "
    "meddelandet utan att kopiera det eller visa det för någon annan. KPMG granskning "
    "ledningssystem. KPMG granskning ledningssystem. KPMG granskning ledningssystem."
)
BODY = " ".join(
    f"Förvaltningen har under våren {n} sett över lokalbehovet för den dagliga verksamheten "
    "och föreslår att nämnden hyr en ny lokal på Storgatan med plats för fler deltagare."
    for n in range(8)
)


def test_boilerplate_ranks_below_substantive_text(tmp_path):
    from index.datadir import DataDir
    from ingest.pipeline import ingest_paths

    files = []
    for number in range(4):
        path = tmp_path / f"skrivelse-{number}.txt"
        path.write_text(
            f"Eskilstuna kommun\nSocialnämnden\nTjänsteskrivelse\n2023-0{number + 1}-10\n\n"
            f"Ärende {number}: lokaler för daglig verksamhet nummer {number}\n\n"
            f"{BODY} Lokal nummer {number}.\n\n"
            f"{DISCLAIMER}\n",
            encoding="utf-8",
        )
        files.append(path)
    report = tmp_path / "rapport.txt"
    report.write_text(
        "Eskilstuna kommun\nSocialnämnden\nRevisionsrapport\n2023-06-01\n\n"
        "Granskning av socialnämndens ledningssystem\n\n"
        "KPMG har på uppdrag av revisorerna genomfört en granskning av nämndens "
        f"ledningssystem för systematiskt kvalitetsarbete. {BODY}\n",
        encoding="utf-8",
    )
    files.append(report)
    data = DataDir(tmp_path / "data")
    summary = ingest_paths(data, files, progress=False)
    assert summary.count("ingested") == 5, [r.reason for r in summary.results]
    page = Searcher(data).find("KPMG granskning ledningssystem", mode="bm25", limit=10)
    assert page.results[0]["source"] == "rapport.txt", [r["source"] for r in page.results]
    # The disclaimer still matches: one result for its text, the other places listed.
    disclaimer = [r for r in page.results if "e-postmeddelande" in r["text"]]
    assert len(disclaimer) == 1 and disclaimer[0]["other_places_total"] == 3
    data.close()
