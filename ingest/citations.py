"""Explicit references from one unit's text to decisions and diarienummer elsewhere.

Two kinds, each with its exact place in the text:

- `beslut`: an organ's decision on a date with a §, in the forms the documents use:
  "kommunfullmäktiges beslut 21 oktober 2021 § 205 (KSKF/2021:98)",
  "Socialnämnden beslutade den 13 oktober 2022, § 90",
  "valdes vid socialnämndens sammanträde 2023-01-02, § 3",
  "Kommunfullmäktiges beslut 2023-06-20--21 § 112".
- `dnr`: a diarienummer mentioned in the text that is not the unit's own ("REV/2022:14",
  "(SOCN/2021:117)", "dnr. 2021/216").

Law and remiss references (`SOSFS 2011:9`, `SOU 2020:47`) look like dnr to `find_dnr`; they
are `find_references`' business and are skipped here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from swedish.patterns import find_dates, find_dnr, find_references

from .metadata import canonical_namnd

_ORGAN = re.compile(
    r"\b([A-ZÅÄÖa-zåäö]*(?:nämnd|styrelse|fullmäktige|utskott)(?:en|ens|s|es|et|ets)?)\b"
)
_ORGAN_ABBREVIATIONS = {"kf": "Kommunfullmäktige", "ks": "Kommunstyrelsen"}
_KF_KS = re.compile(r"\b(KF|KS)\b")
# Series that are law or statute numbers, not diarienummer: "(LVU 1990:52)", "SFS 2001:453".
_LAW_SERIES = {
    "SFS",
    "LVU",
    "LVM",
    "LSS",
    "SOL",
    "KL",
    "OSL",
    "FL",
    "HSL",
    "PBL",
    "LOU",
    "LOV",
    "BRB",
    "FB",
    "RF",
    "TF",
    "YGL",
    "SOSFS",
    "HSLF",
    "DS",
    "SOU",
    "DIR",
    "LPT",
    "LRV",
    "AML",
    "MB",
}
# How far before the § a decision's date may stand, and the organ before the date.
_DATE_WINDOW = 40
_ORGAN_WINDOW = 80


@dataclass(frozen=True)
class Citation:
    typ: str  # beslut, dnr
    text: str  # the referring words, verbatim
    start: int  # offsets in the document text
    end: int
    organ: str | None = None
    datum: str | None = None
    paragraf: str | None = None
    dnr: str | None = None


def find_citations(text: str, own_dnr: list[str], base: int = 0) -> list[Citation]:
    """Decision and dnr references in `text` (a unit's text starting at document offset
    `base`), in text order; the unit's own dnr are not references."""
    law_spans = [(s, e) for s, e, _ in find_references(text)]
    dnr_spans = [
        (s, e, d)
        for s, e, d in find_dnr(text)
        if not any(a <= s < b for a, b in law_spans) and not _law_series(d)
    ]
    out: list[Citation] = []
    used: list[tuple[int, int]] = []
    for match in re.finditer(r"§\s*(\d{1,4})\b", text):
        if _is_law_paragraph(text, match.start()):
            continue
        citation = _decision(text, match, dnr_spans)
        if citation is None:
            continue
        used.append((citation.start, citation.end))
        out.append(_shift(citation, base))
    own = set(own_dnr)
    for start, end, dnr in dnr_spans:
        if dnr in own or any(a <= start < b for a, b in used):
            continue
        left, right = _parenthesized(text, start, end)
        out.append(Citation("dnr", text[left:right], base + left, base + right, dnr=dnr))
    out.sort(key=lambda c: c.start)
    return out


def _is_law_paragraph(text: str, position: int) -> bool:
    """ "4 kap. 1 § 2 st." or "§ 3 första stycket": a law's paragraph, not a decision's."""
    before = text[max(0, position - 16) : position]
    after = text[position : position + 24]
    return bool(re.search(r"kap\.?\s*\d+\s*[a-z]?\s*$", before)) or bool(
        re.match(r"§\s*\d{1,4}\s*(?:kap|st\b|st\.|första|andra|tredje|fjärde)", after)
    )


def _decision(text: str, match: re.Match[str], dnr_spans) -> Citation | None:
    # Only the window before the § is searched: searching back to the start of the text
    # for each § was quadratic on long lines with many §.
    window = max(match.start() - _DATE_WINDOW - _ORGAN_WINDOW, 0)
    sentence_start = max(
        text.rfind(". ", window, match.start()) + 1,
        text.rfind("\n", window, match.start()) + 1,
        window,
    )
    before = text[sentence_start : match.start()]
    dates = find_dates(before)
    if not dates:
        return None
    date_start, date_end, iso = dates[-1]
    gap = before[date_end:]
    if len(gap) > _DATE_WINDOW or re.search(r"[.;:]\s", gap):
        return None
    start = sentence_start + date_start
    organ = None
    head = before[:date_start]
    organs = list(_ORGAN.finditer(head))
    abbreviations = list(_KF_KS.finditer(head))
    if organs and len(head) - organs[-1].start() <= _ORGAN_WINDOW:
        organ = canonical_namnd(organs[-1][1])
        start = sentence_start + organs[-1].start()
    elif abbreviations and len(head) - abbreviations[-1].start() <= _ORGAN_WINDOW:
        organ = _ORGAN_ABBREVIATIONS[abbreviations[-1][1].lower()]
        start = sentence_start + abbreviations[-1].start()
    end = match.end()
    dnr = None
    for dnr_start, dnr_end, value in dnr_spans:
        if 0 <= dnr_start - end <= 3 and text[end:dnr_start].strip() in ("(", ""):
            dnr = value
            end = dnr_end + (1 if text[dnr_end : dnr_end + 1] == ")" else 0)
            break
    return Citation("beslut", text[start:end], start, end, organ, iso, match[1], dnr)


def _law_series(dnr: str) -> bool:
    series = re.match(r"([A-ZÅÄÖa-zåäö]+)[/ ]", dnr)
    return bool(series) and series[1].upper() in _LAW_SERIES


def _parenthesized(text: str, start: int, end: int) -> tuple[int, int]:
    if start > 0 and text[start - 1] == "(" and text[end : end + 1] == ")":
        return start - 1, end + 1
    return start, end


def _shift(citation: Citation, base: int) -> Citation:
    return Citation(
        citation.typ,
        citation.text,
        citation.start + base,
        citation.end + base,
        citation.organ,
        citation.datum,
        citation.paragraf,
        citation.dnr,
    )
