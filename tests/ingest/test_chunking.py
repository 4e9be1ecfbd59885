"""Rules of the chunker (ingest/chunking.py) on small made-up texts: a chunk is an exact
slice of the text, never crosses a section, stays under the word limit, keeps a heading with
the text after it and a table whole, and a trailing signature joins the chunk before."""

from __future__ import annotations

from ingest.chunking import MAX_WORDS, chunk_parts
from swedish.model import Paragraph, Part, Section


def _one_part(text: str, sections: list[tuple[str, int, int]]) -> list[Part]:
    paragraph = Paragraph(
        paragraf="1",
        nummer=1,
        rubrik=None,
        dnr=[],
        start=0,
        end=len(text),
        sections=[Section(name, a, b, a) for name, a, b in sections],
    )
    return [Part("protokoll", None, 0, len(text), paragraphs=[paragraph])]


def _sentence(n: int) -> str:
    return f"Nämnden noterar punkt {n} i ärendet om budgeten för nästa år och dess följder."


def test_chunks_are_exact_slices_inside_their_section():
    first = "Ärendebeskrivning\n" + " ".join(_sentence(i) for i in range(30))
    second = "Beslut\nSocialnämnden beslutar att godkänna rapporten."
    text = first + "\n\n" + second
    start_second = text.index("Beslut\n")
    sections = [("ärendebeskrivning", 0, len(first)), ("beslut", start_second, len(text))]
    chunks = chunk_parts(text, _one_part(text, sections))
    assert chunks, "no chunks"
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert any(a <= chunk.start and chunk.end <= b for _, a, b in sections), chunk
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[-1].sektion == "beslut" and chunks[-1].text.startswith("Beslut\n")


def test_a_long_text_is_cut_at_sentences_under_the_word_limit():
    text = " ".join(_sentence(i) for i in range(60))  # ~ 900 words on one line
    chunks = chunk_parts(text, _one_part(text, [("ärendebeskrivning", 0, len(text))]))
    assert len(chunks) >= 900 // MAX_WORDS
    for chunk in chunks:
        assert len(chunk.text.split()) <= MAX_WORDS
        assert chunk.text.rstrip().endswith("."), chunk.text[-40:]  # whole sentences


def test_a_heading_travels_with_the_text_after_it():
    body = " ".join(_sentence(i) for i in range(9))  # ~ 140 words: no room for both
    text = " ".join(_sentence(i) for i in range(9)) + "\n\nYrkanden\n" + body
    chunks = chunk_parts(text, _one_part(text, [("ärendebeskrivning", 0, len(text))]))
    holding = [c for c in chunks if "Yrkanden" in c.text]
    assert len(holding) == 1 and holding[0].text.startswith("Yrkanden\n")


def test_a_table_stays_one_chunk():
    rows = "\n".join(f"Verksamhet {i}\t{i * 1000} kr\t{i}%" for i in range(40))
    text = "Utfall per verksamhet\n" + rows
    chunks = chunk_parts(text, _one_part(text, [("ärendebeskrivning", 0, len(text))]))
    assert len(chunks) == 1 and chunks[0].text == text


def test_a_trailing_signature_joins_the_chunk_before():
    body = " ".join(_sentence(i) for i in range(12))
    text = body + "\n\nAnna Andersson\nUtredare"
    chunks = chunk_parts(text, _one_part(text, [("ärendebeskrivning", 0, len(text))]))
    assert chunks[-1].text.endswith("Anna Andersson\nUtredare")
    assert not chunks[-1].text.startswith("Anna")
