"""OCR for PDF pages without a usable text layer (scanned protokoll), with Tesseract's
Swedish model.

A page needs OCR when its text layer is missing, too thin for a page of text, or garbage
(an invisible layer of wrong glyphs). Such a page is rendered by pdfium at `DPI`, recognized
by Tesseract (`swe`) through pytesseract, and its words are handed to the PDF layout reader
as positioned runs (one per stretch of a line), so paragraphs, header tables, running
headers and § headings are found exactly as on a born-digital page. Each OCR'd page keeps
Tesseract's mean word confidence; pages under `LOW_OCR_CONFIDENCE` (swedish/model.py) are
reported.

The numbers are measured on the scan gallery in tests/data/scans/ (`namnd bench --only
ocr`; BENCHMARKS.md, OCR).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .pdflayout import PageCollector, Run, text_width

# Rendering resolution. Measured on the scan gallery (pages scanned at 300 dpi; BENCHMARKS.md,
# OCR): 99.39 % of characters right at 200 dpi, 99.26 % at 150 and 99.29 % at 300, with the
# worst page at 97.26 / 97.09 / 97.09 %; 200 dpi takes 19 % less time than 300.
DPI = 200
# A text layer with fewer letters than this is no page of text (a stamp, a page number).
MIN_LETTERS = 80
# Below this share of word-like tokens, a text layer is garbage (wrong glyph mapping).
MIN_WORDLIKE = 0.5
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-swe; pip install 'namndsok[ocr]'"

# Tesseract reads the § glyph as "$", "8", "S", "&" or "$&": "$ 75", "& 131", "870" for
# "§ 70", "31 $& plan- och bygglagen". A dollar sign is no Swedish usage; at the start of a
# line before a number any of these is the §; and a line that is only "8" + 2-4 digits is a
# § heading in a protokoll far more often than a number standing alone.
_SIGN_AT_START = re.compile(r"^(?:[$8S§&]|\$&|&\$)$")
_SIGN_ALONE = re.compile(r"^(?:\$&?|&\$)$")
_SIGN_JOINED = re.compile(r"^[$8§](\d{2,4}[.:]?)$")
_DOLLAR_NUMBER = re.compile(r"(?<![\w$])\$\s?(?=\d)")

_WORDLIKE = re.compile(r"^[A-Za-zÅÄÖåäöÉéÜü]+[-–]?[A-Za-zÅÄÖåäöÉéÜü]*[.,:;!?)]*$")
_VOWEL = re.compile(r"[aeiouyåäöéü]", re.IGNORECASE)


@dataclass
class OcrPage:
    collector: PageCollector  # the page's words as positioned runs
    text: str  # plain text, line by line (the fallback when layout fails)
    confidence: float  # mean word confidence, 0-100
    words: int


def needs_ocr(text: str) -> bool:
    """Whether a page's extracted text is no usable text layer."""
    letters = sum(c.isalpha() for c in text)
    if letters < MIN_LETTERS:
        return True
    tokens = [t for t in text.split() if any(c.isalpha() for c in t)]
    wordlike = sum(1 for t in tokens if _WORDLIKE.match(t) and _VOWEL.search(t))
    return wordlike < MIN_WORDLIKE * len(tokens)


def missing() -> str | None:
    """Why OCR cannot run here (None when it can)."""
    try:
        import pypdfium2  # noqa: F401
        import pytesseract
    except ImportError:
        return f"OCR needs pytesseract and pypdfium2 ({INSTALL_HINT})"
    if shutil.which("tesseract") is None:
        return f"OCR needs Tesseract ({INSTALL_HINT})"
    try:
        languages = pytesseract.get_languages()
    except pytesseract.TesseractError:
        return f"Tesseract does not run ({INSTALL_HINT})"
    if "swe" not in languages:
        return f"Tesseract lacks its Swedish model ({INSTALL_HINT})"
    return None


