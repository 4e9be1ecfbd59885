"""What a question asks, before any evidence is read: the kind of answer it wants (a decision,
positions, a person in a meeting role, a date, a dnr, what the förvaltning proposed, what the
revision recommended or what the nämnd answered, a number, ...), the parties and meeting roles
it names, and the words that name its subject.

The rules read the question's own grammar (Swedish interrogatives and verbs such as
"reserverade", "beslutade", "föreslår"), never the wording of particular documents, so they
hold for questions about any kommun's handlingar. The answerer uses the kind to decide
whether the parsed structure (att-satser, persons, rekommendationer) can answer, and the
subject words to find the § or ärende the question is about.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from swedish.analyzer import STOPWORDS, Analyzer, stem
from swedish.domain import PARTIES
from swedish.kommuner import KOMMUN_CANONICAL

_PARTY_TAG = re.compile(r"\((S|M|SD|C|V|KD|L|MP|F!)\)|\b(SD|KD|MP)\b")

# A year, not the year part of an SFS number, a remiss or a dnr ("1993:387", "SOCN/2023:82").
YEAR = r"(?<![/:\d-])\b(?:19|20)\d{2}\b(?![:/]\d)"
_WORD = re.compile(r"[\w:/.-]*\w", re.UNICODE)
_WHO = re.compile(r"\b(?:vem|vilka|vilken|vilket parti|vems)\b", re.I)
_WHEN = re.compile(r"^\s*(?:när|vilket datum|vilken dag|vilket år|vilken månad)\b", re.I)
_RESERVATION = re.compile(r"\breserver\w*|\breservation\w*", re.I)
_STATEMENT = re.compile(
    r"\bsärskil(?:t|da) uttalande\w*|\bprotokollsanteckning\w*|\bersättaryttrande\w*", re.I
)
_MOTION_OF_PARTY = re.compile(r"\b(?:yrka\w*|röstade|rösta|omröstning\w*|votering\w*)\b", re.I)
_OPINION = re.compile(r"\b(?:tyckte|tycker|ansåg|anser|ville|vill|tyck(?:a|t))\b", re.I)
# The signing and presiding roles of a meeting ("vice ordförande" is another role).
_ROLES = [
    ("ordförande", re.compile(r"(?<!vice )\bordförande\b|\bordf\.?(?=\s|$)", re.I)),
    ("justerare", re.compile(r"\bjusterare\b|\bjusterade\b|\bjustera\b", re.I)),
    ("sekreterare", re.compile(r"\b(?:nämnd|protokolls)?sekreterare\b", re.I)),
]
_JUSTERING = re.compile(r"\bjusterades\b|\bjusterade?s?\b|\bjustering\w*", re.I)
_SIGNED = re.compile(r"\bundertecknade?\b|\bskrev under\b|\bsignerade\b", re.I)
_DNR = re.compile(r"\bdiarienummer\w*|\bdnr\b|\bärendenummer\w*", re.I)
# The nämnd acting on a matter: the verb a date or decision question is about.
_DECIDE = re.compile(
    r"\bbeslut(?:ade|ades|at|ar)\b|\bbeslöt\b|\bbehandlade\b|\bbehandlades\b|"
    r"\bgodkän(?:de|des|t|ner|nt)\b|\bant(?:og|ogs|agit)\b|\bbestämde\b|\bvad blev\b|"
    r"\bfattade\b|\bfastställ(?:de|des|t)\b|\b(?:vilket|vilka|nämndens|styrelsens) beslut\b|"
    r"\bbeslutet (?:om|i|gällande)\b",
    re.I,
)
_PROPOSE = re.compile(r"\bföreslå\w*|\bföreslog\b|\bförslag\w*", re.I)
_ADMINISTRATION = re.compile(
    r"\bförvaltning\w*|\btjänsteskrivelse\w*|\btjänsteutlåtande\w*|\bförvaltningschef\w*", re.I
)
_RECOMMEND = re.compile(r"\brekommend\w*", re.I)
_AUDIT = re.compile(r"\brevision\w*|\brevisor\w*|\bgransk\w*", re.I)
# "Vilka åtgärder tar nämnden …": the nämnd's measures, as its answer to a revision states them.
_MEASURES = re.compile(r"\båtgärd\w*\b.*\bnämnd\w*|\bnämnd\w*\b.*\båtgärd\w*", re.I)
_ANSWERED = re.compile(r"\bsvar(?:ade|ar|et|a)?\b|\bbemöt\w*|\båtgärd\w*", re.I)
_NUMBER = re.compile(
    r"\bhur (?:många|mycket|stor|stort|stora|hög|högt|höga|låg|lågt)\b|\bantal\w*|\bbelopp\w*|"
    r"\bvad kostar\b|\bvad kostade\b|\bprocent\w*|\bandel\w*",
    re.I,
)
_REASON = re.compile(r"\bvarför\b|\bav vilken anledning\b|\bvad beror\b|\bskäl\w*\b", re.I)

# Stems of the words that say what kind of answer is wanted, not what it is about: a
# subject word starting with one of these is dropped ...
_INTENT_PREFIXES = (
    "reserv",
    "yrk",
    "uttal",
    "protokollsanteckn",
    "ordför",
    "juster",
    "sekreter",
    "beslut",
    "beslöt",
    "behandl",
    "godkän",
    "föreslå",
    "föreslog",
    "förslag",
    "rekommend",
    "diarienum",
    "ärendenum",
    "underteckn",
    "signer",
    "avslag",
    "bifall",
    "åtgärd",
    "tilläggsyrk",
    "ändringsyrk",
    "återremiss",
)
# ... and these are dropped as whole words (as prefixes they would take "område", "motion").
_GENERIC = {
    "svar",
    "svarad",
    "svarar",
    "dnr",
    "datum",
    "parti",
    "partiet",
    "tyck",
    "tyckt",
    "ansåg",
    "röst",
    "röstad",
    "fattad",
    "vill",
    "vad",
    "vem",
    "vems",
    "vilk",
    "vilken",
    "vilket",
    "hur",
    "när",
    "mång",
    "mycket",
    "blev",
    "gjord",
    "gör",
    "får",
    "fick",
    "finn",
    "fann",
    "ska",
    "fatt",
    "kommun",
    "kommunen",
    "nämnd",
    "nämnden",
    "socialnämnd",
    "stad",
    "staden",
    "år",
    "dag",
}


@dataclass
class Intent:
    kind: str  # see `understand`
    role: str | None = None  # ordförande / justerare / sekreterare for kind "roll"
    parties: list[str] = field(default_factory=list)  # party tags named ("V", "SD")
    subject: list[str] = field(default_factory=list)  # analyzer terms naming the subject
    wants_number: bool = False
    wants_date: bool = False
    asks_who: bool = False  # "vem/vilka …": a party named is context, not a filter
    names_audit: bool = False  # the question names the revision or a granskning

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def named_parties(question: str) -> list[str]:
    """Party tags a question names in words ("Vänsterpartiet") or as tags ("(V)", "SD")."""
    lowered = question.lower()
    found = [code for name, code in PARTIES.items() if name in lowered]
    for match in _PARTY_TAG.finditer(question):
        found.append(match[1] or match[2])
    return list(dict.fromkeys(found))


def understand(question: str, analyzer: Analyzer) -> Intent:
    """The kind of answer a question wants, with its parties, role and subject words.

    Kinds: "reservation", "uttalande" (särskilda uttalanden, protokollsanteckningar),
    "yrkande" (yrkanden, votes, what a party wanted), "roll" (ordförande, justerare,
    sekreterare of the meeting), "dnr", "datum_beslut" (when the nämnd decided),
    "rekommendation" (what the revision recommended), "svar" (what the nämnd answered the
    revision), "forslag" (what the förvaltning proposed), "beslut", "datum_justering" (when the
    protokoll was justerat), "antal", "skal", "allman".
    """
    parties = named_parties(question)
    role = next((name for name, pattern in _ROLES if pattern.search(question)), None)
    wants_number = bool(_NUMBER.search(question))
    wants_date = bool(_WHEN.search(question))
    kind = "allman"
    if _RESERVATION.search(question):
        kind = "reservation"
    elif _STATEMENT.search(question):
        kind = "uttalande"
    elif wants_number and not _MOTION_OF_PARTY.search(question):
        kind = "antal"
    elif _MOTION_OF_PARTY.search(question) or (parties and _OPINION.search(question)):
        kind = "yrkande"
    elif role and _WHO.search(question) and not wants_date:
        kind = "roll"
    elif _SIGNED.search(question) and _WHO.search(question):
        kind = "undertecknare"
    elif _DNR.search(question):
        kind = "dnr"
    elif wants_date and _DECIDE.search(question):
        kind = "datum_beslut"
    elif wants_date and _JUSTERING.search(question):
        kind = "datum_justering"
    elif _DECIDE.search(question) and not wants_date:
        kind = "beslut"
    elif _RECOMMEND.search(question) and _AUDIT.search(question) and not _ANSWERED.search(question):
        kind = "rekommendation"
    elif _ANSWERED.search(question) and (_AUDIT.search(question) or _MEASURES.search(question)):
        kind = "svar"
    elif _PROPOSE.search(question) and _ADMINISTRATION.search(question):
        kind = "forslag"
    elif _REASON.search(question):
        kind = "skal"
    return Intent(
        kind=kind,
        role=role if kind == "roll" else None,
        parties=parties,
        subject=subject_terms(question, analyzer),
        wants_number=wants_number,
        wants_date=wants_date,
        asks_who=bool(_WHO.search(question)),
        names_audit=bool(_AUDIT.search(question)),
    )


def subject_terms(question: str, analyzer: Analyzer) -> list[str]:
    """The stems of a question's words that name what it is about: not question words,
    words saying which kind of answer is wanted, party names, kommun or nämnd words.
    Whole words only (compound parts such as "bes" + "lut" of "beslutades" say nothing)."""
    out = []
    for word in _WORD.findall(question.lower()):
        if word in STOPWORDS or any(word.startswith(name) for name in PARTIES):
            continue
        term = stem(word)
        if term in _GENERIC or word in _GENERIC or term.startswith(_INTENT_PREFIXES):
            continue
        if (
            word in KOMMUN_CANONICAL
            or word[:-1] in KOMMUN_CANONICAL
            or (len(term) < 2 and not term.isdigit())
        ):
            continue
        out.append(term)
    return list(dict.fromkeys(out))
