"""Read a file into raw text pages, or fail with a reason a user can act on.

Every reader returns `RawText`: a list of page texts (one page for unpaged formats), whether
page numbers are meaningful, and whether the lines are still visual lines that need joining
into paragraphs. Every failure is an `IngestError` carrying a short,
human-readable reason; nothing else escapes from `read_file`.
"""

from __future__ import annotations

import codecs
import errno
import html
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES = {".txt", ".md", ".pdf", ".docx", ".html", ".htm"}


class IngestError(Exception):
    """A file cannot be ingested; `str(error)` is the reason shown to the user."""


def _default_memory() -> int:
    """An eighth of this machine's physical memory, between 256 MiB and 2 GiB: a batch runs
    beside other work (search, a second ingest), and 2 GiB holds the parse of every real
    document measured (BENCHMARKS.md, Ingest memory)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 1 << 30
    return max(256 << 20, min(2 << 30, total // 8))


DEFAULT_MEMORY = _default_memory()

# Memory the parse takes per unit of input, measured as the parse worker's RSS growth on
# adversarial inputs (search/bench/adversarial.py and BENCHMARKS.md, Ingest of adversarial
# files): normalizing and parsing text, 60 bytes per character of prose (4.75 MB: +280 MB)
# and 750 per line ("x" lines: 200,000 lines, +150 MB); the HTML DOM, 370 bytes per tag
# (10^6 `<p>x</p>`: +363 MB); python-docx's XML tree, 260 bytes per tag (500,000 empty
# paragraphs: +127 MB). A file whose estimate is over the budget is refused before that step.
PARSE_BYTES_PER_CHAR = 60
PARSE_BYTES_PER_LINE = 750
HTML_BYTES_PER_TAG = 370
DOCX_BYTES_PER_TAG = 260


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 100_000_000
    # Bytes of memory the parse of one file may take in the parse worker (above its RSS before
    # the file): a file that would need more is refused before parsing (by its size) or
    # stopped when it gets there (ingest/worker.py).
    max_memory: int = DEFAULT_MEMORY
    max_pages: int = 5_000
    max_unzipped_bytes: int = 200_000_000
    # Seconds to read and parse one file (in a worker process, ingest/worker.py); None
    # parses in process without a limit.
    max_seconds: float | None = 300.0


@dataclass
class RawText:
    pages: list[str]
    paged: bool
    fmt: str
    # True when each line is a visual line of a page (plain PDF extraction), so paragraphs
    # must be rebuilt from line widths; False when a line is a paragraph, list item or row.
    visual_lines: bool = False
    # Per page: the text of the line whose paragraph continues on the next page, if known.
    runs_on: list[str | None] | None = None
    # Pages read by OCR (0-based index -> Tesseract's mean word confidence, 0-100).
    ocr: dict[int, float] | None = None


def read_file(path: Path, limits: Limits | None = None) -> tuple[RawText, bytes]:
    """Read `path`; returns the text and the raw bytes (for hashing)."""
    limits = limits or Limits()
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"unsupported file type {suffix or '(none)'}")
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            raise IngestError("empty file")
        if size > limits.max_bytes:
            raise IngestError(f"file too large ({size:,} bytes > limit {limits.max_bytes:,})")
        data = handle.read()
    reader = {
        ".txt": _read_text,
        ".md": _read_text,
        ".pdf": _read_pdf,
        ".docx": _read_docx,
        ".html": _read_html,
        ".htm": _read_html,
    }[suffix]
    try:
        raw = reader(data, limits)
    except IngestError:
        raise
    except Exception as error:  # a reader library failing on malformed input
        raise IngestError(f"unreadable {suffix[1:].upper()}: {type(error).__name__}") from None
    if not any(page.strip() for page in raw.pages):
        raise IngestError("no text found")
    chars = sum(len(page) for page in raw.pages)
    lines = sum(page.count("\n") for page in raw.pages)
    _within_budget(
        chars * PARSE_BYTES_PER_CHAR + lines * PARSE_BYTES_PER_LINE,
        f"{chars:,} characters of text",
        limits,
    )
    return raw, data


def _within_budget(need: int, what: str, limits: Limits) -> None:
    """Refuse a file whose next step would need more than the memory budget."""
    if need > limits.max_memory:
        raise IngestError(
            f"too large to parse within the memory budget: {what} need about "
            f"{need >> 20:,} MB (budget {limits.max_memory >> 20:,} MB)"
        )


def open_regular(path: Path) -> io.BufferedReader:
    """`path` opened for reading if it is a regular file itself: not through a symbolic link
    (one swapped in after the folder walk checked it), and never a FIFO or device, whose
    read would block or never end (opened without blocking, then refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise IngestError("not a regular file (a symbolic link)") from None
        raise IngestError(f"cannot read file: {error.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise IngestError("not a regular file")
    return os.fdopen(fd, "rb")


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# A UTF-8 sequence of two or more bytes: a file holding one is (at least partly) UTF-8.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def decode_text(data: bytes) -> str:
    """Decode text of unknown encoding: UTF-32 or UTF-16 by their BOM or, without one, by
    where their zero bytes fall; UTF-8 (with or without BOM); a file that mixes UTF-8 and
    Windows-1252 (a protokoll pasted together from two systems) segment by segment, each
    byte that is no UTF-8 read as Windows-1252; else Windows-1252 throughout."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    wide = _wide_encoding(data)
    if wide is not None:
        return data.decode(wide, errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(data):
        return data.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="cp1252-segment")
    return data.decode("cp1252", errors="latin1-fallback")


def _wide_encoding(data: bytes) -> str | None:
    """UTF-32 or UTF-16 (LE or BE) without a BOM, told by the zero bytes of text in the
    Latin range: in 9 of 10 code units of the first 4 KB the high bytes are zero and the low
    ones are not; None for anything else."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    for size, encoding, high, low in (
        (4, "utf-32-le", (1, 2, 3), 0),
        (4, "utf-32-be", (0, 1, 2), 3),
        (2, "utf-16-le", (1,), 0),
        (2, "utf-16-be", (0,), 1),
    ):
        units = [sample[i : i + size] for i in range(0, len(sample) - size + 1, size)]
        latin = sum(1 for u in units if u[low] and not any(u[h] for h in high))
        if len(data) % size == 0 and latin >= 0.9 * len(units):
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return encoding
    return None


def _latin1_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """The five bytes Windows-1252 leaves undefined decode as Latin-1, so nothing is lost."""
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("latin-1"), error.end


def _cp1252_segment(error: UnicodeDecodeError) -> tuple[str, int]:
    """A byte that is no UTF-8 in a mixed file: Windows-1252 (Latin-1 where it is undefined)."""
    bad = bytes(error.object[error.start : error.end])
    return bad.decode("cp1252", errors="latin1-fallback"), error.end


codecs.register_error("latin1-fallback", _latin1_fallback)
codecs.register_error("cp1252-segment", _cp1252_segment)


def _looks_binary(data: bytes) -> bool:
    if data.startswith(tuple(bom for bom, _ in _BOMS)) or _wide_encoding(data) is not None:
        return False  # UTF-16 and UTF-32 are full of zero bytes
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(sample) * 0.05


def _read_text(data: bytes, limits: Limits) -> RawText:
    if _looks_binary(data):
        raise IngestError("binary data, not a text file")
    text = decode_text(data)
    pages = text.split("\f")
    return RawText(pages=pages, paged=len(pages) > 1, fmt="text")


def _read_pdf(data: bytes, limits: Limits) -> RawText:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    from .pdflayout import PageCollector, layout_pages

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise IngestError("not a PDF (missing %PDF header)")
    if b"%%EOF" not in data[-2048:]:
        raise IngestError("truncated PDF (no end-of-file marker)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("encrypted PDF (password required)")
        if len(reader.pages) > limits.max_pages:
            raise IngestError(f"too many pages ({len(reader.pages)} > {limits.max_pages})")
        collectors = []
        plain = []
        for page in reader.pages:
            collector = PageCollector()
            plain.append(page.extract_text(visitor_text=collector) or "")
            collectors.append(collector)
    except FileNotDecryptedError:
        raise IngestError("encrypted PDF (password required)") from None
    except PdfReadError as error:
        raise IngestError(f"damaged PDF: {error}") from None
    ocr = _recognize(data, plain, collectors)
    if sum(len(p.strip()) for p in plain) < 20:
        if ocr:
            raise IngestError("scanned PDF: OCR found no text")
        raise IngestError("no text layer (no text and no scanned image on any page)")
    pages, runs_on = layout_pages(collectors)
    if _chars(pages) < 0.9 * _chars(plain):
        # Text the layout pass could not place (rotated, odd encodings): keep pypdf's lines.
        return RawText(pages=plain, paged=True, fmt="pdf", visual_lines=True, ocr=ocr)
    return RawText(pages=pages, paged=True, fmt="pdf", runs_on=runs_on, ocr=ocr)


def _recognize(data: bytes, plain: list[str], collectors: list) -> dict[int, float] | None:
    """OCR the pages whose text layer is unusable, in place; their confidences. A scan
    without the OCR packages is refused with what to install; a mixed PDF is read without
    its scanned pages then (they stay empty)."""
    from .ocr import missing, needs_ocr, ocr_pages

    scanned = [i for i, text in enumerate(plain) if needs_ocr(text)]
    if not scanned:
        return None
    reason = missing()
    if reason:
        if len(scanned) == len(plain):
            raise IngestError(f"scanned PDF without a text layer: {reason}")
        return None
    recognized = ocr_pages(data, scanned)
    if not recognized:
        return None  # blank pages: no image to read
    for index, page in recognized.items():
        plain[index] = page.text
        collectors[index] = page.collector
    return {index: round(page.confidence, 1) for index, page in recognized.items()}


def _chars(pages: list[str]) -> int:
    return sum(len(re.sub(r"\s", "", page)) for page in pages)


def _read_docx(data: bytes, limits: Limits) -> RawText:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise IngestError("not a DOCX (not a zip archive)") from None
    unzipped = sum(info.file_size for info in archive.infolist())
    if unzipped > limits.max_unzipped_bytes:
        raise IngestError(
            f"DOCX expands to {unzipped:,} bytes (limit {limits.max_unzipped_bytes:,})"
        )
    if "word/document.xml" not in archive.namelist():
        raise IngestError("not a DOCX (no word/document.xml)")
    tags = _check_inflated(archive, limits.max_unzipped_bytes)
    _within_budget(tags * DOCX_BYTES_PER_TAG, f"{tags:,} XML tags in word/document.xml", limits)
    document = docx.Document(io.BytesIO(_literal_entities(archive, data)))
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
            lines.append("")
        elif isinstance(block, Table):
            for row in block.rows:
                lines.append("\t".join(cell.text.replace("\n", " ") for cell in row.cells))
            lines.append("")
    return RawText(pages=["\n".join(lines)], paged=False, fmt="docx")


def _check_inflated(archive: zipfile.ZipFile, limit: int) -> int:
    """Inflate every member in 1 MiB steps and count, so a zip whose headers understate its
    sizes is refused before a library inflates a member in one go. zipfile stops a member at
    its declared size and then fails the CRC check, so nothing inflates much past the limit.
    Returns the number of tags ("<") in word/document.xml: the size of the tree to be built.
    """
    total = tags = 0
    for info in archive.infolist():
        counted = info.filename == "word/document.xml"
        try:
            with archive.open(info) as member:
                while chunk := member.read(1 << 20):
                    if counted:
                        tags += chunk.count(b"<")
                    total += len(chunk)
                    if total > limit:
                        raise IngestError(f"DOCX expands to more than {limit:,} bytes")
        except IngestError:
            raise
        except Exception as error:  # CRC mismatch, bad deflate data, encrypted member ...
            raise IngestError(f"damaged DOCX ({info.filename}: {error})") from None
    return tags


# An entity reference other than XML's five and character references: python-docx's parser
# does not resolve it, and the text of its run after it was lost (or the file was refused).
_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)([A-Za-z_][\w.-]*);")


def _literal_entities(archive: zipfile.ZipFile, data: bytes) -> bytes:
    """The DOCX with every other entity reference in word/document.xml kept as its literal
    text (`&nbsp;` stays "&nbsp;", which the normalizer decodes as HTML does), so the text
    after it is kept. Unchanged (the same bytes) when there is none."""
    document = archive.read("word/document.xml")
    if not _ENTITY.search(document):
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as rewritten:
        for info in archive.infolist():
            member = archive.read(info)
            if info.filename == "word/document.xml":
                member = _ENTITY.sub(rb"&amp;\1;", member)
            rewritten.writestr(info, member)
    return out.getvalue()


_HTML_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "table",
    "tr",
    "blockquote",
    "pre",
    "br",
    "hr",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "address",
    "nav",
    "aside",
    "form",
    "title",
}
_HTML_SKIP = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}


