"""Ärenden over the seeds: linking rules and their evidence, the timeline, the audit trail of
the Eskilstuna revision, hänvisningar, incremental relinking when documents come and go, the
measured title threshold, and the API and CLI on top. Everything runs on real SQLite data
directories built by the ingest pipeline."""

from __future__ import annotations

import csv
import html
import io
import itertools
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.arenden import ANSWERS, arende_id, unit_id
from support.seeds import seed_path

from api.app import create_app
from api.cli import main
from index.datadir import DataDir
from ingest import arenden as arenden_rules
from ingest.pipeline import ingest_paths
from search.arenden import get_arende, get_paragraf, list_arenden
from swedish.organs import paragraph_organ
from swedish.titles import TITLE_THRESHOLD, title_key, title_similarity

# A protokoll of the meeting § 78 of seed 000 refers to ("Socialnämnden beslutade den
# 13 oktober 2022, § 90"), to see a reference resolve when its target arrives.
PROTOKOLL_90 = """Eskilstuna kommun

Protokoll Socialnämnden

Sammanträdesdatum 2022-10-13

Plats och tid\tEbelingrummet, Stadshuset klockan 08:30-12:00
Ledamöter\tGöran Gredfors (M) ordförande, Johan Lidén (S) 1:e vice ordförande

Utses att justera Johan Lidén

Paragrafer 90 - 90

§ 90

## Sammanträdesplan för socialnämnden år 2023

### Beslut

1. Sammanträdesplanen för socialnämnden, biståndsutskottet och arbetsutskottet år 2023 fastställs.

### Ärendebeskrivning

Socialförvaltningen har tagit fram ett förslag till sammanträdesplan för år 2023. Nämnden,
biståndsutskottet och arbetsutskottet föreslås sammanträda en gång i månaden utom i juli.

Beslutet skickas till:
Kommunstyrelsen
"""


def revision_units(store) -> dict[str, int]:
    return {
        "rapport": unit_id(store, "003", title="Granskning av handläggning inom barn"),
        "missiv": unit_id(store, "003", title="Revisionens granskning av socialnämndens"),
        "141": unit_id(store, "003", paragraf="141"),
        "svar": unit_id(store, "003", title="Svar på kommunrevisionens granskning"),
        "76": unit_id(store, "000", paragraf="76"),
    }


def assert_consistent(store) -> None:
    """No ärende without members, no member of a missing ärende, counts that add up, and no
    link or hänvisning left from a deleted §."""
    assert not store.query(
        "SELECT id FROM arenden WHERE id NOT IN (SELECT arende_id FROM arende_units "
        "WHERE arende_id IS NOT NULL)"
    )
    assert not store.query(
        "SELECT paragraph_id FROM arende_units WHERE arende_id IS NULL "
        "OR arende_id NOT IN (SELECT id FROM arenden)"
    )
    assert not store.query(
        "SELECT a.id FROM arenden a WHERE a.antal != "
        "(SELECT count(*) FROM arende_units u WHERE u.arende_id = a.id)"
    )
    for table, column in (
        ("arende_links", "paragraph_id"),
        ("arende_links", "other_id"),
        ("hanvisningar", "paragraph_id"),
        ("rekommendationer", "paragraph_id"),
    ):
        assert not store.query(
            f"SELECT 1 FROM {table} WHERE {column} NOT IN (SELECT id FROM paragraphs)"
        )
    # Every unit that can be in an ärende is in one (not a protokoll header or an agenda).
    assert not store.query(
        """SELECT p.id FROM paragraphs p JOIN parts pa ON pa.id = p.part_id
           WHERE pa.dokumenttyp != 'kallelse'
             AND NOT (p.paragraf IS NULL AND pa.dokumenttyp IN ('protokoll', 'protokollsutdrag'))
             AND p.id NOT IN (SELECT paragraph_id FROM arende_units)"""
    )


def groups(store) -> set[frozenset[int]]:
    members: dict[int, set[int]] = {}
    for row in store.query("SELECT arende_id, paragraph_id FROM arende_units"):
        members.setdefault(row[0], set()).add(row[1])
    return {frozenset(m) for m in members.values()}


# --- the Eskilstuna revision ------------------------------------------------------------------


def test_the_revision_case_is_one_arende_in_date_order(ingested):
    store = ingested.store
    units = revision_units(store)
    ids = {name: arende_id(store, unit) for name, unit in units.items()}
    assert len(set(ids.values())) == 1, ids
    arende = get_arende(store, ids["76"])
    timeline = [entry["paragraph_id"] for entry in arende["tidslinje"]]
    order = [timeline.index(units[name]) for name in ("rapport", "141", "svar", "76")]
    assert order == sorted(order), arende["tidslinje"]
    # The steps are in date order; each bilaga follows the part it is attached to.
    steps = [e for e in arende["tidslinje"] if e["bilaga_till"] is None]
    dates = [entry["datum"] for entry in steps]
    assert dates == sorted(dates)
    for i, entry in enumerate(arende["tidslinje"]):
        if entry["bilaga_till"] is not None:
            before = [e["paragraph_id"] for e in arende["tidslinje"][:i]]
            assert entry["bilaga_till"] in before
    by_unit = {entry["paragraph_id"]: entry for entry in arende["tidslinje"]}
    assert by_unit[units["rapport"]]["typ"] == "revisionsrapport"
    assert by_unit[units["rapport"]]["datum"] == "2023-05-31"
    assert by_unit[units["missiv"]]["typ"] == "missiv"
    assert by_unit[units["141"]]["typ"] == "anmälan"
    assert by_unit[units["svar"]]["typ"] == "svar"
    assert (by_unit[units["76"]]["typ"], by_unit[units["76"]]["datum"]) == ("beslut", "2023-09-26")
    # The svar and § 141 state no date of their own: they show the bundle's, marked so.
    assert by_unit[units["svar"]]["datum_kalla"] == "dokumentet"
    assert by_unit[units["76"]]["datum_kalla"] == "egen"
    # § 76 repeats the svar word for word, and says so.
    assert by_unit[units["76"]]["samma_text_som"] == units["svar"]
    assert arende["dnr"] == ["KSKF/2023:237", "SOCN/2023:39"]
    # The period starts at the audit, not at the date of a ledningssystem attached to the svar.
    assert (arende["forsta_datum"], arende["senaste_datum"]) == ("2023-05-31", "2023-09-26")
    bilagor = [e for e in arende["tidslinje"] if e["bilaga_till"] is not None]
    assert min(e["datum"] for e in bilagor) < arende["forsta_datum"]


