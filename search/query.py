"""What a query asks for, before retrieval: quoted phrases, a dnr, a `§ N` (with kommun)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from swedish.kommuner import KOMMUN_CANONICAL, KOMMUN_MENTION
from swedish.patterns import find_dates, find_dnr

_QUOTED = re.compile(r'"([^"]+)"|”([^”]+)”|“([^”]+)”|«([^»]+)»')
# "§ 75" as a reference to a paragraf; "4 kap. 1 § SoL" has no number after the sign.
_PARAGRAF = re.compile(r"(?:^|\s)§\s*(\d{1,4})\b")


@dataclass
class ParsedQuery:
    text: str
    phrases: list[str] = field(default_factory=list)
    dnr: list[str] = field(default_factory=list)
    paragraf: str | None = None
    kommun: str | None = None  # a kommun named next to a `§ N`
    dates: list[str] = field(default_factory=list)  # dates named in the query (ISO)

    @property
    def is_lookup(self) -> bool:
        """The query is (mostly) an identifier: answer by exact lookup first."""
        return bool(self.dnr) or self.paragraf is not None


def parse_query(text: str) -> ParsedQuery:
    text = text.strip()
    phrases = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
    dnr = [d for _, _, d in find_dnr(text)]
    paragraf = None
    kommun = None
    dates = [iso for _, _, iso in find_dates(text)]
    match = _PARAGRAF.search(text)
    if match and not re.search(r"kap\.?\s*$", text[: match.start()]):
        paragraf = match[1]
        kommuner = [KOMMUN_CANONICAL[m[1].lower()] for m in KOMMUN_MENTION.finditer(text)]
        kommun = kommuner[0] if kommuner else None
    return ParsedQuery(
        text=text, phrases=phrases, dnr=dnr, paragraf=paragraf, kommun=kommun, dates=dates
    )
