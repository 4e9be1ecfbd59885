"""A synthetic corpus for benchmarks: protokoll recombined from the bundled corpus' sentences.

The bundled corpus is parsed with the real parser; its chunk texts are cut into sentences and
pooled by the section they came from (beslut, ärendebeskrivning, yrkanden, ...). Generated
protokoll have a header, § numbers, dnr, a rubrik and sections filled from those pools, for
many kommuner, nämnder and dates; the seed kommun names inside sentences are replaced by the
generated document's kommun. Everything is deterministic for a given seed.

Each placed sentence remembers the corpus chunk it came from, so a generated chunk can get a
synthetic vector derived from real embeddings (see `synthetic_vectors`).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ingest.normalize import normalize
from ingest.parse import Hints, parse_document
from ingest.readers import RawText, read_file
from swedish.kommuner import KOMMUNER
from swedish.model import ParsedDocument
from swedish.sections import section_label

NAMNDER = (
    ("Socialnämnden", "SOCN"),
    ("Kommunstyrelsen", "KS"),
    ("Barn- och utbildningsnämnden", "BUN"),
    ("Vård- och omsorgsnämnden", "VON"),
    ("Miljö- och byggnadsnämnden", "MBN"),
    ("Kultur- och fritidsnämnden", "KFN"),
    ("Tekniska nämnden", "TN"),
    ("Gymnasienämnden", "GYN"),
    ("Arbetsmarknadsnämnden", "AMN"),
    ("Överförmyndarnämnden", "ÖFN"),
    ("Samhällsbyggnadsnämnden", "SBN"),
    ("Individ- och familjeomsorgsnämnden", "IFN"),
)
RECIPIENTS = (
    "Kommunstyrelsen",
    "Akten",
    "Kommunfullmäktige",
    "Förvaltningschef",
    "Ekonomienheten",
    "Revisionen",
    "Länsstyrelsen",
    "Berörd enhet",
    "Kommunledningskontoret",
    "Nämndsekreterare",
    "Ekonomichef",
    "Kvalitetsenheten",
    "Inspektionen för vård och omsorg",
    "Personalavdelningen",
    "Samtliga enhetschefer",
    "Socialstyrelsen",
)
VERBS = ("godkänner", "antar", "fastställer", "lägger till handlingarna", "noterar")
_KIND_OF_SEKTION = {
    "beslut": "beslut",
    "förslag till beslut": "beslut",
    "yrkanden": "yrkanden",
    "propositionsordning": "proposition",
    "reservation": "reservation",
    "särskilt uttalande": "uttalande",
    "protokollsanteckning": "uttalande",
    "ärendebeskrivning": "text",
    "sammanfattning": "text",
    "brödtext": "text",
    "yttrande": "text",
}
_SEED_KOMMUN = re.compile(r"\b(Eskilstuna|Katrineholm|Stockholm)(s?)\b")
_SENTENCE_END = re.compile(r"(?<=[a-zåäö)][.!?])\s+(?=[A-ZÅÄÖ])")
_LIST_MARK = re.compile(r"^(?:\d{1,2}[.)]|[-–•*])\s+")
_PERSON = re.compile(
    r"\b[A-ZÅÄÖÉ][a-zåäöéü]+(?:[- ][A-ZÅÄÖÉ][a-zåäöéü]+){1,2}(?: m\.fl\.)? \([A-Z!]{1,3}\)"
)
_NUMBER = re.compile(r"(?<![\d/:.-])\d{2,4}(?![\d/:-])")


@dataclass(frozen=True)
class Piece:
    text: str
    source: int  # index into SentencePool.sources


@dataclass
class SentencePool:
    """Sentences of the bundled corpus by kind, with the corpus chunk each came from."""

    by_kind: dict[str, list[Piece]]
    rubriks: list[str]
    persons: list[str]  # "Name (PARTY)"
    sources: list[tuple[str, int]]  # (filename, chunk start offset): a corpus chunk
    source_texts: list[str] = field(default_factory=list)

    @classmethod
    def from_corpus(cls, files: list[Path]) -> SentencePool:
        by_kind: dict[str, list[Piece]] = {k: [] for k in set(_KIND_OF_SEKTION.values())}
        rubriks: list[str] = []
        persons: list[str] = []
        sources: list[tuple[str, int]] = []
        texts: list[str] = []
        for path in sorted(files):
            raw, _ = read_file(path)
            parsed = parse_document(normalize(raw))
            for part in parsed.parts:
                for paragraph in part.paragraphs:
                    if paragraph.rubrik and "\t" not in paragraph.rubrik:
                        rubriks.append(paragraph.rubrik)
                    for person in paragraph.persons:
                        if person.party:
                            persons.append(f"{person.name} ({person.party})")
            persons += [f"{p.name} ({p.party})" for p in parsed.header.narvarande if p.party]
            for chunk in parsed.chunks:
                kind = _KIND_OF_SEKTION.get(chunk.sektion)
                source = len(sources)
                sources.append((path.name, chunk.start))
                texts.append(chunk.text)
                if kind is None:
                    continue
                found = sentences(chunk.text)
                if kind == "yrkanden":
                    # "Name (PARTY) yrkar ...": not the long written reservations quoted there
                    found = [s for s in found if _PERSON.search(s) and len(s.split()) <= 30]
                by_kind[kind] += [Piece(s, source) for s in found]
        return cls(
            by_kind={k: v for k, v in by_kind.items() if v},
            rubriks=sorted(set(rubriks)),
            persons=sorted(set(persons)),
            sources=sources,
            source_texts=texts,
        )

    def n_sentences(self) -> int:
        return sum(len(v) for v in self.by_kind.values())


def sentences(text: str) -> list[str]:
    """Sentences of a chunk text, without headings, tables, list marks or tiny fragments."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or "\t" in line or line.startswith("§") or section_label(line):
            continue
        line = _LIST_MARK.sub("", line)
        for sentence in _SENTENCE_END.split(line):
            sentence = sentence.strip()
            # Whole sentences only: a heading or list fragment has no final stop.
            if len(sentence.split()) >= 4 and sentence[-1] in ".!?":
                out.append(sentence)
    return out


