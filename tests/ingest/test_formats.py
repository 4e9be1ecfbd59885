"""PDF, DOCX and HTML versions of the seeds (written by docgen) parse to the same documents as
their text form: the same § with rubrik and dnr, the same parts, kommun and dates, and no
page furniture in any chunk; PDF chunks know their page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import docgen
from support.seeds import EXPECTED_000, EXPECTED_002, parse_seed, seed_path, structure

from index.datadir import DataDir
from ingest.normalize import normalize
from ingest.parse import parse_document
from ingest.pipeline import ingest_paths
from ingest.readers import RawText, read_file

SEEDS = ["000", "001", "002", "003", "004"]
FORMATS = ["pdf", "docx", "html"]
HEADER = "Protokoll 2023-09-21 Socialnämnden"
FURNITURE = re.compile(
    rf"Justerandes sign|Utdragsbestyrkande|{HEADER}|^\d+ \(\d+\)$|\t\d+ \(\d+\)$", re.M
)


def write(prefix: str, fmt: str, directory: Path) -> Path:
    text = seed_path(prefix).read_text(encoding="utf-8")
    target = directory / f"{prefix}.{fmt}"
    if fmt == "pdf":
        return docgen.write_pdf(text, target, furniture=True, header=HEADER)
    if fmt == "docx":
        return docgen.write_docx(text, target)
    return docgen.write_html(text, target)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[tuple[str, str], Path]:
    directory = tmp_path_factory.mktemp("formats")
    return {(p, f): write(p, f, directory) for p in SEEDS for f in FORMATS}


@pytest.fixture(scope="module")
def store(files, tmp_path_factory):
    """All generated files ingested through the real pipeline into one data directory."""
    data = DataDir(tmp_path_factory.mktemp("formats-data"))
    summary = ingest_paths(data, list(files.values()), progress=False)
    assert summary.count("ingested") == len(files), [r.reason for r in summary.skipped]
    ids = {r.source: r.document_id for r in summary.results}
    yield data, {key: ids[str(path.resolve())] for key, path in files.items()}
    data.close()


def stored_structure(data: DataDir, document_id: int) -> list[tuple[str, str | None, list[str]]]:
    rows = data.store.query(
        """SELECT paragraf, rubrik, dnr FROM paragraphs
           WHERE document_id = ? AND paragraf IS NOT NULL ORDER BY start""",
        [document_id],
    )
    return [(r["paragraf"], r["rubrik"], json.loads(r["dnr"])) for r in rows]


def document_row(data: DataDir, document_id: int):
    return data.store.query("SELECT * FROM documents WHERE id = ?", [document_id])[0]


CASES = [(p, f) for p in SEEDS for f in FORMATS]


@pytest.mark.parametrize(("prefix", "fmt"), CASES)
def test_same_paragraphs_as_text_form(store, prefix, fmt):
    data, ids = store
    assert stored_structure(data, ids[(prefix, fmt)]) == structure(parse_seed(prefix))


def test_expected_tables_hold_for_every_format(store):
    data, ids = store
    for fmt in FORMATS:
        assert stored_structure(data, ids[("000", fmt)]) == EXPECTED_000, fmt
        assert stored_structure(data, ids[("002", fmt)]) == EXPECTED_002, fmt


@pytest.mark.parametrize(("prefix", "fmt"), CASES)
def test_same_metadata_and_parts_as_text_form(store, prefix, fmt):
    data, ids = store
    text_form = parse_seed(prefix)
    row = document_row(data, ids[(prefix, fmt)])
    assert row["format"] == fmt
    assert (row["kommun"], row["namnd"]) == (text_form.kommun, text_form.namnd)
    assert (row["datum"], row["datum_typ"]) == (text_form.datum, text_form.datum_typ)
    parts = data.store.query(
        "SELECT dokumenttyp, title FROM parts WHERE document_id = ? ORDER BY ordinal",
        [ids[(prefix, fmt)]],
    )
    assert [(p["dokumenttyp"], p["title"]) for p in parts] == [
        (p.dokumenttyp, p.title) for p in text_form.parts
    ]


@pytest.mark.parametrize(("prefix", "fmt"), CASES)
def test_no_furniture_in_chunks(store, prefix, fmt):
    data, ids = store
    rows = data.store.query("SELECT text FROM chunks WHERE document_id = ?", [ids[(prefix, fmt)]])
    assert rows
    for row in rows:
        assert not FURNITURE.search(row["text"]), row["text"][:200]


@pytest.mark.parametrize(("prefix", "fmt"), CASES)
def test_chunks_are_slices_inside_their_paragraph(store, prefix, fmt):
    data, ids = store
    document_id = ids[(prefix, fmt)]
    text = document_row(data, document_id)["text"]
    rows = data.store.query(
        """SELECT c.start, c.end, c.text, p.start AS p_start, p.end AS p_end
           FROM chunks c JOIN paragraphs p ON p.id = c.paragraph_id WHERE c.document_id = ?""",
        [document_id],
    )
    for row in rows:
        assert text[row["start"] : row["end"]] == row["text"]
        assert row["p_start"] <= row["start"] < row["end"] <= row["p_end"]


@pytest.mark.parametrize("prefix", SEEDS)
def test_pdf_chunks_carry_page_numbers(store, files, prefix):
    from pypdf import PdfReader

    data, ids = store
    n_pages = len(PdfReader(files[(prefix, "pdf")]).pages)
    pages = [
        r["page"]
        for r in data.store.query(
            "SELECT page FROM chunks WHERE document_id = ? ORDER BY start", [ids[(prefix, "pdf")]]
        )
    ]
    assert pages and all(page is not None and 1 <= page <= n_pages for page in pages)
    assert pages == sorted(pages)
    assert pages[-1] > 1  # the seeds run over several pages


@pytest.mark.parametrize("fmt", ["docx", "html"])
def test_unpaged_formats_have_no_page_numbers(store, fmt):
    data, ids = store
    rows = data.store.query("SELECT page FROM chunks WHERE document_id = ?", [ids[("000", fmt)]])
    pages = {r["page"] for r in rows}
    assert pages == {None}


def test_pdf_page_of_a_known_paragraph(store, files):
    """§ 75 of seed 000 starts on the page whose text holds its heading."""
    from pypdf import PdfReader

    data, ids = store
    row = data.store.query(
        """SELECT c.page FROM chunks c JOIN paragraphs p ON p.id = c.paragraph_id
           WHERE c.document_id = ? AND p.paragraf = '75' ORDER BY c.start LIMIT 1""",
        [ids[("000", "pdf")]],
    )[0]
    reader = PdfReader(files[("000", "pdf")])
    holding = [
        n
        for n, page in enumerate(reader.pages, start=1)
        if "SOCN/2023:82" in (page.extract_text() or "")
    ]
    assert row["page"] == holding[0]


@pytest.mark.parametrize("prefix", ["000", "002"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_protokoll_header_facts_survive(files, prefix, fmt):
    raw, _ = read_file(files[(prefix, fmt)])
    document = parse_document(normalize(raw))
    expected = parse_seed(prefix).header
    assert document.header.ordforande == expected.ordforande
    assert document.header.justerare == expected.justerare
    assert document.header.paragraf_range == expected.paragraf_range
    assert [(p.name, p.party, p.roll) for p in document.header.narvarande] == [
        (p.name, p.party, p.roll) for p in expected.narvarande
    ]


@pytest.mark.parametrize("variant", ["justified", "no-furniture"])
def test_pdf_layout_variants(tmp_path, variant):
    text = seed_path("000").read_text(encoding="utf-8")
    path = docgen.write_pdf(
        text,
        tmp_path / "000.pdf",
        furniture=variant != "no-furniture",
        justify=variant == "justified",
    )
    raw, _ = read_file(path)
    assert structure(parse_document(normalize(raw))) == EXPECTED_000


def test_plain_extraction_fallback(files):
    """Without positions (pypdf's plain text, visual lines), 002 still parses right."""
    from pypdf import PdfReader

    reader = PdfReader(files[("002", "pdf")])
    raw = RawText(
        pages=[page.extract_text() for page in reader.pages],
        paged=True,
        fmt="pdf",
        visual_lines=True,
    )
    assert structure(parse_document(normalize(raw))) == EXPECTED_002


@pytest.mark.parametrize("prefix", ["000", "001", "002"])
def test_pdf_text_matches_text_form_line_for_line(files, prefix):
    """Beyond §: these PDFs normalize to the very lines of the text form. A PDF has no empty
    table cells and prints "•" for "-"; 003 and 004 also differ inside dense tables."""

    def lines(raw: RawText) -> list[str]:
        text = normalize(raw).text
        return [
            re.sub(r"\t+", "\t", re.sub(r"^[-•] ", "", line)).strip("\t")
            for line in text.split("\n")
            if line.strip()
        ]

    pdf, _ = read_file(files[(prefix, "pdf")])
    txt, _ = read_file(seed_path(prefix))
    assert lines(pdf) == lines(txt)
