"""Section labels inside a §: the headings that open its parts ("Beslut", "Yrkanden",
"Reservation", "Beslutet skickas till" …), each mapped to one canonical `sektion`."""

from __future__ import annotations

import re

SECTION_LABELS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?:[\wåäö-]+s\s+)?förslag till beslut"), "förslag till beslut"),
    (re.compile(r"(?:[\wåäö-]+s\s+)?beslut"), "beslut"),
    (
        re.compile(
            r"ärendebeskrivning|ärendet|beskrivning av ärendet|sammanfattning av ärendet|"
            r"bakgrund|ärendets beredning|ärendebeskrivning och bakgrund"
        ),
        "ärendebeskrivning",
    ),
    (re.compile(r"sammanfattning"), "sammanfattning"),
    (re.compile(r"yrkanden?"), "yrkanden"),
    (
        re.compile(
            r"propositionsordning|beslutsordning|beslutsgång|proposition|"
            r"omröstning(?:sresultat)?|votering"
        ),
        "propositionsordning",
    ),
    (re.compile(r"reservation(?:er)?"), "reservation"),
    (re.compile(r"särskil(?:t|da) uttalanden?|ersättaryttranden?"), "särskilt uttalande"),
    (re.compile(r"protokollsanteckning(?:ar)?"), "protokollsanteckning"),
    (re.compile(r"(?:[\wåäö-]+s\s+)?yttrande"), "yttrande"),
    (
        re.compile(
            r"beslutet (?:ska |skall )?(?:skickas|expedieras|sänds) till|expedieras till|"
            r"sändlista|expediering"
        ),
        "beslutet skickas till",
    ),
    (re.compile(r"ärendets handlingar|beslutsunderlag|bilagor|handlingar|underlag"), "handlingar"),
]
_LABEL_TAIL = re.compile(r"\s*:?\s*$")


def section_label(text: str) -> tuple[str, str] | None:
    """(sektion, inline content) when `text` is a section heading line, else None."""
    lowered = text.strip().lower()
    if len(lowered) > 90:
        return None
    for pattern, sektion in SECTION_LABELS:
        match = pattern.match(lowered)
        if not match:
            continue
        tail = lowered[match.end() :]
        if _LABEL_TAIL.fullmatch(tail):
            return sektion, ""
        if sektion == "beslutet skickas till" and tail.lstrip().startswith(":"):
            return sektion, text.strip()[match.end() :].lstrip(" :")
    return None
