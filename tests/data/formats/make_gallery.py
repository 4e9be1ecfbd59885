"""Write the format gallery: nämnd documents in the layouts kommuner' systems produce, each with
a truth file saying what a reader must find in it.

Run from the repository root (`python tests/data/formats/make_gallery.py`); it rewrites every
document and truth file in this directory from one fixed seed, so the committed files are
exactly what this script makes.

The shapes follow `protokoll-formats.md` (the project's field guide): header tables with
labelled fields (numeric and written-out dates, justering and anslag dates that are not the
meeting's), § headings with organ prefixes, year-suffixed numbers, the number after the rubrik,
the dnr beside the §, lost § glyphs; traps that are no headings (law references, `§§ 3–6`,
`Paragrafer`, agenda rows with page numbers), page furniture (running headers and footers,
`Justerandes sign`, page numbers) and people with party in tables, lists and flattened lines.
Every kommun, organ, name and number is drawn from pools below with a fixed seed; the text
is written for this gallery.

Formats: plain text (as an export or a PDF's text layer), PDF (fpdf2, DejaVu Sans) with
header tables, running headers, page numbers, right-aligned § numbers and a two-column
label/value layout, and DOCX (python-docx) with Word tables for the header.
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from fpdf import FPDF

HERE = Path(__file__).resolve().parent
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SEED = 20261202
FIXED_TIME = datetime(2024, 1, 1, tzinfo=UTC)  # file dates, so a rerun writes the same bytes

MONTHS = [
    "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
    "oktober", "november", "december",
]  # fmt: skip
WEEKDAYS = ["måndag", "tisdag", "onsdag", "torsdag", "fredag"]

# (kommun, genitive form used in "X kommun", e-mail-free letterhead name)
KOMMUNER = [
    "Kramfors", "Härnösand", "Sollefteå", "Ånge", "Timrå", "Ljusdal", "Bollnäs", "Ovanåker",
    "Hudiksvall", "Söderhamn", "Sandviken", "Hofors", "Avesta", "Hedemora", "Säter", "Leksand",
    "Rättvik", "Orsa", "Älvdalen", "Vansbro", "Arvika", "Säffle", "Torsby", "Hagfors",
    "Kristinehamn", "Filipstad", "Lindesberg", "Kumla", "Askersund", "Laxå", "Vimmerby",
    "Hultsfred", "Nybro", "Emmaboda", "Ljungby", "Markaryd", "Älmhult", "Tingsryd", "Eksjö",
    "Nässjö", "Vetlanda", "Tranås", "Gislaved", "Värnamo", "Skövde", "Tidaholm", "Mariestad",
    "Lidköping", "Vänersborg", "Uddevalla", "Lysekil", "Strömstad", "Kungälv", "Ystad",
    "Simrishamn", "Tomelilla", "Hörby", "Höör", "Eslöv", "Klippan", "Piteå", "Boden", "Kalix",
    "Lycksele", "Vilhelmina", "Örnsköldsvik", "Krokom", "Strömsund", "Motala", "Mjölby",
    "Finspång", "Vadstena", "Flen", "Trosa", "Oxelösund", "Enköping", "Östhammar", "Tierp",
]  # fmt: skip

# organ, abbreviation (as § prefix), genitive, deciding word ("X beslutar")
ORGANS = [
    ("Kommunstyrelsen", "KS", "Kommunstyrelsens", "Kommunstyrelsen"),
    ("Kommunfullmäktige", "KF", "Kommunfullmäktiges", "Kommunfullmäktige"),
    ("Kommunstyrelsens arbetsutskott", "KSAU", "Kommunstyrelsens arbetsutskotts", "Utskottet"),
    ("Socialnämnden", "SN", "Socialnämndens", "Socialnämnden"),
    ("Socialnämndens arbetsutskott", "SNAU", "Socialnämndens arbetsutskotts", "Arbetsutskottet"),
    ("Socialnämndens individutskott", "IU", "Socialnämndens individutskotts", "Individutskottet"),
    ("Barn- och utbildningsnämnden", "BUN", "Barn- och utbildningsnämndens", "Nämnden"),
    ("Miljö- och byggnadsnämnden", "MBN", "Miljö- och byggnadsnämndens", "Nämnden"),
    ("Tekniska nämnden", "TN", "Tekniska nämndens", "Tekniska nämnden"),
    ("Kultur- och fritidsnämnden", "KFN", "Kultur- och fritidsnämndens", "Nämnden"),
    ("Vård- och omsorgsnämnden", "VON", "Vård- och omsorgsnämndens", "Nämnden"),
    ("Samhällsbyggnadsnämnden", "SBN", "Samhällsbyggnadsnämndens", "Nämnden"),
    ("Valnämnden", "VN", "Valnämndens", "Valnämnden"),
    ("Överförmyndarnämnden", "ÖFN", "Överförmyndarnämndens", "Nämnden"),
    ("Miljö- och hälsoskyddsnämnden", "MHN", "Miljö- och hälsoskyddsnämndens", "Nämnden"),
    ("Utbildningsnämnden", "UN", "Utbildningsnämndens", "Utbildningsnämnden"),
]  # fmt: skip

FIRST = [
    "Eva", "Per", "Anna", "Lars", "Karin", "Mikael", "Maria", "Johan", "Lena", "Anders",
    "Sofia", "Fredrik", "Helena", "Magnus", "Ingrid", "Peter", "Camilla", "Tomas", "Birgitta",
    "Jonas", "Malin", "Stefan", "Elin", "Niklas", "Åsa", "Henrik", "Ulla", "Ola", "Therese",
    "Björn", "Annika", "Göran", "Linnea", "Roger", "Kerstin", "Emil", "Marie", "Patrik",
]  # fmt: skip
LAST = [
    "Lind", "Ek", "Holm", "Berg", "Sundström", "Nyberg", "Wikström", "Lundqvist", "Forsberg",
    "Håkansson", "Öberg", "Sjöberg", "Isaksson", "Dahlgren", "Engström", "Mattsson", "Nordin",
    "Hedlund", "Strand", "Ågren", "Bergman", "Lundin", "Westerlund", "Blom", "Sandberg",
    "Eriksson", "Granlund", "Norberg", "Falk", "Hellström", "Jonsson", "Backman", "Persson",
]  # fmt: skip
PARTIES = ["S", "M", "SD", "C", "V", "KD", "L", "MP"]

ARENDEN = [
    ("Revidering av riktlinjer för skolskjuts", "skolskjuts"),
    ("Budget 2025 och plan för 2026–2027", "budget"),
    ("Delårsrapport per augusti 2024", "delår"),
    ("Taxa för bygglov 2025", "taxa"),
    ("Motion om solceller på kommunens fastigheter", "motion"),
    ("Medborgarförslag om hundrastgård i centrum", "medborgarförslag"),
    ("Svar på remiss om regional transportplan", "remiss"),
    ("Detaljplan för del av Norrby 2:14", "detaljplan"),
    ("Upphandling av skolmåltider", "upphandling"),
    ("Internkontrollplan 2025", "internkontroll"),
    ("Val av ersättare i socialnämnden efter avsägelse", "val"),
    ("Föreskrifter om avfallshantering", "avfall"),
    ("Lokalförsörjningsplan för förskolan", "lokaler"),
    ("Riktlinjer för ekonomiskt bistånd", "bistånd"),
    ("Uppföljning av handlingsplan mot våld i nära relationer", "våld"),
    ("Ändring av sammanträdesdagar 2025", "sammanträdesdagar"),
    ("Investeringsbudget för gator och vägar", "investering"),
    ("Strategi för kompetensförsörjning", "kompetens"),
    ("Yttrande över ansökan om serveringstillstånd", "servering"),
    ("Avgifter inom äldreomsorgen 2025", "avgifter"),
    ("Anmälan av delegationsbeslut", "delegation"),
    ("Informationsärenden", "information"),
    ("Bidrag till studieförbund 2025", "bidrag"),
    ("Renovering av simhallen", "simhall"),
    ("Översyn av förvaltningsorganisationen", "organisation"),
    ("Tillsynsplan enligt miljöbalken 2025", "tillsyn"),
    ("Kvalitetsrapport för grundskolan läsåret 2023/24", "kvalitet"),
    ("Bostadsförsörjningsprogram 2025–2030", "bostäder"),
    ("Samverkansavtal om räddningstjänst", "räddning"),
    ("Plan för krisberedskap under mandatperioden", "kris"),
    ("Ansökan om bygglov för nybyggnad av förråd på Strand 1:7", "bygglov"),
    ("Uppdrag att utreda trygghetsboende", "trygghetsboende"),
]  # fmt: skip

BODY = [
    "Förvaltningen har tagit fram ett förslag som bygger på de erfarenheter som gjorts under "
    "det senaste året. Förslaget har stämts av med berörda verksamheter och med de fackliga "
    "organisationerna enligt gällande samverkansavtal.",
    "Ärendet har beretts av förvaltningen i samråd med ekonomiavdelningen. Kostnaderna ryms "
    "inom befintlig ram och påverkar inte resultatet för innevarande år.",
    "Av utredningen framgår att behovet har ökat sedan 2021 och att nuvarande resurser inte "
    "räcker till. Förvaltningen bedömer att en förändring bör genomföras från den 1 maj 2025.",
    "Enligt 9 kap. 31 § PBL får bygglov ges för en åtgärd som avviker från detaljplanen om "
    "avvikelsen är liten. Förvaltningen bedömer att så är fallet i detta ärende.",
    "Beslutet har föregåtts av dialog med brukarråden. Synpunkterna redovisas i bilaga 2 och "
    "har i huvudsak beaktats i det slutliga förslaget.",
    "Nämnden behandlade en liknande fråga i §§ 3–6 vid sammanträdet i februari, och "
    "förvaltningen fick då i uppdrag att återkomma med en fördjupad analys.",
    "Ärendet ska avgöras senast 2025-06-30. Enligt 4 kap. 1 § SoL har den enskilde rätt till "
    "bistånd om behovet inte kan tillgodoses på annat sätt.",
    "Förvaltningen föreslår att kommunfullmäktige fastställer ändringen, eftersom frågan är "
    "av principiell beskaffenhet. Kommunstyrelsen har tidigare yttrat sig i ärendet.",
    "Jämförelser har gjorts med Sundsvalls kommun och Östersunds kommun, som båda infört "
    "motsvarande ordning under 2023 med goda erfarenheter.",
    "Kostnaden beräknas till 2,4 miljoner kronor och finansieras inom investeringsramen för "
    "2025. Driftkostnaderna påverkas marginellt.",
]  # fmt: skip


def kommun_name(kommun: str) -> str:
    """ "Rättviks kommun", "Piteå kommun", "Hofors kommun": the genitive s after a consonant."""
    return f"{kommun}{'' if kommun[-1] in 'aeiouyåäösxz' else 's'} kommun"


def _date(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28)


def iso(d: tuple[int, int, int]) -> str:
    return f"{d[0]:04d}-{d[1]:02d}-{d[2]:02d}"


def plus(d: tuple[int, int, int], days: int) -> tuple[int, int, int]:
    from datetime import date, timedelta

    out = date(*d) + timedelta(days=days)
    return out.year, out.month, out.day


def written(d: tuple[int, int, int], rng: random.Random, weekday: bool) -> str:
    from datetime import date

    name = ["måndagen", "tisdagen", "onsdagen", "torsdagen", "fredagen", "lördagen", "söndagen"]
    day = date(*d).weekday()
    text = f"{d[2]} {MONTHS[d[1] - 1]} {d[0]}"
    if weekday:
        return f"{name[day]} den {text}" if rng.random() < 0.5 else f"{name[day][:-2]} {text}"
    return text


@dataclass
class Person:
    name: str
    party: str


@dataclass
class Para:
    label: str  # as shown: "45", "63/20"
    nummer: int
    rubrik: str
    dnr: list[str]
    body: list[str]
    beslut: list[str]


@dataclass
class Doc:
    name: str
    fmt: str  # txt, pdf, docx
    layout: str
    kommun: str
    organ: str
    abbr: str
    genitive: str
    decider: str
    datum: str | None
    datum_typ: str | None
    dokumenttyp: str
    paras: list[Para] = field(default_factory=list)
    beslutande: list[Person] = field(default_factory=list)
    ordforande: str | None = None
    vice: str | None = None
    sekreterare: str | None = None
    justerare: list[str] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)  # (style, text)
    header_rows: list[tuple[str, str]] = field(default_factory=list)
    running: str = ""
    page_format: str = "{page} ({nb})"  # "Sida {page} av {nb}", "Sid {page}/{nb}", "{page}({nb})"

    def truth(self) -> dict:
        return {
            "file": f"{self.name}.{self.fmt}",
            "kommun": self.kommun,
            "namnd": self.organ,
            "datum": self.datum,
            "datum_typ": self.datum_typ,
            "dokumenttyp": self.dokumenttyp,
            "paragrafer": [
                {"label": p.label, "nummer": p.nummer, "rubrik": p.rubrik, "dnr": p.dnr}
                for p in self.paras
            ],
            "ordforande": self.ordforande,
            "vice_ordforande": self.vice,
            "sekreterare": self.sekreterare,
            "justerare": self.justerare,
            "beslutande": [{"name": p.name, "party": p.party} for p in self.beslutande],
        }


class Gallery:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used_names: set[str] = set()
        self.kommuner = list(KOMMUNER)
        self.rng.shuffle(self.kommuner)

    def kommun(self) -> str:
        return self.kommuner.pop()

    def person(self) -> Person:
        while True:
            name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
            if name not in self.used_names:
                self.used_names.add(name)
                return Person(name, self.rng.choice(PARTIES))

    def dnr(self, abbr: str, year: int, style: int) -> tuple[str, str]:
        """(as written, canonical as `find_dnr` returns it)."""
        n = self.rng.randint(12, 890)
        short = abbr if abbr not in ("SNAU", "IU") else "SN"
        short = short if short != "KSAU" else "KS"
        if style == 0:
            return f"{short} {year}/{n}", f"{short} {year}/{n}"
        if style == 1:
            return f"{short}/{year}:{n}", f"{short}/{year}:{n}"
        if style == 2:
            return f"{short} {year}/{n:04d}", f"{short} {year}/{n:04d}"
        return f"{short} {year}/{n}", f"{short} {year}/{n}"

    def paras(self, organ: tuple, year: int, count: int, label: str, dnr_style: int) -> list[Para]:
        start = self.rng.randint(1, 180)
        picks = self.rng.sample(ARENDEN, count)
        out = []
        for i, (rubrik, _key) in enumerate(picks):
            number = start + i
            shown = str(number)
            if label == "year2":
                shown = f"{number}/{year % 100:02d}"
            elif label == "year4":
                shown = f"{number}/{year}"
            dnr: list[str] = []
            written_dnr = ""
            if rubrik not in ("Informationsärenden", "Anmälan av delegationsbeslut") or i % 2:
                written_dnr, canonical = self.dnr(organ[1], year, dnr_style)
                dnr = [canonical]
            body = self.rng.sample(BODY, 2)
            beslut = [
                f"{organ[3]} beslutar att godkänna förvaltningens förslag.",
                "Beslutet gäller omedelbart.",
            ]
            para = Para(shown, number, rubrik, dnr, body, beslut)
            para.written_dnr = written_dnr  # type: ignore[attr-defined]
            out.append(para)
        return out


# --- documents -------------------------------------------------------------------------


def protokoll(g: Gallery, index: int, fmt: str, layout: str) -> Doc:
    rng = g.rng
    kommun = g.kommun()
    organ = rng.choice(ORGANS)
    meeting = _date(rng)
    year = meeting[0]
    label = {"lex": "year2", "w3d3": "year4"}.get(layout, "plain")
    paras = g.paras(organ, year, rng.randint(3, 6), label, rng.randint(0, 3))
    people = [g.person() for _ in range(rng.randint(5, 9))]
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_{layout}",
        fmt=fmt,
        layout=layout,
        kommun=kommun,
        organ=organ[0],
        abbr=organ[1],
        genitive=organ[2],
        decider=organ[3],
        datum=iso(meeting),
        datum_typ="sammanträde",
        dokumenttyp="protokoll",
        paras=paras,
        beslutande=people,
        ordforande=people[0].name,
        vice=people[1].name,
        sekreterare=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
    )
    while doc.sekreterare in g.used_names:
        doc.sekreterare = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    g.used_names.add(doc.sekreterare)
    doc.justerare = [people[rng.randint(2, len(people) - 1)].name]
    justering = plus(meeting, rng.randint(2, 8))
    anslag = plus(justering, 1)
    date_text = iso(meeting)
    if layout in ("written", "meetingsplus") or rng.random() < 0.2:
        date_text = written(meeting, rng, weekday=True)
    first, last = paras[0].label, paras[-1].label
    rows: list[tuple[str, str]] = []
    place = rng.choice(["Kommunhuset, Sessionssalen", "Stadshuset, sal Lyran", "Kommunkontoret"])
    if layout in ("ciceron", "lex", "w3d3", "twocol"):
        rows.append(("Plats och tid", f"{place}, {date_text} kl. 13.00–15.30"))
    else:
        rows.append(("Sammanträdesdatum" if layout != "written" else "Sammanträdesdag", date_text))
        rows.append(("Plats", place))
        rows.append(("Tid", "kl. 09.00–11.45"))
    decided = []
    for i, p in enumerate(people):
        role = ", ordförande" if i == 0 else ", 1:e vice ordförande" if i == 1 else ""
        decided.append(f"{p.name} ({p.party}){role}")
    rows.append(("Beslutande", "; ".join(decided) if layout == "flat" else "\n".join(decided)))
    officials = [
        f"{doc.sekreterare}, nämndsekreterare",
        f"{rng.choice(FIRST)} {rng.choice(LAST)}, förvaltningschef",
    ]
    rows.append(("Övriga närvarande", "\n".join(officials)))
    rows.append(("Utses att justera", doc.justerare[0]))
    rows.append(("Justeringens plats och tid", f"Kommunkontoret {iso(justering)}"))
    rows.append(("Paragrafer", f"{first}–{last}" if layout != "lex" else f"§ {first}–{last}"))
    doc.header_rows = rows
    upper = kommun_name(kommun).upper()
    doc.running = f"{upper}\tSAMMANTRÄDESPROTOKOLL\n{organ[0]}\tSammanträdesdatum {iso(meeting)}"
    lines = doc.lines
    lines.append(("org", kommun_name(kommun)))
    lines.append(("title", "SAMMANTRÄDESPROTOKOLL" if layout != "w3d3" else "Protokoll"))
    lines.append(("organ", organ[0]))
    lines.append(("table", ""))
    lines.append(("sign", ""))
    lines.append(("anslag", iso(meeting) + "|" + iso(anslag) + "|" + iso(plus(anslag, 21))))
    lines.append(("pagebreak", ""))
    if layout in ("ciceron", "meetingsplus"):
        lines.append(("h2", "Ärendelista"))
        for p in paras:
            lines.append(("toc", f"§ {p.label}\t{p.rubrik}\t{rng.randint(3, 9)}"))
        lines.append(("pagebreak", ""))
    for p in paras:
        _heading(doc, p, layout, rng)
        for text in p.body:
            lines.append(("p", text))
        lines.append(("h3", "Beslutsunderlag"))
        lines.append(("p", f"Tjänsteskrivelse daterad {iso(plus(meeting, -14))}"))
        if p.nummer % 3 == 0:
            # A reference that ends in "§ N" like a right-aligned number: no heading.
            earlier = f"{organ[2]} protokoll {iso(plus(meeting, -7))} § {max(1, p.nummer - 2)}"
            lines.append(("p", earlier))
        lines.append(("h3", f"{organ[2]} beslut" if rng.random() < 0.5 else "Beslut"))
        for b in p.beslut:
            lines.append(("p", b))
        lines.append(("h3", "Beslutet skickas till"))
        lines.append(("p", "Ekonomiavdelningen"))
    return doc


def _heading(doc: Doc, p: Para, layout: str, rng: random.Random) -> None:
    dnr_text = getattr(p, "written_dnr", "")
    lines = doc.lines
    if layout == "ciceron":
        lines.append(("sect", f"§ {p.label}\t{'Dnr ' + dnr_text if dnr_text else ''}"))
        lines.append(("rubrik", p.rubrik))
    elif layout == "meetingsplus":
        lines.append(("sect", f"{doc.abbr} § {p.label}\t{'Dnr ' + dnr_text if dnr_text else ''}"))
        lines.append(("rubrik", p.rubrik))
    elif layout in ("lex", "w3d3"):
        lines.append(("sect", f"§ {p.label}\t{'Dnr ' + dnr_text if dnr_text else ''}"))
        lines.append(("rubrik", p.rubrik))
    elif layout == "rightnum":
        lines.append(("rubrik_num", f"{p.rubrik}\t§ {p.label}"))
        if dnr_text:
            lines.append(("p", f"Dnr {dnr_text}"))
    elif layout == "glyphless":
        lines.append(("sect", f"{doc.abbr.capitalize()} {p.label}"))
        lines.append(("rubrik", p.rubrik + (f", Dnr {dnr_text}" if dnr_text else "")))
    elif layout == "inline":
        lines.append(("sect", f"§ {p.label} {p.rubrik}"))
        if dnr_text:
            lines.append(("p", dnr_text))
    else:
        lines.append(("sect", f"§ {p.label}"))
        lines.append(("rubrik", p.rubrik))
        if dnr_text:
            lines.append(("p", f"Dnr {dnr_text}"))


# --- rendering -------------------------------------------------------------------------


def render_text(doc: Doc) -> str:
    out: list[str] = []
    page = 1
    for style, text in doc.lines:
        if style == "table":
            for label, value in doc.header_rows:
                values = value.split("\n")
                if doc.layout == "flat":
                    out.append(f"{label} {' '.join(values)}")
                    continue
                out.append(f"{label}\t{values[0]}")
                out.extend(f"\t{v}" for v in values[1:])
            out.append("")
        elif style == "sign":
            out.append("Underskrifter\tSekreterare")
            out.append(f"\t{doc.sekreterare}")
            out.append("\tOrdförande")
            out.append(f"\t{doc.ordforande}")
            out.append("\tJusterande")
            out.append(f"\t{doc.justerare[0]}")
            out.append("")
        elif style == "anslag":
            meeting, up, down = text.split("|")
            out.append("ANSLAG/BEVIS")
            out.append("Protokollet är justerat. Justeringen har tillkännagivits genom anslag.")
            out.append(f"Organ\t{doc.organ}")
            out.append(f"Sammanträdesdatum\t{meeting}")
            out.append(f"Datum då anslaget sätts upp\t{up}")
            out.append(f"Datum då anslaget tas ned\t{down}")
            out.append("Förvaringsplats för protokollet\tKommunkontoret")
            out.append("")
        elif style == "pagebreak":
            page += 1
            out.append("")
            out.append("Justerandes sign\tUtdragsbestyrkande")
            out.append("")
            out.append("\f")
            for header_line in doc.running.split("\n"):
                out.append(header_line)
            out.append(doc.page_format.format(page=page, nb="{nb}"))
            out.append("")
        elif style == "line":
            out.append(text)
        elif style in ("h2", "h3", "rubrik", "organ", "title", "org", "sect", "rubrik_num"):
            out.append("")
            out.append(text)
            if style not in ("sect",):
                out.append("")
        else:
            out.append(text)
            out.append("")
    text = "\n".join(out)
    text = text.replace("{nb}", str(page))
    return text.replace("\n\f\n", "\n\n")


class _Pdf(FPDF):
    doc: Doc

    def header(self) -> None:
        if self.page_no() == 1 or not self.doc.running:
            return
        self.set_font("dejavu", "", 8)
        top, second = self.doc.running.split("\n")
        left, right = top.split("\t")
        self.set_xy(20, 10)
        self.cell(90, 4, left)
        self.cell(60, 4, right)
        self.cell(20, 4, self.doc.page_format.format(page=self.page_no(), nb="{nb}"), align="R")
        self.set_xy(20, 14)
        a, b = second.split("\t")
        self.cell(90, 4, a)
        self.cell(60, 4, b)
        self.set_y(26)

    def footer(self) -> None:
        if self.doc.dokumenttyp not in ("protokoll", "protokollsutdrag"):
            self.set_y(-15)
            self.set_font("dejavu", "", 8)
            self.cell(0, 4, f"Sida {self.page_no()} av {{nb}}", align="C")
            return
        self.set_y(-18)
        self.set_font("dejavu", "", 7)
        if self.doc.layout == "varied":
            self.cell(30, 8, "Ordf sign", border=1)
            self.set_x(60)
        self.cell(40, 8, "Justerandes sign", border=1)
        self.set_x(150)
        self.cell(40, 8, "Utdragsbestyrkande", border=1)


def render_pdf(doc: Doc, path: Path) -> None:
    pdf = _Pdf(format="A4")
    pdf.doc = doc
    for style, file in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf")):
        pdf.add_font("dejavu", style, str(FONT_DIR / file))
    pdf.alias_nb_pages()
    pdf.set_creation_date(FIXED_TIME)
    pdf.set_margins(20, 26, 20)
    pdf.set_auto_page_break(True, 24)
    pdf.add_page()
    width = 170

    def para(text: str, size: float = 10, bold: bool = False) -> None:
        pdf.set_font("dejavu", "B" if bold else "", size)
        if "\t" in text:
            left, right = text.split("\t")
            pdf.cell(120, size * 0.5, left)
            pdf.cell(50, size * 0.5, right, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
            return
        pdf.multi_cell(width, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)

    for style, text in doc.lines:
        if style == "org":
            pdf.set_font("dejavu", "B", 12)
            pdf.cell(100, 6, text)
            if doc.dokumenttyp in ("protokoll", "protokollsutdrag"):
                pdf.set_font("dejavu", "", 9)
                pdf.cell(70, 6, "1 ({nb})", align="R")
            pdf.ln(9)
        elif style == "title":
            para(text, 14, True)
        elif style == "organ":
            para(text, 11, True)
        elif style == "table":
            _pdf_table(pdf, doc)
        elif style == "sign":
            _pdf_signatures(pdf, doc)
        elif style == "anslag":
            meeting, up, down = text.split("|")
            pdf.ln(4)
            pdf.set_font("dejavu", "B", 9)
            pdf.cell(0, 5, "ANSLAG/BEVIS", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("dejavu", "", 8)
            pdf.multi_cell(
                width,
                4,
                "Protokollet är justerat. Justeringen har tillkännagivits genom anslag.",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            for label, value in (
                ("Organ", doc.organ),
                ("Sammanträdesdatum", meeting),
                ("Datum då anslaget sätts upp", up),
                ("Datum då anslaget tas ned", down),
                ("Förvaringsplats för protokollet", "Kommunkontoret"),
            ):
                pdf.cell(60, 5, label, border=1)
                pdf.cell(110, 5, value, border=1, new_x="LMARGIN", new_y="NEXT")
        elif style == "pagebreak":
            pdf.add_page()
        elif style == "h2":
            para(text, 12, True)
        elif style == "h3":
            para(text, 10, True)
        elif style == "toc":
            number, rubrik, page = text.split("\t")
            pdf.set_font("dejavu", "", 10)
            pdf.cell(20, 5, number)
            pdf.cell(130, 5, rubrik)
            pdf.cell(20, 5, page, align="R", new_x="LMARGIN", new_y="NEXT")
        elif style == "sect":
            pdf.ln(3)
            pdf.set_font("dejavu", "B", 11)
            if "\t" in text:
                left, right = text.split("\t")
                pdf.cell(100, 6, left)
                pdf.set_font("dejavu", "", 9)
                pdf.cell(70, 6, right, align="R", new_x="LMARGIN", new_y="NEXT")
            else:
                pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif style == "rubrik":
            para(text, 11, True)
        elif style == "rubrik_num":
            rubrik, number = text.split("\t")
            pdf.ln(3)
            pdf.set_font("dejavu", "B", 11)
            pdf.cell(140, 6, rubrik)
            pdf.cell(30, 6, number, align="R", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif style == "kv":
            label, value = text.split("\t")
            pdf.set_font("dejavu", "", 9)
            pdf.cell(45, 5, label)
            pdf.cell(125, 5, value, new_x="LMARGIN", new_y="NEXT")
        elif style == "line":
            pdf.set_font("dejavu", "", 9)
            pdf.multi_cell(width, 5, text, new_x="LMARGIN", new_y="NEXT")
        else:
            para(text)
    pdf.output(str(path))


def _pdf_table(pdf: FPDF, doc: Doc) -> None:
    pdf.set_font("dejavu", "", 9)
    border = 0 if doc.layout == "twocol" else 1
    label_width = 50 if doc.layout != "twocol" else 45
    for label, value in doc.header_rows:
        values = value.split("\n")
        if doc.layout == "flat":
            values = ["; ".join(values)]
        height = 5 * len(values)
        y = pdf.get_y()
        if y + height > 270:
            pdf.add_page()
            y = pdf.get_y()
        pdf.set_font("dejavu", "B", 9)
        pdf.cell(label_width, 5, label)  # top-aligned, as Word and most systems set it
        if border:
            pdf.rect(20, y, label_width, height)
        pdf.set_font("dejavu", "", 9)
        pdf.set_xy(20 + label_width, y)
        pdf.multi_cell(170 - label_width, 5, "\n".join(values), border=border)
        pdf.set_x(20)
    pdf.ln(4)


def _pdf_signatures(pdf: FPDF, doc: Doc) -> None:
    pdf.set_font("dejavu", "", 9)
    for role, name in (
        ("Sekreterare", doc.sekreterare),
        ("Ordförande", doc.ordforande),
        ("Justerande", doc.justerare[0]),
    ):
        pdf.cell(40, 6, role)
        pdf.cell(80, 6, "." * 50, new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(60)
        pdf.cell(80, 5, name or "", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def render_docx(doc: Doc, path: Path) -> None:
    word = Document()
    section = word.sections[0]
    if doc.running:
        section.header.paragraphs[0].text = doc.running.replace("\t", "  ").split("\n")[0]
    for style, text in doc.lines:
        if style in ("org", "title"):
            run = word.add_paragraph().add_run(text)
            run.bold = True
        elif style == "organ":
            word.add_heading(text, level=1)
        elif style == "table":
            table = word.add_table(rows=0, cols=2)
            table.style = "Table Grid"
            for label, value in doc.header_rows:
                cells = table.add_row().cells
                cells[0].text = label
                cells[1].text = value
        elif style == "sign":
            table = word.add_table(rows=0, cols=2)
            for role, name in (
                ("Sekreterare", doc.sekreterare),
                ("Ordförande", doc.ordforande),
                ("Justerande", doc.justerare[0]),
            ):
                cells = table.add_row().cells
                cells[0].text = role
                cells[1].text = name or ""
        elif style == "anslag":
            meeting, up, down = text.split("|")
            word.add_paragraph().add_run("ANSLAG/BEVIS").bold = True
            table = word.add_table(rows=0, cols=2)
            for label, value in (
                ("Organ", doc.organ),
                ("Sammanträdesdatum", meeting),
                ("Datum då anslaget sätts upp", up),
                ("Datum då anslaget tas ned", down),
            ):
                cells = table.add_row().cells
                cells[0].text = label
                cells[1].text = value
        elif style == "pagebreak":
            word.add_page_break()
        elif style in ("h2",):
            word.add_heading(text, level=2)
        elif style == "h3":
            word.add_paragraph().add_run(text).bold = True
        elif style == "toc":
            word.add_paragraph(text)
        elif style == "sect":
            word.add_heading(text, level=2)
        elif style == "rubrik":
            word.add_heading(text, level=3)
        elif style == "rubrik_num":
            paragraph = word.add_paragraph()
            paragraph.add_run(text).bold = True
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        elif style in ("kv", "line"):
            word.add_paragraph(text)
        else:
            word.add_paragraph(text)
    word.core_properties.created = FIXED_TIME
    word.core_properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    word.save(buffer)
    # Zip entries carry the time of writing: rewrite them with a fixed one.
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            fixed = zipfile.ZipInfo(item.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(item.filename))


def utdrag(g: Gallery, index: int, fmt: str) -> Doc:
    rng = g.rng
    kommun = g.kommun()
    organ = rng.choice(ORGANS)
    meeting = _date(rng)
    label = rng.choice(["plain", "year2"])
    paras = g.paras(organ, meeting[0], 1, label, rng.randint(0, 2))
    p = paras[0]
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_utdrag",
        fmt=fmt,
        layout="utdrag",
        kommun=kommun,
        organ=organ[0],
        abbr=organ[1],
        genitive=organ[2],
        decider=organ[3],
        datum=iso(meeting),
        datum_typ="sammanträde",
        dokumenttyp="protokollsutdrag",
        paras=paras,
    )
    lines = doc.lines
    lines.append(("org", kommun_name(kommun)))
    lines.append(("title", "Protokollsutdrag" if rng.random() < 0.5 else "Utdrag ur protokoll"))
    lines.append(("kv", f"Organ\t{organ[0]}"))
    when = iso(meeting) if rng.random() < 0.6 else written(meeting, rng, weekday=False)
    lines.append(("kv", f"Sammanträdesdatum\t{when}"))
    prefix = f"{organ[1]} " if rng.random() < 0.5 else ""
    dnr_text = getattr(p, "written_dnr", "")
    lines.append(("sect", f"{prefix}§ {p.label}\t{'Dnr ' + dnr_text if dnr_text else ''}"))
    lines.append(("rubrik", p.rubrik))
    for text in p.body:
        lines.append(("p", text))
    lines.append(("h3", "Beslut"))
    for b in p.beslut:
        lines.append(("p", b))
    lines.append(("h3", "Beslutet skickas till"))
    lines.append(("p", "Kommunstyrelsen"))
    lines.append(("p", f"Rätt utdraget intygar: {iso(plus(meeting, 9))}"))
    lines.append(("p", f"{rng.choice(FIRST)} {rng.choice(LAST)}, nämndsekreterare"))
    return doc


def kallelse(g: Gallery, index: int, fmt: str) -> Doc:
    rng = g.rng
    kommun = g.kommun()
    organ = rng.choice(ORGANS)
    meeting = _date(rng)
    sent = plus(meeting, -rng.randint(7, 12))
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_kallelse",
        fmt=fmt,
        layout="kallelse",
        kommun=kommun,
        organ=organ[0],
        abbr=organ[1],
        genitive=organ[2],
        decider=organ[3],
        datum=iso(meeting),
        datum_typ="sammanträde",
        dokumenttyp="kallelse",
    )
    lines = doc.lines
    lines.append(("org", kommun_name(kommun)))
    word = rng.choice(["Kallelse", "Kallelse och föredragningslista", "Föredragningslista"])
    lines.append(("title", word))
    lines.append(("organ", organ[0]))
    lines.append(("kv", f"Datum\t{iso(sent)}"))
    lines.append(("kv", f"Sammanträde\t{written(meeting, rng, weekday=True)} kl. 13.15"))
    lines.append(("kv", "Plats\tKommunhuset, sammanträdesrum Älven"))
    lines.append(("h3", "Ärenden"))
    for i, (rubrik, _) in enumerate(rng.sample(ARENDEN, rng.randint(5, 8)), start=1):
        n = rng.randint(20, 500)
        lines.append(("p", f"{i}. {rubrik}\t{organ[1]} {meeting[0]}/{n}"))
    lines.append(("p", "Förslag till beslut redovisas i respektive tjänsteskrivelse."))
    chair = g.person()
    lines.append(("p", f"{chair.name}"))
    lines.append(("p", "Ordförande"))
    return doc


def tjansteskrivelse(g: Gallery, index: int, fmt: str) -> Doc:
    rng = g.rng
    kommun = g.kommun()
    organ = rng.choice([o for o in ORGANS if "utskott" not in o[0]])
    written_on = _date(rng)
    rubrik = rng.choice(ARENDEN)[0]
    n = rng.randint(20, 900)
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_tjansteskrivelse",
        fmt=fmt,
        layout="tjänsteskrivelse",
        kommun=kommun,
        organ=organ[0],
        abbr=organ[1],
        genitive=organ[2],
        decider=organ[3],
        datum=iso(written_on),
        datum_typ="dokument",
        dokumenttyp="tjänsteskrivelse",
    )
    lines = doc.lines
    lines.append(("org", kommun_name(kommun)))
    lines.append(
        (
            "p",
            rng.choice(
                [
                    "Kommunledningsförvaltningen",
                    "Samhällsbyggnadsförvaltningen",
                    "Socialförvaltningen",
                    "Utbildningsförvaltningen",
                ]
            ),
        )
    )
    lines.append(("title", "Tjänsteskrivelse"))
    lines.append(("kv", f"Datum\t{iso(written_on)}"))
    lines.append(("kv", f"Diarienummer\t{organ[1]} {written_on[0]}/{n}"))
    h = g.person()
    lines.append(("kv", f"Handläggare\t{h.name}"))
    lines.append(("kv", f"Till\t{organ[0]}"))
    lines.append(("h2", rubrik))
    lines.append(("h3", "Förslag till beslut"))
    lines.append(("p", f"{organ[3]} föreslås besluta att godkänna förslaget."))
    lines.append(("h3", "Ärendet"))
    for text in rng.sample(BODY, 3):
        lines.append(("p", text))
    return doc


def revisionsrapport(g: Gallery, index: int, fmt: str) -> Doc:
    rng = g.rng
    kommun = g.kommun()
    report = _date(rng)
    firm = rng.choice(["PwC", "KPMG", "EY", "Deloitte"])
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_revisionsrapport",
        fmt=fmt,
        layout="revision",
        kommun=kommun,
        organ="Revisionen",
        abbr="",
        genitive="",
        decider="",
        datum=iso(report),
        datum_typ="dokument",
        dokumenttyp="revisionsrapport",
    )
    topic = rng.choice(
        [
            "styrning och uppföljning av hemtjänsten",
            "kommunens investeringsprocess",
            "intern kontroll av leverantörsutbetalningar",
            "arbetet med skolnärvaro",
        ]
    )
    lines = doc.lines
    lines.append(("org", firm))
    lines.append(("title", "Revisionsrapport"))
    lines.append(("h2", f"Granskning av {topic}"))
    lines.append(("kv", f"{kommun_name(kommun)}\t{iso(report)}"))
    lines.append(("h3", "Sammanfattning"))
    lines.append(
        (
            "p",
            f"På uppdrag av de förtroendevalda revisorerna i {kommun_name(kommun)} har "
            f"{firm} granskat {topic}. Granskningen har genomförts under hösten.",
        )
    )
    lines.append(("p", "Vår sammanfattande bedömning är att styrningen delvis är ändamålsenlig."))
    lines.append(("h3", "Rekommendationer"))
    lines.append(("p", "Utifrån granskningen rekommenderar vi kommunstyrelsen att:"))
    lines.append(("p", "- säkerställa att uppföljningen rapporteras till nämnden varje kvartal,"))
    lines.append(("p", "- tydliggöra ansvarsfördelningen mellan förvaltning och nämnd."))
    lines.append(("h3", "Revisionsfrågor"))
    lines.append(
        (
            "p",
            "Granskningen besvarar följande revisionsfrågor: Finns en ändamålsenlig "
            "styrning? Sker uppföljning enligt plan?",
        )
    )
    return doc


def motion(g: Gallery, index: int, fmt: str, kind: str) -> Doc:
    rng = g.rng
    kommun = g.kommun()
    dated = _date(rng)
    author = g.person()
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_{kind}",
        fmt=fmt,
        layout=kind,
        kommun=kommun,
        organ="Kommunfullmäktige",
        abbr="KF",
        genitive="Kommunfullmäktiges",
        decider="Kommunfullmäktige",
        datum=iso(dated),
        datum_typ="dokument",
        dokumenttyp=kind,
    )
    lines = doc.lines
    lines.append(("org", kommun_name(kommun)))
    if kind == "motion":
        lines.append(("title", "Motion om gång- och cykelväg till skolan"))
        lines.append(("p", "Till kommunfullmäktige"))
        lines.append(
            (
                "p",
                "Många barn cyklar i dag längs en väg utan separat cykelbana. Vi "
                "föreslår att kommunen bygger en gång- och cykelväg.",
            )
        )
        lines.append(
            (
                "p",
                "Jag yrkar därför att kommunfullmäktige ger tekniska nämnden i "
                "uppdrag att utreda en gång- och cykelväg.",
            )
        )
        lines.append(("p", f"{kommun} {iso(dated)}"))
        lines.append(("p", f"{author.name} ({author.party})"))
    else:
        lines.append(("title", "Medborgarförslag"))
        lines.append(("kv", f"Datum\t{iso(dated)}"))
        lines.append(("p", "Till kommunfullmäktige"))
        lines.append(("h3", "Förslag"))
        lines.append(
            (
                "p",
                "Jag föreslår att kommunen sätter upp fler parkbänkar längs "
                "promenadstråket vid sjön, så att äldre kan vila under promenaden.",
            )
        )
        lines.append(("p", "Namn: Kerstin Alm"))
    return doc


def delegationsbeslut(g: Gallery, index: int, fmt: str) -> Doc:
    rng = g.rng
    kommun = g.kommun()
    organ = ("Miljö- och byggnadsnämnden", "MBN", "Miljö- och byggnadsnämndens", "Nämnden")
    dated = _date(rng)
    n = rng.randint(100, 999)
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_delegationsbeslut",
        fmt=fmt,
        layout="delegation",
        kommun=kommun,
        organ=organ[0],
        abbr=organ[1],
        genitive=organ[2],
        decider=organ[3],
        datum=iso(dated),
        datum_typ="dokument",
        dokumenttyp="delegationsbeslut",
    )
    lines = doc.lines
    lines.append(("org", kommun_name(kommun)))
    lines.append(("p", organ[0]))
    lines.append(("title", "Delegationsbeslut"))
    lines.append(("kv", f"Datum\t{iso(dated)}"))
    lines.append(("kv", f"Diarienummer\tMBN {dated[0]}-000{n}"))
    lines.append(("h2", "Beslut om bygglov för tillbyggnad av enbostadshus"))
    lines.append(("h3", "Beslut"))
    lines.append(("p", "Miljö- och byggnadsnämnden beviljar bygglov med stöd av 9 kap. 30 § PBL."))
    lines.append(
        (
            "p",
            "Beslutet är fattat med stöd av delegation enligt nämndens "
            "delegationsordning, punkt 4.2.",
        )
    )
    return doc


def unknown(g: Gallery, index: int, fmt: str) -> Doc:
    kommun = g.kommun()
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_okand",
        fmt=fmt,
        layout="okänd",
        kommun=kommun,
        organ="",
        abbr="",
        genitive="",
        decider="",
        datum=None,
        datum_typ=None,
        dokumenttyp="okänd",
    )
    lines = doc.lines
    lines.append(("org", kommun_name(kommun)))
    lines.append(("h2", "Information om vinterväghållning"))
    lines.append(("p", "Från den 1 november 2024 gäller nya tider för snöröjningen."))
    lines.append(
        (
            "p",
            "Snöröjningen startar när det har fallit cirka fem centimeter snö. Gång- "
            "och cykelvägar prioriteras före bilvägar i centrala delar av orten.",
        )
    )
    lines.append(
        (
            "p",
            "Har du frågor om snöröjningen kan du kontakta kundtjänst på vardagar. "
            "Sandning sker vid halka, främst vid busshållplatser och övergångsställen.",
        )
    )
    return doc


STADSDELAR = [
    "Skärholmens",
    "Farsta",
    "Hägersten-Älvsjö",
    "Rinkeby-Kista",
    "Spånga-Tensta",
    "Enskede-Årsta-Vantör",
    "Södermalms",
    "Kungsholmens",
]


def stadsdel(g: Gallery, index: int, fmt: str) -> Doc:
    """A Stockholm stadsdelsnämnd protokoll: the organ names a district, the kommun is the city."""
    kommun_before = g.kommuner[-1]
    g.kommuner.append("Stockholm")
    doc = protokoll(g, index, fmt, g.rng.choice(["plain", "ciceron"]))
    district = g.rng.choice(STADSDELAR)
    name = f"{district} stadsdelsnämnd"
    doc.organ = name
    doc.abbr = "SDN"
    doc.name = f"{index:02d}_stockholm_sdn"
    doc.lines = [(s, t.replace(doc.lines[2][1], name) if s == "organ" else t) for s, t in doc.lines]
    doc.lines[0] = ("org", "Stockholms stad")
    doc.running = doc.running.replace("STOCKHOLMS KOMMUN", "STOCKHOLMS STAD").replace(
        doc.running.split("\n")[1].split("\t")[0], name
    )
    assert g.kommuner[-1] == kommun_before
    return doc


def _ascii(name: str) -> str:
    return name.translate(str.maketrans("åäöÅÄÖ", "aaoAAO"))


def varied(g: Gallery, index: int, fmt: str) -> Doc:
    """A protokoll whose every dimension is drawn on its own: § shape, dnr shape, header
    shape, people and page numbers, so combinations no layout above makes occur too."""
    rng = g.rng
    kommun = g.kommun()
    organ = rng.choice(ORGANS)
    meeting = _date(rng)
    year = meeting[0]
    shape = rng.choice(["nospace", "dot", "colonyear", "mixedprefix", "prefixbelow", "fullyear"])
    dnr_shape = rng.choice(["slashcolon", "dots", "short", "diarienummer", "dash", "classified"])
    header = rng.choice(["tidochplats", "nextline", "datum", "oneline"])
    people_shape = rng.choice(["ordf", "ersattare", "twojust"])
    short = {"SNAU": "SN", "IU": "SN", "KSAU": "KS"}.get(organ[1], organ[1])
    start = rng.randint(1, 160)
    paras: list[Para] = []
    for i, (rubrik, _) in enumerate(rng.sample(ARENDEN, rng.randint(3, 5))):
        number = start + i
        label = {"colonyear": f"{number}:{year}", "fullyear": f"{number}/{year}"}.get(
            shape, str(number)
        )
        n = rng.randint(10, 900)
        written_dnr = {
            "slashcolon": f"{short}/{year}:{n:04d}",
            "dots": f"{short}.{year}.{n:04d}",
            "short": f"{n}/{year % 100:02d}",
            "diarienummer": f"{short} {year}/{n:04d}-{rng.randint(1, 9)}",
            "dash": f"{short} {year}-{n:06d}",
            "classified": f"{rng.randint(1, 3)}.{rng.randint(1, 4)}.{rng.randint(1, 4)}-{n}/{year}",
        }[dnr_shape]
        para = Para(
            label,
            number,
            rubrik,
            [written_dnr],
            rng.sample(BODY, 2),
            [
                f"{organ[3]} beslutar att godkänna förvaltningens förslag.",
            ],
        )
        para.written_dnr = written_dnr  # type: ignore[attr-defined]
        paras.append(para)
    people = [g.person() for _ in range(rng.randint(5, 8))]
    substitute = g.person() if people_shape == "ersattare" else None
    deputy = g.person() if people_shape == "ersattare" else None
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_varied",
        fmt=fmt,
        layout="varied",
        kommun=kommun,
        organ=organ[0],
        abbr=organ[1],
        genitive=organ[2],
        decider=organ[3],
        datum=iso(meeting),
        datum_typ="sammanträde",
        dokumenttyp="protokoll",
        paras=paras,
        beslutande=people + ([substitute] if substitute else []),
        ordforande=people[0].name,
        vice=people[1].name,
        sekreterare=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        page_format=rng.choice(["Sida {page} av {nb}", "Sid {page}/{nb}", "{page}({nb})"]),
    )
    while doc.sekreterare in g.used_names:
        doc.sekreterare = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    g.used_names.add(doc.sekreterare)
    doc.justerare = [people[2].name] + ([people[3].name] if people_shape == "twojust" else [])
    doc.running = f"{kommun_name(kommun)}\tProtokoll\n{organ[0]}\t{iso(meeting)}"
    justering = plus(meeting, rng.randint(2, 8))
    chair, vice = (
        ("ordf.", "vice ordf.") if people_shape == "ordf" else ("ordförande", "vice ordförande")
    )
    decided = [
        f"{p.name} ({p.party})" + (f" {chair}" if i == 0 else f" {vice}" if i == 1 else "")
        for i, p in enumerate(people)
    ]
    first, last = paras[0].nummer, paras[-1].nummer
    place = rng.choice(["Kommunhuset, KS-salen", "Stadshuset, Rådssalen", "Folkets hus"])
    just_text = " och ".join(doc.justerare)
    lines = doc.lines
    lines.append(("org", kommun_name(kommun)))
    lines.append(
        ("title", rng.choice(["Protokoll", "SAMMANTRÄDESPROTOKOLL", "Sammanträdesprotokoll"]))
    )
    lines.append(("organ", organ[0]))
    if header == "oneline":
        lines.append(
            (
                "line",
                f"Plats och tid {place} {iso(meeting)} kl 13.00–15.00 Beslutande "
                + ", ".join(decided)
                + (
                    f" Tjänstgörande ersättare {substitute.name} ({substitute.party})"
                    f" Ersättare {deputy.name} ({deputy.party})"
                    if substitute and deputy
                    else ""
                )
                + f" Övriga närvarande {doc.sekreterare}, sekreterare"
                f" Utses att justera {just_text} Justeringens plats och tid"
                f" Kommunkontoret {iso(justering)} Paragrafer {first}–{last}",
            )
        )
    else:
        if header == "tidochplats":
            lines.append(("kv", f"Tid och plats\t{written(meeting, rng, True)} kl. 09.00, {place}"))
        elif header == "nextline":
            lines.append(("line", "Sammanträde"))
            lines.append(("line", iso(meeting)))
            lines.append(("line", place))
        else:
            lines.append(("kv", f"Datum\t{iso(meeting)}"))
            lines.append(("kv", f"Plats\t{place}"))
        label = "Ledamöter" if people_shape == "ersattare" else "Beslutande"
        lines.append(("kv", f"{label}\t{', '.join(decided)}"))
        if substitute and deputy:
            lines.append(("kv", f"Tjänstgörande ersättare\t{substitute.name} ({substitute.party})"))
            lines.append(("kv", f"Ersättare\t{deputy.name} ({deputy.party})"))
        lines.append(("kv", f"Övriga närvarande\t{doc.sekreterare}, sekreterare"))
        lines.append(("kv", f"Utses att justera\t{just_text}"))
        lines.append(("kv", f"Justeringens plats och tid\tKommunkontoret {iso(justering)}"))
        lines.append(("kv", f"Paragrafer\t{first}–{last}"))
    lines.append(("pagebreak", ""))
    prefix = organ[1].capitalize() if shape == "mixedprefix" else organ[1]
    for p in paras:
        dnr_line = (
            f"Diarienummer: {p.written_dnr}"
            if dnr_shape == "diarienummer"
            else f"Dnr {p.written_dnr}"
        )
        if shape == "nospace":
            lines.append(("sect", f"§{p.label}"))
            lines.append(("rubrik", p.rubrik))
        elif shape == "dot":
            lines.append(("sect", f"§ {p.label}."))
            lines.append(("rubrik", p.rubrik))
        elif shape == "mixedprefix":
            lines.append(("sect", f"{prefix} § {p.label} {p.rubrik}"))
        elif shape == "prefixbelow":
            lines.append(("sect", f"{prefix} § {p.label}"))
            lines.append(("rubrik", p.rubrik))
        else:
            lines.append(("sect", f"§ {p.label}"))
            lines.append(("rubrik", p.rubrik))
        lines.append(("p", dnr_line))
        for text in p.body:
            lines.append(("p", text))
        lines.append(("h3", "Beslut"))
        for b in p.beslut:
            lines.append(("p", b))
    lines.append(("p", f"Vid protokollet: {doc.sekreterare}"))
    return doc


def utdrag2(g: Gallery, index: int, fmt: str) -> Doc:
    """A protokollsutdrag titled in one line with its meeting, a justering and an expedition
    date that are not the meeting's, and the § with its organ prefix."""
    rng = g.rng
    kommun = g.kommun()
    organ = rng.choice(ORGANS[:4])
    meeting = _date(rng)
    paras = g.paras(organ, meeting[0], 1, "plain", 0)
    p = paras[0]
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_utdrag",
        fmt=fmt,
        layout="utdrag2",
        kommun=kommun,
        organ=organ[0],
        abbr=organ[1],
        genitive=organ[2],
        decider=organ[3],
        datum=iso(meeting),
        datum_typ="sammanträde",
        dokumenttyp="protokollsutdrag",
        paras=paras,
    )
    lines = doc.lines
    lines.append(("org", kommun_name(kommun).upper()))
    lines.append(("title", f"Utdrag ur protokoll fört vid {organ[2].lower()} sammanträde"))
    lines.append(("kv", f"Sammanträdesdatum\t{iso(meeting)}"))
    lines.append(("kv", f"Justeringsdatum\t{iso(plus(meeting, 4))}"))
    written_dnr = getattr(p, "written_dnr", "")
    lines.append(("sect", f"{organ[1].capitalize()} § {p.label}"))
    lines.append(("rubrik", p.rubrik))
    if written_dnr:
        lines.append(("p", f"Dnr {written_dnr}"))
    for text in p.body:
        lines.append(("p", text))
    lines.append(("h3", "Beslut"))
    for b in p.beslut:
        lines.append(("p", b))
    lines.append(("p", f"Expedierat {iso(plus(meeting, 6))}"))
    lines.append(("p", "Rätt utdraget intygar"))
    return doc


