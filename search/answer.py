"""Answers quoted from the handlingar, with citations, or an honest "not found".

No language model: the hybrid search retrieves candidate chunks, their sentences are scored
against the question (e5 similarity, idf-weighted term overlap, the chunk's retrieval rank,
and what the question asks for: a number, a person with party, a date, a decision), and the
answer is one to three verbatim sentences with numbered citations. When the evidence is
weak, or the question is about a kommun or a year the documents do not cover, it abstains.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.embed import text_hash
from index.filters import Filters
from swedish.analyzer import stem
from swedish.domain import PARTIES
from swedish.kommuner import KOMMUN_CANONICAL, KOMMUN_MENTION
from swedish.nlp import nlp, party_mentions
from swedish.patterns import MONTHS, find_dates, find_references
from swedish.sections import section_label

from .hybrid import Hit, Searcher
from .intent import YEAR, Intent, understand
from .query import parse_query
from .structured import Structured, StructuredAnswers

NOT_FOUND = "Jag hittar inget svar på det i handlingarna."
NEAREST = 3  # sources listed with an abstention
CANDIDATE_CHUNKS = 10
SHORTLIST = 16  # sentences embedded per question (their vectors are cached)
# Calibrated on tests/data/eval.jsonl (see BENCHMARKS.md): below this the best sentence is
# too weak to quote.
ABSTAIN_BELOW = 0.36
MAX_SENTENCES = 3
# Measured on tests/data/eval.jsonl (184 questions, see BENCHMARKS.md): the factors that
# took unanswerable questions below ABSTAIN_BELOW without losing answerable ones.
QUANTITY_MISSING = 0.6  # a number question's sentence without a number of what was asked
UNKNOWN_WORD = 0.85  # per question word the documents never use (at most two)
# With such a word, the best sentence must be this close in meaning (e5, rescaled as in
# `_score`): paraphrases scored 0.53-0.56 on the set, unrelated sentences 0.31-0.43.
DENSE_FLOOR = 0.5
MEASURE_MATCH = 0.15  # the sentence names the quantity the question measures
REPORTED_SPEECH = -0.15  # an organ's opinion asked, the sentence reports another's proposal
OTHER_PERIOD = 0.4  # the sentence or its rubrik names another period than the one asked
# Sentence score weights: term overlap of the sentence and of its chunk, the chunk's
# retrieval rank, and (for the shortlist) e5 similarity to the question.
W_LEXICAL, W_CHUNK, W_PRIOR, W_DENSE = 0.4, 0.2, 0.2, 0.45

_NUMBER_WORDS = (  # not "en"/"ett": as articles they are everywhere
    "två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|femton|tjugo|trettio|fyrtio|"
    "femtio|hundra|tusen"
)
_UNITS = (
    r"%|procent|kronor|kr\b|mnkr|tkr|miljoner|miljarder|st\b|stycken|ärenden|anmälningar|"
    r"beslut|personer|dagar|veckor|månader|timmar|platser|insatser|utförare|barn|utredningar"
)
_NUMBER_UNIT = re.compile(  # "120 slumpvis utvalda ärenden": up to two words in between
    rf"(?:\d[\d\s]*(?:,\d+)?|\b(?:{_NUMBER_WORDS})\b)\s*(?:\(\d+\)\s*)?"
    rf"(?:[a-zåäö]+\s+){{0,2}}(?:{_UNITS})",
    re.IGNORECASE,
)
# "Vad tycker/anser socialnämnden …" asks for the organ's own position; sentences that
# report someone else's proposal or view answer another question.
_ORGAN_OPINION = re.compile(
    r"\b(?:tycker|tyckte|anser|ansåg|tänker|menar)\s+(?:\w+\s+)?(?:\w*nämnd\w*|\w*styrelse\w*|"
    r"kommun\w*|fullmäktige)\b",
    re.I,
)
_REPORTED = re.compile(
    r"\b(?:det\s+)?föreslås\b|\bi (?:promemorian|betänkandet|utredningen|remissen)\b|"
    r"\benligt (?:promemorian|betänkandet|utredningen|förslaget)\b|\bregeringen\b|"
    r"\butredningen föreslår\b|\bpromemorian föreslår\b",
    re.I,
)
_NEGATION = re.compile(r"\b(?:inte|ej|inga|ingen|inget)\b", re.IGNORECASE)
_BARE_NUMBER = re.compile(
    rf"(?<![\d-])\d{{1,3}}(?:[ \u00a0]?\d{{3}})*(?:,\d+)?(?![\d-])|\b(?:{_NUMBER_WORDS})\b",
    re.IGNORECASE,
)
_NAME_LINE = re.compile(r"^[A-ZÅÄÖÉ][\w'’-]+(?:\s+[A-ZÅÄÖÉ][\w'’-]+){1,3}$")
# "Elisabeth Kántor förvaltningschef": a first and last name inside a line.
_NAME_IN_TEXT = re.compile(
    r"(?<=\s)[A-ZÅÄÖÉ][a-zåäöéüá]+(?:-[A-ZÅÄÖ][a-zåäö]+)? [A-ZÅÄÖÉ][a-zåäöéüá]+\b"
)
_DURATION = re.compile(
    rf"(?:\d+|\b(?:{_NUMBER_WORDS})\b)\s+(?:år|månader|månad|veckor|vecka|dagar|dag|timmar)\b",
    re.IGNORECASE,
)
_QUESTION_TYPES = [
    ("duration", re.compile(r"\bhur (?:lång|länge)\b|\binom hur lång tid\b", re.I)),
    (
        "person",
        re.compile(
            r"\bvem\b(?! står för)|\bvilka (?:ledamöter|politiker|partier|personer)\b|"
            r"\bvilket parti\b|\bvilken ersättare\b",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\bhur (?:många|mycket|stor|stort|stora|lång|länge|hög|högt|nöjda)\b|\bantal\b|"
            r"\bbelopp\b|\bvad kostar\b|underskott|överskott|\bprocent\b|\bandel\b|\bprognos",
            re.I,
        ),
    ),
    ("date", re.compile(r"^\s*när\b|\bvilket datum\b|\bvilken dag\b", re.I)),
    ("list", re.compile(r"^\s*vilka\b", re.I)),
    (
        "decision",
        re.compile(r"\bbeslut(?:ade|ar|et|a)?\b|\bbeslöt\b|\bvad blev\b|\bföreslå(?:r|s)?\b", re.I),
    ),
]
# Words that place a question in time; an answer should share one of them.
_TEMPORAL = re.compile(
    rf"{YEAR}|\b(?:januari|februari|mars|april|maj|juni|juli|augusti|september|"
    r"oktober|november|december)\b|\b(?:första|andra|tredje|fjärde) kvartalet\b|"
    r"\bkvartal \d\b|\bdelår(?:srapport)? \d\b",
    re.IGNORECASE,
)
# Question words and generic words that say nothing about the topic.
_GENERIC = {
    "vad",
    "vem",
    "vilk",
    "vilken",
    "vilket",
    "hur",
    "när",
    "mång",
    "mycket",
    "finns",
    "fanns",
    "får",
    "fick",
    "gör",
    "gjord",
    "blev",
    "ska",
    "kommun",
    "nämnd",
    "socialnämnd",
    "stad",
}


@dataclass
class Sentence:
    chunk: dict[str, Any]
    rank: int  # the chunk's place in the retrieval list
    start: int  # offsets into the document text
    end: int
    text: str
    score: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)
    scored_text: str = ""  # what is compared with the question (a name with its role line)


def question_type(question: str) -> str:
    for name, pattern in _QUESTION_TYPES:
        if pattern.search(question):
            return name
    return "general"


def sentences_of(chunk: dict[str, Any]) -> list[tuple[int, int, str]]:
    """Sentences of a chunk as (document start, document end, text); a line ends one too.
    A piece starting in lower case continues the sentence before it ("(F!) ställde …")."""
    out: list[tuple[int, int, str]] = []
    offset = chunk["start"]
    text = chunk["text"]
    for line in text.split("\n"):
        pieces: list[tuple[int, int]] = []
        for sentence in nlp()(line).sents if line.strip() else []:
            lead = len(sentence.text) - len(sentence.text.lstrip())
            start = sentence.start_char + lead
            end = start + len(sentence.text.strip())
            if end <= start:
                continue
            if pieces and line[start].islower():
                pieces[-1] = (pieces[-1][0], end)
            else:
                pieces.append((start, end))
        out.extend((offset + a, offset + b, line[a:b]) for a, b in pieces)
        offset += len(line) + 1
    return out


class Answerer:
    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.data = searcher.data
        self._cache: dict[str, np.ndarray] = {}
        self._stats: dict[str, int] = {}  # document frequencies ("": the count) of a question
        self.structured = StructuredAnswers(self.data.store, self.data.analyzer, self._idf)

    def ask(self, question: str, filters: Filters | None = None) -> dict[str, Any]:
        self._stats = {}
        question = question.strip()
        filters = filters or Filters()
        known = self._kommuner()
        named = [KOMMUN_CANONICAL[m[1].lower()] for m in KOMMUN_MENTION.finditer(question)]
        outside = [k for k in named if k not in known]
        if outside and (
            _about_organ(question, outside) or not any(self._df(stem(k.lower())) for k in outside)
        ):
            # The question is about another kommun's own nämnd or decisions, or about a
            # kommun the documents never mention.
            return self._abstain(question, f"Handlingarna omfattar inte {outside[0]}.")
        organs = self._uncovered_organs(question)
        if organs:
            return self._abstain(question, f"Handlingarna omfattar inte {organs[0]}.")
        if not filters.kommun and len({k for k in named if k in known}) == 1:
            filters = Filters(**{**vars(filters), "kommun": next(k for k in named if k in known)})
        query = parse_query(question)
        intent = understand(question, self.data.analyzer)
        if query.is_lookup:
            found = self._lookup_answer(question, query, filters)
            if found is not None:
                return found
        response = self.searcher.search(question, filters, limit=CANDIDATE_CHUNKS)
        if not response.results:
            return self._abstain(question, None, intent=intent)
        units = list(dict.fromkeys(r["paragraph_id"] for r in response.results))
        structured = self.structured.answer(intent, units, question)
        if structured is not None:
            if structured.kind == "abstain":
                return self._abstain(
                    question, structured.lead, structured.match, response.results, intent
                )
            found = self._structured_answer(question, intent, structured)
            if found is not None:
                return found
        kind = question_type(question)
        candidates = self._score(question, kind, response.results)
        if not candidates or candidates[0].score < ABSTAIN_BELOW:
            best = candidates[0].score if candidates else 0.0
            return self._abstain(question, None, best, response.results, intent)
        quantity = _asked_quantity(question) if kind == "number" else None
        if quantity and quantity[0] == "count" and "quantity" not in candidates[0].parts:
            # "Hur många barn placerades?" and the best sentence gives no number of barn:
            # the documents do not say (every answerable count question on the set had one).
            return self._abstain(question, None, candidates[0].score, response.results, intent)
        if self._unknown_words(question) and candidates[0].parts.get("dense", 0.0) < DENSE_FLOOR:
            # A word the documents never use, and the best sentence does not mean the same
            # either ("snöröjningen", "parkera"): the question is about something else.
            return self._abstain(question, None, candidates[0].score, response.results, intent)
        chosen = self._compose(candidates, kind)
        return self._answer(question, kind, chosen, intent=intent)

    # --- scoring ---------------------------------------------------------------------------

    def _score(self, question: str, kind: str, chunks: list[dict[str, Any]]) -> list[Sentence]:
        analyzer = self.data.analyzer
        terms = [t for t in analyzer.query_terms(question) if t not in _GENERIC]
        lowered_question = question.lower()
        parties = {code for name, code in PARTIES.items() if name in lowered_question}
        if parties:
            # A party named in words is answered by "Name (V)" tags, not by the word itself.
            party_words = {
                stem(w)
                for w in re.findall(r"\w+", lowered_question)
                if any(w.startswith(name) for name in PARTIES)
            }
            terms = [t for t in terms if t not in party_words]
        weights = {t: self._idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        unknown = self._unknown_words(question)
        temporal = {m.lower() for m in _TEMPORAL.findall(periods(question))}
        # A kommun the corpus only mentions (not one it covers) must appear in the answer.
        covered = self._kommuner()
        temporal |= {
            KOMMUN_CANONICAL[m[1].lower()].lower()
            for m in KOMMUN_MENTION.finditer(question)
            if KOMMUN_CANONICAL[m[1].lower()] not in covered
        }
        lookup = parse_query(question).is_lookup
        negated = bool(_NEGATION.search(question))
        opinion = bool(_ORGAN_OPINION.search(question))
        roles = [
            w
            for w in ("reserv", "yrka", "uttalande", "protokollsanteckning")
            if w in question.lower()
        ]
        sentences: list[Sentence] = []
        for rank, chunk in enumerate(chunks):
            context = periods(
                " ".join(x for x in (chunk["rubrik"], chunk["datum"], chunk["text"]) if x)
            ).lower()
            chunk_terms = {
                t.term for t in analyzer.tokens(f"{chunk['rubrik'] or ''}\n{chunk['text']}")
            }
            chunk_lexical = sum(w * _match(t, chunk_terms) for t, w in weights.items()) / total
            exact = chunk["scores"]["exact"]
            pieces = sentences_of(chunk)
            for index, (start, end, text) in enumerate(pieces):
                if len(text.split()) < 2 or _heading(text, chunk):
                    continue
                scored = text
                if kind == "person" and _NAME_LINE.match(text) and index + 1 < len(pieces):
                    scored = f"{text} {pieces[index + 1][2]}"  # a name and its role line
                found = {t.term for t in analyzer.tokens(scored)}
                lexical = sum(w * _match(t, found) for t, w in weights.items()) / total
                sentence = Sentence(chunk, rank, start, end, text, scored_text=scored)
                parts = {
                    "lexical": lexical,
                    "chunk": chunk_lexical,
                    "prior": 1.0 if exact else 1.0 / (1.0 + rank),
                    "type": self._type_bonus("decision" if lookup else kind, text, chunk),
                }
                lowered = text.lower()
                if roles and any(r in lowered for r in roles):
                    parts["role"] = 0.2
                if negated and _NEGATION.search(text):
                    parts["negation"] = 0.1
                if opinion and _REPORTED.search(text):
                    # "Vad tycker nämnden …": not the proposal it quotes ("Det föreslås att …").
                    parts["reported"] = REPORTED_SPEECH
                if parties and any(m.party in parties for m in party_mentions(text)):
                    parts["party"] = 0.2  # "Vänsterpartiet" asked, "Name (V)" answers
                if (
                    _contradicts(question, text)
                    or _contradicts(question, f"{chunk['rubrik'] or ''} {text}")
                    or _other_law(question, text)
                    or _other_reference(question, f"{chunk['rubrik'] or ''} {text}")
                ):
                    parts["temporal"] = OTHER_PERIOD  # "första kvartalet" does not answer "tredje"
                elif temporal and any(not _said(t, context) for t in temporal):
                    # The question's year/month/place is not here (each one missing counts).
                    missing = sum(not _said(t, context) for t in temporal)
                    parts["temporal"] = 0.7 ** min(missing, 2)
                if text.count("\t") >= 2:
                    parts["table"] = -0.1
                if kind == "list" and parts["type"] == 0 and _introduces_list(sentence):
                    parts["type"] = 0.2
                sentence.parts = parts
                sentence.score = (
                    W_LEXICAL * lexical
                    + W_CHUNK * chunk_lexical
                    + W_PRIOR * parts["prior"]
                    + sum(
                        v
                        for k, v in parts.items()
                        if k not in ("lexical", "chunk", "prior", "temporal")
                    )
                ) * parts.get("temporal", 1.0)
                sentences.append(sentence)
        sentences.sort(key=lambda s: -s.score)
        shortlist = sentences[:SHORTLIST]
        similarities = self._similarities(question, [s.scored_text or s.text for s in shortlist])
        for sentence, similarity in zip(shortlist, similarities, strict=True):
            dense = min(1.0, max(0.0, (similarity - 0.75) / 0.2))
            sentence.parts["dense"] = dense
            factor = sentence.parts.get("temporal", 1.0)
            sentence.score = (1 - W_DENSE) * sentence.score + W_DENSE * dense * factor
        if kind in ("number", "duration", "date", "person") and not lookup:
            # The question asks for a number, a date or a person: a sentence without one
            # is unlikely to be the answer, however well it matches otherwise.
            factor = 0.85 if kind == "person" else 0.7
            for sentence in sentences:
                if sentence.parts["type"] <= 0:
                    sentence.score *= factor
        measures = _measures(question) if kind == "number" else set()
        if measures:
            # "pengar saknas" asks for an underskott, not for any amount near the subject.
            for sentence in sentences:
                if measures & _measures(sentence.text, asked=False):
                    sentence.parts["measure"] = MEASURE_MATCH
                    sentence.score += MEASURE_MATCH
        quantity = _asked_quantity(question) if kind == "number" and not lookup else None
        if quantity is not None:
            # "Hur många barn …" is answered by a number of barn, "hur mycket kostar …" by an
            # amount of money: a number of something else answers another question.
            for sentence in sentences:
                if _states_quantity(sentence.text, quantity):
                    sentence.parts["quantity"] = 1.0
                else:
                    sentence.score *= QUANTITY_MISSING
        for sentence in sentences[SHORTLIST:]:
            sentence.score *= 1 - W_DENSE
        if unknown:
            # Words the documents never use ("snöröjningen") point outside the corpus.
            for sentence in sentences:
                sentence.score *= UNKNOWN_WORD ** min(len(unknown), 2)
        sentences.sort(key=lambda s: -s.score)
        return sentences

    def _unknown_words(self, question: str) -> list[str]:
        """Question words the documents never use, neither whole nor any compound part
        ("snöröjningen"; not "helårsprognos", whose parts helår and prognos occur)."""
        by_word: dict[int, list[str]] = {}
        for token in self.data.analyzer.tokens(question):
            by_word.setdefault(token.position, []).append(token.term)
        return [
            terms[0]
            for terms in by_word.values()
            if len(terms[0]) >= 5
            and ":" not in terms[0]
            and not any(c.isdigit() for c in terms[0])
            and not all(self._df(p) for p in re.split(r"[-–]", terms[0]) if p)
            and terms[0] not in _GENERIC
            and not any(self._df(t) for t in terms)
        ]

    def _type_bonus(self, kind: str, text: str, chunk: dict[str, Any]) -> float:
        if kind == "duration":
            return 0.25 if _DURATION.search(text) else 0.0
        if kind == "number":
            if _NUMBER_UNIT.search(text):
                return 0.2
            years = re.sub(r"\b(?:19|20)\d{2}\b", "", text)
            return 0.1 if _BARE_NUMBER.search(years) else 0.0
        if kind == "person":
            if any(m.party for m in party_mentions(text)):
                return 0.3
            named = party_mentions(text) or _NAME_LINE.match(text.strip())
            return 0.15 if named or _NAME_IN_TEXT.search(text) else 0.0
        if kind == "date":
            return 0.2 if find_dates(text) else 0.0
        if kind == "list":
            # An enumeration answers "vilka …": several items, or a line opening a list.
            items = len(re.findall(r"[,;]\s+\S", text)) + (" och " in text)
            return 0.2 if items >= 3 or text.endswith(":") else 0.0
        if kind == "decision":
            return 0.15 if chunk["sektion"] in ("beslut", "förslag till beslut") else 0.0
        return 0.0

    def _df(self, term: str) -> int:
        # Term statistics are read once per question: on the milvus backend each is a query.
        if term not in self._stats:
            self._stats[term] = self.data.bm25.doc_freq(term)
        return self._stats[term]

    def _idf(self, term: str) -> float:
        if "" not in self._stats:
            self._stats[""] = max(self.data.bm25.num_docs(), 1)
        n = self._stats[""]
        df = self._df(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _similarities(self, question: str, texts: list[str]) -> list[float]:
        """Cosine of the question and each sentence (sentence vectors are cached)."""
        if not texts or not self.searcher._has_vectors():
            return [0.75] * len(texts)
        embedder = self.data.embedder
        query = self.searcher.embed_query(question)
        missing = [t for t in texts if text_hash(t) not in self._cache]
        if missing:
            vectors = embedder.passages(missing)
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text_hash(text)] = vector
        return [float(self._cache[text_hash(t)] @ query) for t in texts]

    # --- composing -------------------------------------------------------------------------

    def _compose(self, candidates: list[Sentence], kind: str) -> list[Sentence]:
        best = candidates[0]
        chosen = [best]
        if best.text.endswith(":") or _introduces_list(best):
            # "Revisionens rekommendationer till nämnden är:" -> quote the list it opens.
            return chosen + self._list_after(best)[: MAX_SENTENCES - 1]
        for sentence in candidates[1:]:
            if len(chosen) >= MAX_SENTENCES:
                break
            if any(_overlaps(sentence, c) or sentence.text == c.text for c in chosen):
                continue
            if "reported" in sentence.parts and "reported" not in best.parts:
                continue  # the organ's own position was asked, not what it quotes
            same_chunk = sentence.chunk["chunk_id"] == best.chunk["chunk_id"]
            # Quote one ärende: further sentences come from the same § (or part).
            if sentence.chunk["paragraph_id"] != best.chunk["paragraph_id"]:
                continue
            if kind in ("number", "duration", "date", "person") and sentence.parts["type"] <= 0:
                continue  # a further sentence must also hold what was asked for
            close = sentence.score >= 0.85 * best.score
            related = same_chunk and sentence.score >= 0.7 * best.score
            if close or (related and kind in ("decision", "person", "general")):
                chosen.append(sentence)
        # Sentences from one chunk read best in their document order.
        return sorted(
            chosen, key=lambda s: (s.chunk["chunk_id"] != best.chunk["chunk_id"], s.start)
        )

    def _list_after(self, sentence: Sentence) -> list[Sentence]:
        """The lines following a list-opening sentence, from its chunk or the next one of
        the same § (a chunk may end right after the colon)."""
        chunk = sentence.chunk
        items = [
            Sentence(chunk, sentence.rank, start, end, text, sentence.score)
            for start, end, text in sentences_of(chunk)
            if start > sentence.start
        ]
        if not items:
            row = self.data.store.query(
                """SELECT id FROM chunks WHERE paragraph_id = ? AND ordinal = ? + 1""",
                [
                    chunk["paragraph_id"],
                    self.data.store.scalar(
                        "SELECT ordinal FROM chunks WHERE id = ?", [chunk["chunk_id"]]
                    ),
                ],
            )
            if row:
                nxt = self.searcher.present(parse_query(""), [Hit(row[0]["id"])], 1)
                if nxt:
                    items = [
                        Sentence(nxt[0], sentence.rank, start, end, text, sentence.score)
                        for start, end, text in sentences_of(nxt[0])
                    ]
        return items

    def _answer(
        self,
        question: str,
        kind: str,
        chosen: list[Sentence],
        intent: Intent | None = None,
        structured: Structured | None = None,
    ) -> dict[str, Any]:
        citations = []
        parts = []
        for number, sentence in enumerate(chosen, start=1):
            chunk = sentence.chunk
            citations.append(
                {
                    "n": number,
                    "quote": sentence.text,
                    "chunk_id": chunk["chunk_id"],
                    "document_id": chunk["document_id"],
                    "kommun": chunk["kommun"],
                    "namnd": chunk["namnd"],
                    "datum": chunk["datum"],
                    "paragraf": chunk["paragraf"],
                    "dnr": chunk["dnr"],
                    "rubrik": chunk["rubrik"],
                    "dokumenttyp": chunk["dokumenttyp"],
                    "sektion": chunk["sektion"],
                    "source": chunk["source"],
                    "page": chunk["page"],
                    "start": sentence.start,
                    "end": sentence.end,
                    "chunk_start": chunk["start"],
                    "chunk_end": chunk["end"],
                    "score": round(sentence.score, 4),
                }
            )
            parts.append(f"{sentence.text} [{number}]")
        if structured is not None:
            answer_kind, status, lead = structured.kind, structured.status, structured.lead
        else:
            answer_kind, status, lead = "mening", *_sentence_status(chosen[0].chunk)
        return {
            "question": question,
            "answer": " ".join([lead, *parts] if lead else parts),
            # What the answer is: read from a decision's att-satser ("beslut"), a proposal
            # ("forslag"), positions ("stallningstaganden"), a meeting role ("roll"), a date,
            # a dnr, a revision's recommendations or answer ("revision"), or quoted sentences
            # ranked against the question ("mening"); status says decided or proposed.
            "answer_kind": answer_kind,
            "status": status,
            "lead": lead,
            "intent": intent.as_dict() if intent else None,
            # The same answer in pieces, so a UI need not parse the [n] markers.
            "answer_parts": [
                {"text": sentence.text, "citation": number}
                for number, sentence in enumerate(chosen, start=1)
            ],
            "abstained": False,
            "question_type": kind,
            "confidence": round(chosen[0].score, 4),
            "citations": citations,
        }

    def _lookup_answer(self, question: str, query, filters: Filters) -> dict[str, Any] | None:
        """A dnr or `§ N`: quote the rubrik and the first beslut points of the first match."""
        first, _ = self.searcher.exact_lookup(query, filters)
        if not first:
            return None
        results = self.searcher.present(query, [Hit(first[0], exact=True)], 1)
        if not results:
            return None
        chunk = results[0]
        row = self.data.store.query(
            """SELECT p.rubrik, p.att_satser, p.start, p.end, d.text FROM paragraphs p
               JOIN documents d ON d.id = p.document_id
               JOIN chunks c ON c.paragraph_id = p.id WHERE c.id = ?""",
            [chunk["chunk_id"]],
        )[0]
        quotes: list[str] = [row["rubrik"]] if row["rubrik"] else []
        quotes += json.loads(row["att_satser"])[: MAX_SENTENCES - len(quotes)]
        chosen: list[Sentence] = []
        for quote in quotes:
            position = row["text"].find(quote, row["start"], row["end"])
            if position < 0:
                continue
            owner = self._chunk_at(chunk["document_id"], position) or chunk
            chosen.append(Sentence(owner, 0, position, position + len(quote), quote, 1.0))
        if not chosen:
            return None
        found = self._answer(question, "lookup", chosen)
        found["answer_kind"] = "beslut" if len(chosen) > 1 else "mening"
        return found

    def _chunk_at(self, document_id: int, offset: int) -> dict[str, Any] | None:
        rows = self.data.store.query(
            "SELECT id FROM chunks WHERE document_id = ? AND start <= ? AND end > ?",
            [document_id, offset, offset],
        )
        if not rows:
            return None
        hit = self.searcher.present(parse_query(""), [Hit(rows[0]["id"])], 1)
        return hit[0] if hit else None

    def _abstain(
        self,
        question: str,
        reason: str | None,
        confidence: float = 0.0,
        results: list[dict[str, Any]] | None = None,
        intent: Intent | None = None,
    ) -> dict[str, Any]:
        nearest = []
        for result in (results or [])[:NEAREST]:
            nearest.append(
                {
                    key: result[key]
                    for key in (
                        "chunk_id",
                        "document_id",
                        "kommun",
                        "namnd",
                        "datum",
                        "paragraf",
                        "dnr",
                        "rubrik",
                        "dokumenttyp",
                        "sektion",
                    )
                }
            )
        return {
            "question": question,
            "answer": NOT_FOUND if not reason else f"{NOT_FOUND} {reason}",
            "answer_parts": [],
            "abstained": True,
            "question_type": question_type(question),
            "confidence": round(confidence, 4),
            "citations": [],
            "answer_kind": None,
            "status": None,
            "lead": None,
            "intent": intent.as_dict() if intent else None,
            # The nearest places the search found, for the reader to look at themselves.
            "nearest": nearest,
        }

    def _structured_answer(
        self, question: str, intent: Intent, structured: Structured
    ) -> dict[str, Any] | None:
        """Quotes of a structured answer as cited sentences: each within the chunk that
        holds its start (cut at the chunk's end when it runs over)."""
        chosen: list[Sentence] = []
        for quote in structured.quotes:
            chunk = self._chunk_at(quote.document_id, quote.start)
            if chunk is None:
                continue
            end = min(quote.end, chunk["end"])
            text = chunk["text"][quote.start - chunk["start"] : end - chunk["start"]].rstrip()
            if len(text.split()) < 1:
                continue
            chosen.append(
                Sentence(chunk, 0, quote.start, quote.start + len(text), text, structured.match)
            )
        if not chosen:
            return None
        return self._answer(question, intent.kind, chosen, intent, structured)

    def _uncovered_organs(self, question: str) -> list[str]:
        """Nämnder the question names that no document covers or even mentions."""
        covered = {
            r[0].lower() for r in self.data.store.query("SELECT DISTINCT namnd FROM chunks") if r[0]
        }
        out = []
        for match in re.finditer(r"\b([a-zåäö-]{3,}nämnd)(?:en|ens|s)?\b", question.lower()):
            name = match[1] + "en"
            if name not in covered and not self._df(stem(match[0])):
                out.append(name[:1].upper() + name[1:])
        return out

    def _kommuner(self) -> set[str]:
        rows = self.data.store.query("SELECT DISTINCT kommun FROM documents")
        return {r[0] for r in rows if r[0]}


def _sentence_status(chunk: dict[str, Any]) -> tuple[str | None, str | None]:
    """A sentence from the förslag till beslut of a kallelse or tjänsteskrivelse proposes;
    from the beslut of a protokoll it is decided."""
    if chunk["sektion"] == "förslag till beslut" or (
        chunk["sektion"] == "beslut" and chunk["dokumenttyp"] in ("kallelse", "tjänsteskrivelse")
    ):
        where = chunk["dokumenttyp"] or "handling"
        return "förslag", f"Ur ett förslag till beslut ({where}), inte ett fattat beslut:"
    if chunk["sektion"] == "beslut" and chunk["dokumenttyp"] in ("protokoll", "protokollsutdrag"):
        return "beslutat", None
    return None, None


_MONEY = re.compile(r"\b(?:kr|kronor|mnkr|tkr|mkr|miljon\w*|miljard\w*|kronor\w*)\b", re.I)
_COUNT_AFTER = re.compile(r"\bhur många\s+((?:[\w-]+\s*){1,4})", re.I)
_MONEY_ASKED = re.compile(
    r"\bhur mycket\b|\bbelopp\w*|\bkosta(?:r|de|t)?\b|\bkostnad\w*|\bvad kostar\b", re.I
)
_NUMBER_TOKEN = re.compile(rf"^\(?\d[\d,.]*\)?$|^(?:{_NUMBER_WORDS}|trettio\w*|fyrtio\w*)$", re.I)
_NOT_A_COUNT = re.compile(
    r"\d+\s*[–-]\s*\d+(?:\s*(?:år|månader|dagar|veckor))?|\b\d+\s*år\b|[⁰¹²³⁴⁵⁶⁷⁸⁹]+"
)
_CLASSIFIER = {"st", "st.", "stycken", "styck", "stycke"}
_NOT_COUNTED = {"ej", "inte", "nya", "fler", "av", "de", "olika", "andra", "totalt", "gånger"}


# What an amount measures: the words a question asks with, the words a sentence states it
# with (Swedish budget follow-up vocabulary, not any one kommun's).
_MEASURES = {
    "underskott": (
        r"underskott\w*|saknas|fattas|negativ\w*|minus|överskrid\w*|budgetavvikelse\w*",
        r"underskott\w*|negativ\w*|överskrid\w*|(?<![\w-])[-–]\s?\d",
    ),
    "överskott": (r"överskott\w*|över|plus|positiv\w*", r"överskott\w*|positiv\w*"),
    "resultat": (r"resultat(?:et|en)?", r"resultat\w*"),
    "prognos": (r"prognos\w*|helårsprognos\w*", r"prognos\w*|helår\w*"),
    "kostnad": (
        r"kostnad(?:en|er|erna)?|kostar|kostade|köpte|köper|betala\w*|utgift\w*",
        r"kostnad\w*|kostar|kostade|köpt\w*|utgift\w*",
    ),
    "effektivisering": (
        r"effektivisera\w*|effektivisering\w*|spara|sparas|besparing\w*",
        r"effektivisering\w*|besparing\w*",
    ),
    "intäkt": (r"intäkt\w*|statsbidrag\w*|bidrag(?:et|en)?", r"intäkt\w*|statsbidrag\w*|bidrag\w*"),
    "budget": (r"budget(?:en)?|budgetram\w*", r"budget(?:en)?\b|budgetram\w*"),
}
_MEASURE_PATTERNS = {
    name: (re.compile(rf"\b(?:{asked})\b", re.I), re.compile(rf"(?<!\w)(?:{said})", re.I))
    for name, (asked, said) in _MEASURES.items()
}


def _measures(text: str, asked: bool = True) -> set[str]:
    """The measures a question asks about (or a sentence states)."""
    return {
        name
        for name, patterns in _MEASURE_PATTERNS.items()
        if patterns[0 if asked else 1].search(text)
    }


def _asked_quantity(question: str) -> tuple[str, list[str]] | None:
    """What a number question counts: ("count", noun stems) for "hur många vakanser och
    inhyrda konsulter …", ("money", []) for "hur mycket kostar …"; None when it cannot
    tell (a verb right after "hur många": "hur många svarade …")."""
    match = _COUNT_AFTER.search(question)
    if match:
        nouns = []
        for word in re.findall(r"[\w-]+", match[1].lower()):
            if word in _NOT_COUNTED or word in ("och", "eller"):
                continue
            if word.endswith(("de", "te", "des", "tes", "ade", "as")):
                if not nouns:
                    return None  # "hur många svarade": what is counted is not named
                break  # "hur många barn placerades": the verb ends what is counted
            if word in ("har", "hade", "är", "var", "blev", "finns", "fanns", "kom", "fick"):
                break
            nouns.append(stem(word))
        return ("count", nouns) if nouns else None
    if _MONEY_ASKED.search(question):
        return ("money", [])
    return None


def _states_quantity(text: str, quantity: tuple[str, list[str]]) -> bool:
    """The sentence gives a number of what is counted (the noun, or a form sharing its end:
    "8 900 anmälningar" for "orosanmälningar"; "12 stycken" after the noun), or an amount
    of money."""
    kind, nouns = quantity
    if kind == "money":
        return bool(_MONEY.search(text)) and bool(re.search(r"\d", text))
    # Ranges and ages ("barn 0–6 år", "13-17 år") and footnote marks count nothing.
    text = _NOT_A_COUNT.sub(" ", text)
    words = re.findall(r"\(?[\w-]+[\w)]*", text.lower())
    stems = [stem(w.strip("()")) for w in words]

    def related(word: str) -> bool:
        return len(word) >= 4 and any(
            len(n) >= 4
            and (word.startswith(n) or n.startswith(word) or n.endswith(word) or word.endswith(n))
            for n in nouns
        )

    for index, word in enumerate(words):
        if not _NUMBER_TOKEN.match(word):
            continue
        # The thing counted follows the number ("fem föräldrar") or, in a table, precedes it.
        window = stems[max(0, index - 1) : index] + stems[index + 1 : index + 4]
        if any(related(w) for w in window):
            return True
        classifier = index + 1 < len(words) and words[index + 1] in _CLASSIFIER
        if classifier and any(related(w) for w in stems[:index]):
            return True
    return False


def _match(term: str, found: set[str]) -> float:
    """1 for the term itself; 0.7 for a related form sharing a long prefix (reserverade /
    reservationer stem to reserver / reservation)."""
    if term in found:
        return 1.0
    if len(term) >= 6:
        for other in found:
            if len(other) >= 6 and other[:6] == term[:6] and abs(len(other) - len(term)) <= 4:
                return 0.7
    return 0.0


_ORDINALS = {"första": 1, "andra": 2, "tredje": 3, "fjärde": 4}
_CARDINALS = {"ett": 1, "två": 2, "tre": 3, "fyra": 4}
_QUARTER = re.compile(
    r"\b(första|andra|tredje|fjärde)\s+(kvartalet|delåret|tertialet)\b|"
    r"\b(kvartal|delår|tertial)\s+(ett|två|tre|fyra)\b|\bQ([1-4])\b",
    re.I,
)


def periods(text: str) -> str:
    """Quarters and delår written one way: "andra kvartalet", "kvartal två" and "Q2" all
    become "kvartal 2", so a question and a text naming the same period agree."""

    def canonical(match: re.Match[str]) -> str:
        if match[1]:
            unit = {"kvartalet": "kvartal", "delåret": "delår", "tertialet": "tertial"}
            return f"{unit[match[2].lower()]} {_ORDINALS[match[1].lower()]}"
        if match[3]:
            return f"{match[3].lower()} {_CARDINALS[match[4].lower()]}"
        return f"kvartal {match[5]}"

    return _QUARTER.sub(canonical, text)


_PERIODS = [
    re.compile(YEAR),
    re.compile(r"\b(?:första|andra|tredje|fjärde) kvartalet\b|\bkvartal [1-4]\b", re.I),
    re.compile(r"\bdelår(?:srapport)? [1-3]\b", re.I),
    # The follow-up reports: a delårsrapport's figure is not a månadsrapport's.
    re.compile(
        r"\b(?:delårsrapport|månadsrapport|årsredovisning|årsbokslut|verksamhetsberättelse)", re.I
    ),
]
# The social welfare laws: a count "enligt SoL" is not one "enligt LSS" (judged on the
# sentence alone: a rubrik often names several).
_LAWS = re.compile(r"\b(?:SoL|LSS|LVU|LVM|HSL)\b")




def _said(word: str, context: str) -> bool:
    """A year, month or place of the question in lowered `context`; a month also when
    abbreviated ("jan-mars", "sept.")."""
    if word in context:
        return True
    return word in MONTHS and bool(re.search(rf"\b{word[:3]}\b", context))


def _contradicts(question: str, text: str) -> bool:
    """The text names another period (or report) of the kind the question asks about, and
    not the one asked: "första kvartalet 2024" against "tredje kvartalet 2024", "maj 2022"
    against 2023, a månadsrapport against a delårsrapport."""
    question, text = periods(question), periods(text)
    for pattern in _PERIODS:
        asked = {m.lower() for m in pattern.findall(question)}
        said = {m.lower() for m in pattern.findall(text)}
        if asked and said and not asked & said:
            return True
    return False


def _other_reference(question: str, text: str) -> bool:
    """The question names a remiss or law reference ("SOU 2020:47") and the text names
    others, not that one: it is about another remiss."""
    asked = {r for _, _, r in find_references(question)}
    said = {r for _, _, r in find_references(text)}
    return bool(asked and said and not asked & said)


def _other_law(question: str, sentence: str) -> bool:
    asked = set(_LAWS.findall(question))
    said = set(_LAWS.findall(sentence))
    return bool(asked and said and not asked & said)


def _about_organ(question: str, kommuner: list[str]) -> bool:
    """ "Göteborgs socialnämnd", "socialnämnden i Malmö", "Uppsala kommun": the kommun is the
    subject, not a point of comparison ("Helsingborgs kostnadsnivå")."""
    organ = r"(?:\w*nämnd\w*|\w*styrelse\w*|\w*fullmäktige\w*|kommun\w*|stad\w*)"
    for kommun in kommuner:
        name = re.escape(kommun)
        if re.search(rf"\b{name}s?\s+{organ}|\b{organ}\s+i\s+{name}\b", question, re.I):
            return True
    return False


def _introduces_list(sentence: Sentence) -> bool:
    """A short title line directly followed by list items ("Muntliga rapporter" / "- …")."""
    text = sentence.text
    if len(text.split()) > 6 or text.endswith((".", "?", "!")):
        return False
    rest = sentence.chunk["text"][sentence.end - sentence.chunk["start"] :].lstrip("\n")
    return rest.startswith(("- ", "• ", "1. ", "1 "))


def _heading(text: str, chunk: dict[str, Any]) -> bool:
    """A title or section line, not a sentence that can answer anything."""
    rubrik = (chunk.get("rubrik") or "").strip()
    stripped = text.strip().rstrip(":")
    if rubrik and stripped in rubrik:
        return True
    if stripped.startswith("§") or re.search(r"\.{3,}\s*\t?\d+$", stripped):
        return True
    return section_label(stripped) is not None


def _overlaps(a: Sentence, b: Sentence) -> bool:
    return a.chunk["document_id"] == b.chunk["document_id"] and a.start < b.end and b.start < a.end
