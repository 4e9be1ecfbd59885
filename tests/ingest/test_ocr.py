"""Scanned protokoll read by OCR (ingest/ocr.py) on the scan gallery (tests/data/scans/):
character accuracy at 200 dpi, § and meeting date found as on the text, a phrase from a
scanned page found by search, only the scanned pages of a mixed PDF recognized, confidence
recorded and shown, and a clear message where Tesseract is missing."""

from __future__ import annotations

import io
import json
import shutil

import pypdf
import pytest
from fpdf import FPDF
from support import docgen
from support.paths import DATA

from api.cli import main
from bench.ocr import char_accuracy
from index.datadir import DataDir
from ingest import ocr
from ingest.normalize import normalize
from ingest.parse import parse_document
from ingest.pipeline import ingest_paths
from ingest.readers import IngestError, read_file
from search.hybrid import Searcher

SCANS = sorted((DATA / "scans").glob("*.pdf"))

pytestmark = pytest.mark.skipif(
    ocr.missing() is not None, reason=f"{ocr.missing()} (make test installs it)"
)


def _truth(pdf) -> dict:
    return json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def read() -> dict[str, tuple]:
    out = {}
    for pdf in SCANS:
        raw, _ = read_file(pdf)
        out[pdf.stem] = (raw, parse_document(normalize(raw)))
    return out


def test_the_gallery_is_there():
    assert len(SCANS) >= 5
    effects = {e for pdf in SCANS for e in _truth(pdf)["effects"]}
    assert {"skew", "noise", "blur", "stamp", "signature"} <= effects


@pytest.mark.parametrize("pdf", SCANS, ids=lambda p: p.stem)
def test_characters_are_read_at_200_dpi(read, pdf):
    page = ocr.ocr_pages(pdf.read_bytes(), [0], dpi=200)[0]
    assert char_accuracy(page.text, _truth(pdf)["text"]) >= 0.97
    raw, _ = read[pdf.stem]
    assert set(raw.ocr) == {0} and raw.ocr[0] >= 80


@pytest.mark.parametrize("pdf", SCANS, ids=lambda p: p.stem)
def test_structure_survives(read, pdf):
    truth = _truth(pdf)
    _, parsed = read[pdf.stem]
    assert parsed.datum == truth["datum"] and parsed.datum_typ == "sammanträde"
    assert parsed.kommun == truth["kommun"]
    found = [
        (p.paragraf, p.rubrik) for part in parsed.parts for p in part.paragraphs if p.paragraf
    ]
    assert found == [(p["paragraf"], p["rubrik"]) for p in truth["paragrafer"]]
    assert parsed.ocr_pages.keys() == {1}


def test_scans_are_ingested_searched_and_marked(tmp_path, capsys):
    folder = tmp_path / "scans"
    folder.mkdir()
    for pdf in SCANS:
        shutil.copy(pdf, folder / pdf.name)
    data = DataDir(tmp_path / "data")
    summary = ingest_paths(data, [folder], progress=False)
    assert summary.count("ingested") == len(SCANS)
    assert all(r.ocr_pages for r in summary.results)
    hits = Searcher(data).search("avloppsanläggningen", mode="bm25").results
    assert hits and hits[0]["source"].endswith("sala_mbn.pdf")
    data.close()

    assert main(["documents", "--json", "--no-mask", "--data-dir", str(tmp_path / "data")]) == 0
    documents = json.loads(capsys.readouterr().out)["documents"]
    for document in documents:
        (page,) = document["ocr_sidor"]
        assert page["sida"] == 1 and page["osaker"] is False
    assert main(["documents", "--data-dir", str(tmp_path / "data")]) == 0
    assert "maskinläst text (OCR): s. 1" in capsys.readouterr().out
    code = main(
        ["search", "avloppsanläggningen", "--mode", "bm25", "--json", "--data-dir",
         str(tmp_path / "data")]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["maskinlast"] is True


def test_a_mixed_pdf_recognizes_only_its_scanned_page(tmp_path):
    text_page = FPDF()
    text_page.add_page()
    text_page.set_font("helvetica", size=11)
    text_page.multi_cell(
        w=0,
        text="Protokoll Socialnamnden 2023-05-10. " + "Nämnden beslutar enligt förslaget. " * 20,
    )
    scan = docgen.write_image_only_pdf(tmp_path / "scan.pdf")
    writer = pypdf.PdfWriter()
    writer.append(pypdf.PdfReader(io.BytesIO(bytes(text_page.output()))))
    writer.append(pypdf.PdfReader(scan))
    mixed = tmp_path / "blandad.pdf"
    with mixed.open("wb") as out:
        writer.write(out)
    raw, _ = read_file(mixed)
    assert set(raw.ocr) == {1}
    assert "beslutar enligt" in raw.pages[0] and "Föredragningslistan" in raw.pages[1]


def test_a_scan_without_tesseract_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    scan = docgen.write_image_only_pdf(tmp_path / "scan.pdf")
    with pytest.raises(IngestError, match="apt-get install tesseract-ocr tesseract-ocr-swe"):
        read_file(scan)


@pytest.mark.parametrize(
    ("text", "needed"),
    [
        ("", True),
        ("Sida 3 (8)", True),
        ("Kommunstyrelsen beslutar att godkänna förslaget till ny taxa. " * 3, False),
        # an invisible layer of wrong glyphs: plenty of letters, no words
        ("Xq7 zzkw Qrrt pplk xxvb gh3k " * 10, True),
    ],
)
def test_which_pages_need_ocr(text, needed):
    assert ocr.needs_ocr(text) is needed
