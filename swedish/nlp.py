"""spaCy for Swedish: the shared blank pipeline with a sentencizer, and person mentions.

No trained Swedish pipeline installs offline, so names are found by token patterns: a run
of capitalized words followed by a party tag ("Anna Berg (S)", "Per Ek m.fl. (M)") or by
an action verb ("Lisa Holm yrkar"). Used by ingest (positions in a §) and by answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Capitalized words that start a sentence or name a role, never part of a person's name.
_NOT_NAME = {
    "ordföranden",
    "ordförande",
    "ledamoten",
    "ledamot",
    "ledamöter",
    "ersättaren",
    "ersättare",
    "vice",
    "och",
    "samt",
    "att",
    "även",
    "då",
    "där",
    "nämnden",
    "utses",
    "justerare",
    "sekreterare",
    "beslut",
    "yrkande",
    "yrkanden",
    "reservation",
    "enligt",
    "gruppledare",
    "kommunalrådet",
    "oppositionsrådet",
    "den",
    "det",
    "de",
    "vi",
    "mot",
    "för",
    "till",
    "från",
    "av",
    "med",
    "efter",
    "under",
    "vid",
    "om",
    "i",
    "på",
    "tjänstgörande",
    "övriga",
    "närvarande",
    "beslutande",
    "socialdemokraterna",
    "moderaterna",
    "centerpartiet",
    "liberalerna",
    "vänsterpartiet",
    "miljöpartiet",
    "kristdemokraterna",
    "sverigedemokraterna",
    "förslag",
    "bilaga",
    "skrivelse",
    "motion",
    "interpellation",
    "fråga",
    "ordf",
    "jäv",
    "protokollsanteckning",
    "särskilt",
    "uttalande",
    "propositionsordning",
    "ärendebeskrivning",
    "ärendet",
    "kommunstyrelsen",
    "kommunfullmäktige",
    "socialnämnden",
}
_PARTICLES = {"af", "von", "van", "de", "la", "der", "du", "da"}
_ACTION_VERBS = {"yrkar", "yrkade", "reserverar", "reserverade", "lämnar", "lämnade"}


@dataclass
class PartyMention:
    name: str
    party: str | None
    start: int
    end: int  # end of the name
    tag_end: int  # end of the "(PARTY)" tag, or of the name when there is none
    grupp: bool


@lru_cache(maxsize=1)
def nlp():
    """The shared spaCy pipeline: blank Swedish tokenizer plus a rule-based sentencizer."""
    import spacy

    pipeline = spacy.blank("sv")
    pipeline.add_pipe("sentencizer")
    pipeline.max_length = 100_000_000  # input size is bounded by the reader's limits
    return pipeline


# spaCy's tokenizer strips affixes from a token one at a time and searches the rest anew
# each time: quadratic in the length of a token such as "((((…" (100 KB took minutes).
_LONG_RUN = re.compile(r"\S{200,}")


def tokenizable(text: str) -> str:
    """`text` for spaCy: every run of 200 or more non-space characters (no word, name or
    sentence of its own) becomes as many "x", so offsets stay those of `text`."""
    return _LONG_RUN.sub(lambda m: "x" * len(m[0]), text) if len(text) >= 200 else text


@lru_cache(maxsize=1)
def _matcher():
    from spacy.matcher import Matcher

    name_token = {"IS_TITLE": True, "LOWER": {"NOT_IN": sorted(_NOT_NAME)}}
    inner_token = {
        "LOWER": {"NOT_IN": sorted(_NOT_NAME)},
        "TEXT": {"REGEX": r"^(?:[A-ZÅÄÖÉÜ][\w'’-]*|af|von|van|de|la|der|du|da)$"},
        "OP": "{0,4}",
    }
    party = [
        {"ORTH": "("},
        {"TEXT": {"REGEX": r"^[A-ZÅÄÖ][A-ZÅÄÖa-zåäö]{0,3}$"}},
        {"ORTH": "!", "OP": "?"},
        {"ORTH": ")"},
    ]
    matcher = Matcher(nlp().vocab)
    matcher.add(
        "PARTY_PERSON",
        [[name_token, inner_token, {"LOWER": {"IN": ["m.fl.", "m.fl"]}, "OP": "?"}, *party]],
    )
    matcher.add(
        "ACTING_PERSON",
        [[name_token, {**inner_token, "OP": "{1,3}"}, {"LOWER": {"IN": sorted(_ACTION_VERBS)}}]],
    )
    return matcher


def warm_up() -> None:
    """Load the pipeline and the name patterns now (a parse worker does so before its first
    file, so the first file's time limit does not pay for loading spaCy)."""
    _matcher()


def party_mentions(text: str, base: int = 0, doc=None) -> list[PartyMention]:
    """Person mentions in `text`; with party when written as "Name (PARTY)"."""
    from spacy.util import filter_spans

    if doc is None:
        doc = nlp().make_doc(tokenizable(text))
        source = text
    else:
        source = doc.text  # Doc.text joins every token anew on each access: read it once
    spans = []
    for match_id, start, end in _matcher()(doc):
        span = doc[start:end]
        span.label_ = nlp().vocab.strings[match_id]
        spans.append(span)
    out: list[PartyMention] = []
    for span in filter_spans(spans):
        tokens = list(span)
        party = None
        grupp = False
        if span.label_ == "PARTY_PERSON":
            close = max(i for i, t in enumerate(tokens) if t.text == "(")
            party = "".join(t.text for t in tokens[close + 1 : -1])
            tokens = tokens[:close]
            if tokens and tokens[-1].lower_.startswith("m.fl"):
                grupp = True
                tokens = tokens[:-1]
        else:
            tokens = tokens[:-1]
        if len(tokens) < 2 and not party:
            continue
        if len(tokens) < 2 and party:
            # A single capitalized word before a party tag is rarely a full name.
            continue
        start = tokens[0].idx
        end = tokens[-1].idx + len(tokens[-1].text)
        tag_end = span.end_char if party else end
        name = source[start:end]
        out.append(PartyMention(name, party, base + start, base + end, base + tag_end, grupp))
    return out
