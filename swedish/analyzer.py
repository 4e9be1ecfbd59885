"""The Swedish analyzer shared by indexing, querying and snippet highlighting.

Lowercase, Swedish stopwords, Snowball Swedish stems (PyStemmer), plus exact tokens for the
closed forms people search verbatim: diarienummer (`SOCN/2023:98`), `§ 74`, law and remiss
references (`4 kap. 1 § SoL`, `Ds 2023:17`). Compound words are split against the hunspell-sv
word list into extra tokens at the same position, so `barnfamiljer` also matches `familj`
(the choice of compound handling was measured: see BENCHMARKS.md).

Accent-free queries: a term with å, ä, ö (or é, ü, …) is also indexed folded to plain
letters at the same position (`vräkning` and `vrakning`), so `vrakning` finds vräkning. A
query word written with its accents asks only for the exact term (`får` does not match
`far`); a query word without them matches both spellings.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import Stemmer

from swedish.patterns import find_dnr, find_references

# Snowball's Swedish stopword list.
STOPWORDS = frozenset(
    """och det att i en jag hon som han på den med var sig för så till är men ett om hade
    de av icke mig du henne då sin nu har inte hans honom skulle hennes där min man ej
    vid kunde något från ut när efter upp vi dem vara vad över än dig kan sina här ha
    mot alla under någon eller allt mycket sedan ju denna själv detta åt utan varit hur
    ingen mitt ni bli blev oss din dessa några deras blir mina samma vilken er sådan vår
    blivit dess inom mellan sådant varför varje vilka ditt vem vilket sitta sådana vart
    dina vars vårt våra ert era vilkas""".split()
)
_WORD = re.compile(r"\w+(?:[-–]\w+)*", re.UNICODE)
_SECTION_REF = re.compile(r"§\s*(\d{1,4})(?!\s*[-–]?\s*\d*\s*(?:kap|st\b))")


# Bumped when the terms a text gets change; a data directory indexed with another version
# rebuilds its BM25 index (DataDir.bm25). 2: folded accent-free terms.
ANALYZER_VERSION = "2"

# Prefixes of the exact terms `exact_terms` makes.
_EXACT_PREFIXES = ("dnr:", "ref:", "§")


@dataclass(frozen=True)
class Token:
    term: str
    position: int
    start: int
    end: int


@dataclass(frozen=True)
class QueryWord:
    """A query word: it matches a text holding one of `whole` (its stem) or all of its
    compound members (`parts`)."""

    whole: tuple[str, ...]
    parts: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.whole, *self.parts)))


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("swedish")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def exact_terms(text: str) -> list[tuple[int, int, str]]:
    """Exact tokens with their spans: dnr, law/remiss references and `§ N`."""
    out: list[tuple[int, int, str]] = []
    for start, end, dnr in find_dnr(text):
        out.append((start, end, "dnr:" + dnr.lower().replace(" ", "")))
    for start, end, reference in find_references(text):
        out.append((start, end, "ref:" + reference.lower().replace(" ", "")))
    for match in _SECTION_REF.finditer(text):
        out.append((match.start(), match.end(), f"§{match[1]}"))
    return out


class Analyzer:
    """Swedish text to index terms; `compounds` selects how compound words are handled."""

    def __init__(self, compounds: str = "split") -> None:
        if compounds not in ("none", "split", "ngram"):
            raise ValueError(f"unknown compound handling {compounds!r}")
        self.compounds = compounds

    def tokens(self, text: str) -> list[Token]:
        """Index tokens with positions; compound parts share the position of their word.

        A stopword keeps its position slot, so phrase queries can ask for the exact gap.
        """
        lowered = text.lower()
        out: list[Token] = []
        word_positions: list[tuple[int, int]] = []
        for position, match in enumerate(_WORD.finditer(lowered)):
            word = match[0]
            word_positions.append((match.start(), position))
            start, end = match.start(), match.end()
            for term in self.word_terms(word):
                out.append(Token(term, position, start, end))
        for start, end, term in exact_terms(text):
            position = _position_at(word_positions, start)
            out.append(Token(term, position, start, end))
        out.sort(key=lambda t: (t.position, t.start))
        return out

    def spans(self, text: str, terms: set[str]) -> list[tuple[int, int]]:
        """Spans (unsorted, may repeat) of the words and exact forms in `text` that have one
        of `terms`: what `tokens` would match, without building every token (snippets)."""
        out = [
            match.span()
            for match in _WORD.finditer(text.lower())
            if not terms.isdisjoint(self.word_terms(match[0]))
        ]
        if any(term.startswith(_EXACT_PREFIXES) for term in terms):
            out += [(start, end) for start, end, term in exact_terms(text) if term in terms]
        return out

    def word_terms(self, word: str) -> tuple[str, ...]:
        """The terms of one lowercased word: its stem and its compound parts' (none for a
        stopword)."""
        return _word_terms(self.compounds, word)

    def query_terms(self, text: str) -> list[str]:
        """Distinct terms of a query, in order; a word written with accents asks for its
        exact terms only, not their folded twins."""
        terms: list[str] = []
        for match in _WORD.finditer(text.lower()):
            terms += _own_terms(self.compounds, match[0])
        terms += [term for _, _, term in exact_terms(text)]
        return list(dict.fromkeys(terms))

    def query_words(self, text: str) -> list[QueryWord]:
        """The query's content words in order, without repeats: each with the terms that
        match it whole and its compound members' terms. A dnr, reference or `§ N` is one
        word (its exact term), and the plain words inside it are not counted again."""
        exact = exact_terms(text)
        words: list[QueryWord] = []
        for match in _WORD.finditer(text.lower()):
            word = match[0]
            if word in STOPWORDS or any(a <= match.start() < b for a, b, _ in exact):
                continue
            # A query word without accents finds the accent-free twins the index holds; one
            # with accents asks for its own spelling.
            words.append(QueryWord((stem(word),), _own_terms(self.compounds, word)[1:]))
        words += [QueryWord((term,)) for _, _, term in exact]
        return list(dict.fromkeys(words))

    def phrase(self, text: str) -> list[tuple[int, str]]:
        """A quoted phrase as (relative position, stem) pairs for a phrase query."""
        words = [
            (position, match[0]) for position, match in enumerate(_WORD.finditer(text.lower()))
        ]
        kept = [(p, stem(w)) for p, w in words if w not in STOPWORDS]
        if not kept:
            return []
        first = kept[0][0]
        return [(p - first, term) for p, term in kept]



@lru_cache(maxsize=500_000)
def _word_terms(compounds: str, word: str) -> tuple[str, ...]:
    """Cached per word (running text repeats its words): see `Analyzer.word_terms`. Terms
    with accents are followed by their folded twins."""
    if word in STOPWORDS:
        return ()
    if compounds == "split":
        terms: tuple[str, ...] = (stem(word), *(stem(part) for part in split_compound(word)))
    elif compounds == "ngram" and len(word) >= 8:
        terms = (stem(word), *(f"#{word[i : i + 4]}" for i in range(len(word) - 3)))
    else:
        terms = (stem(word),)
    return tuple(dict.fromkeys((*terms, *(fold(t) for t in terms))))


@lru_cache(maxsize=200_000)
def fold(term: str) -> str:
    """A term without diacritics: vräkning -> vrakning, försörjningsstöd -> forsorjningsstod."""
    if term.isascii():
        return term
    decomposed = unicodedata.normalize("NFD", term)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _own_terms(compounds: str, word: str) -> tuple[str, ...]:
    """A query word's terms: with accents, without the folded twins of its terms."""
    terms = _word_terms(compounds, word)
    if word == fold(word):
        return terms
    twins = {fold(t) for t in terms if fold(t) != t}
    return tuple(t for t in terms if t not in twins)