def _read_html(data: bytes, limits: Limits) -> RawText:
    from selectolax.lexbor import LexborHTMLParser

    if _looks_binary(data):
        raise IngestError("binary data, not an HTML file")
    tags = data.count(b"<")
    _within_budget(tags * HTML_BYTES_PER_TAG, f"{tags:,} HTML tags", limits)
    tree = LexborHTMLParser(decode_text(data))
    root = tree.body or tree.root
    if root is None:
        raise IngestError("no text found")
    out: list[str] = []
    _html_walk(root, out)
    text = "".join(out)
    return RawText(pages=[text], paged=False, fmt="html")


def _html_walk(node, out: list[str]) -> None:
    """Flatten HTML to text: block elements on their own lines, table cells tab-separated.

    Whitespace in text collapses as a browser collapses it (a newline in the page source is
    no line break), except inside <pre>. The walk follows first-child and next-sibling links
    and keeps only the open elements on its stack, so its memory is the depth of the tree,
    not its size (a page of 10^7 sibling paragraphs).
    """
    stack: list[tuple[object, bool]] = []  # open elements: (node, inside <pre>)
    current, pre = node, False
    while True:
        tag = current.tag
        descended = False
        if tag == "-text":
            text = current.text(deep=False) or ""
            out.append(_escaped(text if pre else _HTML_SPACE.sub(" ", text)))
        elif tag not in _HTML_SKIP and tag != "-comment":
            if tag == "li":
                out.append("- ")
            if current.child is not None:
                stack.append((current, pre))
                pre = pre or tag == "pre"
                current = current.child
                descended = True
            else:
                _html_close(tag, out)
        if descended:
            continue
        while current is not node and current.next is None and stack:
            current, pre = stack.pop()
            _html_close(current.tag, out)
        if current is node:
            return
        current = current.next


def _html_close(tag: str, out: list[str]) -> None:
    if tag in ("td", "th"):
        out.append("\t")
    elif tag in _HTML_BLOCKS:
        out.append("\n" if tag in ("tr", "br", "li") else "\n\n")


def _escaped(text: str) -> str:
    """Text of an HTML text node with &, < and > escaped again: the normalizer strips tags
    from exports (`<b>`) and then decodes entities, so `&lt;b&gt;` written in the page stays
    the text `<b>` instead of being deleted as a tag."""
    if "&" in text or "<" in text or ">" in text:
        return html.escape(text, quote=False)
    return text


_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
