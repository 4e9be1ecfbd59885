"""The bundled seed documents for tests: their paths, their parse, and the § structure the
seed tests assert (seeds 000 and 002)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ingest.normalize import normalize
from ingest.parse import parse_document
from ingest.readers import read_file
from swedish.model import ParsedDocument

from .paths import CORPUS

# (paragraf, rubrik, dnr) of every § of seed 000 (Eskilstuna, socialnämnden 2023-09-21).
EXPECTED_000 = [
    ("70", "Fastställande av föredragningslista", []),
    ("71", "Sekretessärenden som beslutas av socialnämnden i september 2023", ["SOCN/2023:4"]),
    ("72", "Socialnämndens delårsrapport 2 år 2023", ["SOCN/2023:98"]),
    ("73", "Beredning verksamhetsplan 2024 samt verksamhetsmål och indikatorer", []),
    ("74", "Stöd för digital arbetsplats - Microsoft 365", ["SOCN/2023:74"]),
    (
        "75",
        "Yttrande över remiss - Promemorian Vistelseförbud på allmän plats och vissa andra "
        "platser (Ds 2023:17)",
        ["SOCN/2023:82"],
    ),
    (
        "76",
        "Svar på kommunrevisionens granskning av socialnämndens handläggning inom barn och "
        "ungdomsvården",
        ["SOCN/2023:39"],
    ),
    (
        "77",
        "Rapportering av ej verkställda gynnande biståndsbeslut kvartal 2 - 2023",
        ["SOCN/2023:3"],
    ),
    (
        "78",
        "Ändring av sammanträdesdag för socialnämndens biståndsutskott och socialnämndens "
        "arbetsutskott",
        ["SOCN/2022:79"],
    ),
    (
        "79",
        "Val av ny ledamot till socialnämndens arbetsutskott samt biståndsutskott år 2023",
        ["SOCN/2023:5"],
    ),
    ("80", "Delegationsrapporter till socialnämnden i september 2023", ["SOCN/2023:2"]),
    (
        "81",
        "Rapporter och meddelanden till socialnämnden i september 2023",
        ["SOCN/2023:1", "SOCN/2023:38"],
    ),
]

# Seed 002 (Stockholm, socialnämnden 2022-12-14), read off corpus/002 by hand.
EXPECTED_002 = [
    ("1", "Godkännande av dagordning", []),
    ("2", "Val av justerare och dag för justering", []),
    ("3", "Förvaltningen informerar", []),
    ("4", "Nämndens frågor till förvaltningen", []),
    ("5", "Månadsrapport november 2022", ["1.2.2-72/2022"]),
    (
        "6",
        "Avtal om samverkan för insatser till avhoppare mellan Stockholm, Göteborg och Malmö",
        ["2.3.4-594/2022"],
    ),
    ("7", "Enkätundersökning inom ekonomiskt bistånd 2022", ["3.1.1-552/2022"]),
    ("8", "Socialnämndens riktlinjer för EU-policyarbete", ["3.1.1-595/2022"]),
    # The subtitle "Redovisning av budgetuppdrag" is not part of the rubrik.
    ("9", "Utbyggnad av bostäder med särskild service LSS", ["3.1.1-432/2022"]),
    (
        "10",
        "Redovisning av budgetuppdraget ”Fortsätta att öka flexibiliteten och stärka "
        "individanpassning i ledsagningsmodellen”",
        ["3.1.1-563/2022"],
    ),
    ("11", "Rapport – Pilotstudie uppföljningsmodell", ["3.1.1-606/2022"]),
    ("12", "Ledsagning enligt SoL och ledsagarservice enligt LSS", ["3.4.2-637/2021"]),
    (
        "13",
        "Rapport av ej verkställda beslut enligt (1993:387) om stöd och service till vissa "
        "funktionshindrade (LSS) och socialtjänstlagen (SoL)",
        ["3.1.1-601/2022"],
    ),
    (
        "14",
        "Fördelning av lokala utvecklingsmedel och medel för utveckling och lärande genom "
        "studiebesök/resor 2023",
        ["3.2.2-590/2022"],  # written "3..2.2-590/2022" in the protokoll
    ),
    ("15", "Handläggning av barnärenden 0-12 år", ["3.4.1-629/2021"]),
    ("16", "Anmälningssärenden", []),  # the dnr in its list belong to the listed items
    ("17", "Övriga frågor", []),
    (
        "18",
        "Upphandlingsdokument för upphandling av sjuksköterskeinsatser på jourtid",
        ["2.3.3-559/2022"],
    ),
    (
        "19",
        "Beslut om tilldelning av uppdraget – Inventering av familjebehandlingsinsatser",
        ["2.3.1-538/2022"],
    ),
]


def seed_path(prefix: str) -> Path:
    (path,) = sorted(CORPUS.glob(f"{prefix}_*.txt"))
    return path


@cache
def parse_seed(prefix: str) -> ParsedDocument:
    raw, _ = read_file(seed_path(prefix))
    return parse_document(normalize(raw))


def structure(document: ParsedDocument) -> list[tuple[str, str | None, list[str]]]:
    """(paragraf, rubrik, dnr) of every § in document order."""
    return [
        (p.paragraf, p.rubrik, p.dnr)
        for part in document.parts
        for p in part.paragraphs
        if p.paragraf is not None
    ]
