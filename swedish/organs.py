"""The organ that decided a §: from its protokoll's header, or from the diarium series of its
dnr (KS, SN, BUN, …) when a bundle files another organ's decision; never from the addressee.
"""

from __future__ import annotations

import re

# Diarium series and the organ that keeps them: the abbreviations of the organs in the field
# guide (KS, KF, SN, BUN, MBN, TN, …) and their common long forms (SOCN, KSKF). Eskilstuna's
# KSKF is the one diarium of kommunstyrelsen and kommunfullmäktige, so it names both.
SERIES_ORGANS = {
    "KF": "Kommunfullmäktige",
    "KS": "Kommunstyrelsen",
    "KSKF": "Kommunstyrelsen/kommunfullmäktige",
    "KSAU": "Kommunstyrelsens arbetsutskott",
    "SN": "Socialnämnden",
    "SOCN": "Socialnämnden",
    "SOC": "Socialnämnden",
    "BUN": "Barn- och utbildningsnämnden",
    "UN": "Utbildningsnämnden",
    "VON": "Vård- och omsorgsnämnden",
    "ON": "Omsorgsnämnden",
    "ÄN": "Äldrenämnden",
    "MBN": "Miljö- och byggnadsnämnden",
    "MHN": "Miljö- och hälsoskyddsnämnden",
    "MN": "Miljönämnden",
    "BN": "Byggnadsnämnden",
    "SBN": "Samhällsbyggnadsnämnden",
    "TN": "Tekniska nämnden",
    "KFN": "Kultur- och fritidsnämnden",
    "VN": "Valnämnden",
    "ÖFN": "Överförmyndarnämnden",
    "REV": "Revisionen",
}
_SERIES = re.compile(r"^([A-ZÅÄÖa-zåäö]{2,6})[\s/.]")


def paragraph_organ(
    namnd: str | None, head: str, dnr: list[str], skickas_till: list[str]
) -> tuple[str | None, str]:
    """The organ that decided a § and where that was read: "protokoll" when its protokoll's
    header (`head`, the part's text before the §) names the organ; "dnr-serie" when no
    header names it, its dnr are all in another organ's series and the decision is sent to
    the organ the bundle was filed under (an organ does not send its decision to itself: a
    kommunstyrelse § in a socialnämnd's bundle, "Beslutet skickas till: Socialnämnden");
    else the part's organ ("handlingen")."""
    if namnd and _stem(namnd) in head.lower():
        return namnd, "protokoll"
    organs = {
        SERIES_ORGANS[m[1].upper()]
        for d in dnr
        if (m := _SERIES.match(d)) and m[1].upper() in SERIES_ORGANS
    }
    if len(organs) == 1:
        organ = organs.pop()
        if namnd is None:
            return organ, "dnr-serie"
        sent_to_namnd = any(_stem(namnd) in r.lower() for r in skickas_till)
        if not _same_organ(organ, namnd) and sent_to_namnd:
            return organ, "dnr-serie"
    return namnd, "handlingen"


def _stem(organ: str) -> str:
    """ "Socialnämnden" -> "socialnämnd", so "socialnämndens" also names it."""
    lower = organ.strip().lower()
    return lower[:-2] if lower.endswith(("en", "et")) and len(lower) > 6 else lower


def _same_organ(series_organ: str, namnd: str) -> bool:
    return any(_stem(o) == _stem(namnd) for o in series_organ.split("/"))
