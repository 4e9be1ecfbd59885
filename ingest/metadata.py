"""Document facts: kommun, nämnd and dates, each inferred from its strongest evidence.

Kommun is decided by weighted evidence, not by frequency: an e-mail domain (`@katrineholm.se`)
or "Katrineholms kommun" in a letterhead outweighs many passing mentions of other places
(a Katrineholm report that compares itself with Eskilstuna is still Katrineholm's).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

from swedish.kommuner import KOMMUN_ALT, KOMMUN_CANONICAL, KOMMUN_MENTION, KOMMUNER, mail_domain
from swedish.patterns import find_dates

from .lines import Line

_KOMMUN_PHRASE = re.compile(rf"\b({KOMMUN_ALT})s?\s+(?:kommuns?|stads?)\b", re.IGNORECASE)
# Matched from the start of an address only: tried at every character of a long run of
# word characters, the pattern rescanned the run each time (quadratic).
_EMAIL_DOMAIN = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[\w-]+\.)*([\w-]+)\.se\b", re.IGNORECASE)
_WEB_DOMAIN = re.compile(r"\bwww\.([\w-]+)\.se\b", re.IGNORECASE)
_SIGNED_PLACE = re.compile(rf"^({KOMMUN_ALT})\s+\d")
_AMBIGUOUS = {"mark", "berg", "ale", "kil", "eda", "vara", "sala", "nora", "mora", "osby", "lund"}
_DOMAIN_TO_KOMMUN = {mail_domain(k)[:-3]: k for k in KOMMUNER}


@dataclass
class Evidence:
    value: str
    source: str


def infer_kommun(text: str) -> Evidence | None:
    """The kommun a document belongs to, with a readable account of the evidence."""
    scores: Counter[str] = Counter()
    notes: dict[str, list[str]] = {}

    def add(kommun: str, weight: float, note: str) -> None:
        scores[kommun] += weight
        notes.setdefault(kommun, []).append(note)

    domains = {
        _DOMAIN_TO_KOMMUN[m[1].lower()]
        for m in _EMAIL_DOMAIN.finditer(text)
        if m[1].lower() in _DOMAIN_TO_KOMMUN
    }
    for kommun in domains:
        add(kommun, 10, f"e-post @{mail_domain(kommun)}")
    for match in _WEB_DOMAIN.finditer(text):
        kommun = _DOMAIN_TO_KOMMUN.get(match[1].lower())
        if kommun:
            add(kommun, 4, f"webbadress {match[0]}")
    phrases: Counter[str] = Counter()
    for match in _KOMMUN_PHRASE.finditer(text):
        kommun = KOMMUN_CANONICAL[match[1].lower()]
        weight = 6 if match.start() < 3000 else 3
        scores[kommun] += weight
        phrases[f"{kommun}|{_squash(match[0])}"] += 1
    for key, count in phrases.items():
        kommun, phrase = key.split("|", 1)
        notes.setdefault(kommun, []).append(f"'{phrase}' ×{count}")
    # The letterhead: "Rättviks kommun" or "HÄRNÖSANDS KOMMUN  SAMMANTRÄDESPROTOKOLL" opening
    # one of the first lines names the sender; a comparison with another kommun in the body
    # ("Jämförelser har gjorts med Sundsvalls kommun") is a passing mention.
    head = [line.strip() for line in text[:3000].split("\n") if line.strip()][:8]
    for line in head:
        match = _KOMMUN_PHRASE.match(line)
        if match:
            add(KOMMUN_CANONICAL[match[1].lower()], 20, f"brevhuvud '{line[:40]}'")
            break
    for line in text.split("\n"):
        match = _SIGNED_PLACE.match(line.strip())
        if match and find_dates(line):
            add(KOMMUN_CANONICAL[match[1].lower()], 4, f"ort och datum '{line.strip()[:40]}'")
    bare = Counter(
        KOMMUN_CANONICAL[m[1].lower()]
        for m in KOMMUN_MENTION.finditer(text)
        if m[1].lower() not in _AMBIGUOUS
    )
    for kommun, count in bare.items():
        scores[kommun] += 0.3 * min(count, 20)
    if not scores:
        return None
    kommun, _ = scores.most_common(1)[0]
    evidence = notes.get(kommun) or [f"nämns ×{bare[kommun]}"]
    return Evidence(kommun, "; ".join(evidence[:4]))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- nämnd -------------------------------------------------------------------------------

_NAMND = re.compile(
    r"\b((?:[A-ZÅÄÖa-zåäö]+-\s+och\s+)?[A-ZÅÄÖa-zåäö]*"
    r"(?:nämnd|styrelse|fullmäktige))(en|ens|s|es)?\b"
)
_NAMND_STRONG = [
    (re.compile(r"protokoll fört vid (\w[\w -]*?)s sammanträde", re.I), 12),
    (re.compile(r"^(?:mottagare|till)\s*:?\s*(\w[\w -]*)$", re.I | re.M), 6),
    (re.compile(r"^(\w[\w -]*?)s beslut$", re.I | re.M), 4),
]


# An organ named alone on a header line: "Kommunstyrelsen", "Tekniska nämnden", "Barn- och
# utbildningsnämnden", "Socialnämndens arbetsutskott", "Rinkeby-Kista stadsdelsnämnd".
_ORGAN_NAME = (
    r"(?:[A-ZÅÄÖ][\wåäö]*-?\s+och\s+(?=[a-zåäö])[\wåäö-]*(?:nämnden|nämnd)"
    r"|(?!(?:Protokoll|Kallelse|Till|Mottagare|Utdrag|Organ)\b)[A-ZÅÄÖ][\wåäö-]*\s+"
    r"(?=[a-zåäö])[\wåäö-]*(?:nämnden|nämnd)"
    r"|[A-ZÅÄÖ][\wåäö-]*(?:nämnden|nämnd|styrelsen|fullmäktige))"
    r"(?:s\s+(?:[\wåäö]+-\s+och\s+)?[\wåäö-]*utskott)?"
)
# Case matters on a line of its own ("Protokoll Socialnämnden" is a title, "Tekniska
# nämnden" an organ); an upper-case line is compared in sentence case.
_ORGAN_LINE = re.compile(rf"^({_ORGAN_NAME})$")
# "Organ  Kommunstyrelsen" (anslag block), "Till: kommunfullmäktige", "Protokoll
# Socialnämnden" (a title naming its organ), a running header
# "Tekniska nämnden  Sammanträdesdatum …".
_ORGAN_FIELD = re.compile(
    rf"^(?i:organ|nämnd|instans|till|mottagare|protokoll|sammanträdesprotokoll|kallelse|"
    rf"protokollsutdrag|föredragningslista)\s*:?\s*({_ORGAN_NAME})$"
)
_ORGAN_RUNNING = re.compile(rf"^({_ORGAN_NAME})\t(?i:sammanträdes|protokoll|datum)")
# Organ abbreviations as § prefixes (`KS § 45`, `Sn 12`) and dnr series.
ORGAN_ABBREVIATIONS = {
    "ks": "Kommunstyrelsen",
    "kf": "Kommunfullmäktige",
    "ksau": "Kommunstyrelsens arbetsutskott",
    "au": "Arbetsutskottet",
    "sn": "Socialnämnden",
    "socn": "Socialnämnden",
    "snau": "Socialnämndens arbetsutskott",
    "bun": "Barn- och utbildningsnämnden",
    "un": "Utbildningsnämnden",
    "mbn": "Miljö- och byggnadsnämnden",
    "mhn": "Miljö- och hälsoskyddsnämnden",
    "tn": "Tekniska nämnden",
    "kfn": "Kultur- och fritidsnämnden",
    "von": "Vård- och omsorgsnämnden",
    "sbn": "Samhällsbyggnadsnämnden",
    "bn": "Byggnadsnämnden",
    "vn": "Valnämnden",
    "öfn": "Överförmyndarnämnden",
    "on": "Omsorgsnämnden",
}


def header_organ(text: str, header_lines: int = 15) -> Evidence | None:
    """The organ a header names: an `Organ` field, a running header, or an organ alone on
    one of the first lines (a sentence mentioning another organ never counts)."""
    lines = [_sentence_case(line.strip()) for line in text[:6000].split("\n") if line.strip()]
    for line in lines:
        match = _ORGAN_FIELD.match(line) or _ORGAN_RUNNING.match(line)
        if match:
            return Evidence(canonical_namnd(match[1]), _squash(line)[:60])
    for line in lines[:header_lines]:
        match = _ORGAN_LINE.match(line)
        if match:
            return Evidence(canonical_namnd(match[1]), _squash(line)[:60])
    return None


def _sentence_case(line: str) -> str:
    """ "TEKNISKA NÄMNDEN" -> "Tekniska nämnden"; "Till: kommunfullmäktige" -> "Till:
    Kommunfullmäktige" (a field's value starts with a capital); other lines unchanged."""
    if line.isupper():
        return line.capitalize()
    field = re.match(r"((?i:till|mottagare|organ)\s*:?\s*)([a-zåäö])", line)
    if field:
        return field[1] + field[2].upper() + line[field.end() :]
    return line