def test_the_audit_parts_are_certain_members_and_guesses_never_are(ingested):
    store = ingested.store
    units = revision_units(store)
    arende = get_arende(store, arende_id(store, units["76"]))
    by_unit = {entry["paragraph_id"]: entry for entry in arende["tidslinje"]}
    # The svar and § 76 quote the revision's recommendations: the report and the missiv
    # are certain members, and so is § 141, which names the same granskning.
    for name in ("rapport", "missiv", "141", "svar", "76"):
        assert by_unit[units[name]]["sakerhet"] == "säker", name
        assert by_unit[units[name]]["konfidens"] == 1
    assert arende["osakra"] == sum(1 for e in arende["tidslinje"] if e["sakerhet"] != "säker")
    links = {
        (link["regel"], frozenset((link["fran"], link["till"]))): link for link in arende["lankar"]
    }
    quoted = links[("granskning", frozenset((units["svar"], units["missiv"])))]
    assert quoted["saker"] and quoted["varde"] == "citerar 5 av 5 av revisionens rekommendationer"
    named = links[("granskning", frozenset((units["141"], units["missiv"])))]
    assert named["saker"] and named["varde"].startswith("samma granskning:")
    duplicate = links[("dubblett", frozenset((units["76"], units["svar"])))]
    assert duplicate["saker"] and duplicate["konfidens"] >= 0.9
    bundle = links[("samma_handling", frozenset((units["141"], units["svar"])))]
    assert not bundle["saker"]
    titles = [link for (regel, _), link in links.items() if regel == "rubrik"]
    assert titles and not any(link["saker"] for link in titles)
    assert all("≈" in link["varde"] for link in titles)


def test_each_recommendation_shows_its_answering_paragraph_once(ingested):
    store = ingested.store
    units = revision_units(store)
    arende = get_arende(store, arende_id(store, units["76"]))
    recommendations = arende["revision"]
    assert len(recommendations) == 5
    texts = {d["id"]: d["text"] for d in _documents(store)}
    for recommendation, (wanted, answer) in zip(recommendations, ANSWERS, strict=True):
        assert recommendation["text"].startswith(wanted)
        assert recommendation["fran_revisionen"]
        # The svar and § 76 write the same paragraph: one answer, shown once, in two places.
        [found] = recommendation["svar"]
        assert {p["paragraph_id"] for p in found["platser"]} == {units["svar"], units["76"]}
        first = found["passager"][0]
        assert first["roll"] == "citerar" and not found["osaker"]
        assert first["text"].startswith(answer), (wanted, first["text"][:80])
        assert texts[first["document_id"]][first["start"] : first["end"]] == first["text"]
        for passage in found["passager"][1:]:
            assert passage["roll"] == "fortsättning"
        for place in found["platser"]:
            assert texts[place["document_id"]][place["start"] : place["end"]].startswith(answer)
    # No passage appears twice anywhere in the audit trail.
    shown = [p["text"] for r in recommendations for a in r["svar"] for p in a["passager"]]
    assert len(shown) == len(set(shown))
    # The missiv lists all five; the KPMG rapport lists four of them twice.
    first, second = recommendations[0], recommendations[1]
    assert {s["typ"] for s in first["kallor"] if s["typ"] in ("missiv", "revisionsrapport")} == {
        "missiv"
    }
    assert [s["typ"] for s in second["kallor"]].count("revisionsrapport") == 2
    for source in second["kallor"]:
        assert texts[source["document_id"]][source["start"] : source["end"]] == source["text"]