@dataclass
class GeneratedDoc:
    name: str
    text: str
    hints: Hints
    placed: list[Piece]  # sentences in document order (text as written)


class Generator:
    """Deterministic protokoll from a sentence pool: `Generator(pool, seed).document(i)`."""

    def __init__(self, pool: SentencePool, seed: int = 0) -> None:
        self.pool = pool
        self.seed = seed

    def document(self, index: int) -> GeneratedDoc:
        rng = random.Random(f"{self.seed}:{index}")
        kommun = rng.choice(KOMMUNER)
        namnd, prefix = rng.choice(NAMNDER)
        day = date(2018, 1, 1) + timedelta(days=rng.randrange(8 * 365))
        datum = day.isoformat()
        first = rng.randrange(1, 150)
        count = rng.randint(6, 18)
        placed: list[Piece] = []
        members = rng.sample(self.pool.persons, min(9, len(self.pool.persons)))
        lines = [
            f"{kommun} kommun",
            "",
            "Protokoll",
            namnd,
            f"Sammanträdesdatum {datum}",
            "",
            f"Plats och tid\tSammanträdesrummet, Stadshuset klockan 13:00-{rng.randint(14, 17)}:30",
            f"Ledamöter\t{', '.join(members)}",
            "",
            f"Utses att justera {members[-1].split(' (')[0]}",
            "",
            f"Justeringens plats och datum Stadshuset {(day + timedelta(days=7)).isoformat()}",
            "",
            f"Paragrafer {first} - {first + count - 1}",
            "",
        ]
        for number in range(first, first + count):
            facts = {
                "namnd": namnd,
                "prefix": prefix,
                "year": day.year,
                "kommun": kommun,
                "members": members,
            }
            lines += self._paragraph(rng, number, facts, placed)
        text = "\n".join(lines) + "\n"
        name = f"syn_{self.seed}_{index:06d}.txt"
        return GeneratedDoc(name, text, Hints(kommun=kommun, namnd=namnd, datum=datum), placed)

    def _paragraph(self, rng: random.Random, number: int, doc: dict, placed) -> list[str]:
        namnd, prefix, year = doc["namnd"], doc["prefix"], doc["year"]
        kommun, members = doc["kommun"], doc["members"]

        def take(kind: str) -> str:
            piece = rng.choice(self.pool.by_kind.get(kind) or self.pool.by_kind["text"])
            text = _localize(piece.text, kommun, year, rng)
            text = _PERSON.sub(lambda _: rng.choice(members), text)
            placed.append(Piece(text, piece.source))
            return text

        rubrik = _localize(rng.choice(self.pool.rubriks), kommun, year, rng)
        lines = [
            f"§ {number}",
            "",
            f"{prefix}/{year}:{rng.randint(1, 400)}",
            "",
            f"## {rubrik}",
            "",
        ]
        satser = [take("beslut") for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.6:
            satser.insert(0, f"{namnd} {rng.choice(VERBS)} {rubrik[0].lower()}{rubrik[1:]}.")
        lines += ["### Beslut", ""]
        lines += [f"{i}. {sats}" for i, sats in enumerate(satser, start=1)]
        lines += ["", "### Ärendebeskrivning", ""]
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 6))):
            lines += [" ".join(take("text") for _ in range(rng.randint(2, 5))), ""]
        if rng.random() < 0.3:
            lines += ["### Yrkanden", "", take("yrkanden"), "", take("yrkanden"), ""]
            if rng.random() < 0.6:
                lines += ["### Propositionsordning", "", take("proposition"), ""]
            if rng.random() < 0.3:
                lines += ["### Reservation", "", take("reservation"), ""]
        if rng.random() < 0.1:
            lines += ["### Protokollsanteckning", "", take("uttalande"), ""]
        recipients = rng.sample(RECIPIENTS, rng.randint(1, 4))
        if rng.random() < 0.5:
            recipients.append(f"{kommun} kommuns revisorer")
        lines += ["Beslutet skickas till:", *recipients, ""]
        return lines