def prefix_organ(prefixes: list[str]) -> Evidence | None:
    """The organ named by the abbreviation most § headings carry (`KS § 45`, `Sn 12`)."""
    named = Counter(ORGAN_ABBREVIATIONS.get(p.lower()) for p in prefixes)
    named.pop(None, None)
    if not named:
        return None
    organ, count = named.most_common(1)[0]
    return Evidence(organ, f"§-prefix ×{count}")


def canonical_namnd(raw: str) -> str:
    """ "socialnämndens" -> "Socialnämnden", "kommunfullmäktiges" -> "Kommunfullmäktige";
    utskott and stadsdelsnämnder keep their own name ("Skärholmens stadsdelsnämnd")."""
    name = re.sub(r"\s+", " ", raw.strip())
    if name.isupper():
        name = name.lower()
    if name.lower().endswith(("utskott", "stadsdelsnämnd")):
        return name[:1].upper() + name[1:]
    name = re.sub(r"(nämnden|styrelsen|fullmäktige)s$", r"\1", name, flags=re.IGNORECASE)
    name = re.sub(r"nämnds?$", "nämnden", name, flags=re.IGNORECASE)
    name = re.sub(r"styrelses?$", "styrelsen", name, flags=re.IGNORECASE)
    return name[:1].upper() + name[1:]