def kallelse2(g: Gallery, index: int, fmt: str) -> Doc:
    """A kallelse whose ärenden carry a Förslag till beslut (a proposal, not a decision)."""
    rng = g.rng
    kommun = g.kommun()
    organ = rng.choice(ORGANS)
    meeting = _date(rng)
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_kallelse",
        fmt=fmt,
        layout="kallelse2",
        kommun=kommun,
        organ=organ[0],
        abbr=organ[1],
        genitive=organ[2],
        decider=organ[3],
        datum=iso(meeting),
        datum_typ="sammanträde",
        dokumenttyp="kallelse",
    )
    lines = doc.lines
    lines.append(("org", kommun_name(kommun)))
    lines.append(("title", "KALLELSE"))
    lines.append(("kv", f"Organ\t{organ[0]}"))
    lines.append(("kv", f"Datum\t{iso(plus(meeting, -8))}"))
    lines.append(("kv", f"Sammanträdesdatum\t{iso(meeting)}"))
    lines.append(("kv", "Tid\t13.15"))
    lines.append(("h3", "Föredragningslista"))
    for i, (rubrik, _) in enumerate(rng.sample(ARENDEN, 4), start=1):
        lines.append(("h3", f"{i}. {rubrik}"))
        lines.append(("p", f"Dnr {organ[1]} {meeting[0]}/{rng.randint(10, 400)}"))
        lines.append(("p", "Förslag till beslut"))
        lines.append(("p", f"{organ[3]} föreslås besluta att godkänna förslaget."))
    return doc