def ocr_pages(data: bytes, indexes: list[int], dpi: int = DPI) -> dict[int, OcrPage]:
    """Recognize those of the pages `indexes` (0-based) of the PDF `data` that hold an
    image (a page with neither text nor image is blank: nothing to read). Pages are rendered
    one by one (pdfium is not thread-safe) and recognized by one Tesseract process per core
    at a time, each on one thread: a single Tesseract kept 0.87 cores busy here."""
    import pypdfium2
    import pypdfium2.raw as pdfium

    # One thread per Tesseract process (it inherits this environment): the pool fills the
    # cores, and Tesseract's own OpenMP threads spun in the kernel (32 of 50 CPU seconds).
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    document = pypdfium2.PdfDocument(data)
    pool = ThreadPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, len(indexes))))
    try:
        pending = {}
        for index in indexes:
            page = document[index]
            if not any(page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_IMAGE], max_depth=2)):
                page.close()
                continue
            height = page.get_height()
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            page.close()
            pending[index] = pool.submit(recognize, image, height, dpi)
        return {index: future.result() for index, future in pending.items()}
    finally:
        pool.shutdown(cancel_futures=True)
        document.close()


def recognize(image, page_height: float, dpi: int) -> OcrPage:
    """Tesseract's words of one page image as runs in PDF points (origin bottom left)."""
    import pytesseract

    data = pytesseract.image_to_data(
        image, lang="swe", config="--psm 3", output_type=pytesseract.Output.DICT
    )
    lines: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if word.strip() and float(data["conf"][i]) >= 0:
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines.setdefault(key, []).append(i)
    scale = 72 / dpi
    collector = PageCollector()
    plain: list[str] = []
    confidences: list[float] = []
    for key in sorted(lines, key=lambda k: (data["top"][lines[k][0]], data["left"][lines[k][0]])):
        words = sorted(lines[key], key=lambda i: data["left"][i])
        _restore_section_sign(data["text"], words)
        plain.append(" ".join(data["text"][i] for i in words))
        confidences.extend(float(data["conf"][i]) for i in words)
        bottom = max(data["top"][i] + data["height"][i] for i in words)
        height = max(data["height"][i] for i in words)
        for stretch in _stretches(data, words, height):
            text = " ".join(data["text"][i] for i in stretch)
            left = data["left"][stretch[0]]
            right = data["left"][stretch[-1]] + data["width"][stretch[-1]]
            width = (right - left) * scale
            # The size at which the layout reader's width estimate matches the ink's width.
            size = max(width / max(text_width(text, 1.0), 1e-6), 1.0)
            y = page_height - bottom * scale
            collector.runs.append(Run(left * scale, y, size, False, text, len(collector.runs)))
    confidence = sum(confidences) / len(confidences) if confidences else 0.0
    return OcrPage(collector, "\n".join(plain), confidence, len(confidences))


def _restore_section_sign(texts: list[str], words: list[int]) -> None:
    """Put back a § that Tesseract misread at the start of a line, and "$ 75" anywhere."""
    first = texts[words[0]]
    if len(words) >= 2 and _SIGN_AT_START.match(first) and texts[words[1]][:1].isdigit():
        texts[words[0]] = "§"
    elif len(words) == 1 and (joined := _SIGN_JOINED.match(first)):
        texts[words[0]] = f"§ {joined[1]}"
    for i in words:
        texts[i] = "§" if _SIGN_ALONE.match(texts[i]) else _DOLLAR_NUMBER.sub("§ ", texts[i])


def _stretches(data: dict, words: list[int], height: int) -> list[list[int]]:
    """A line's words split where a gap is wider than two line heights (table columns)."""
    out = [[words[0]]]
    for previous, word in itertools.pairwise(words):
        gap = data["left"][word] - (data["left"][previous] + data["width"][previous])
        if gap > 2 * height:
            out.append([word])
        else:
            out[-1].append(word)
    return out