def infer_namnd(text: str, header_end: int = 4000) -> Evidence | None:
    scores: Counter[str] = Counter()
    notes: dict[str, str] = {}
    for pattern, weight in _NAMND_STRONG:
        for match in pattern.finditer(text[:header_end]):
            found = _NAMND.search(match[1])
            if found and found.end() == len(match[1].rstrip()):
                name = canonical_namnd(found[0])
                scores[name] += weight
                notes.setdefault(name, _squash(match[0])[:60])
    for match in _NAMND.finditer(text):
        if "utskott" in match[0].lower() or len(match[1]) < 6:
            continue
        name = canonical_namnd(match[0])
        if name.lower() in {"nämnden", "styrelsen", "bolagsstyrelsen"}:
            continue
        scores[name] += 1.0 if match.start() < header_end else 0.3
    if not scores:
        return None
    name, _ = scores.most_common(1)[0]
    return Evidence(name, notes.get(name, "nämns oftast"))


# --- dates -------------------------------------------------------------------------------

_MEETING_LINE = re.compile(
    r"^(?:sammanträdesdatum|sammanträdesdag|sammanträde|datum och tid|tid och plats|"
    r"plats och tid|tid|protokoll fört vid .*sammanträde|.*sammanträde)\b",
    re.IGNORECASE,
)
# In a protokoll header a bare "Datum" field is the meeting's ("Datum  2023-04-08") when no
# field names the meeting; never "Datum då anslaget sätts upp". A kallelse's "Datum" is the
# day it was sent.
_DATE_FIELD = re.compile(
    r"^datum\s*:?\s*(?:\t|$|(?=\d|(?:mån|tis|ons|tors|fre|lör|sön)dag|den\s))", re.I
)
_JUSTERING_LINE = re.compile(
    r"^(?:justeringens plats och (?:datum|tid)|justering(?:sdatum)?|justerat|justerades)\b",
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(r"^(?:datum|daterad|upprättad|dokumentdatum)\s*:?\s*$", re.IGNORECASE)
_DATE_LABELLED = re.compile(r"^(?:datum|daterad|upprättad|dokumentdatum)\s*:?\s*(.+)$", re.I)
_PLACE_DATE = re.compile(rf"^(?:{KOMMUN_ALT})(?:s?\s+(?:kommun|stad))?\s+(.+)$")
_DATE_ONLY = re.compile(
    r"^(?:(?:mån|tis|ons|tors|fre|lör|sön)dag\s+)?(\d{4}-\d{2}-\d{2})(?:\s+\d{1,2}:\d{2})?$", re.I
)


# Header labels, capitalized as a header table writes them; a header flattened by text
# extraction into one line is split before each of them.
_HEADER_LABEL = re.compile(
    r"(?<=\s)(?=(?:Beslutande|Ledamöter|Tjänstgörande ersättare|Ej tjänstgörande ersättare|"
    r"Ersättare|Övriga närvarande|Övriga deltagare|Utses att justera|Justerare|"
    r"Justeringens plats och (?:tid|datum)|Justeringsdatum|Paragrafer|Sammanträdesdatum|"
    r"Plats och tid|Tid och plats|Underskrifter|Sekreterare|Ordförande|Justerande)\b)"
)


def split_header_fields(lines: list[Line]) -> list[Line]:
    """Header lines with every line holding two or more labelled fields ("Plats och tid …
    Beslutande … Utses att justera … Paragrafer 85–87") split into one line per field,
    offsets kept, so each field is read as in an unflattened table."""
    out: list[Line] = []
    for line in lines:
        cuts = [m.start() for m in _HEADER_LABEL.finditer(line.text)]
        if not cuts or (len(cuts) == 1 and not _HEADER_LABEL_AT_START.match(line.text)):
            out.append(line)
            continue
        bounds = [0, *cuts, len(line.text)]
        for a, b in itertools.pairwise(bounds):
            piece = line.text[a:b].rstrip()
            if piece.strip():
                out.append(
                    Line(
                        line.index,
                        piece,
                        line.start + a,
                        line.start + a + len(piece),
                        line.blank_before if a == 0 else False,
                    )
                )
    return out


_HEADER_LABEL_AT_START = re.compile(
    r"^(?:Beslutande|Ledamöter|Plats och tid|Tid och plats|Sammanträdesdatum|Datum|Tid)\b"
)


@dataclass
class DateFact:
    datum: str
    datum_typ: str  # sammanträde, justering, dokument (datumfält: a header's bare "Datum")
    kalla: str


def protokoll_dates(lines: list[Line]) -> list[DateFact]:
    """Sammanträde and justering dates stated in a protokoll header."""
    facts: list[DateFact] = []
    for position, line in enumerate(lines):
        text = line.text.strip()
        window = text
        if position + 1 < len(lines) and not find_dates(text):
            window = f"{text} {lines[position + 1].text.strip()}"
        kind = (
            "justering"
            if _JUSTERING_LINE.match(text)
            else "sammanträde"
            if _MEETING_LINE.match(text)
            else "datumfält"
            if _DATE_FIELD.match(text)
            else None
        )
        if kind is None:
            continue
        dates = find_dates(window)
        if dates:
            facts.append(DateFact(dates[0][2], kind, _squash(window)[:120]))
    return facts


def document_date(lines: list[Line]) -> DateFact | None:
    """A date the part states for itself: "Datum 2024-04-09", "Eskilstuna 2023-06-14"."""
    for position, line in enumerate(lines[:60]):
        text = line.text.strip()
        if _DATE_LABEL.match(text) and position + 1 < len(lines):
            dates = find_dates(lines[position + 1].text)
            if dates:
                return DateFact(dates[0][2], "dokument", f"{text} {lines[position + 1].text}")
        match = _DATE_LABELLED.match(text)
        if match and find_dates(match[1]):
            return DateFact(find_dates(match[1])[0][2], "dokument", _squash(text))
        match = _DATE_ONLY.match(text)
        if match and position < 12:
            return DateFact(match[1], "dokument", text)
    for line in lines:
        text = line.text.strip()
        match = _PLACE_DATE.match(text)
        if match and len(text) <= 40:
            dates = find_dates(match[1])
            if dates and dates[0][0] == 0:
                return DateFact(dates[0][2], "dokument", text)
    return None
