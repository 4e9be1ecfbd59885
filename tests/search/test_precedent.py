"""Precedent ("Liknande"): the nearest other § by the mean of its chunk vectors with BM25
support on its rubrik, in other meetings and by default other kommuner, the same kind of
handling and the same remiss first, closeness in words with measured thresholds ("Inget
nära prejudikat" under them), filterable by dokumenttyp; BM25 alone without embeddings."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient
from support.arenden import arende_id, unit_id

from api.app import create_app
from index.datadir import DataDir
from index.embed import embed_pending
from ingest.pipeline import ingest_paths
from search.hybrid import Searcher
from search.precedent import (
    TEXT_TOPIC,
    WORDS_TOPIC,
    closeness,
    handling_kind,
    liknande,
)

YTTRANDE_KINDS = ("Yttrande", "Svar på")


def _tier(item: dict) -> int:
    shared = item["gemensamma_referenser"]
    if any(r.lower().startswith(("ds ", "sou ", "dir.", "prop.")) for r in shared):
        return 0
    if item["samma_handling"]:
        return 1 if shared else 2
    return 3 if shared else 4


def assert_precedent_order(items: list[dict]) -> None:
    """Close before not close, then the same remiss, the same kind of handling, a shared
    law; by score within each."""
    keys = [(i["narhet"] is None, _tier(i), -i["likhet"]) for i in items]
    assert keys == sorted(keys), keys


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
    assert_precedent_order(items)
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


def test_liknande_from_other_kommuner_by_default(embedded):
    store = embedded.store
    paragraph = unit_id(store, "002", paragraf="15")  # Stockholm: handläggning av barnärenden
    found = liknande(Searcher(embedded), paragraph_id=paragraph, limit=5)
    assert found["andra_kommuner"]
    items = found["liknande"]
    assert items and "Stockholm" not in {i["kommun"] for i in items}
    # The nearest: Eskilstuna's granskning of handläggning in barn- och ungdomsvården, on the
    # same subject ("liknande ämne").
    assert items[0]["rubrik"].startswith("Granskning av handläggning inom barn")
    assert items[0]["narhet"] == "liknande ämne" and found["nara_prejudikat"]


def test_liknande_never_lists_the_same_meeting(embedded):
    store = embedded.store
    paragraph = unit_id(store, "000", paragraf="75")
    found = liknande(Searcher(embedded), paragraph_id=paragraph, andra_kommuner=False, limit=20)
    items = found["liknande"]
    assert items and not found["andra_kommuner"]
    protokoll = store.scalar("SELECT document_id FROM paragraphs WHERE id = ?", [paragraph])
    meeting = {
        r[0]
        for r in store.query(
            """SELECT arende_id FROM arende_units WHERE document_id = ?
               AND arende_id IS NOT NULL""",
            [protokoll],
        )
    }
    # Not § 78 "Ändring av sammanträdesdag" of the same protokoll, nor an utdrag of it.
    assert not {i["arende_id"] for i in items} & meeting
    assert protokoll not in {i["document_id"] for i in items}
    assert_precedent_order(items)


# Pairs of seed § from different kommuner, labelled by hand: on one matter or unrelated. The
# closeness thresholds in search/precedent.py were measured on them.
RELATED = [
    (("002", "13", None), ("001", None, "Rapportering av ej verkställda")),
    (("000", "77", None), ("001", None, "Rapportering av ej verkställda")),
    (("002", "15", None), ("003", None, "Granskning av handläggning inom barn")),
    (("003", None, "Socialförvaltningens kvalitetsberättelse 2022"), ("001", None, "Kvalitet")),
]
UNRELATED = [
    (("002", "12", None), ("003", None, "Granskning av handläggning inom barn")),
    (("002", "19", None), ("003", None, "Granskning av handläggning inom barn")),
    (("000", "74", None), ("001", None, "Kvalitetsberättelse")),
    (("000", "75", None), ("001", None, "Yttrande gällande motion")),
    (("000", "78", None), ("002", "5", None)),
    (("002", "18", None), ("003", None, "Granskning av handläggning inom barn")),
    (("002", "8", None), ("003", None, "Svar på kommunrevisionens granskning")),
    (("000", "75", None), ("002", "15", None)),
    (("002", "6", None), ("001", None, "Kvalitetsberättelse")),
]


def test_closeness_thresholds_separate_labelled_seed_pairs(embedded):
    store, searcher = embedded.store, Searcher(embedded)

    def measured(pair):
        (seed_a, par_a, title_a), (seed_b, par_b, title_b) = pair
        a = unit_id(store, seed_a, paragraf=par_a, title=title_a)
        b = unit_id(store, seed_b, paragraf=par_b, title=title_b)
        return closeness(searcher, a, b)

    for pair in RELATED:
        text, words = measured(pair)
        assert text >= TEXT_TOPIC and words >= WORDS_TOPIC, (pair, text, words)
    for pair in UNRELATED:
        text, words = measured(pair)
        assert text < TEXT_TOPIC or words < WORDS_TOPIC, (pair, text, words)


def test_handling_kinds():
    assert handling_kind("Yttrande över remiss - Promemorian X (Ds 2023:17)", "beslut") == (
        "yttrande"
    )
    assert handling_kind("Svar på remiss av promemorian X (Ds 2024:6)", "beslut") == (
        "svar på remiss"
    )
    assert handling_kind("Remissvar gällande betänkandet Y (SOU 2024:1)", "beslut") == (
        "svar på remiss"
    )
    assert handling_kind("Svar på kommunrevisionens granskning av Z", "beslut") == "svar"
    assert handling_kind("Fastställande av föredragningslista", "beslut") == "rutin"
    assert handling_kind("Granskning av handläggning inom barn", "revisionsrapport") == (
        "granskning"
    )
    assert handling_kind("Ändring av sammanträdesdag", "beslut") == "beslut"


# Two kommuner answer the same remiss, written for this test; a § next to one of them has no
# counterpart anywhere.
REMISS_VIMMERBY = """Vimmerby kommun

