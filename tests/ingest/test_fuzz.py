"""Fuzzing the readers and the structure parser (hypothesis) with random, binary, truncated and
adversarial inputs.

The property everywhere: reading and parsing a file either gives a document whose parts,
§ and chunks hold the invariants below, or raises `IngestError` with a reason; never another
exception and never a hang. Example counts are small and the adversarial cases are sized so
that the file runs in well under a minute on two busy cores; the batch through the worker
process, with time limits, is in tests/ingest/test_ingest_batch.py.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import docgen
from support.pdf import pdf_pages
from support.seeds import seed_path

from ingest.citations import find_citations
from ingest.normalize import normalize
from ingest.parse import parse_document
from ingest.prepare import prepare
from ingest.readers import IngestError, Limits, RawText, read_file
from swedish.model import ParsedDocument

IN_PROCESS = Limits(max_seconds=None)
# FUZZ_EXAMPLES=2000 runs a longer search than the default quick one.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Pieces of committee text and of the markup and noise around it in real exports.
TOKENS = [
    "Socialnämnden",
    "beslutar",
    "att",
    "godkänna",
    "förslaget.",
    "Kommunstyrelsen",
    "Katrineholms kommun",
    "Åsa Öberg (S)",
    "Anna Wilder (M) yrkar bifall.",
    "reserverar sig",
    "Protokoll",
    "Kallelse",
    "Tjänsteskrivelse",
    "Beslut",
    "Yrkanden",
    "Ärendebeskrivning",
    "Beslutet skickas till:",
    "Dnr SOCN/2023:39",
    "2023-09-21",
    "13 oktober 2022",
    "§",
    "§ 12",
    "§ 7 Fastställande av föredragningslista",
    "§§",
    "**",
    "##",
    "# ",
    "\\_",
    "<b>",
    "</b>",
    "<br>",
    "- ",
    "1. ",
    "Justerandes sign",
    "Utdragsbestyrkande",
    "3 (12)",
    "\t",
    " ",
    "\n",
    "\n\n",
    "\r\n",
    "\f",
    "\x00",
    "\x0b",
    "\u00ad",
    "\u200b",
    "\u2028",
    "ﬁ",
    "é",
]
committee_text = st.lists(
    st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)), max_size=120
).map(" ".join)


def check_document(doc: ParsedDocument) -> None:
    """The invariants of a parsed document (ingest/model.py, ingest/chunking.py)."""
    text = doc.text
    assert isinstance(text, str)
    if doc.page_starts is not None:
        assert doc.page_starts == sorted(doc.page_starts)
        assert all(0 <= s <= len(text) for s in doc.page_starts)
    previous_end = 0
    for part in doc.parts:
        assert previous_end <= part.start <= part.end <= len(text), "parts overlap or escape"
        previous_end = part.end
        paragraph_end = part.start
        for paragraph in part.paragraphs:
            assert paragraph_end <= paragraph.start <= paragraph.end <= part.end
            paragraph_end = paragraph.end
            for section in paragraph.sections:
                assert paragraph.start <= section.start <= section.heading_end <= section.end
                assert section.end <= paragraph.end
            for person in paragraph.persons:
                assert 0 <= person.start <= person.end <= len(text)
    starts = [q.start for p in doc.parts for q in p.paragraphs]
    for chunk in doc.chunks:
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.text.strip()
        paragraph = doc.parts[chunk.part_index].paragraphs[chunk.paragraph_index]
        # A chunk never crosses a § (or part) boundary.
        assert paragraph.start <= chunk.start and chunk.end <= paragraph.end
        assert not any(chunk.start < s < chunk.end for s in starts)
        if doc.page_starts:
            assert chunk.page == doc.page_at(chunk.start)
            assert 1 <= chunk.page <= len(doc.page_starts)
        else:
            assert chunk.page is None


def outcome(path: Path, limits: Limits = IN_PROCESS) -> str:
    """Run `prepare` on a file: "ok" with the invariants checked, or the IngestError reason.
    Any other exception fails the test that calls it."""
    try:
        prepared = prepare(path, None, limits)
    except IngestError as error:
        reason = str(error)
        assert reason.strip(), "an IngestError without a reason"
        return reason
    check_document(prepared.parsed)
    assert prepared.parsed.chunks
    assert len(prepared.bands) == len(prepared.embed_hashes) == len(prepared.parsed.chunks)
    return "ok"


def write(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- random text through normalize and the parser ---------------------------------------------


@FUZZ
@given(text=committee_text, paged=st.booleans(), visual=st.booleans())
def test_parser_holds_its_invariants_on_random_text(text, paged, visual):
    pages = text.split("\f") if paged else [text]
    raw = RawText(pages=pages, paged=paged, fmt="pdf" if visual else "text", visual_lines=visual)
    check_document(parse_document(normalize(raw)))


@FUZZ
@given(text=st.text(max_size=400))
def test_parser_holds_its_invariants_on_arbitrary_unicode(text):
    check_document(parse_document(normalize(RawText(pages=[text], paged=False, fmt="text"))))


# --- random bytes with every supported suffix -------------------------------------------------

SUFFIXES = [".txt", ".md", ".html", ".htm", ".pdf", ".docx"]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


random_bytes = st.one_of(
    st.binary(max_size=2000),
    committee_text.map(lambda t: t.encode("utf-8")),
    committee_text.map(lambda t: t.encode("cp1252", errors="replace")),
    committee_text.map(lambda t: t.encode("utf-16")),
    st.binary(max_size=2000).map(lambda b: b"%PDF-1.4\n" + b + b"\n%%EOF\n"),
    committee_text.map(lambda t: f"<html><body><p>{t}</p></body></html>".encode()),
    st.binary(max_size=500).map(lambda b: _zip({"word/document.xml": b})),
    committee_text.map(
        lambda t: _zip(
            {
                "[Content_Types].xml": docgen._CONTENT_TYPES.encode(),
                "_rels/.rels": docgen._ROOT_RELS.encode(),
                "word/document.xml": (
                    f'<w:document xmlns:w="{docgen._W_NS}"><w:body><w:p><w:r><w:t>'
                    f"{t}</w:t></w:r></w:p></w:body></w:document>"
                ).encode(),
            }
        )
    ),
)


@FUZZ
@given(data=random_bytes, suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_in_every_format_parse_or_are_refused(scratch, data, suffix):
    outcome(write(scratch, f"random{suffix}", data))


# --- truncated and damaged real files ----------------------------------------------------------


@pytest.fixture(scope="module")
def real_files(scratch) -> dict[str, bytes]:
    """A PDF and a DOCX of the start of seed 000 (a few pages: fast to read)."""
    text = seed_path("000").read_text(encoding="utf-8")
    text = text[: text.index("\n\n", 6000)]
    pdf = docgen.write_pdf(text, scratch / "seed.pdf", furniture=True, header="Protokoll")
    docx = docgen.write_docx(text, scratch / "seed.docx")
    files = {".pdf": pdf.read_bytes(), ".docx": docx.read_bytes()}
    for suffix in files:
        assert outcome(write(scratch, f"whole{suffix}", files[suffix])) == "ok"
    return files


@FUZZ
@given(
    suffix=st.sampled_from([".pdf", ".docx"]),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=6),
    keep_tail=st.booleans(),
)
def test_truncated_and_damaged_real_files(scratch, real_files, suffix, cut, flips, keep_tail):
    data = bytearray(real_files[suffix])
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    data = data[: max(1, int(len(data) * cut))]
    if keep_tail and suffix == ".pdf":
        data += b"\n%%EOF\n"  # gets past the end-marker check into pypdf's repair
    outcome(write(scratch, f"damaged{suffix}", bytes(data)))


# --- adversarial inputs ------------------------------------------------------------------------


def test_one_megabyte_single_line(scratch):
    line = ("Socialnämnden beslutar att godkänna förslaget § 12 " * 25_000)[:1_000_000]
    assert outcome(write(scratch, "line.txt", line.encode())) == "ok"


def test_five_megabyte_single_line_is_read_and_normalized(scratch):
    # The whole parse of 5 MB takes ~15 s (linear); under the worker's time limit it is
    # skipped as timed out (tests/ingest/test_ingest_batch.py). Here: the reader and normalizer.
    path = write(scratch, "huge.txt", b"x" * 2_000_000 + b" \xc3\xa5 " * 1_000_000)
    raw, _ = read_file(path, IN_PROCESS)
    normalized = normalize(raw)
    assert len(normalized.text) >= 4_000_000


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("divs.html", "<div>" * 10_000 + "Socialnämnden beslutar" + "</div>" * 10_000),
        ("bold.html", "<b><i>" * 10_000 + "Socialnämnden beslutar" + "</i></b>" * 10_000),
        (
            "tables.html",
            "<table><tr><td>" * 10_000 + "Socialnämnden" + "</td></tr></table>" * 10_000,
        ),
        ("open.html", "<p><span>" * 10_000 + "Socialnämnden beslutar"),
        ("stars.md", "**" * 10_000 + "Socialnämnden beslutar" + "**" * 10_000),
        ("headings.md", "#" * 10_000 + " Socialnämnden beslutar\n" + "> " * 10_000 + "x"),
        ("links.md", "[" * 10_000 + "Socialnämnden" + "](x)" * 10_000),
        ("tags.md", "<b>" * 10_000 + "Socialnämnden beslutar" + "</b>" * 10_000),
    ],
)
def test_deeply_nested_markup(scratch, name, text):
    result = outcome(write(scratch, name, text.encode()))
    assert result == "ok" or result == "no text found", result


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("inline.txt", "§ 1 " * 100_000),
        ("bare.txt", "§" * 100_000),
        # A § per line costs a spaCy pass per § (linear, ~1 ms each): 3000 of them.
        ("lines.txt", "\n".join(f"§ {i} Ärende {i}" for i in range(3_000))),
        ("same.txt", "\n\n".join("§ 5\nSocialnämnden beslutar." for _ in range(3_000))),
    ],
)
def test_many_paragraph_markers(scratch, name, text):
    assert outcome(write(scratch, name, text.encode())) == "ok"


def test_zip_bomb_docx_is_refused_without_expanding(scratch):
    path = docgen.write_zip_bomb_docx(scratch / "bomb.docx", uncompressed_mb=64)
    assert path.stat().st_size < 1_000_000
    reason = outcome(path, Limits(max_unzipped_bytes=16_000_000, max_seconds=None))
    assert "expands to" in reason


def test_pdf_over_the_page_limit_is_refused(scratch):
    path = write(scratch, "pages.pdf", pdf_pages(6_000, None))
    assert outcome(path) == f"too many pages (6000 > {Limits().max_pages})"


def test_pdf_with_thousands_of_pages_is_parsed(scratch):
    text = "Socialnamnden sammantrade den {}. Beslut: forslaget godkanns."
    path = write(scratch, "many.pdf", pdf_pages(2_000, text))
    assert outcome(path) == "ok"
    assert outcome(path, Limits(max_pages=1_000, max_seconds=None)) == (
        "too many pages (2000 > 1000)"
    )


def test_pdf_with_an_empty_text_layer(scratch):
    path = write(scratch, "blank.pdf", pdf_pages(3, None))
    assert outcome(path) == "no text layer (no text and no scanned image on any page)"


def test_fifo_and_devices_are_refused_without_blocking(scratch):
    fifo = scratch / "pipe.txt"
    os.mkfifo(fifo)
    assert outcome(fifo) == "not a regular file"
    for device in ("/dev/zero", "/dev/null", "/dev/urandom"):
        link = scratch / f"{Path(device).name}.pdf"
        link.symlink_to(device)
        # Read without following links (a link passed the folder walk's checks or not).
        assert outcome(link) == "not a regular file (a symbolic link)"
    with tempfile.TemporaryDirectory(dir=scratch, suffix=".txt") as directory:
        assert outcome(Path(directory)) == "not a regular file"


def test_decision_references_among_many_paragraph_markers():
    # Regression: each § searched back to the start of its line for the sentence start, so a
    # long line of § took minutes at the store step (links.store_facts).
    prefix = "§ 1 paragrafmarkör " * 100_000
    text = prefix + "Socialnämnden beslutade den 13 oktober 2022, § 90 om detta."
    (citation,) = find_citations(text, own_dnr=[])
    assert (citation.organ, citation.datum, citation.paragraf) == (
        "Socialnämnden",
        "2022-10-13",
        "90",
    )
    assert citation.start == len(prefix)
