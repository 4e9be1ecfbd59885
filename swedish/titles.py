"""Title similarity for linking units into ärenden where the dnr is missing.

A title is reduced to its subject: procedural words ("Svar på", "Anmälan av", "Yttrande
över"), organ names ("socialnämndens", "kommunrevisionens") and stopwords are dropped, the
rest is stemmed, and compound words also give their members (`ungdomsvården` -> ungdom,
vård). Two titles naming different periods (years, quarters, months) never match: a monthly
or quarterly report is a new ärende each time. Procedural rubriker that recur at every
meeting ("Fastställande av föredragningslista", "Meddelanden") are never linked by title.

The threshold was measured on the bundled corpus (tests/test_arenden.py), over every pair
of titles from different documents, in any kommun: the heads that the other rules put in one
ärende score 1.0, the best pair that does not belong together 0.5 ("Månadsrapport" against
"Månadsrapport november 2022", a period on one side only); 0.6 lies between. Within one
kommun, as the rule is applied, no such pair scores above 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from swedish.analyzer import STOPWORDS, split_compound, stem
from swedish.patterns import MONTHS

TITLE_THRESHOLD = 0.6

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+", re.UNICODE)
_PROCEDURAL = {
    "svar",
    "yttrande",
    "yttrandet",
    "anmälan",
    "beslut",
    "förslag",
    "remiss",
    "remissen",
    "promemorian",
    "promemoria",
    "gällande",
    "avseende",
    "angående",
    "rörande",
    "ang",
    "samt",
    "år",
    "del",
    "missiv",
    "tjänsteskrivelse",
    "bilaga",
    "revisionens",
    "kommunrevisionens",
    "revisorernas",
    "kommunens",
}
_ORGAN = re.compile(r"(?:nämnd|styrelse|fullmäktige|utskott|förvaltning)\w*$")
# Recurring procedural items: the same title at every meeting, never one ärende.
_ROUTINE = re.compile(
    r"föredragningslista|dagordning|justera|justering|upprop|övriga frågor|informerar|"
    r"^information|anmälningsärenden|delegationsbeslut|delegationsrapport|meddelanden|"
    r"sekretessärenden|nämndens frågor|verksamhetsinformation|^lex sarah$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TitleKey:
    """A title's subject stems and the periods it names."""

    stems: frozenset[str]
    periods: frozenset[str]

    def encode(self) -> str:
        return " ".join(sorted(self.stems)) + "|" + " ".join(sorted(self.periods))

    @classmethod
    def decode(cls, value: str) -> TitleKey:
        stems, _, periods = value.partition("|")
        return cls(frozenset(stems.split()), frozenset(periods.split()))


def is_routine(title: str | None) -> bool:
    """A procedural item that recurs at every meeting ("Fastställande av föredragningslista")."""
    return bool(title and _ROUTINE.search(title.strip()))


def title_key(title: str | None) -> TitleKey | None:
    """The comparable subject of a title, or None when it is routine or too thin."""
    if not title or is_routine(title):
        return None
    stems: set[str] = set()
    periods: set[str] = set()
    for match in _WORD.finditer(title.lower()):
        word = match[0]
        if word.isdigit():
            periods.add(word)
            continue
        if word in MONTHS:
            periods.add(word)
            continue
        if word in STOPWORDS or word in _PROCEDURAL or _ORGAN.search(word) or len(word) < 2:
            continue
        stems.add(stem(word))
        stems.update(stem(part) for part in split_compound(word))
    if len(stems) < 2:
        return None
    return TitleKey(frozenset(stems), frozenset(periods))


def title_similarity(a: TitleKey | None, b: TitleKey | None) -> float:
    """Dice overlap of the subject stems; 0 when the titles name different periods, halved
    when only one names a period ("Månadsrapport" / "Månadsrapport november 2022")."""
    if a is None or b is None or not _periods_agree(a.periods, b.periods):
        return 0.0
    shared = len(a.stems & b.stems)
    score = 2 * shared / (len(a.stems) + len(b.stems))
    if bool(a.periods) != bool(b.periods):
        score /= 2
    return round(score, 3)


def _periods_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """Years must be the same when both name years; so must quarters, months and numbers."""
    years_a, years_b = _years(a), _years(b)
    if years_a and years_b and years_a != years_b:
        return False
    other_a, other_b = a - years_a, b - years_b
    return not (other_a and other_b and other_a != other_b)


def _years(periods: frozenset[str]) -> frozenset[str]:
    return frozenset(p for p in periods if len(p) == 4 and p[:2] in ("19", "20"))