def test_the_audit_chain_reads_as_a_revisor_reads_it(ingested):
    store = ingested.store
    units = revision_units(store)
    chain = get_arende(store, arende_id(store, units["76"]))["kedja"]
    steps = [(s["steg"], s["paragraph_id"]) for s in chain]
    assert steps == [
        ("granskning", units["rapport"]),
        ("missiv", units["missiv"]),
        ("anmälan", units["141"]),
        ("svar", units["svar"]),
        ("beslut", units["76"]),
    ]
    report, missiv, anmalan, svar, decision = chain
    assert report["rubrik"] == "Granskning av handläggning inom barn och ungdomsvården"
    assert (report["datum"], report["revisor"]) == ("2023-05-31", "KPMG")
    assert (missiv["till"], missiv["svar_senast"]) == ("Socialnämnden", "2023-10-20")
    # The svar states no date: it is not dated by its bundle (the missiv's date) but placed
    # between the revision it answers and the decision that adopts it.
    assert svar["datum"] is None and svar["handlingens_datum"] == "2023-06-14"
    assert svar["datum_intervall"] == {"efter": "2023-06-14", "senast": "2023-09-26"}
    # The decision: § 76 with its beslut text and date.
    assert decision["datum"] == "2023-09-26" and decision["paragraf"] == "76"
    assert decision["beslut"] == [
        "Socialförvaltningens förslag antas som socialnämndens svar på kommunrevisionens "
        "granskning av handläggningen inom barn och ungdomsvård."
    ]
    assert decision["samma_text_som"] == units["svar"]
    # Every step carries the evidence that places it; the bilagor sit under their part.
    for step in chain:
        assert step["bevis"] and step["bevis"][0]["saker"], step["steg"]
    assert {b["rubrik"] for b in svar["bilagor"]} >= {
        "Ledningssystem för systematiskt kvalitetsarbete",
        "Socialförvaltningens kvalitetsberättelse 2022",
    }
    assert [b["typ"] for b in missiv["bilagor"]] == ["bilaga"]
    # § 141 has a KSKF dnr and is sent to Socialnämnden: another organ decided it.
    assert (anmalan["namnd"], decision["namnd"]) == (
        "Kommunstyrelsen/kommunfullmäktige",
        "Socialnämnden",
    )


def test_the_two_utforma_recommendations_are_not_swapped(ingested):
    store = ingested.store
    arende = get_arende(store, arende_id(store, unit_id(store, "000", paragraf="76")))
    by_end = {r["text"].rsplit(" ", 1)[-1]: r for r in arende["revision"]}
    rutiner = by_end["rutiner"]["svar"][0]["passager"][0]["text"]
    delegation = by_end["delegationsordning"]["svar"][0]["passager"][0]["text"]
    assert "fastställda rutiner" in rutiner and "delegationsordning" not in rutiner
    assert "fastställd delegationsordning" in delegation and "rutiner" not in delegation[:200]


def _documents(store):
    return [dict(r) for r in store.query("SELECT id, text FROM documents")]


# --- the other rules ---------------------------------------------------------------------------


def test_dnr_links_a_paragraph_and_its_utdrag_across_documents(ingested):
    store = ingested.store
    protokoll = unit_id(store, "000", paragraf="72")
    utdrag = unit_id(store, "004", paragraf="72")
    missiv = unit_id(store, "004", title="Missiv")
    assert arende_id(store, protokoll) == arende_id(store, utdrag) == arende_id(store, missiv)
    arende = get_arende(store, arende_id(store, protokoll))
    dnr = [link for link in arende["lankar"] if link["regel"] == "dnr"]
    assert [(link["varde"], link["saker"]) for link in dnr] == [("SOCN/2023:98", True)]
    text = store.scalar("SELECT text FROM documents WHERE id = ?", [dnr[0]["document_id"]])
    assert text[dnr[0]["start"] : dnr[0]["end"]] == "SOCN/2023:98"
    # The dnr written with a space finds the same ärende.
    found = list_arenden(store, "SOCN 2023:98")["arenden"]
    assert found[0]["id"] == arende["id"]


def test_a_kallelse_gives_each_tjansteskrivelse_its_own_arende(ingested):
    store = ingested.store
    heads = [
        unit_id(store, "001", title=title)
        for title in (
            "Socialförvaltningens kvalitetsberättelse 2023",
            "Yttrande gällande motion",
            "Socialnämndens månadsrapport",
            "Rapportering av ej verkställda",
            "Anmälan av delegationsbeslut",
            "Meddelanden",
        )
    ]
    assert len({arende_id(store, h) for h in heads}) == len(heads)
    # A bilaga or rapport belongs to the tjänsteskrivelse it follows.
    assert arende_id(store, unit_id(store, "001", title="Kvalitetsberättelse")) == arende_id(
        store, heads[0]
    )
    assert arende_id(store, unit_id(store, "001", title="Motion")) == arende_id(store, heads[1])
    assert arende_id(store, unit_id(store, "001", title="Månadsrapport")) == arende_id(
        store, heads[2]
    )


def test_protokoll_paragraphs_of_one_meeting_stay_apart(ingested):
    store = ingested.store
    paragraphs = [unit_id(store, "002", paragraf=str(n)) for n in range(1, 20)]
    assert len({arende_id(store, p) for p in paragraphs}) == 19
    paragraphs = [unit_id(store, "000", paragraf=str(n)) for n in range(70, 82) if n != 76]
    assert len({arende_id(store, p) for p in paragraphs}) == 11


def test_hanvisningar_keep_their_words_and_mark_what_is_not_in_the_corpus(ingested):
    store = ingested.store
    refs = get_paragraf(store, unit_id(store, "000", paragraf="74"))["hanvisningar"]
    (kf,) = refs
    assert kf["text"] == "kommunfullmäktiges beslut 21 oktober 2021 § 205 (KSKF/2021:98)"
    assert (kf["organ"], kf["datum"], kf["paragraf"], kf["dnr"]) == (
        "Kommunfullmäktige",
        "2021-10-21",
        "205",
        "KSKF/2021:98",
    )
    assert kf["extern"] and kf["mal"] is None and not kf["samma_arende"]
    text = store.scalar("SELECT text FROM documents WHERE id = ?", [kf["document_id"]])
    assert text[kf["start"] : kf["end"]] == kf["text"]
    (own,) = get_paragraf(store, unit_id(store, "000", paragraf="78"))["hanvisningar"]
    assert own["text"] == "Socialnämnden beslutade den 13 oktober 2022, § 90"
    assert (own["organ"], own["datum"], own["paragraf"]) == ("Socialnämnden", "2022-10-13", "90")
    assert own["extern"]
    listed = get_paragraf(store, unit_id(store, "003", title="Socialförvaltningens kvalitet"))
    assert {h["dnr"] for h in listed["hanvisningar"]} == {
        "REV/2022:6",
        "KSKF/2022:91",
        "REV/2022:14",
        "REV/2022:27",
    }
    assert all(h["extern"] for h in listed["hanvisningar"])