def _position_at(word_positions: list[tuple[int, int]], offset: int) -> int:
    position = 0
    for start, word_position in word_positions:
        if start > offset:
            break
        position = word_position
    return position


# --- compound splitting ------------------------------------------------------------------

MIN_PART = 3
MIN_COMPOUND = 8


def hunspell_dic_path() -> Path | None:
    """The sv_SE.dic installed by the `hunspell-sv` package (under sys.prefix/share)."""
    for base in (Path(sys.prefix), Path(sys.base_prefix), Path("/usr")):
        candidate = base / "share" / "hunspell" / "sv_SE.dic"
        if candidate.exists():
            return candidate
    return None


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(common words, proper names) of the Swedish hunspell word list, lowercased; empty
    when the list is not installed."""
    path = hunspell_dic_path()
    if path is None:
        return frozenset(), frozenset()
    words: set[str] = set()
    names: set[str] = set()
    with path.open(encoding="utf-8", errors="ignore") as handle:
        next(handle, None)  # the first line holds the entry count
        for line in handle:
            word = line.split("/", 1)[0].strip()
            if len(word) >= 2 and word.isalpha():
                (names if word[0].isupper() else words).add(word.lower())
    return frozenset(words), frozenset(names - words)


# Inflection endings a final compound member may carry (familj-er, placering-ar, nämnd-en).
_ENDINGS = (
    "",
    "n",
    "en",
    "et",
    "er",
    "ar",
    "or",
    "na",
    "erna",
    "arna",
    "orna",
    "ens",
    "ets",
    "s",
    "e",
    "a",
    "t",
    "ns",
    "ts",
    "ernas",
    "arnas",
    "ornas",
    "ande",
    "ende",
    "ade",
    "at",
    "it",
)


def _final_ok(tail: str, words: frozenset[str]) -> bool:
    if len(tail) < MIN_PART:
        return False
    return any(
        tail.endswith(ending) and tail[: len(tail) - len(ending)] in words
        for ending in _ENDINGS
        if len(tail) - len(ending) >= MIN_PART
    )


def _head_ok(head: str, words: frozenset[str]) -> bool:
    """A non-final compound member: a word, a word with a linking s/e, or one without its
    final vowel (skol- for skola, sjuksköterske- for sjuksköterska)."""
    if len(head) < MIN_PART:
        return False
    if head in words:
        return True
    if head[-1] in "se" and len(head) > MIN_PART and head[:-1] in words:
        return True
    if head[-1] == "e" and head[:-1] + "a" in words:
        return True
    return head + "a" in words or head + "e" in words


@lru_cache(maxsize=500_000)
def split_compound(word: str) -> tuple[str, ...]:
    """The members of a Swedish compound, e.g. barnfamiljer -> (barn, familjer); () if the
    word is no compound. Splits are found by dynamic programming against hunspell-sv."""
    words, names = _lexicon()
    if len(word) < MIN_COMPOUND or not words or not word.isalpha() or word in names:
        return ()
    known = _final_ok(word, words)
    if known and len(word) < 10:
        return ()  # a short word the dictionary knows (yttrandet) is no compound
    best: tuple[str, ...] = ()
    for cut in range(MIN_PART, len(word) - MIN_PART + 1):
        head, tail = word[:cut], word[cut:]
        if not _head_ok(head, words):
            continue
        if _final_ok(tail, words):
            candidate: tuple[str, ...] = (head, tail)
        else:
            rest = split_compound(tail)
            if not rest:
                continue
            candidate = (head, *rest)
        # Fewest members wins; among equals, the longest first member
        # (utrednings|enheterna rather than utredning|senheterna).
        if not best or (len(candidate), -len(candidate[0])) < (len(best), -len(best[0])):
            best = candidate
    if known and not (
        len(best) == 2 and best[0] in words and len(best[0]) >= 4 and len(best[1]) >= 5
    ):
        # A dictionary word splits only into two plain words: barn|familjer and
        # social|nämnden, but not reserve|rade or skrift|liga.
        return ()
    return best
