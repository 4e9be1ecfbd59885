"""Swedish nämnd-document vocabulary: diarienummer, dates, law references.

Regexes suit these closed forms better than a statistical model; person names with party
tags are matched with spaCy in `persons.py`.
"""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    "januari": 1,
    "februari": 2,
    "mars": 3,
    "april": 4,
    "maj": 5,
    "juni": 6,
    "juli": 7,
    "augusti": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "december": 12,
}
_MONTH_ALT = "|".join(MONTHS)

ISO_DATE = re.compile(r"(?<![\d-])((?:19|20)\d{2})-([01]\d)-([0-3]\d)(?![\d])")
WRITTEN_DATE = re.compile(
    rf"(?<!\d)([0-3]?\d)(?::e|:a)?\s+({_MONTH_ALT})\s+((?:19|20)\d{{2}})(?!\d)", re.IGNORECASE
)
# "Katrineholm 3/5 - 2023": day/month - year, as in signed letters.
SLASH_DATE = re.compile(r"(?<![\d/])([0-3]?\d)/([01]?\d)\s*-\s*((?:19|20)\d{2})(?!\d)")
# `§ 17`, `KS § 17`, `§ 118/21`, `§ 7:2024`: an optional organ prefix, the number, an optional
# year suffix kept in the label (the number alone is for lookup and ordering).
YEAR_SUFFIX = r"(?:\s?[/:]\s?(?:(?:19|20)\d{2}|\d{2}))(?![\d/])"
SECTION_HEADING = re.compile(
    r"^(?:(?P<prefix>[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{0,5})\s*)?§\s*(?P<num>\d{1,4})"
    rf"(?P<year>{YEAR_SUFFIX})?"
    r"(?:\s*[-–]\s*(?P<num2>\d{1,4}))?(?P<rest>.*)$"
)


def to_iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, int, str]]:
    """All dates in `text` as (start, end, ISO date), in text order."""
    found: list[tuple[int, int, str]] = []
    for match in ISO_DATE.finditer(text):
        iso = to_iso(int(match[1]), int(match[2]), int(match[3]))
        if iso:
            found.append((match.start(), match.end(), iso))
    for match in WRITTEN_DATE.finditer(text):
        iso = to_iso(int(match[3]), MONTHS[match[2].lower()], int(match[1]))
        if iso:
            found.append((match.start(), match.end(), iso))
    for match in SLASH_DATE.finditer(text):
        iso = to_iso(int(match[3]), int(match[2]), int(match[1]))
        if iso:
            found.append((match.start(), match.end(), iso))
    return sorted(found)


# --- diarienummer -----------------------------------------------------------------------

# SOCN/2023:98, KSKF/2021:98, REV/2022:14, SOCN 2023:39, SOCN2024:252-253
DNR_SERIES = re.compile(
    r"(?<![\w/])([A-ZÅÄÖ]{2,6})(?:\s?/\s?|\s)?((?:19|20)\d{2}):(\d{1,5})(?:-(\d{1,5}))?(?![\w:])"
)
# Dnr 1.2.2-72/2022, 3.4.1-629/2021, 3..2.2-590/2022, KS 2022/865, 2.3.3-559/2022
DNR_CLASSIFIED = re.compile(
    r"(?<![\w.])(\d{1,2}(?:\.{1,2}\d{1,2}){1,4}-\d{1,6}/(?:19|20)\d{2})(?:-\d{1,3})?(?![\w/])"
)
DNR_LABELLED = re.compile(
    r"\b[Dd]nr\.?:?\s*((?:[A-ZÅÄÖ]{1,6}\s)?(?:19|20)\d{2}/\d{1,6}|\d{1,5}/(?:19|20)?\d{2})(?![\w/])"
)
# An organ's series before year and number, unlabelled: KS 2017/88, KS.2019.0001,
# BUN 2023/0412-3, MBN 2023-000871, Ks 415/2024, TN 21/0133 (number/year and year/number).
_DNR_SERIES_NAME = r"(?:[A-ZÅÄÖ]{2,6}|[A-ZÅÄÖ][a-zåäö]{1,2})"
DNR_PREFIXED = re.compile(
    rf"(?<![\w/.:-])({_DNR_SERIES_NAME}(?:\s|/|\.)(?:19|20)\d{{2}}(?:/|\.|-)\d{{1,6}}"
    rf"(?:-\d{{1,3}})?|{_DNR_SERIES_NAME}\s\d{{1,5}}/\d{{2,5}})(?![\w/:.-]\w)"
)
# Series names that are no organ: page, clock, law collections, propositions, figures.
_NOT_SERIES = {
    "Sid", "Sida", "Kl", "Nr", "Prop", "Dir", "Ds", "SFS", "SOU", "SOSFS", "Bet", "Fig", "Tab",
    "Kap", "Jfr", "Mom", "Kr", "Tkr", "Mkr", "Kv", "Dnr", "Vecka", "Den", "Ca", "Per",
}  # fmt: skip