def test_title_threshold_separates_the_seeds(ingested):
    """The measured threshold, over every pair of titles from different documents in any
    kommun: heads that the other rules put in one ärende score at least TITLE_THRESHOLD,
    pairs that do not belong together score below it."""
    store = ingested.store
    units = store.query("SELECT paragraph_id, document_id, titel, typ FROM arende_units")
    parent = {u["paragraph_id"]: u["paragraph_id"] for u in units}

    def root(unit: int) -> int:
        while parent[unit] != unit:
            unit = parent[unit]
        return unit

    for a, b in store.query(
        "SELECT paragraph_id, other_id FROM arende_links WHERE regel != 'rubrik'"
    ):
        parent[root(a)] = root(b)
    together, apart = [], []
    for a, b in itertools.combinations(units, 2):
        if a["document_id"] == b["document_id"]:
            continue
        score = title_similarity(title_key(a["titel"]), title_key(b["titel"]))
        if root(a["paragraph_id"]) != root(b["paragraph_id"]):
            apart.append((score, a["titel"], b["titel"]))
        elif a["typ"] not in ("bilaga", "rapport") and b["typ"] not in ("bilaga", "rapport"):
            together.append((score, a["titel"], b["titel"]))
    # § 76 with the svar, missiv, rapport and § 141 of seed 003; § 72 with seed 004's two.
    assert len(together) == 6
    assert min(together)[0] == 1.0 >= TITLE_THRESHOLD
    best_apart = max(apart)
    assert best_apart[0] < TITLE_THRESHOLD
    assert best_apart[0] == 0.5, best_apart  # "Månadsrapport" / "Månadsrapport november 2022"


def test_titles_naming_other_periods_or_routine_never_match():
    quarter_2 = title_key("Rapportering av ej verkställda gynnande biståndsbeslut kvartal 2 - 2023")
    quarter_3 = title_key("Rapportering av ej verkställda gynnande biståndsbeslut kvartal 3 - 2023")
    next_year = title_key("Rapportering av ej verkställda gynnande biståndsbeslut kvartal 2 - 2024")
    assert title_similarity(quarter_2, quarter_2) == 1.0
    assert title_similarity(quarter_2, quarter_3) == 0.0
    assert title_similarity(quarter_2, next_year) == 0.0
    # A period on one side only halves the score: recurring reports stay apart.
    assert title_similarity(
        title_key("Månadsrapport"), title_key("Månadsrapport november 2022")
    ) < (TITLE_THRESHOLD)
    assert title_key("Fastställande av föredragningslista") is None
    assert title_key("Delegationsrapporter till socialnämnden i september 2023") is None


# --- incremental linking -------------------------------------------------------------------


@pytest.fixture
def fresh(tmp_path):
    data = DataDir(tmp_path / "data")
    yield data
    data.close()


def copy_seed(directory: Path, prefix: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(seed_path(prefix), directory / seed_path(prefix).name))


def test_a_reference_resolves_when_its_target_arrives_in_either_order(tmp_path):
    protokoll_90 = tmp_path / "in" / "protokoll_2022-10-13.txt"
    protokoll_90.parent.mkdir(parents=True)
    protokoll_90.write_text(PROTOKOLL_90, encoding="utf-8")
    seed = copy_seed(tmp_path / "in", "000")
    for order, files in enumerate(([seed, protokoll_90], [protokoll_90, seed])):
        data = DataDir(tmp_path / f"data{order}")
        ingest_paths(data, files[:1], progress=False)
        ingest_paths(data, files[1:], progress=False)
        store = data.store
        referring = unit_id(store, "000", paragraf="78")
        target = unit_id(store, "protokoll_", paragraf="90")
        (reference,) = get_paragraf(store, referring)["hanvisningar"]
        assert not reference["extern"] and reference["mal"]["paragraph_id"] == target
        assert reference["samma_arende"]  # the nämnd's own earlier decision
        assert arende_id(store, referring) == arende_id(store, target)
        arende = get_arende(store, arende_id(store, target))
        (link,) = [link for link in arende["lankar"] if link["regel"] == "hänvisning"]
        assert not link["saker"] and link["varde"] == reference["text"]
        assert [e["paragraph_id"] for e in arende["tidslinje"]] == [target, referring]
        assert_consistent(store)
        data.close()


