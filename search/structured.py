"""Answers read from the parsed structure instead of ranked sentences.

When a question asks for something the ingest already parsed — the beslut (att-satser) of a
§, who reserved, proposed or made a särskilt uttalande, who chaired, justerade or kept the
protokoll, the meeting date, the dnr, what the revision recommended and what the nämnd
answered, what the förvaltning proposed — the answer comes from those rows, for the § or
ärende the question's subject names. Each piece is quoted verbatim from the document span the
row came from, so citations stay checkable. A decision is told apart from a proposal: units
of a kallelse or tjänsteskrivelse propose; when the ärende holds the decided §, that answers.

The subject is resolved among the units (§ or parts without §) of the retrieved chunks by how
much of the question's subject vocabulary (idf-weighted) the unit's rubrik and att-satser
hold, and its whole text; below the thresholds below the structure does not answer and the
sentence ranker takes over.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from index.store import Store
from swedish.analyzer import Analyzer
from swedish.nlp import nlp
from swedish.patterns import MONTHS, find_dates

from .arenden import get_arende
from .intent import YEAR, Intent

# Share of the subject's idf weight a unit must hold to be the one a question names:
# rubrik and att-satser ("head"), or the unit's whole text. Measured on tests/data/eval.jsonl
# (structured answers at these values: no unanswerable question answered from structure).
HEAD_MATCH = 0.6
BODY_MATCH = 0.75
HEAD_FLOOR = 0.3  # a unit named by its text alone must still share some of its rubrik
# A decision answer quotes the att-satser only when they and the rubrik hold this share of the
# subject: a question about a detail beyond them ("who pays") is left to sentence ranking.
DECISION_MATCH = 0.75
# Recommendations and answers are rows only a revision's ärende has: its text need only hold
# half of the subject.
REVISION_MATCH = 0.5
MAX_QUOTES = 5
SIGNATURE_LINES = 8  # the closing lines of a unit searched for its signatures
TEXT_CACHE = 32  # documents
UNIT_CACHE = 4096  # units' term sets
SVAR_SENTENCES = 3  # sentences quoted from the nämnd's answer to one recommendation
MAX_QUOTE_CHARS = 600
DECIDED_TYPES = ("beslut",)
REVISION_TYPES = (
    "revisionsrapport",
    "missiv",
)  # arende_units.typ of a § in a protokoll or protokollsutdrag
ROLES = {
    "reservation": ("reservation",),
    "uttalande": ("särskilt uttalande", "protokollsanteckning"),
    "yrkande": ("yrkande",),
}
_NONE = {
    "reservation": "reservationer antecknade",
    "uttalande": "särskilda uttalanden antecknade",
    "yrkande": "yrkanden antecknade",
}
_ROLE_LABEL = {
    "ordförande": re.compile(r"(?<!vice )(?<!vice\s)\bordförande\b|\bordf\.", re.I),
    "justerare": re.compile(r"\bjusterare\b|\bjusterande\b|\butses att justera\b", re.I),
    "sekreterare": re.compile(r"\b(?:nämnd|protokolls)?sekreterare\b", re.I),
}
_NAME = re.compile(r"[A-ZÅÄÖÉ][\w'’-]+(?:\s+[A-ZÅÄÖÉ][\w'’-]+){1,3}(?:\s*\([^)]*\))?")
# The result of a propositionsordning or votering ("finner att socialnämnden beslutar enligt
# Göran Gredfors (M) yrkande", "fann att nämnden beslutat enligt förvaltningens förslag").
_VOTE_RESULT = re.compile(
    r"\b(?:finner|fann) att\b|\bomröstning\w*\b.*\b(?:röster|röstade)\b|\bröster mot\b", re.I
)
_YEAR = re.compile(YEAR)
_ADMIN_PROPOSAL = re.compile(
    r"\b(?:\w*förvaltning\w*|förvaltningschef\w*)\s+(?:föreslår|föreslog)\b|"
    r"\bförvaltningens förslag till beslut är\b|\bföreslås (?:nämnden|socialnämnden)\b",
    re.I,
)


@dataclass
class Quote:
    document_id: int
    start: int
    end: int
    text: str


@dataclass
class Structured:
    kind: str  # answer_kind: beslut, forslag, stallningstaganden, roll, datum, dnr, revision
    lead: str  # what the quotes are, in Swedish (built from stored fields, not invented)
    quotes: list[Quote]
    paragraph_id: int
    status: str | None = None  # "beslutat" or "förslag" for decisions
    match: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Unit:
    paragraph_id: int
    document_id: int
    paragraf: str | None
    rubrik: str | None
    start: int
    end: int
    att_satser: list[str]
    sections: list[dict[str, Any]]
    dokumenttyp: str
    namnd: str | None
    kommun: str | None
    datum: str | None
    datum_typ: str | None
    typ: str | None
    arende_id: int | None
    rank: int
    head: float = 0.0
    body: float = 0.0

    @property
    def match(self) -> float:
        return max(self.head, self.body)

    @property
    def decided(self) -> bool:
        return self.typ in DECIDED_TYPES and self.decision_section() == "beslut"

    def decision_section(self) -> str | None:
        return next(
            (
                s["sektion"]
                for s in self.sections
                if s["sektion"] in ("beslut", "förslag till beslut")
            ),
            None,
        )

    def describe(self) -> str:
        """The place, with the rubrik of a § (a part's place already names its title)."""
        if self.paragraf and self.rubrik:
            return f"{self.place()}: {self.rubrik}"
        return self.place()

    def place(self) -> str:
        """ "§ 74, Socialnämnden Eskilstuna, 2023-09-26" from the stored fields."""
        bits = [f"§ {self.paragraf}" if self.paragraf else (self.rubrik or self.dokumenttyp)]
        organ = " ".join(x for x in (self.namnd, self.kommun) if x)
        if organ:
            bits.append(organ)
        if self.datum:
            bits.append(self.datum)
        return ", ".join(bits)


_UNIT_SQL = """
    SELECT p.id AS paragraph_id, p.document_id, p.paragraf, p.rubrik, p.start, p.end,
           p.att_satser, p.sections, pa.dokumenttyp, COALESCE(pa.namnd, d.namnd) AS namnd,
           d.kommun, COALESCE(u.datum, pa.datum, d.datum) AS datum,
           COALESCE(u.datum_typ, pa.datum_typ, d.datum_typ) AS datum_typ, u.typ, u.arende_id,
           pa.title
    FROM paragraphs p JOIN parts pa ON pa.id = p.part_id JOIN documents d ON d.id = p.document_id
    LEFT JOIN arende_units u ON u.paragraph_id = p.id
"""


class StructuredAnswers:
    """Structured answers over one data directory's store."""

    def __init__(self, store: Store, analyzer: Analyzer, idf: Callable[[str], float]) -> None:
        self.store = store
        self.analyzer = analyzer
        self.idf = idf
        # Bounded caches: document texts and the terms of a unit's head and body (the
        # analyzer over a long rapport part costs more than the rest of an answer).
        self._texts: OrderedDict[int, str] = OrderedDict()
        self._unit_terms: OrderedDict[int, tuple[set[str], set[str]]] = OrderedDict()

    # --- units and subject -------------------------------------------------------------------

    def text(self, document_id: int) -> str:
        if document_id not in self._texts:
            self._texts[document_id] = self.store.scalar(
                "SELECT text FROM documents WHERE id = ?", [document_id]
            )
            while len(self._texts) > TEXT_CACHE:
                self._texts.popitem(last=False)
        self._texts.move_to_end(document_id)
        return self._texts[document_id]

    def units(self, paragraph_ids: list[int]) -> list[Unit]:
        if not paragraph_ids:
            return []
        marks = ",".join("?" * len(paragraph_ids))
        rows = {
            r["paragraph_id"]: r
            for r in self.store.query(f"{_UNIT_SQL} WHERE p.id IN ({marks})", paragraph_ids)
        }
        out = []
        for rank, pid in enumerate(paragraph_ids):
            row = rows.get(pid)
            if row is None:
                continue
            out.append(
                Unit(
                    paragraph_id=pid,
                    document_id=row["document_id"],
                    paragraf=row["paragraf"],
                    rubrik=row["rubrik"] or row["title"],
                    start=row["start"],
                    end=row["end"],
                    att_satser=json.loads(row["att_satser"]),
                    sections=json.loads(row["sections"]),
                    dokumenttyp=row["dokumenttyp"],
                    namnd=row["namnd"],
                    kommun=row["kommun"],
                    datum=row["datum"],
                    datum_typ=row["datum_typ"],
                    typ=row["typ"],
                    arende_id=row["arende_id"],
                    rank=rank,
                )
            )
        return out

    def _terms(self, text: str) -> set[str]:
        return {t.term for t in self.analyzer.tokens(text)}

    def terms_of(self, unit: Unit) -> tuple[set[str], set[str]]:
        """The analyzer terms of a unit's head (rubrik, att-satser, datum, kommun, what kind
        of unit it is) and of its head and whole text."""
        cached = self._unit_terms.get(unit.paragraph_id)
        if cached is None:
            # What the unit is counts as its head too: "missivet", "tjänsteskrivelsen".
            head = " ".join(
                [
                    unit.rubrik or "",
                    *unit.att_satser,
                    unit.datum or "",
                    unit.kommun or "",
                    unit.typ or "",
                    unit.dokumenttyp or "",
                ]
            )
            head_terms = self._terms(head)
            body = self._terms(self.text(unit.document_id)[unit.start : unit.end])
            cached = (head_terms, head_terms | body)
            self._unit_terms[unit.paragraph_id] = cached
            while len(self._unit_terms) > UNIT_CACHE:
                self._unit_terms.popitem(last=False)
        return cached

    def coverage(self, subject: list[str], found: set[str]) -> float:
        """Idf-weighted share of the subject terms among `found` (a term also counts when a
        related form is there: see `_related`)."""
        if not subject:
            return 0.0
        total = got = 0.0
        for term in subject:
            weight = self.idf(term)
            total += weight
            if term in found or (len(term) >= 5 and any(_related(term, f) for f in found)):
                got += weight
        return got / total if total else 0.0

    def score_units(self, intent: Intent, units: list[Unit]) -> list[Unit]:
        """Units by how well they are what the question's subject names (best first)."""
        for unit in units:
            head, body = self.terms_of(unit)
            unit.head = self.coverage(intent.subject, head)
            unit.body = self.coverage(intent.subject, body)
        return sorted(units, key=lambda u: (-(u.match + 0.02 / (1 + u.rank)), u.rank))

    def matching(
        self, units: list[Unit], body: float = BODY_MATCH, head_floor: float = HEAD_FLOOR
    ) -> list[Unit]:
        """The units the subject names: a § or part of an ärende (not a protokoll header,
        whose table of contents names every subject)."""
        return [
            u
            for u in units
            if u.typ and (u.head >= HEAD_MATCH or (u.body >= body and u.head >= head_floor))
        ]

    # --- entry point ---------------------------------------------------------------------------

    def answer(self, intent: Intent, paragraph_ids: list[int], question: str) -> Structured | None:
        units = self.score_units(intent, self.units(paragraph_ids))
        handlers = {
            "reservation": self._positions,
            "uttalande": self._positions,
            "yrkande": self._positions,
            "roll": self._role,
            "undertecknare": self._signatories,
            "dnr": self._dnr,
            "datum_beslut": self._date,
            "datum_justering": self._justering,
            "beslut": self._decision,
            "forslag": self._proposal,
            "rekommendation": self._recommendations,
            "svar": self._revision_answer,
        }
        handler = handlers.get(intent.kind)
        if handler is None:
            return None
        conflict = self._period_conflict(intent, units, question)
        if conflict is not None:
            return conflict
        found = handler(intent, units, question)
        if found is None and intent.kind == "roll":
            # Meeting roles are stated by protokoll; none retrieved states this one.
            return self._nothing(units, f"Inget protokoll i handlingarna anger {intent.role}.")
        if found is None and intent.kind in ("rekommendation", "svar") and intent.names_audit:
            revision = [
                u
                for u in units
                if u.typ in REVISION_TYPES or u.arende_id in self._revision_arenden(units)
            ]
            if not revision:
                return self._nothing(units, "Ingen revisionsgranskning i handlingarna gäller det.")
        return found

    def _nothing(self, units: list[Unit], reason: str) -> Structured:
        return Structured(
            kind="abstain",
            lead=reason,
            quotes=[],
            paragraph_id=units[0].paragraph_id if units else 0,
        )

    def _revision_arenden(self, units: list[Unit]) -> set[int]:
        """The ärenden among `units` that hold a revision's report or missiv."""
        ids = sorted({u.arende_id for u in units if u.arende_id is not None})
        if not ids:
            return set()
        marks = ",".join("?" * len(ids))
        rows = self.store.query(
            f"""SELECT DISTINCT arende_id FROM arende_units WHERE arende_id IN ({marks})
                AND typ IN ({",".join("?" * len(REVISION_TYPES))})""",
            [*ids, *REVISION_TYPES],
        )
        return {r["arende_id"] for r in rows}

    def _period_conflict(
        self, intent: Intent, units: list[Unit], question: str
    ) -> Structured | None:
        """The § the subject names is from another year than the one asked ("Microsoft 365
        år 2019" when the decision is from 2023): nothing in the collection answers."""
        years = set(_YEAR.findall(question))
        best = next(iter(self.matching(units)), None)
        if not years or best is None or best.head < HEAD_MATCH or not best.datum:
            return None
        body = self.text(best.document_id)[best.start : best.end]
        if best.datum[:4] in years or any(y in body or y in (best.rubrik or "") for y in years):
            return None
        return Structured(
            kind="abstain",
            lead=(
                f"Handlingarna har {best.rubrik or 'ärendet'} i {best.place()}, "
                f"inte från {', '.join(sorted(years))}."
            ),
            quotes=[],
            paragraph_id=best.paragraph_id,
            match=best.match,
        )

    # --- positions -----------------------------------------------------------------------------

    def _positions(self, intent: Intent, units: list[Unit], question: str) -> Structured | None:
        rolls = ROLES[intent.kind]
        party_filter = intent.parties if intent.parties and not intent.asks_who else []
        for unit in self.matching(units):
            rows = self.store.query(
                """SELECT name, party, roll, detalj, mening, start, end FROM persons
                   WHERE paragraph_id = ? ORDER BY start, id""",
                [unit.paragraph_id],
            )
            wanted = [r for r in rows if r["roll"] in rolls]
            if party_filter:
                # "Vad yrkade Vänsterpartiet": that party's positions of any kind.
                wanted = [
                    r
                    for r in rows
                    if r["party"] in party_filter
                    and r["roll"]
                    in ("yrkande", "reservation", "särskilt uttalande", "protokollsanteckning")
                ]
            if not wanted:
                if unit.decided and unit.head >= HEAD_MATCH and not party_filter:
                    # The protokoll § the question names records no such position.
                    return Structured(
                        kind="abstain",
                        lead=f"I {unit.place()} ({unit.rubrik}) finns inga {_NONE[intent.kind]}.",
                        quotes=[],
                        paragraph_id=unit.paragraph_id,
                        match=unit.match,
                    )
                continue
            quotes: list[Quote] = []
            for row in wanted:
                quote = self._sentence_at(unit, row["mening"], row["start"])
                if quote and all(q.start != quote.start for q in quotes):
                    quotes.append(quote)
                    if row["roll"] == "särskilt uttalande" and quote.text.rstrip().endswith(":"):
                        said = self._next_sentence(unit, quote.end)
                        if said:
                            quotes.append(said)
            if intent.kind == "yrkande":
                quotes += self._vote_results(unit)
            names = list(
                dict.fromkeys(
                    f"{r['name']} ({r['party']})" if r["party"] else r["name"] for r in wanted
                )
            )
            label = {
                "reservation": "Reservationer",
                "uttalande": "Särskilda uttalanden",
                "yrkande": "Yrkanden",
            }[intent.kind]
            return Structured(
                kind="stallningstaganden",
                lead=f"{label} i {unit.place()} ({', '.join(names)}):",
                quotes=quotes[:MAX_QUOTES],
                paragraph_id=unit.paragraph_id,
                match=unit.match,
                extra={"personer": names},
            )
        return None

    def _vote_results(self, unit: Unit) -> list[Quote]:
        text = self.text(unit.document_id)
        out = []
        for start, end, sentence in self._sentences(text, unit.start, unit.end):
            if _VOTE_RESULT.search(sentence):
                out.append(Quote(unit.document_id, start, end, sentence))
        return out[:2]

    # --- meeting roles ---------------------------------------------------------------------------

    def _role(self, intent: Intent, units: list[Unit], question: str) -> Structured | None:
        role = intent.role or "ordförande"
        ordered = self.matching(units) + [u for u in units if u not in self.matching(units)]
        seen: set[int] = set()
        for unit in ordered:
            if unit.document_id in seen:
                continue
            seen.add(unit.document_id)
            found = self._role_in_document(unit, role)
            if not found:
                continue
            name, quote = found
            where = (
                f"{unit.place()}"
                if unit in self.matching(units)
                else ", ".join(x for x in (unit.namnd, unit.kommun, unit.datum) if x)
            )
            return Structured(
                kind="roll",
                lead=f"{role.capitalize()} vid sammanträdet ({where}): {name}.",
                quotes=[quote],
                paragraph_id=unit.paragraph_id,
                match=unit.match,
                extra={"roll": role, "namn": name},
            )
        return None

    def _role_in_document(self, unit: Unit, role: str) -> tuple[str, Quote] | None:
        """The person in `role` at the meeting of `unit`'s protokoll: a § that names them
        ("Ordföranden X och ledamoten Y utses att justera"), else the protokoll's signature
        block or header ("Ordförande" next to a name)."""
        if unit.dokumenttyp not in ("protokoll", "protokollsutdrag"):
            return None
        text = self.text(unit.document_id)
        if role == "justerare":
            rows = self.store.query(
                """SELECT name, party, mening, start FROM persons WHERE document_id = ?
                   AND roll = 'justerare' ORDER BY start""",
                [unit.document_id],
            )
            if rows:
                names = ", ".join(r["name"] for r in rows)
                quote = self._sentence_at(unit, rows[0]["mening"], rows[0]["start"], anywhere=True)
                if quote:
                    return names, quote
        header_end = self.store.scalar(
            "SELECT MIN(start) FROM paragraphs WHERE document_id = ? AND paragraf IS NOT NULL",
            [unit.document_id],
        )
        limit = header_end if header_end else min(len(text), 8000)
        label = _ROLE_LABEL[role]
        lines = _lines(text, 0, limit)
        for index, (start, end, line) in enumerate(lines):
            stripped = line.strip().rstrip(". ").strip()
            if not label.search(stripped):
                continue
            # "Ordförande ....." over "Göran Gredfors"; "Jan Jönsson (L)" over "Ordförande".
            bare = label.fullmatch(stripped.strip(" .:\t")) or re.fullmatch(
                rf"{label.pattern}\s*[.:\s]*", stripped, re.I
            )
            if bare:
                for other in (index + 1, index - 1):
                    if 0 <= other < len(lines) and _adjacent(text, lines, index, other):
                        candidate = lines[other][2].strip()
                        if _NAME.fullmatch(candidate):
                            a = min(start, lines[other][0])
                            b = max(end, lines[other][1])
                            name = re.sub(r"\s*\([^)]*\)$", "", candidate)
                            return name, Quote(unit.document_id, a, b, text[a:b])
                continue
            if role == "justerare":
                match = re.search(rf"{label.pattern}\s*:?\s*({_NAME.pattern})", line, re.I)
                if match:
                    return match[1], Quote(unit.document_id, start, end, line)
        return None

    def _signatories(self, intent: Intent, units: list[Unit], question: str) -> Structured | None:
        """Who signed a letter, missiv or tjänsteskrivelse: the name lines (each with the
        role line under it) closing the unit's text."""
        for unit in self.matching(units):
            text = self.text(unit.document_id)
            lines = [ln for ln in _lines(text, unit.start, unit.end) if ln[2].strip()]
            tail = lines[-SIGNATURE_LINES:]
            quotes = []
            for index, (start, end, line) in enumerate(tail):
                if not _NAME.fullmatch(line.strip()) or any(c.isdigit() for c in line):
                    continue
                stop = end
                if index + 1 < len(tail):
                    role = tail[index + 1][2].strip()
                    if len(role.split()) <= 4 and not _NAME.fullmatch(role) and role[:1].isupper():
                        stop = tail[index + 1][1]
                quotes.append(Quote(unit.document_id, start, stop, text[start:stop]))
            if quotes:
                return Structured(
                    kind="roll",
                    lead=f"Undertecknat ({unit.describe()}):",
                    quotes=quotes[:MAX_QUOTES],
                    paragraph_id=unit.paragraph_id,
                    match=unit.match,
                )
        return None

    # --- dnr and date --------------------------------------------------------------------------

    def _dnr(self, intent: Intent, units: list[Unit], question: str) -> Structured | None:
        for unit in self.matching(units):
            rows = self.store.query(
                "SELECT dnr FROM paragraph_dnr WHERE paragraph_id = ?", [unit.paragraph_id]
            )
            text = self.text(unit.document_id)
            quotes = []
            for row in rows:
                position = text.find(row["dnr"], unit.start, unit.end)
                if position >= 0:
                    line_start = text.rfind("\n", unit.start, position) + 1
                    line_end = text.find("\n", position)
                    line_end = unit.end if line_end < 0 else min(line_end, unit.end)
                    quotes.append(
                        Quote(unit.document_id, line_start, line_end, text[line_start:line_end])
                    )
            if quotes:
                return Structured(
                    kind="dnr",
                    lead=f"Diarienummer ({unit.describe()}):",
                    quotes=quotes[:MAX_QUOTES],
                    paragraph_id=unit.paragraph_id,
                    match=unit.match,
                )
        return None

    def _date(self, intent: Intent, units: list[Unit], question: str) -> Structured | None:
        for unit in self.matching(units):
            decided = unit if unit.decided else self._decided_in_arende(unit)
            if decided is None or not decided.datum:
                continue
            quote = self._date_evidence(decided)
            if quote is None:
                continue
            what = {
                "sammanträde": "sammanträdet",
                "justering": "protokollets justering",
            }.get(decided.datum_typ or "", "handlingens datum")
            return Structured(
                kind="datum",
                lead=(
                    f"Beslutet om {decided.rubrik or 'ärendet'} finns i {decided.place()} "
                    f"({what} {decided.datum}):"
                ),
                quotes=[quote],
                paragraph_id=decided.paragraph_id,
                status="beslutat",
                match=unit.match,
                extra={"datum": decided.datum, "datum_typ": decided.datum_typ},
            )
        return None

    def _justering(self, intent: Intent, units: list[Unit], question: str) -> Structured | None:
        """When a protokoll was justerat: its date where the parser read it as the
        justering date, for the protokoll of the period the question names."""
        ordered = self.matching(units) + [u for u in units if u not in self.matching(units)]
        for unit in ordered:
            if (
                unit.dokumenttyp not in ("protokoll", "protokollsutdrag")
                or unit.datum_typ != "justering"
                or not unit.datum
                or not _same_period(question, unit.datum)
            ):
                continue
            quote = self._date_evidence(unit)
            if quote is None:
                continue
            return Structured(
                kind="datum",
                lead=f"Protokollet ({', '.join(x for x in (unit.namnd, unit.kommun) if x)}) "
                f"justerades {unit.datum}:",
                quotes=[quote],
                paragraph_id=unit.paragraph_id,
                match=unit.match,
                extra={"datum": unit.datum, "datum_typ": unit.datum_typ},
            )
        return None

    def _date_evidence(self, unit: Unit) -> Quote | None:
        """The line of the protokoll (its header first) that states the unit's date."""
        text = self.text(unit.document_id)
        spans = [(0, min(len(text), 6000)), (unit.start, unit.end)]
        for a, b in spans:
            for start, end, iso in find_dates(text[a:b]):
                if iso == unit.datum:
                    line_start = text.rfind("\n", 0, a + start) + 1
                    line_end = text.find("\n", a + end)
                    line_end = len(text) if line_end < 0 else line_end
                    return Quote(unit.document_id, line_start, line_end, text[line_start:line_end])
        return None

    # --- decisions and proposals ---------------------------------------------------------------

    def _decision(self, intent: Intent, units: list[Unit], question: str) -> Structured | None:
        for unit in self.matching(units):
            if not unit.att_satser or unit.head < DECISION_MATCH:
                continue
            decided = unit if unit.decided else self._decided_in_arende(unit)
            if decided is not None and decided.att_satser:
                return self._att_satser(decided, "beslut", "beslutat", unit.match)
            return self._att_satser(unit, "forslag", "förslag", unit.match)
        return None

    def _proposal(self, intent: Intent, units: list[Unit], question: str) -> Structured | None:
        for unit in self.matching(units):
            if unit.att_satser and not unit.decided:
                return self._att_satser(unit, "forslag", "förslag", unit.match)
            text = self.text(unit.document_id)
            quotes = [
                Quote(unit.document_id, a, b, s)
                for a, b, s in self._sentences(text, unit.start, unit.end)
                if _ADMIN_PROPOSAL.search(s)
            ]
            if quotes:
                return Structured(
                    kind="forslag",
                    lead=f"Förvaltningens förslag i {unit.place()}:",
                    quotes=quotes[:MAX_QUOTES],
                    paragraph_id=unit.paragraph_id,
                    status="förslag",
                    match=unit.match,
                )
        return None

    def _att_satser(self, unit: Unit, kind: str, status: str, match: float) -> Structured | None:
        text = self.text(unit.document_id)
        quotes = []
        position = unit.start
        for sats in unit.att_satser:
            found = text.find(sats, position, unit.end)
            if found < 0:
                found = text.find(sats, unit.start, unit.end)
            if found < 0:
                continue
            quotes.append(Quote(unit.document_id, found, found + len(sats), sats))
            position = found + len(sats)
        if not quotes:
            return None
        if status == "beslutat":
            lead = f"Beslut i {unit.place()} – {unit.rubrik or ''}:".replace(" – :", ":")
        else:
            where = unit.dokumenttyp or "handling"
            lead = (
                f"Förslag till beslut ({where}, {unit.place()}); handlingarna innehåller "
                "inget fattat beslut i ärendet:"
            )
        return Structured(
            kind=kind,
            lead=lead,
            quotes=quotes[:MAX_QUOTES],
            paragraph_id=unit.paragraph_id,
            status=status,
            match=match,
        )

    def _decided_in_arende(self, unit: Unit) -> Unit | None:
        """The decided § of the unit's ärende (the latest), when the collection holds it."""
        if unit.arende_id is None:
            return None
        rows = self.store.query(
            """SELECT paragraph_id FROM arende_units WHERE arende_id = ? AND typ IN ('beslut')
               ORDER BY datum DESC""",
            [unit.arende_id],
        )
        for candidate in self.units([r["paragraph_id"] for r in rows]):
            if candidate.decided and candidate.att_satser:
                return candidate
        return None

    # --- revision ------------------------------------------------------------------------------

    def _recommendations(
        self, intent: Intent, units: list[Unit], question: str
    ) -> Structured | None:
        for unit in self.matching(units, REVISION_MATCH, 0.0):
            ids = [unit.paragraph_id]
            if unit.arende_id is not None:
                ids += [
                    r["paragraph_id"]
                    for r in self.store.query(
                        "SELECT paragraph_id FROM arende_units WHERE arende_id = ?",
                        [unit.arende_id],
                    )
                ]
            marks = ",".join("?" * len(ids))
            rows = self.store.query(
                f"""SELECT r.paragraph_id, r.document_id, r.text, r.start, r.end, r.lista,
                           u.typ
                    FROM rekommendationer r
                    LEFT JOIN arende_units u ON u.paragraph_id = r.paragraph_id
                    WHERE r.paragraph_id IN ({marks})
                    ORDER BY (u.typ = 'revisionsrapport') DESC, (u.typ = 'missiv') DESC,
                             r.paragraph_id, r.lista, r.ordinal""",
                ids,
            )
            if not rows:
                continue
            lists: dict[tuple[int, int], list] = {}
            for row in rows:  # revision sources first; the fullest list of them
                lists.setdefault((row["paragraph_id"], row["lista"]), []).append(row)
            chosen = max(lists.values(), key=len)
            quotes = [Quote(r["document_id"], r["start"], r["end"], r["text"]) for r in chosen]
            source = self.units([chosen[0]["paragraph_id"]])[0]
            return Structured(
                kind="revision",
                lead=f"Revisionens rekommendationer ({source.place()}):",
                quotes=quotes[:MAX_QUOTES],
                paragraph_id=source.paragraph_id,
                match=unit.match,
            )
        return None

    def _revision_answer(
        self, intent: Intent, units: list[Unit], question: str
    ) -> Structured | None:
        for unit in self.matching(units, REVISION_MATCH, 0.0):
            if unit.arende_id is None:
                continue
            arende = get_arende(self.store, unit.arende_id)
            if not arende or not arende["revision"]:
                continue
            best, best_score = None, 0.0
            for recommendation in arende["revision"]:
                if not recommendation["svar"]:
                    continue
                score = self.coverage(intent.subject, self._terms(recommendation["text"]))
                if score > best_score:
                    best, best_score = recommendation, score
            if best is None or best_score < 0.34:
                continue
            svar = best["svar"][-1]
            quotes = []
            for passage in svar["passager"]:
                quotes += self._first_sentences(
                    passage["document_id"], passage["start"], passage["end"], SVAR_SENTENCES
                )
            quotes = quotes[:SVAR_SENTENCES]
            if not quotes:
                continue
            return Structured(
                kind="revision",
                lead=(
                    f"Nämndens svar på revisionens rekommendation ”{best['text'].rstrip('.')}”"
                    f" ({svar['typ']}, {svar.get('datum') or ''}):"
                ),
                quotes=quotes[:MAX_QUOTES],
                paragraph_id=svar["paragraph_id"],
                match=unit.match,
            )
        return None

    # --- text helpers -----------------------------------------------------------------------------

    def _sentence_at(
        self, unit: Unit, sentence: str | None, near: int, anywhere: bool = False
    ) -> Quote | None:
        if not sentence:
            return None
        text = self.text(unit.document_id)
        low = max(0, near - len(sentence) - 2)
        found = text.find(sentence, low, near + len(sentence) + 2)
        if found < 0 and anywhere:
            found = text.find(sentence)
        if found < 0:
            return None
        return Quote(unit.document_id, found, found + len(sentence), sentence)

    def _next_sentence(self, unit: Unit, after: int) -> Quote | None:
        text = self.text(unit.document_id)
        for start, end, sentence in self._sentences(text, after, unit.end):
            if len(sentence.split()) >= 4:
                return Quote(unit.document_id, start, end, sentence)
        return None

    def _first_sentences(self, document_id: int, start: int, end: int, n: int) -> list[Quote]:
        text = self.text(document_id)
        return [Quote(document_id, a, b, s) for a, b, s in self._sentences(text, start, end)[:n]]

    @staticmethod
    def _sentences(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
        out = []
        for line_start, _, line in _lines(text, start, end):
            if not line.strip():
                continue
            for sentence in nlp()(line).sents:
                lead = len(sentence.text) - len(sentence.text.lstrip())
                a = line_start + sentence.start_char + lead
                b = a + len(sentence.text.strip())
                if b > a and b - a <= MAX_QUOTE_CHARS:
                    out.append((a, b, text[a:b]))
        return out




def _same_period(question: str, datum: str) -> bool:
    """The years and months a question names (also inside a word: "septembersammanträdet")
    agree with an ISO date."""
    lowered = question.lower()
    years = set(_YEAR.findall(question))
    months = {
        i + 1
        for i, name in enumerate(MONTHS)
        if re.search(rf"\b{name}(?:\b|s?(?:sammanträde|möte|protokoll)\w*)", lowered)
    }
    if years and datum[:4] not in years:
        return False
    return not months or int(datum[5:7]) in months


def _related(a: str, b: str) -> bool:
    """Forms of one word: one stem a prefix of the other ("vräkning", "vräkningsförebygg")
    or a shared start of 5 letters in long words ("revisor", "revision")."""
    if len(b) < 5:
        return False
    if a.startswith(b) or b.startswith(a):
        return True
    return len(a) >= 7 and len(b) >= 7 and a[:5] == b[:5]


def _lines(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    out = []
    position = start
    for line in text[start:end].split("\n"):
        out.append((position, position + len(line), line))
        position += len(line) + 1
    return out


def _adjacent(text: str, lines: list[tuple[int, int, str]], a: int, b: int) -> bool:
    """Two lines of one block: next to each other with no blank line between."""
    return abs(a - b) == 1 and bool(lines[b][2].strip())