def _localize(text: str, kommun: str, year: int, rng: random.Random) -> str:
    """The generated kommun instead of the seed kommuner, and other numbers (not years)."""
    text = _SEED_KOMMUN.sub(lambda m: kommun + m[2], text)

    def number(match: re.Match[str]) -> str:
        value = int(match[0])
        if 1990 <= value <= 2030:
            return str(year + (value - 2023) if 2015 <= value <= 2030 else value)
        return str(max(1, int(value * rng.uniform(0.5, 1.5))))

    return _NUMBER.sub(number, text)


@dataclass
class ParsedSynthetic:
    doc: GeneratedDoc
    parsed: ParsedDocument
    chunk_sources: list[list[int]]  # per chunk: corpus chunk indexes of its sentences


def parse_generated(doc: GeneratedDoc) -> ParsedDocument:
    """The real parser over generated text (as the text reader would hand it over)."""
    raw = RawText(pages=[doc.text], paged=False, fmt="text")
    return parse_document(normalize(raw), doc.hints)


def chunk_sources(doc: GeneratedDoc, parsed: ParsedDocument) -> list[list[int]]:
    """Which corpus chunks each parsed chunk's sentences came from (found by text)."""
    text = parsed.text
    spans: list[tuple[int, int]] = []  # (start, source)
    cursor = 0
    for piece in doc.placed:
        at = text.find(piece.text, cursor)
        if at >= 0:
            spans.append((at, piece.source))
            cursor = at + len(piece.text)
    out: list[list[int]] = []
    position = 0
    for chunk in parsed.chunks:
        while position < len(spans) and spans[position][0] < chunk.start:
            position += 1
        inside = []
        j = position
        while j < len(spans) and spans[j][0] < chunk.end:
            inside.append(spans[j][1])
            j += 1
        out.append(inside)
    return out


def synthetic_vectors(
    sources: list[list[int]], base: np.ndarray, noise: float, seed: int = 0, block: int = 20_000
) -> np.ndarray:
    """A vector per chunk: the normalized mean of the real vectors of the corpus chunks its
    sentences came from, plus Gaussian noise of norm ~`noise`, normalized again. A chunk
    without known sources mixes two random corpus chunks."""
    rng = np.random.default_rng(seed)
    dim = base.shape[1]
    sources = [s if s else rng.integers(0, len(base), size=2).tolist() for s in sources]
    out = np.empty((len(sources), dim), dtype=np.float32)
    for first in range(0, len(sources), block):
        part = sources[first : first + block]
        sizes = np.fromiter((len(s) for s in part), dtype=np.int64, count=len(part))
        flat = np.fromiter((i for s in part for i in s), dtype=np.int64, count=int(sizes.sum()))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        mixed = np.add.reduceat(base[flat], starts, axis=0)
        mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
        mixed += rng.normal(0.0, noise / np.sqrt(dim), size=mixed.shape).astype(np.float32)
        out[first : first + len(part)] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out


def random_mix_sources(n: int, n_base: int, seed: int = 0) -> list[list[int]]:
    """Provenance for vectors without text (the 1M FAISS run): 1-6 random corpus chunks."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 7, size=n)
    flat = rng.integers(0, n_base, size=int(sizes.sum()))
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    return [flat[bounds[i] : bounds[i + 1]].tolist() for i in range(n)]


def similarity_profile(vectors: np.ndarray, n: int = 426, seed: int = 0) -> dict[str, float]:
    """Cosine structure of `n` sampled vectors: median nearest-neighbour and median pair
    similarity (compare synthetic with real vectors at the same sample size)."""
    rng = np.random.default_rng(seed)
    if len(vectors) > n:
        vectors = vectors[rng.choice(len(vectors), n, replace=False)]
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1.0)
    upper = sims[np.triu_indices(len(vectors), 1)]
    return {
        "n": len(vectors),
        "nn_median": float(np.median(sims.max(axis=1))),
        "pair_median": float(np.median(upper)),
    }