def test_replacing_a_document_keeps_arenden_consistent(tmp_path, fresh):
    files = [copy_seed(tmp_path / "in", p) for p in ("000", "003", "004")]
    ingest_paths(fresh, files, progress=False)
    store = fresh.store
    assert_consistent(store)
    revision = arende_id(store, unit_id(store, "000", paragraf="76"))
    before = len(groups(store))
    rows_before = store.scalar("SELECT count(*) FROM arenden")

    # A new version of seed 003 (one line added): its § get new ids, the ärenden keep theirs.
    files[1].write_text(files[1].read_text(encoding="utf-8") + "\nBilaga: ny version\n")
    summary = ingest_paths(fresh, [files[1]], progress=False)
    assert [r.status for r in summary.results] == ["replaced"]
    assert_consistent(store)
    assert len(groups(store)) == before
    assert store.scalar("SELECT count(*) FROM arenden") == rows_before
    units = revision_units(store)
    assert {arende_id(store, u) for u in units.values()} == {revision}
    assert len(get_arende(store, revision)["revision"]) == 5

    # Replacing the protokoll keeps its ärenden too (and the revision's id).
    files[0].write_text(files[0].read_text(encoding="utf-8") + "\n")
    ingest_paths(fresh, [files[0]], progress=False)
    assert_consistent(store)
    assert arende_id(store, unit_id(store, "000", paragraf="76")) == revision
    assert len(groups(store)) == before


def test_deleting_a_document_unlinks_it(tmp_path, fresh):
    files = [copy_seed(tmp_path / "in", p) for p in ("000", "003", "004")]
    ingest_paths(fresh, files, progress=False)
    store = fresh.store
    revision = arende_id(store, unit_id(store, "000", paragraf="76"))
    only_000 = arende_id(store, unit_id(store, "000", paragraf="75"))
    protokoll = store.scalar("SELECT id FROM documents WHERE filename LIKE '000%'")
    with store.transaction() as conn:
        previous = arenden_rules.before_delete(conn, protokoll)
        store.delete_document(conn, protokoll)
        arenden_rules.after_delete(conn, previous)
    assert_consistent(store)
    assert store.scalar("SELECT 1 FROM arenden WHERE id = ?", [only_000]) is None
    left = get_arende(store, revision)
    assert left is not None and {e["document_id"] for e in left["tidslinje"]} == {
        store.scalar("SELECT id FROM documents WHERE filename LIKE '003%'")
    }
    # § 72 of the utdrag (seed 004) lost its protokoll twin but keeps its own ärende.
    assert get_arende(store, arende_id(store, unit_id(store, "004", paragraf="72")))["antal"] == 6


def test_relinking_everything_gives_the_same_arenden_and_ids(tmp_path, fresh):
    files = [copy_seed(tmp_path / "in", p) for p in ("000", "001", "003", "004")]
    ingest_paths(fresh, files, progress=False)
    store = fresh.store
    before = {
        row[0]: row[1] for row in store.query("SELECT paragraph_id, arende_id FROM arende_units")
    }
    with store.transaction() as conn:
        arenden_rules.relink_all(conn)
    after = {
        row[0]: row[1] for row in store.query("SELECT paragraph_id, arende_id FROM arende_units")
    }
    assert after == before
    assert_consistent(store)