Protokoll Socialnämnden

Sammanträdesdatum 2024-03-12

Plats och tid\tKommunhuset, Vimmerby klockan 13:00-16:00
Ledamöter\tAnna Berg (S) ordförande, Per Holm (M) vice ordförande

Utses att justera Per Holm

Paragrafer 21 - 22

§ 21

SN 2024:14

Yttrande över remiss - Promemorian Skärpta krav vid tillsyn av hem för vård eller boende (Ds 2024:6)

Beslut

1. Socialnämnden antar förvaltningens förslag till yttrande över promemorian Skärpta krav vid \
tillsyn av hem för vård eller boende (Ds 2024:6) som sitt eget.

Ärendebeskrivning

Socialdepartementet har remitterat promemorian Skärpta krav vid tillsyn av hem för vård eller \
boende (Ds 2024:6) till kommunen. Promemorian föreslår att Inspektionen för vård och omsorg \
ska kunna göra oanmälda inspektioner av HVB oftare, att tillståndsprövningen för att driva HVB \
skärps och att placerande kommuner ska följa upp varje placerat barn minst fyra gånger per år.

Förvaltningen tillstyrker förslagen om skärpt tillståndsprövning och oanmälda inspektioner. \
Placerade barn och unga måste kunna lita på att hemmen håller god kvalitet och att brister \
upptäcks tidigt. Förvaltningen ser samtidigt att kravet på uppföljning fyra gånger per år av \
varje placerat barn kräver fler socialsekreterare och att en mindre kommun som Vimmerby har \
svårt att klara det utan statlig ersättning. Förvaltningen föreslår därför att kravet införs \
stegvis och att staten ersätter kommunernas ökade kostnader för uppföljningen av placeringar \
på HVB.

Beslutet skickas till:
Socialdepartementet

§ 22

SN 2024:9

Upphandling av färdtjänst för personer med funktionsnedsättning

Beslut

1. Socialnämnden ger förvaltningen i uppdrag att genomföra upphandlingen av färdtjänst enligt \
upphandlingsdokumentet.

Ärendebeskrivning

Nuvarande avtal om färdtjänst löper ut den 31 december 2024. Förvaltningen har tagit fram ett \
upphandlingsdokument med krav på fordon, tillgänglighet och beställningscentral.

Beslutet skickas till:
Upphandlingsenheten
"""

REMISS_HARNOSAND = """Härnösands kommun

Protokoll Socialnämnden

Sammanträdesdatum 2024-04-02

Plats och tid\tRådhuset, Härnösand klockan 09:00-12:00
Ledamöter\tEva Lind (S) ordförande, Jonas Ek (C) vice ordförande

Utses att justera Jonas Ek

Paragrafer 45 - 46

§ 45

SN 2024:27

Svar på remiss av promemorian Skärpta krav vid tillsyn av hem för vård eller boende (Ds 2024:6)

Beslut

1. Socialnämnden lämnar yttrande över promemorian Skärpta krav vid tillsyn av hem för vård \
eller boende (Ds 2024:6) enligt socialförvaltningens förslag.

Ärendebeskrivning

