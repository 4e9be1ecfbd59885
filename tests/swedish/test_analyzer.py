"""The Swedish analyzer: stems, stopwords, exact tokens and compound splitting."""

from __future__ import annotations

from swedish.analyzer import Analyzer, split_compound, stem


def terms(text: str, compounds: str = "split") -> list[str]:
    return Analyzer(compounds).query_terms(text)


def test_snowball_swedish_stems_and_stopwords():
    out = terms("Socialnämndens reservationer och yttrandet")
    assert "socialnämnd" in out
    assert "reservation" in out
    assert "och" not in out
    assert stem("barnfamiljer") == "barnfamilj"


def test_diarienummer_paragraf_and_law_references_are_exact_tokens():
    out = terms("Se SOCN/2023:98, § 74 och 4 kap. 1 § SoL samt Ds 2023:17")
    assert "dnr:socn/2023:98" in out
    assert "§74" in out
    assert "ref:4kap.1§sol" in out
    assert "ref:ds2023:17" in out
    # "SOCN 2023:98" is the same diarienummer as "SOCN/2023:98".
    assert "dnr:socn/2023:98" in terms("SOCN 2023:98")


def test_compounds_split_into_dictionary_members():
    assert split_compound("barnfamiljer") == ("barn", "familjer")
    assert split_compound("vräkningsförebyggande") == ("vräknings", "förebyggande")
    assert split_compound("hemtjänstinsatser") == ("hemtjänst", "insatser")
    # Dictionary words are no compounds of short pieces, and names are never split.
    assert split_compound("reserverade") == ()
    assert split_compound("beslutade") == ()
    assert split_compound("eskilstuna") == ()


def test_compound_parts_share_the_position_of_their_word():
    tokens = Analyzer("split").tokens("nollvision mot vräkning av barnfamiljer")
    by_position: dict[int, set[str]] = {}
    for token in tokens:
        by_position.setdefault(token.position, set()).add(token.term)
    assert {"barnfamilj", "barn", "familj"} <= by_position[4]
    assert "familj" not in terms("barnfamiljer", compounds="none")


def test_phrase_keeps_gaps_of_removed_stopwords():
    assert Analyzer().phrase("barn och unga") == [(0, "barn"), (2, "ung")]