def test_a_store_from_before_arenden_is_linked_on_the_next_ingest(tmp_path, fresh):
    files = [copy_seed(tmp_path / "in", p) for p in ("000", "003")]
    ingest_paths(fresh, files, progress=False)
    store = fresh.store
    linked = groups(store)
    with store.transaction() as conn:
        for table in ("arende_units", "arende_links", "arenden", "chunk_referenser"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM meta WHERE key = 'arenden_version'")
    summary = ingest_paths(fresh, files, progress=False)
    assert {r.status for r in summary.results} == {"unchanged"}
    assert groups(store) == linked
    assert_consistent(store)


# --- API and CLI -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(ingested):
    with TestClient(create_app(ingested.path)) as test_client:
        yield test_client


def test_api_lists_and_searches_arenden(client, ingested):
    revision = arende_id(ingested.store, unit_id(ingested.store, "000", paragraf="76"))
    listed = client.get("/api/arenden", params={"limit": 100}).json()
    assert (
        listed["total"]
        == len(listed["arenden"])
        == ingested.store.scalar("SELECT count(*) FROM arenden")
    )
    found = client.get("/api/arenden", params={"q": "granskning handläggning barn"}).json()
    assert found["arenden"][0]["id"] == revision
    assert found["arenden"][0]["har_rekommendationer"]
    by_dnr = client.get("/api/arenden", params={"q": "KSKF/2023:237"}).json()
    assert by_dnr["arenden"][0]["id"] == revision
    page = client.get("/api/arenden", params={"limit": 2, "offset": 2}).json()
    assert [a["id"] for a in page["arenden"]] == [a["id"] for a in listed["arenden"][2:4]]


def test_api_shows_one_arende_with_timeline_evidence_and_audit_trail(client, ingested):
    store = ingested.store
    revision = arende_id(store, unit_id(store, "000", paragraf="76"))
    body = client.get(f"/api/arenden/{revision}").json()
    assert body["id"] == revision
    assert {"tidslinje", "lankar", "hanvisningar", "revision", "positioner"} <= body.keys()
    assert len(body["revision"]) == 5
    passage = body["revision"][0]["svar"][0]["passager"][0]
    text = client.get(f"/api/documents/{passage['document_id']}").json()["text"]
    assert text[passage["start"] : passage["end"]].startswith(ANSWERS[0][1])
    remiss = arende_id(store, unit_id(store, "000", paragraf="75"))
    positions = client.get(f"/api/arenden/{remiss}").json()["positioner"]
    assert {(p["namn"], p["roll"]) for p in positions[0]["positioner"]} >= {
        ("Leena Kumpula", "reservation"),
        ("Sebastian Nygren", "reservation"),
        ("Johan Graff Andersson", "reservation"),
    }


def test_api_paragraf_and_search_results_link_to_their_arende(client, ingested):
    store = ingested.store
    paragraph = unit_id(store, "000", paragraf="75")
    body = client.get(f"/api/paragrafer/{paragraph}").json()
    assert body["arende_id"] == arende_id(store, paragraph)
    assert body["referenser"] == ["Ds 2023:17"]
    assert {
        (p["namn"], p["parti"], p["detalj"])
        for p in body["positioner"]
        if p["roll"] == "reservation"
    } == {
        ("Leena Kumpula", "C", "skriftlig"),
        ("Sebastian Nygren", "V", "skriftlig"),
        ("Johan Graff Andersson", "L", "muntlig"),
    }
    results = client.get(
        "/api/search",
        params={"q": "vistelseförbud", "roll": "reservation", "parti": "V", "mode": "bm25"},
    ).json()["results"]
    assert results and {r["paragraph_id"] for r in results} == {paragraph}
    assert {r["arende_id"] for r in results} == {body["arende_id"]}
    similar = client.get(f"/api/paragrafer/{paragraph}/liknande").json()
    assert similar["liknande"] and paragraph not in {s["paragraph_id"] for s in similar["liknande"]}


def test_api_document_lists_its_units_with_arende_positions_and_references(client, ingested):
    store = ingested.store
    paragraph = unit_id(store, "000", paragraf="75")
    document = client.get(f"/api/documents/{document_of(store, paragraph)}").json()
    units = {u["paragraph_id"]: u for u in document["enheter"]}
    assert {p["id"] for p in document["paragrafer"]} <= set(units)
    assert [u["start"] for u in document["enheter"]] == sorted(
        u["start"] for u in document["enheter"]
    )
    unit = units[paragraph]
    assert (unit["paragraf"], unit["arende_id"]) == ("75", arende_id(store, paragraph))
    assert unit["referenser"] == ["Ds 2023:17"]
    assert unit["positioner"] == client.get(f"/api/paragrafer/{paragraph}").json()["positioner"]
    # Parts without § are units too, with the certainty of their membership.
    revision = revision_units(store)
    document = client.get(f"/api/documents/{document_of(store, revision['missiv'])}").json()
    units = {u["paragraph_id"]: u for u in document["enheter"]}
    missiv = units[revision["missiv"]]
    assert missiv["paragraf"] is None and missiv["typ"] == "missiv"
    assert missiv["sakerhet"] == "säker"
    assert missiv["arende_id"] == arende_id(store, revision["76"])


def document_of(store, paragraph_id: int) -> int:
    return store.scalar("SELECT document_id FROM paragraphs WHERE id = ?", [paragraph_id])


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/arenden/999999", 404),
        ("/api/paragrafer/999999", 404),
        ("/api/paragrafer/999999/liknande", 404),
        ("/api/chunks/999999/liknande", 404),
        ("/api/arenden/0", 422),
        ("/api/arenden/abc", 422),
        ("/api/paragrafer/-3", 422),
        ("/api/paragrafer/1/liknande?limit=0", 422),
        ("/api/paragrafer/1/liknande?dokumenttyp=%3Cscript%3E", 422),
        ("/api/arenden?limit=0", 422),
        ("/api/arenden?offset=-1", 422),
        (f"/api/arenden/{2**64}", 422),
        ("/api/search?q=beslut&roll=ja", 422),
    ],
)
def test_api_unknown_ids_and_bad_parameters(client, path, status):
    response = client.get(path)
    assert response.status_code == status, response.text
    assert "detail" in response.json()


