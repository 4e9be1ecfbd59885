"""Read a file into raw text pages, or fail with a reason a user can act on.

Every reader returns `RawText`: a list of page texts (one page for unpaged formats), whether
page numbers are meaningful, and whether the lines are still visual lines that need joining
into paragraphs. Every failure is an `IngestError` carrying a short,
human-readable reason; nothing else escapes from `read_file`.
"""

from __future__ import annotations

import codecs
import errno
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
    return raw, data


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


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="latin1-fallback")


def _latin1_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """The five bytes Windows-1252 leaves undefined decode as Latin-1, so nothing is lost."""
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("latin-1"), error.end


codecs.register_error("latin1-fallback", _latin1_fallback)


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(sample) * 0.05


def _read_text(data: bytes, limits: Limits) -> RawText:
    if _looks_binary(data) and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
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
    if sum(len(p.strip()) for p in plain) < 20:
        raise IngestError("no text layer (scanned PDF? run OCR first)")
    pages, runs_on = layout_pages(collectors)
    if _chars(pages) < 0.9 * _chars(plain):
        # Text the layout pass could not place (rotated, odd encodings): keep pypdf's lines.
        return RawText(pages=plain, paged=True, fmt="pdf", visual_lines=True)
    return RawText(pages=pages, paged=True, fmt="pdf", runs_on=runs_on)


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
    _check_inflated(archive, limits.max_unzipped_bytes)
    document = docx.Document(io.BytesIO(data))
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


def _check_inflated(archive: zipfile.ZipFile, limit: int) -> None:
    """Inflate every member in 1 MiB steps and count, so a zip whose headers understate its
    sizes is refused before a library inflates a member in one go. zipfile stops a member at
    its declared size and then fails the CRC check, so nothing inflates much past the limit.
    """
    total = 0
    for info in archive.infolist():
        try:
            with archive.open(info) as member:
                while chunk := member.read(1 << 20):
                    total += len(chunk)
                    if total > limit:
                        raise IngestError(f"DOCX expands to more than {limit:,} bytes")
        except IngestError:
            raise
        except Exception as error:  # CRC mismatch, bad deflate data, encrypted member ...
            raise IngestError(f"damaged DOCX ({info.filename}: {error})") from None


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

    if _looks_binary(data) and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError("binary data, not an HTML file")
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
    no line break), except inside <pre>.
    """
    stack = [(node, False, False)]
    while stack:
        current, closing, pre = stack.pop()
        tag = current.tag
        if closing:
            if tag in ("td", "th"):
                out.append("\t")
            elif tag in _HTML_BLOCKS:
                out.append("\n" if tag in ("tr", "br", "li") else "\n\n")
            continue
        if tag == "-text":
            text = current.text(deep=False) or ""
            out.append(text if pre else _HTML_SPACE.sub(" ", text))
            continue
        if tag in _HTML_SKIP or tag == "-comment":
            continue
        if tag == "li":
            out.append("- ")
        inner = pre or tag == "pre"
        stack.append((current, True, pre))
        children = []
        child = current.child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend((c, False, inner) for c in reversed(children))


_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