Härnösands kommun har fått promemorian Skärpta krav vid tillsyn av hem för vård eller boende \
(Ds 2024:6) på remiss från Socialdepartementet. I promemorian föreslås tätare oanmälda \
inspektioner av HVB från Inspektionen för vård och omsorg, en skärpt prövning av tillstånd att \
driva HVB och krav på att socialnämnden följer upp varje placerat barn fyra gånger om året.

Kommunen välkomnar en skärpt tillsyn och tillståndsprövning av HVB. Barn som placeras utanför \
hemmet ska vara trygga, och oanmälda inspektioner gör att missförhållanden upptäcks tidigare. \
Uppföljningskravet på fyra besök per år och placerat barn innebär dock ett ökat behov av \
socialsekreterare. Kommunen anser att staten fullt ut ska finansiera kommunernas kostnader för \
den utökade uppföljningen av placerade barn och att en övergångsperiod behövs.

Beslutet skickas till:
Socialdepartementet

§ 46

SN 2024:12

Arrende av mark för solcellspark vid Gånsvik

Beslut

1. Socialnämnden godkänner arrendeavtalet med Gånsvik Solenergi AB om 12 hektar mark på \
fastigheten Gånsvik 3:4 för en solcellspark under 25 år.

Ärendebeskrivning

Gånsvik Solenergi AB vill arrendera kommunens mark vid Gånsvik för att bygga en solcellspark \
med en effekt om 10 megawatt. Arrendeavgiften är 4 000 kronor per hektar och år och räknas upp \
med konsumentprisindex. Marken är i dag åkermark som inte brukas. Bolaget svarar för bygglov, \
nätanslutning och för att återställa marken när arrendet upphör.

Beslutet skickas till:
Gånsvik Solenergi AB
Mark- och exploateringsenheten
"""


@pytest.fixture(scope="module")
def remiss_pair(tmp_path_factory, embedded):
    """The embedded corpus with the two kommuners' protokoll added and embedded."""
    path = tmp_path_factory.mktemp("remiss")
    shutil.copytree(embedded.path, path / "data")
    files = []
    for name, text in (("vimmerby.txt", REMISS_VIMMERBY), ("harnosand.txt", REMISS_HARNOSAND)):
        files.append(path / name)
        files[-1].write_text(text, encoding="utf-8")
    data = DataDir(path / "data")
    summary = ingest_paths(data, files, progress=False)
    assert summary.count("ingested") == 2, [r.reason for r in summary.results]
    embed_pending(data.store, data.embedder, data.vectors, progress=False)
    yield data
    data.close()


def _paragraph(store, kommun: str, paragraf: str) -> int:
    return store.scalar(
        """SELECT p.id FROM paragraphs p JOIN documents d ON d.id = p.document_id
           WHERE d.kommun = ? AND p.paragraf = ?""",
        [kommun, paragraf],
    )


def test_two_kommuner_answering_one_remiss_find_each_other_first(remiss_pair):
    store, searcher = remiss_pair.store, Searcher(remiss_pair)
    vimmerby = _paragraph(store, "Vimmerby", "21")
    harnosand = _paragraph(store, "Härnösand", "45")
    for source, other in ((vimmerby, harnosand), (harnosand, vimmerby)):
        found = liknande(searcher, paragraph_id=source, limit=5)
        assert found["nara_prejudikat"]
        first = found["liknande"][0]
        assert first["paragraph_id"] == other, found["liknande"]
        assert first["narhet"] == "nära"
        assert first["gemensamma_referenser"] == ["Ds 2024:6"]
        # Close on its words too, not only by the shared remiss.
        assert first["textlikhet"] >= TEXT_TOPIC and first["ordlikhet"] >= WORDS_TOPIC
        assert_precedent_order(found["liknande"])
    assert handling_kind(liknande(searcher, paragraph_id=vimmerby)["rubrik"], "beslut") == (
        "yttrande"
    )


def test_a_paragraph_without_counterpart_gets_no_close_precedent(remiss_pair):
    store, searcher = remiss_pair.store, Searcher(remiss_pair)
    solcellspark = _paragraph(store, "Härnösand", "46")
    found = liknande(searcher, paragraph_id=solcellspark, limit=10)
    assert found["liknande"]  # the nearest are still listed, as not close
    assert not found["nara_prejudikat"]
    assert all(item["narhet"] is None for item in found["liknande"])
    with TestClient(create_app(remiss_pair.path)) as client:
        body = client.get(f"/api/paragrafer/{solcellspark}/liknande").json()
        assert body["nara_prejudikat"] is False
        assert body["trosklar"]["textlikhet"]["liknande ämne"] == TEXT_TOPIC


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