def test_cli_lists_and_shows_arenden(ingested, capsys):
    assert main(["arenden", "granskning barn", "--json", "--data-dir", str(ingested.path)]) == 0
    listed = json.loads(capsys.readouterr().out)
    revision = listed["arenden"][0]["id"]
    assert main(["arende", str(revision), "--data-dir", str(ingested.path)]) == 0
    text = " ".join(capsys.readouterr().out.split())  # wrapped at 100 characters
    assert "Revisionens rekommendationer och nämndens svar" in text
    assert "Avseende rekommendationen att revidera nämndens mål" in text
    assert "svar i svar (003_7df18b0522fd7f8d.txt), § 76:" in text
    assert main(["arende", str(revision), "--json", "--data-dir", str(ingested.path)]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == revision
    assert main(["arende", "999999", "--data-dir", str(ingested.path)]) == 2
    assert "no ärende 999999" in capsys.readouterr().err


# --- the chain beyond the seed -----------------------------------------------------------------

# Another kommun's audit, written for this test: a PwC rapport, the revisorer's missiv and the
# nämnd's § in three files, no dnr in common, another organ (with a hyphen in its name).
AUDIT_RAPPORT = """Revisionsrapport

Granskning av biståndshandläggning inom hemtjänsten

Vimmerby kommun

PwC

2024-02-15

1 Sammanfattning

PwC har på uppdrag av de förtroendevalda revisorerna i Vimmerby kommun granskat om vård- och \
omsorgsnämnden säkerställer en ändamålsenlig och rättssäker biståndshandläggning inom hemtjänsten.

Vår samlade bedömning är att nämnden delvis säkerställer en rättssäker handläggning. Uppföljningen \
av beviljade insatser sker inte regelbundet och nämnden saknar en rutin för att följa upp att \
beslut verkställs inom skälig tid.

2 Rekommendationer

Utifrån granskningen rekommenderar vi vård- och omsorgsnämnden att:

- Upprätta en rutin för regelbunden uppföljning av beviljade hemtjänstinsatser.
- Säkerställa att beslut om hemtjänst verkställs inom skälig tid och att dröjsmål rapporteras.
- Utveckla egenkontrollen av biståndshandläggningen genom årlig aktgranskning.

3 Inledning

Granskningen omfattar biståndshandläggning enligt 4 kap. 1 § SoL för personer som ansöker om \
hemtjänst. Granskningen har genomförts genom dokumentstudier, intervjuer och stickprov i 20 akter.
"""

AUDIT_MISSIV = """Vimmerby kommun
Revisorerna

2024-02-20

Till: Vård- och omsorgsnämnden

För kännedom: Kommunfullmäktige

Granskning av biståndshandläggning inom hemtjänsten

Vi har med stöd av PwC granskat om vård- och omsorgsnämnden säkerställer en ändamålsenlig och \
rättssäker biståndshandläggning inom hemtjänsten.

Mot bakgrund av granskningen rekommenderar vi nämnden att:

- Upprätta en rutin för regelbunden uppföljning av beviljade hemtjänstinsatser.
- Säkerställa att beslut om hemtjänst verkställs inom skälig tid och att dröjsmål rapporteras.
- Utveckla egenkontrollen av biståndshandläggningen genom årlig aktgranskning.

Vi emotser nämndens yttrande senast 2024-05-31.

För revisorerna i Vimmerby kommun

Karin Ström
Ordförande
"""

AUDIT_PROTOKOLL = """Vimmerby kommun

Protokoll Vård- och omsorgsnämnden

Sammanträdesdatum 2024-04-23

Plats och tid\tKommunhuset klockan 13:00-15:00
Ledamöter\tLars Ek (S) ordförande, Maria Dahl (M) vice ordförande

Utses att justera Maria Dahl

Paragrafer 30 - 30

§ 30

VON 2024:41

Svar på revisionens granskning av biståndshandläggning inom hemtjänsten

Beslut

1. Vård- och omsorgsnämnden antar förvaltningens förslag som sitt svar till revisorerna.

Ärendebeskrivning

Revisorerna har granskat biståndshandläggningen inom hemtjänsten. Revisionens rekommendationer \
till nämnden är:

- Upprätta en rutin för regelbunden uppföljning av beviljade hemtjänstinsatser.
- Säkerställa att beslut om hemtjänst verkställs inom skälig tid och att dröjsmål rapporteras.
- Utveckla egenkontrollen av biståndshandläggningen genom årlig aktgranskning.

Avseende rekommendationen att upprätta en rutin för regelbunden uppföljning av beviljade \
hemtjänstinsatser har förvaltningen tagit fram en rutin som införs under hösten 2024.

Förvaltningen instämmer i att säkerställa att beslut om hemtjänst verkställs inom skälig tid och \
att dröjsmål rapporteras, och rapporterar ej verkställda beslut kvartalsvis.

Beslutet skickas till:
Revisorerna
"""


def test_another_kommuns_audit_in_three_files_is_one_certain_chain(tmp_path, fresh):
    files = []
    for name, text in (
        ("protokoll.txt", AUDIT_PROTOKOLL),
        ("missiv.txt", AUDIT_MISSIV),
        ("rapport.txt", AUDIT_RAPPORT),
    ):
        files.append(tmp_path / name)
        files[-1].write_text(text, encoding="utf-8")
    summary = ingest_paths(fresh, files, progress=False)
    assert summary.count("ingested") == 3, [r.reason for r in summary.results]
    store = fresh.store
    cases = {r[0] for r in store.query("SELECT DISTINCT arende_id FROM arende_units")}
    assert len(cases) == 1
    arende = get_arende(store, cases.pop())
    assert arende["osakra"] == 0
    assert {e["sakerhet"] for e in arende["tidslinje"]} == {"säker"}
    assert (arende["forsta_datum"], arende["senaste_datum"]) == ("2024-02-15", "2024-04-23")
    steps = {s["steg"]: s for s in arende["kedja"]}
    assert [s["steg"] for s in arende["kedja"]] == ["granskning", "missiv", "beslut"]
    assert (steps["granskning"]["revisor"], steps["granskning"]["datum"]) == ("PwC", "2024-02-15")
    assert steps["missiv"]["svar_senast"] == "2024-05-31"
    assert steps["beslut"]["beslut"] == [
        "Vård- och omsorgsnämnden antar förvaltningens förslag som sitt svar till revisorerna."
    ]
    assert steps["beslut"]["namnd"] == "Vård- och omsorgsnämnden"
    rules = {link["regel"] for link in arende["lankar"] if link["saker"]}
    assert rules == {"granskning"}
    # The rapport's list (after "vård- och omsorgsnämnden att:") is read, and the first
    # recommendation is answered in § 30.
    assert len(arende["revision"]) == 3
    assert arende["revision"][0]["fran_revisionen"]
    assert arende["revision"][0]["svar"][0]["platser"][0]["paragraf"] == "30"
    assert_consistent(store)


def test_an_audit_of_the_same_subject_years_later_is_not_certainly_the_same(tmp_path, fresh):
    later = AUDIT_RAPPORT.replace("2024-02-15", "2026-03-02").replace(
        "- Upprätta en rutin för regelbunden uppföljning av beviljade hemtjänstinsatser.\n", ""
    )
    files = []
    for name, text in (("protokoll.txt", AUDIT_PROTOKOLL), ("rapport.txt", later)):
        files.append(tmp_path / name)
        files[-1].write_text(text, encoding="utf-8")
    ingest_paths(fresh, files, progress=False)
    certain = fresh.store.query("SELECT * FROM arende_links WHERE saker = 1")
    assert not certain, [dict(r) for r in certain]


@pytest.mark.parametrize(
    ("namnd", "head", "dnr", "skickas_till", "expected"),
    [
        # The protokoll's header names the organ: that is the organ, whatever the dnr.
        ("Socialnämnden", "Protokoll Socialnämnden", ["KSKF/2023:237"], [], "Socialnämnden"),
        # No header; another organ's series; sent to the bundle's organ: another organ.
        (
            "Socialnämnden",
            "",
            ["KSKF/2023:237"],
            ["Socialnämnden"],
            "Kommunstyrelsen/kommunfullmäktige",
        ),
        (
            "Socialnämnden",
            "",
            ["KS 2024/12"],
            ["Kommunrevisionen", "Socialnämnden"],
            "Kommunstyrelsen",
        ),
        # Not sent to the bundle's organ: nothing says it is another organ's.
        ("Socialnämnden", "", ["KS 2024/12"], ["Kommunstyrelsen"], "Socialnämnden"),
        # The organ's own series.
        ("Socialnämnden", "", ["SOCN/2023:39"], ["Socialnämnden"], "Socialnämnden"),
        ("Barn- och utbildningsnämnden", "", ["BUN 2023/0412"], [], "Barn- och utbildningsnämnden"),
        # Unknown series: the bundle's organ.
        ("Socialnämnden", "", ["3.4.1-629/2021"], ["Socialnämnden"], "Socialnämnden"),
    ],
)
def test_the_organ_of_a_paragraph(namnd, head, dnr, skickas_till, expected):
    assert paragraph_organ(namnd, head, dnr, skickas_till)[0] == expected


def test_export_for_the_audit_file_over_http(client, ingested):
    store = ingested.store
    units = revision_units(store)
    revision = arende_id(store, units["76"])
    body = client.get(f"/api/arenden/{revision}/export.json").json()
    assert [s["steg"] for s in body["kedja"]][-1] == "beslut"
    steps = [r for r in body["rader"] if r["del"] == "steg"]
    assert len(steps) == len(body["kedja"])
    decision = next(r for r in steps if r["paragraf"] == "76")
    assert decision["datum"] == "2023-09-26"
    assert decision["text"].startswith("Socialförvaltningens förslag antas")
    assert decision["lank"].endswith(f"/?doc={document_of(store, units['76'])}&paragraf=76")
    answers = [r for r in body["rader"] if r["del"] == "svar"]
    assert {r["paragraf"] or r["typ"] for r in answers} == {"76", "svar"}
    texts = {d["id"]: d["text"] for d in _documents(store)}
    for row in answers + [r for r in body["rader"] if r["del"] == "rekommendation"]:
        quoted = texts[row["document_id"]][row["start"] : row["end"]]
        assert quoted.startswith(row["text"][:60]) or row["text"].startswith(quoted[:60])
        assert f"start={row['start']}&end={row['end']}" in row["lank"]

    response = client.get(f"/api/arenden/{revision}/export.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(body["rader"])
    assert {r["del"] for r in rows} >= {"steg", "bilaga", "rekommendation", "svar", "koppling"}

    page = client.get(f"/api/arenden/{revision}/utskrift")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Ärendets gång" in page.text and "KPMG" in page.text
    assert "Socialförvaltningens förslag antas som socialnämndens svar" in page.text
    # Each answering passage once, with both places.
    first = body["revision"][0]["svar"][0]["passager"][0]["text"]
    assert page.text.count(html.escape(first[:80])) == 1
    assert client.get("/api/arenden/999999/export.csv").status_code == 404


def test_cli_exports_an_arende(ingested, capsys):
    revision = arende_id(ingested.store, unit_id(ingested.store, "000", paragraf="76"))
    path = str(ingested.path)
    assert main(["arende", str(revision), "--export", "csv", "--data-dir", path]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and rows[0]["del"] == "steg" and rows[0]["typ"] == "granskning"
    assert rows[0]["lank"].startswith("/?doc=")
    argv = ["arende", str(revision), "--export", "json", "--base-url", "http://namnd.example"]
    assert main([*argv, "--data-dir", path]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert all(
        r["lank"].startswith("http://namnd.example/?doc=") for r in exported["rader"] if r["lank"]
    )
    assert main(["arende", str(revision), "--export", "html", "--data-dir", path]) == 0
    assert capsys.readouterr().out.startswith("<!doctype html>")
    assert main(["arende", str(revision), "--data-dir", path]) == 0
    assert "Ärendets gång" in capsys.readouterr().out


def test_each_part_of_a_bundle_carries_its_own_kind_title_and_date(client, ingested):
    store = ingested.store
    units = revision_units(store)
    document = client.get(f"/api/documents/{document_of(store, units['rapport'])}").json()
    parts = {p["title"]: p for p in document["parts"]}
    report = parts["Granskning av handläggning inom barn och ungdomsvården"]
    assert (report["typ"], report["datum"], report["datum_kalla"]) == (
        "revisionsrapport",
        "2023-05-31",
        "egen",
    )
    missiv = parts[
        "Revisionens granskning av socialnämndens handläggning inom barn och ungdomsvård"
    ]
    assert missiv["typ"] == "missiv"
    # The bundle's header is the svar's; the svar states no date of its own.
    assert document["title"].startswith("Svar på kommunrevisionens granskning")
    assert document["parts"][0]["datum_kalla"] == "dokumentet"
