"""The five seed texts parsed without a manifest: § structure, metadata, parts, header facts,
persons and sections, and (through a real store) the invariants every chunk must keep."""

from __future__ import annotations

import json

import pytest
from support.seeds import EXPECTED_000, EXPECTED_002, parse_seed, structure

from swedish.model import ParsedDocument, Person


def paragraph(document: ParsedDocument, paragraf: str):
    (found,) = [p for part in document.parts for p in part.paragraphs if p.paragraf == paragraf]
    return found


def persons(document: ParsedDocument, paragraf: str, roll: str) -> list[Person]:
    return [p for p in paragraph(document, paragraf).persons if p.roll == roll]


# --- § structure ------------------------------------------------------------------------


def test_seed_000_paragraphs_with_rubrik_and_dnr():
    assert structure(parse_seed("000")) == EXPECTED_000


def test_seed_002_paragraphs_with_rubrik_and_dnr():
    assert structure(parse_seed("002")) == EXPECTED_002


def test_seed_002_malformed_dnr_is_normalized():
    text = parse_seed("002").text
    assert "3..2.2-590/2022" in text  # the source spelling is kept in the text ...
    assert paragraph(parse_seed("002"), "14").dnr == ["3.2.2-590/2022"]  # ... not in the dnr


# --- document metadata ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "kommun"),
    [
        ("000", "Eskilstuna"),
        ("001", "Katrineholm"),
        ("002", "Stockholm"),
        ("003", "Eskilstuna"),
        ("004", "Eskilstuna"),
    ],
)
def test_kommun_and_namnd(prefix, kommun):
    document = parse_seed(prefix)
    assert document.kommun == kommun, document.kommun_kalla
    assert document.namnd == "Socialnämnden"
    assert all(part.namnd == "Socialnämnden" for part in document.parts)


def test_katrineholm_wins_over_mentions_of_eskilstuna():
    document = parse_seed("001")
    assert "Eskilstuna" in document.text
    assert "@katrineholm.se" in document.kommun_kalla


@pytest.mark.parametrize(
    ("prefix", "datum", "datum_typ"),
    [
        ("000", "2023-09-26", "justering"),
        ("002", "2022-12-14", "sammanträde"),
        ("001", "2024-04-09", "dokument"),
    ],
)
def test_document_date(prefix, datum, datum_typ):
    document = parse_seed(prefix)
    assert (document.datum, document.datum_typ) == (datum, datum_typ)


# --- parts and document types -------------------------------------------------------------


def test_seed_000_is_one_protokoll():
    document = parse_seed("000")
    assert document.dokumenttyp == "protokoll"
    assert [part.dokumenttyp for part in document.parts] == ["protokoll"]


def test_seed_001_is_a_kallelse_with_its_handlingar():
    document = parse_seed("001")
    types = [part.dokumenttyp for part in document.parts]
    assert document.dokumenttyp == "kallelse"
    assert types[0] == "kallelse"
    assert {"tjänsteskrivelse", "yttrande", "rapport", "bilaga"} <= set(types[1:])
    assert "protokoll" not in types
    titles = {part.title for part in document.parts}
    assert "Socialförvaltningens kvalitetsberättelse 2023" in titles
    assert "Yttrande gällande motion om nollvision mot vräkning av barnfamiljer" in titles


def test_seed_002_is_one_protokoll():
    document = parse_seed("002")
    assert document.dokumenttyp == "protokoll"
    assert [part.dokumenttyp for part in document.parts] == ["protokoll"]


def test_seed_003_answer_with_audit_report_and_protokollsutdrag():
    document = parse_seed("003")
    types = [part.dokumenttyp for part in document.parts]
    assert types[0] == "yttrande"
    assert "revisionsrapport" in types
    assert types[-1] == "protokollsutdrag"
    assert structure(document) == [
        (
            "141",
            "Anmälan av kommunrevisionens granskning av socialnämndens handläggning inom barn "
            "och ungdomsvård",
            ["KSKF/2023:237"],
        )
    ]
    last = document.parts[-1]
    assert [p.paragraf for p in last.paragraphs if p.paragraf] == ["141"]


def test_seed_004_utdrag_then_tjansteskrivelse_and_reports():
    document = parse_seed("004")
    types = [part.dokumenttyp for part in document.parts]
    assert types[0] == "protokollsutdrag"
    assert [(p.paragraf, p.dnr) for p in document.parts[0].paragraphs] == [("72", ["SOCN/2023:98"])]
    assert types[1] == "tjänsteskrivelse"
    assert "rapport" in types[2:]
    assert set(types[1:]) <= {"tjänsteskrivelse", "rapport", "bilaga"}
    assert structure(document) == [
        ("72", "Socialnämndens delårsrapport 2 år 2023", ["SOCN/2023:98"])
    ]


# --- protokoll header ---------------------------------------------------------------------


def test_seed_000_header():
    header = parse_seed("000").header
    assert header.ordforande == "Göran Gredfors"
    assert header.justerare == ["Göran Andersson"]
    assert header.paragraf_range == "70–81"
    present = {(p.name, p.party, p.roll) for p in header.narvarande}
    assert ("Johan Graff Andersson", "L", "ledamot") in present
    assert ("Göran Gredfors", "M", "ledamot") in present
    for name, party in [("Clarence Palm", "S"), ("Emelie Frid", "S"), ("Emmy Larsson", "MP")]:
        assert (name, party, "tjänstgörande ersättare") in present
    assert not any(p.name.startswith("Sara Bo") and p.roll == "ledamot" for p in header.narvarande)