def tjansteskrivelse2(g: Gallery, index: int, fmt: str) -> Doc:
    """A tjänsteskrivelse with colon labels, an upper-case type word and a Beslutsförslag."""
    rng = g.rng
    kommun = g.kommun()
    organ = rng.choice([o for o in ORGANS if "utskott" not in o[0]])
    written_on = _date(rng)
    doc = Doc(
        name=f"{index:02d}_{kommun.lower()}_tjansteskrivelse",
        fmt=fmt,
        layout="tjänsteskrivelse2",
        kommun=kommun,
        organ=organ[0],
        abbr=organ[1],
        genitive=organ[2],
        decider=organ[3],
        datum=iso(written_on),
        datum_typ="dokument",
        dokumenttyp="tjänsteskrivelse",
    )
    lines = doc.lines
    lines.append(("org", kommun_name(kommun)))
    lines.append(("title", "TJÄNSTESKRIVELSE"))
    lines.append(("line", f"Datum: {iso(written_on)}"))
    lines.append(("line", f"Dnr: {organ[1]} {written_on[0]}/{rng.randint(10, 900):04d}"))
    lines.append(("line", f"Till: {organ[0]}"))
    lines.append(("h2", rng.choice(ARENDEN)[0]))
    lines.append(("h3", "Beslutsförslag"))
    lines.append(("p", f"{organ[3]} föreslås besluta att anta förslaget."))
    lines.append(("h3", "Bakgrund"))
    for text in rng.sample(BODY, 2):
        lines.append(("p", text))
    lines.append(("p", f"{g.person().name}, utredare"))
    return doc