def normalize_dnr(raw: str) -> str:
    """Canonical form for comparison: `SOCN 2023:39` == `SOCN/2023:39`."""
    match = DNR_SERIES.fullmatch(raw.strip())
    if match:
        return f"{match[1]}/{match[2]}:{match[3]}"
    return re.sub(r"\s+", " ", raw.strip().replace("..", "."))


def find_dnr(text: str) -> list[tuple[int, int, str]]:
    """Diarienummer in `text` as (start, end, canonical form), without duplicates."""
    found: list[tuple[int, int, str]] = []
    for match in DNR_SERIES.finditer(text):
        canonical = f"{match[1]}/{match[2]}:{match[3]}"
        if match[4]:
            canonical += f"-{match[4]}"
        found.append((match.start(), match.end(), canonical))
    for match in DNR_CLASSIFIED.finditer(text):
        found.append((match.start(1), match.end(1), normalize_dnr(match[1])))
    for match in DNR_LABELLED.finditer(text):
        found.append((match.start(1), match.end(1), normalize_dnr(match[1])))
    for match in DNR_PREFIXED.finditer(text):
        if re.split(r"[\s/.]", match[1], maxsplit=1)[0] not in _NOT_SERIES:
            found.append((match.start(1), match.end(1), normalize_dnr(match[1])))
    found.sort()
    out: list[tuple[int, int, str]] = []
    for item in found:
        if out and item[0] < out[-1][1]:
            continue
        out.append(item)
    return out


# --- law and remiss references -----------------------------------------------------------

_LAW_ABBREVIATIONS = (
    "SoL|LSS|LVU|LVM|KL|OSL|FL|SFB|HSL|PSL|PBL|LOU|LOV|SkolL|BrB|FB|RF|TF|YGL|GDPR|"
    "DL|AML|MB|LPT|LRV|SFS"
)
# Laws written out ("5 kap. 1 § socialtjänstlagen (SoL)", "3 kap. 3 § socialtjänstlagen"):
# the reference takes the law's abbreviation.
LAW_NAMES = {
    "socialtjänstlagen": "SoL",
    "kommunallagen": "KL",
    "förvaltningslagen": "FL",
    "offentlighets- och sekretesslagen": "OSL",
    "föräldrabalken": "FB",
    "brottsbalken": "BrB",
    "skollagen": "SkolL",
    "socialförsäkringsbalken": "SFB",
    "hälso- och sjukvårdslagen": "HSL",
    "patientsäkerhetslagen": "PSL",
    "plan- och bygglagen": "PBL",
    "diskrimineringslagen": "DL",
    "arbetsmiljölagen": "AML",
    "miljöbalken": "MB",
}
_LAW_NAME_ALT = "|".join(re.escape(n) for n in sorted(LAW_NAMES, key=len, reverse=True))
LAW_REFERENCE = re.compile(
    rf"(?<!\w)(\d{{1,2}})\s*kap\.?\s*(\d{{1,3}}(?:\s?[a-z])?)\s*§\s*"
    rf"(?:({_LAW_ABBREVIATIONS})\b|({_LAW_NAME_ALT})(?:\s*\(({_LAW_ABBREVIATIONS})\))?)"
)
REMISS_REFERENCE = re.compile(
    r"(?<!\w)(Ds|SOU|SOSFS|HSLF-FS|SFS|Dir\.)\s?((?:19|20)\d{2}:\d{1,4})(?!\d)"
)
PROP_REFERENCE = re.compile(r"(?<!\w)[Pp]rop\.\s?((?:19|20)\d{2}/\d{2}:\d{1,4})(?!\d)")


def find_references(text: str) -> list[tuple[int, int, str]]:
    """Law, remiss and proposition references as (start, end, canonical form)."""
    found: list[tuple[int, int, str]] = []
    for match in LAW_REFERENCE.finditer(text):
        paragraph = match[2].replace(" ", " ")
        law = match[3] or match[5] or LAW_NAMES[match[4]]
        found.append((match.start(), match.end(), f"{match[1]} kap. {paragraph} § {law}"))
    for match in REMISS_REFERENCE.finditer(text):
        found.append((match.start(), match.end(), f"{match[1]} {match[2]}"))
    for match in PROP_REFERENCE.finditer(text):
        found.append((match.start(), match.end(), f"prop. {match[1]}"))
    return sorted(found)


def reference_key(reference: str) -> str:
    """ "Ds 2023:17" -> "ds2023:17": a reference as indexed, filtered and stored as key (the
    analyzer's exact `ref:` tokens have the same form)."""
    return "".join(reference.split()).lower()
