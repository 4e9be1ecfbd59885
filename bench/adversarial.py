"""Memory and time of the parse worker on adversarial files (`namnd bench --only adversarial
--sizes 0`).

Each file goes through the real `ParseWorker` (ingest/worker.py) with the default limits, as
`namnd ingest` parses it: the table gives its outcome (parsed, or skipped with the reason),
the seconds it took, and how far the worker's resident memory grew above its level before
the file (sampled every `WATCH_INTERVAL` s by the worker's own watch), next to the memory
budget. The files are those of issue 16: a DOCX whose document.xml is 180 MB of empty
paragraphs (0.2 MB zipped), 94 MB of `<p>x</p>` HTML, 95 MB of prose text, plus a prose text
that fits and the bundled seeds for comparison. `measure(scale=0.1)` shrinks the sizes for a
quick run (the tests use it).
"""

from __future__ import annotations

import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.readers import Limits
from ingest.worker import WATCH_INTERVAL, ParseWorker

from . import corpus
from .measure import machine

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
MB = 1_000_000  # file sizes, as the issue gives them
MIB = 1 << 20  # memory, as the budget (`--memory MB`) counts it


def empty_paragraphs_docx(path: Path, size: int) -> None:
    """A DOCX whose document.xml is `size` bytes of empty paragraphs (`<w:p/>`)."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W_NS}"><w:body>'
    block = b"<w:p/>" * 100_000
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(head.encode())
            for _ in range(size // len(block)):
                part.write(block)
            part.write(b"</w:body></w:document>")


def tiny_paragraphs_html(path: Path, size: int) -> None:
    """`size` bytes of `<p>x</p>`."""
    with path.open("wb") as out:
        out.write(b"<html><body>")
        block = b"<p>x</p>" * 100_000
        for _ in range(size // len(block)):
            out.write(block)
        out.write(b"</body></html>")


def prose_text(path: Path, size: int) -> None:
    """`size` bytes of running Swedish prose: the seed protokoll's sentences without their §
    and headings, repeated."""
    sentences = [
        line.strip()
        for seed in corpus.seed_files()
        for line in seed.read_text(encoding="utf-8").splitlines()
        if len(line.strip()) > 60 and not line.lstrip().startswith(("§", "#", "|"))
    ]
    text = "\n\n".join(sentences).encode()
    with path.open("wb") as out:
        for _ in range(size // len(text)):
            out.write(text + b"\n\n")
        out.write(text[: size % len(text)])


# (label, file name, writer, size in MB): the three files and a prose text that fits.
FILES: list[tuple[str, str, Callable[[Path, int], None], int]] = [
    ("DOCX, document.xml of empty paragraphs", "empty.docx", empty_paragraphs_docx, 180),
    ("HTML of `<p>x</p>`", "tiny.html", tiny_paragraphs_html, 94),
    ("prose text", "prose.txt", prose_text, 95),
    ("prose text", "prose-small.txt", prose_text, 2),
]


def measure(scale: float = 1.0, log=print) -> dict[str, Any]:
    limits = Limits()
    worker = ParseWorker()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="namnd-adversarial-") as tmp:
            work = [
                (label, Path(tmp) / name, write, int(mb * MB * scale))
                for label, name, write, mb in FILES
            ]
            work += [
                ("seed protokoll", seed, None, seed.stat().st_size)
                for seed in corpus.seed_files()[:2]
            ]
            for label, path, write, size in work:
                if write is not None:
                    write(path, size)
                worker.prepare(corpus.seed_files()[0], None, limits)  # warm, so spaCy is loaded
                started = time.perf_counter()
                try:
                    prepared = worker.prepare(path, None, limits)
                    outcome = f"parsed: {len(prepared.parsed.chunks):,} chunks"
                except Exception as error:  # IngestError: the reason it is skipped
                    outcome = f"skipped: {error}"
                seconds = time.perf_counter() - started
                rows.append(
                    {
                        "file": label,
                        "name": path.name,
                        "input_mb": path.stat().st_size / MB,
                        "content_mb": size / MB,
                        "outcome": outcome,
                        "seconds": seconds,
                        "peak_growth_mb": worker.peak_growth / MIB,
                    }
                )
                log(
                    f"{path.name}: {outcome} in {seconds:.1f} s, +{worker.peak_growth / MIB:.0f} MB"
                )
    finally:
        worker.close()
    return {
        "scale": scale,
        "budget_mb": limits.max_memory / MIB,
        "max_seconds": limits.max_seconds,
        "watch_interval": WATCH_INTERVAL,
        "rows": rows,
        "machine": machine(),
    }


TITLE = "Ingest of adversarial files"


def section(results: dict[str, Any], opts) -> str:
    """The section's text under its heading: how it was measured, and the table."""
    result = results.get("adversarial")
    if not result:
        return ""
    command = "namnd bench --only adversarial --sizes 0"
    lines = [
        f"`{command}` ({result['machine'].get('cpu', '')}). Each file through the parse "
        f"worker with the default limits: memory budget {result['budget_mb']:,.0f} MB "
        f"(an eighth of this machine's memory, at most 2 GiB), time limit "
        f"{result['max_seconds']:g} s. Memory is how far the worker's RSS grew above its "
        f"level before the file, sampled every {result['watch_interval'] * 1000:.0f} ms.",
        "",
        "| file | size (MB) | outcome | seconds | peak RSS growth (MB) | within budget |",
        "|---|---:|---|---:|---:|---|",
    ]
    for row in result["rows"]:
        size = row["content_mb"] if row["name"].endswith(".docx") else row["input_mb"]
        within = "yes" if row["peak_growth_mb"] <= result["budget_mb"] else "NO"
        lines.append(
            f"| {row['file']} | {size:,.2f} | {row['outcome']} | {row['seconds']:.1f} | "
            f"{row['peak_growth_mb']:,.0f} | {within} |"
        )
    lines.append("")
    lines.append(
        "Sizes in 10^6 bytes; a DOCX's is that of document.xml unzipped (the file itself is "
        "0.2 MB). Memory in MB of 2^20 bytes, as `--memory` counts it. The files are made by "
        "`bench/adversarial.py`. The calling process receives only the parsed result "
        "(a refused file: its reason), so its memory no longer grows with the input."
    )
    return "\n".join(lines) + "\n"
