"""`read_file` on real files written by the tests: encodings, formats, and broken input that
must fail with a reason a user can act on (never a crash, never a silent empty document)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from support import docgen

from ingest.normalize import normalize
from ingest.readers import IngestError, Limits, read_file

SAMPLE = docgen.SAMPLE_TEXT
SWEDISH = "Socialnämnden ställde sig bakom förslaget. Åtgärderna följs upp i höst: ÅÄÖ åäö é."


def reason(path: Path, limits: Limits | None = None) -> str:
    with pytest.raises(IngestError) as caught:
        read_file(path, limits)
    return str(caught.value)


def text_of(path: Path) -> str:
    raw, data = read_file(path)
    assert data == path.read_bytes()
    return "\n".join(raw.pages)


# --- text encodings -------------------------------------------------------------------------


def test_utf8_text(tmp_path):
    path = tmp_path / "protokoll.txt"
    path.write_text(SWEDISH, encoding="utf-8")
    assert text_of(path) == SWEDISH


def test_utf8_with_bom(tmp_path):
    path = tmp_path / "protokoll.txt"
    path.write_bytes(b"\xef\xbb\xbf" + SWEDISH.encode("utf-8"))
    text = text_of(path)
    assert text == SWEDISH
    assert not text.startswith("\ufeff")


def test_utf16_with_bom(tmp_path):
    path = tmp_path / "protokoll.txt"
    path.write_bytes(SWEDISH.encode("utf-16"))  # writes a BOM
    assert text_of(path) == SWEDISH


def test_windows_1252_text(tmp_path):
    path = docgen.write_cp1252_text(SAMPLE, tmp_path / "protokoll.txt")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    text = text_of(path)
    assert "Carina Åkesson (SD)" in text
    assert "Föredragningslistan godkänns." in text
    assert "”Vistelseförbud”" in text  # cp1252 0x94 is a right double quotation mark
    assert "Ã" not in text  # no mojibake


def test_windows_1252_undefined_bytes_are_kept(tmp_path):
    path = tmp_path / "protokoll.txt"
    path.write_bytes("Nämnden beslutar ".encode("cp1252") + b"\x81\x8d")
    assert text_of(path) == "Nämnden beslutar \x81\x8d"


# --- well-formed documents in other formats ---------------------------------------------------


def test_docx_keeps_swedish_letters_and_table_rows(tmp_path):
    path = docgen.write_docx(SAMPLE, tmp_path / "protokoll.docx")
    raw, _ = read_file(path)
    assert (raw.fmt, raw.paged) == ("docx", False)
    text = raw.pages[0]
    assert "Föredragningslistan godkänns." in text
    assert "Ledamöter\tGöran Gredfors (M) ordförande, Anna Wilder (S), Carina Åkesson (SD)" in text


def test_pdf_pages_and_text(tmp_path):
    path = docgen.write_pdf(SAMPLE, tmp_path / "protokoll.pdf")
    raw, _ = read_file(path)
    assert (raw.fmt, raw.paged, raw.visual_lines) == ("pdf", True, False)
    text = "\n".join(raw.pages)
    assert "Protokoll fört vid socialnämndens sammanträde 2023-09-21" in text
    assert "Carina Åkesson (SD)" in text


def test_html_drops_script_and_style(tmp_path):
    path = docgen.write_html(SAMPLE, tmp_path / "protokoll.html")
    page = path.read_text(encoding="utf-8")
    page = page.replace(
        "</head>", "<style>p { color: red; } .hemlig-stil {}</style></head>"
    ).replace(
        "<body>",
        "<body><script>var hemligt = 'skriptets text';</script>"
        "<noscript>Aktivera javascript</noscript>",
    )
    path.write_text(page, encoding="utf-8")
    text = text_of(path)
    assert "Föredragningslistan godkänns." in text
    assert "Göran Gredfors (M) ordförande" in text
    for hidden in ("skriptets text", "var hemligt", "hemlig-stil", "color: red", "Aktivera"):
        assert hidden not in text


def test_html_table_cells_are_tab_separated(tmp_path):
    path = docgen.write_html(SAMPLE, tmp_path / "protokoll.html")
    assert "Ledamöter\tGöran Gredfors (M) ordförande" in text_of(path)


def test_html_source_newlines_are_no_line_breaks(tmp_path):
    path = tmp_path / "protokoll.html"
    path.write_text(
        "<html><body><p>Jan Jönsson (L)<br>\nOrdförande</p>\n"
        "<p>Ett stycke\n   som radbryts\ni källan.</p><pre>rad 1\nrad 2</pre></body></html>",
        encoding="utf-8",
    )
    raw, _ = read_file(path)
    text = normalize(raw).text
    assert "Jan Jönsson (L)\nOrdförande\n" in text  # one line break, no blank line
    assert "Ett stycke som radbryts i källan." in text
    assert "rad 1\nrad 2" in text


# --- broken and refused input ------------------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "tom.txt"
    path.write_bytes(b"")
    assert reason(path) == "empty file"


def test_whitespace_only_file(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text(" \n\n\t\n", encoding="utf-8")
    assert reason(path) == "no text found"


def test_binary_garbage_as_text(tmp_path):
    path = docgen.write_binary_garbage(tmp_path / "skräp.txt")
    assert reason(path) == "binary data, not a text file"


def test_binary_garbage_as_html(tmp_path):
    path = docgen.write_binary_garbage(tmp_path / "skräp.html")
    assert reason(path) == "binary data, not an HTML file"


def test_binary_garbage_as_pdf(tmp_path):
    path = docgen.write_binary_garbage(tmp_path / "skräp.pdf")
    assert reason(path) == "not a PDF (missing %PDF header)"


def test_binary_garbage_with_pdf_magic(tmp_path):
    path = docgen.write_binary_garbage(tmp_path / "skräp.pdf", pdf_magic=True)
    assert reason(path) == "truncated PDF (no end-of-file marker)"
    path.write_bytes(path.read_bytes() + b"\n%%EOF\n")  # looks complete, is not a PDF
    assert reason(path).startswith(("damaged PDF", "unreadable PDF"))


def test_binary_garbage_as_docx(tmp_path):
    path = docgen.write_binary_garbage(tmp_path / "skräp.docx")
    assert reason(path) == "not a DOCX (not a zip archive)"


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.97])
def test_truncated_pdf(tmp_path, fraction):
    path = docgen.write_truncated_pdf(tmp_path / "avklippt.pdf", fraction=fraction)
    assert reason(path) == "truncated PDF (no end-of-file marker)"


@pytest.mark.parametrize("aes256", [True, False], ids=["aes256", "rc4"])
def test_encrypted_pdf_needs_password(tmp_path, aes256):
    path = docgen.write_encrypted_pdf(tmp_path / "låst.pdf", aes256=aes256)
    assert reason(path) == "encrypted PDF (password required)"


@pytest.mark.parametrize("aes256", [True, False], ids=["aes256", "rc4"])
def test_owner_password_only_pdf_is_readable(tmp_path, aes256):
    path = docgen.write_encrypted_pdf(tmp_path / "skyddad.pdf", user_password="", aes256=aes256)
    text = text_of(path)
    assert "Protokoll fört vid socialnämndens sammanträde 2023-09-21" in text
    assert "Föredragningslistan godkänns." in text


def test_image_only_pdf_is_read_by_ocr(tmp_path):
    path = docgen.write_image_only_pdf(tmp_path / "skannad.pdf", pages=2)
    raw, _ = read_file(path)
    assert set(raw.ocr) == {0, 1} and all(c > 80 for c in raw.ocr.values())
    assert "Föredragningslistan godkänns." in raw.pages[0]


def test_zip_bomb_docx_is_refused_without_inflating_it(tmp_path):
    path = docgen.write_zip_bomb_docx(tmp_path / "bomb.docx", uncompressed_mb=256)
    assert path.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        message = reason(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message.startswith("DOCX expands to 268,"), message
    assert "limit 200,000,000" in message
    assert peak < 16 * 2**20  # refused from the zip directory: nothing was inflated


def test_zip_bomb_under_a_lower_limit(tmp_path):
    path = docgen.write_zip_bomb_docx(tmp_path / "bomb.docx", uncompressed_mb=8)
    assert "DOCX expands to" in reason(path, Limits(max_unzipped_bytes=4_000_000))


def test_docx_that_understates_its_size_is_refused(tmp_path):
    path = docgen.write_understated_docx(tmp_path / "ljuger.docx", actual_mb=16, declared=4096)
    tracemalloc.start()
    try:
        message = reason(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message.startswith("damaged DOCX (word/document.xml"), message
    assert peak < 16 * 2**20  # inflated in 1 MiB steps, stopped at the declared size


def test_docx_without_document_part(tmp_path):
    import zipfile

    path = tmp_path / "tom.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert reason(path) == "not a DOCX (no word/document.xml)"


@pytest.mark.parametrize("name", ["protokoll.odt", "protokoll.doc", "protokoll"])
def test_unsupported_suffix(tmp_path, name):
    path = tmp_path / name
    path.write_text("Protokoll", encoding="utf-8")
    message = reason(path)
    assert message.startswith("unsupported file type")
    assert (Path(name).suffix or "(none)") in message


def test_file_too_large(tmp_path):
    path = tmp_path / "stor.txt"
    path.write_text(SWEDISH * 10, encoding="utf-8")
    assert reason(path, Limits(max_bytes=100)).startswith("file too large")


def test_missing_file(tmp_path):
    assert reason(tmp_path / "finns-inte.txt").startswith("cannot read file")