def protokoll_mail(g: Gallery, index: int, fmt: str) -> Doc:
    """A protokoll without a kommun letterhead: the organ heads it, the kommun is named by
    its e-mail address and place of signing at the end; the body mentions other kommuner."""
    doc = protokoll(g, index, fmt, g.rng.choice(["plain", "meetingsplus", "inline"]))
    domain = doc.kommun.lower().translate(str.maketrans("åäöé", "aaoe")).replace(" ", "")
    doc.lines = [(st, t) for st, t in doc.lines if st != "org"]
    doc.lines.append(("p", f"Kommunstyrelsens kansli, e-post kommunstyrelsen@{domain}.se"))
    doc.running = ""
    doc.name = (
        doc.name.replace("_plain", "_mail")
        .replace("_meetingsplus", "_mail")
        .replace("_inline", "_mail")
    )
    return doc


def main() -> None:
    g = Gallery(SEED)
    docs: list[Doc] = []
    index = 1
    plan = [
        ("ciceron", "pdf"), ("ciceron", "txt"), ("ciceron", "docx"),
        ("meetingsplus", "pdf"), ("meetingsplus", "txt"), ("meetingsplus", "docx"),
        ("lex", "pdf"), ("lex", "txt"), ("w3d3", "pdf"), ("w3d3", "docx"),
        ("rightnum", "pdf"), ("rightnum", "txt"), ("rightnum", "docx"),
        ("glyphless", "txt"), ("glyphless", "pdf"),
        ("inline", "txt"), ("inline", "pdf"), ("inline", "docx"),
        ("plain", "txt"), ("plain", "pdf"), ("plain", "docx"),
        ("written", "txt"), ("written", "pdf"), ("flat", "txt"), ("flat", "pdf"),
        ("twocol", "pdf"), ("twocol", "pdf"),
    ]  # fmt: skip
    for layout, fmt in plan:
        docs.append(protokoll(g, index, fmt, layout))
        index += 1
    for fmt in ("txt", "pdf"):
        docs.append(stadsdel(g, index, fmt))
        index += 1
    makers = [
        (utdrag, "pdf"), (utdrag, "txt"), (utdrag, "docx"), (utdrag, "pdf"),
        (kallelse, "pdf"), (kallelse, "txt"), (kallelse, "docx"),
        (tjansteskrivelse, "pdf"), (tjansteskrivelse, "txt"), (tjansteskrivelse, "docx"),
        (revisionsrapport, "pdf"), (revisionsrapport, "txt"),
        (delegationsbeslut, "txt"), (unknown, "txt"), (unknown, "pdf"),
    ]  # fmt: skip
    for maker, fmt in makers:
        docs.append(maker(g, index, fmt))
        index += 1
    for kind in ("motion", "medborgarförslag"):
        docs.append(motion(g, index, "txt", kind))
        index += 1
    for fmt in (
        "txt",
        "pdf",
        "docx",
        "txt",
        "pdf",
        "txt",
        "pdf",
        "docx",
        "txt",
        "pdf",
        "pdf",
        "txt",
    ):
        docs.append(varied(g, index, fmt))
        index += 1
    for maker, fmt in [
        (utdrag2, "txt"), (utdrag2, "pdf"), (kallelse2, "txt"), (kallelse2, "pdf"),
        (tjansteskrivelse2, "txt"), (tjansteskrivelse2, "docx"),
        (protokoll_mail, "txt"), (protokoll_mail, "pdf"),
    ]:  # fmt: skip
        docs.append(maker(g, index, fmt))
        index += 1
    for old in HERE.glob("[0-9][0-9]_*"):
        old.unlink()
    for doc in docs:
        doc.name = _ascii(doc.name)
        path = HERE / f"{doc.name}.{doc.fmt}"
        if doc.fmt == "txt":
            path.write_text(render_text(doc), encoding="utf-8")
        elif doc.fmt == "pdf":
            render_pdf(doc, path)
        else:
            render_docx(doc, path)
        truth = HERE / f"{doc.name}.truth.json"
        truth.write_text(json.dumps(doc.truth(), ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(docs)} documents to {HERE}")


if __name__ == "__main__":
    main()