def test_seed_002_header():
    header = parse_seed("002").header
    assert header.ordforande == "Jan Jönsson"
    assert "Anders Göransson" in header.justerare
    names = {p.name for p in header.narvarande}
    assert {"Jan Jönsson", "Anders Göransson", "Emil Adén"} <= names
    # Members replaced by a tjänstgörande ersättare were absent.
    for absent in ("Alexander Ojanne", "Lotten Hammar", "Mattias Keresztesi"):
        assert absent not in names
    emil = next(p for p in header.narvarande if p.name == "Emil Adén")
    assert emil.roll == "tjänstgörande ersättare"
    assert emil.detalj == "tjänstgör för Alexander Ojanne"


# --- persons inside a § -------------------------------------------------------------------


def test_seed_000_paragraph_75_reservations():
    found = {(p.name, p.party, p.detalj) for p in persons(parse_seed("000"), "75", "reservation")}
    assert found == {
        ("Leena Kumpula", "C", "skriftlig"),
        ("Sebastian Nygren", "V", "skriftlig"),
        ("Johan Graff Andersson", "L", "muntlig"),
    }


def test_seed_000_paragraph_75_yrkanden():
    found = {(p.name, p.party): p.detalj for p in persons(parse_seed("000"), "75", "yrkande")}
    for name, party in [("Göran Gredfors", "M"), ("Tony Meshko", "KD"), ("Carina Åkesson", "SD")]:
        assert found[(name, party)] == "bifall"
    assert found[("Sebastian Nygren", "V")] == "avslag"
    # Names repeated in the propositionsordning are no new yrkanden.
    document = parse_seed("000")
    proposition = next(
        s for s in paragraph(document, "75").sections if s.sektion == "propositionsordning"
    )
    assert not any(
        proposition.start <= p.start < proposition.end for p in paragraph(document, "75").persons
    )


def test_seed_002_paragraph_10_reservation():
    found = {(p.name, p.party, p.grupp) for p in persons(parse_seed("002"), "10", "reservation")}
    assert found == {
        ("Jan Jönsson", "L", False),
        ("Ole-Jörgen Persson", "M", True),  # "Ole-Jörgen Persson m.fl. (M)"
        ("Maria Paniagua Dachner", "C", False),
    }


# --- sections, att-satser, recipients -------------------------------------------------------


def test_seed_000_paragraph_75_sections():
    sections = [s.sektion for s in paragraph(parse_seed("000"), "75").sections]
    assert sections == [
        "beslut",
        "reservation",
        "ärendebeskrivning",
        "yrkanden",
        "propositionsordning",
        "beslutet skickas till",
    ]


def test_seed_000_paragraph_72_att_satser():
    assert paragraph(parse_seed("000"), "72").att_satser == [
        "Delårsrapport 2 med bilagor godkänns och skickas till kommunstyrelsen.",
        "Färdplan 2021-2023, rapport delår 2, år 2023 godkänns.",
    ]


def test_seed_000_paragraph_76_recipients():
    assert paragraph(parse_seed("000"), "76").skickas_till == [
        "Kommunens revisorer",
        "Kommunstyrelsen",
    ]


def test_sections_tile_their_paragraph():
    for prefix in ("000", "002"):
        for part in parse_seed(prefix).parts:
            for unit in part.paragraphs:
                assert unit.sections[0].start == unit.start
                assert unit.sections[-1].end == unit.end
                for left, right in zip(unit.sections, unit.sections[1:], strict=False):
                    assert left.end <= right.start


# --- chunks, through the store ----------------------------------------------------------------


def test_every_chunk_has_metadata(ingested):
    rows = ingested.store.query("SELECT kommun, namnd, dokumenttyp, datum FROM chunks")
    assert len(rows) > 100
    for row in rows:
        assert row["kommun"] and row["namnd"] and row["dokumenttyp"] and row["datum"], dict(row)


def test_no_page_furniture_in_chunks(ingested):
    texts = [r["text"] for r in ingested.store.query("SELECT text FROM chunks")]
    assert texts
    for text in texts:
        assert "Justerandes sign" not in text
        assert "Utdragsbestyrkande" not in text


def test_chunks_are_exact_slices_of_the_document_text(ingested):
    documents = {r["id"]: r["text"] for r in ingested.store.query("SELECT id, text FROM documents")}
    rows = ingested.store.query("SELECT document_id, start, end, text FROM chunks")
    assert len(documents) == 5 and rows
    for row in rows:
        assert documents[row["document_id"]][row["start"] : row["end"]] == row["text"]


def test_chunks_stay_inside_their_paragraph(ingested):
    rows = ingested.store.query(
        """SELECT c.start, c.end, p.start AS p_start, p.end AS p_end, p.paragraf
           FROM chunks c JOIN paragraphs p ON p.id = c.paragraph_id"""
    )
    assert any(r["paragraf"] for r in rows)
    for row in rows:
        assert row["p_start"] <= row["start"] < row["end"] <= row["p_end"], dict(row)


def test_store_keeps_paragraph_lists(ingested):
    row = ingested.store.query(
        "SELECT id, paragraf_range, ordforande FROM documents WHERE filename LIKE '000_%'"
    )[0]
    assert (row["paragraf_range"], row["ordforande"]) == ("70–81", "Göran Gredfors")
    stored = [
        (r["paragraf"], r["rubrik"], json.loads(r["dnr"]))
        for r in ingested.store.query(
            """SELECT paragraf, rubrik, dnr FROM paragraphs
               WHERE document_id = ? AND paragraf IS NOT NULL ORDER BY start""",
            [row["id"]],
        )
    ]
    assert stored == EXPECTED_000
