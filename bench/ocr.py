"""OCR on the scan gallery (tests/data/scans/): seconds per page and character accuracy at
each rendering resolution, so the resolution in ingest/ocr.py is a measured choice.

Character accuracy is 1 - (edit distance / length of the truth), over the text with runs of
white space made one space: what a reader of the recognized text gets right.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from ingest.ocr import ocr_pages

from .corpus import ROOT

GALLERY = ROOT / "tests" / "data" / "scans"
RESOLUTIONS = (150, 200, 300)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one row at a time."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_accuracy(recognized: str, truth: str) -> float:
    truth, recognized = flat(truth), flat(recognized)
    return 1 - edit_distance(recognized, truth) / max(len(truth), 1)


def gallery() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (pdf, json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8")))
        for pdf in sorted(GALLERY.glob("*.pdf"))
    ]


def run(work: Path, log=print) -> dict[str, Any]:
    from ingest.ocr import missing

    reason = missing()
    if reason:
        return {"missing": reason}
    out: dict[str, Any] = {"pages": len(gallery()), "resolutions": {}}
    for dpi in RESOLUTIONS:
        seconds, accuracy, per_file = [], [], {}
        for pdf, truth in gallery():
            started = time.perf_counter()
            page = ocr_pages(pdf.read_bytes(), [0], dpi=dpi)[0]
            seconds.append(time.perf_counter() - started)
            accuracy.append(char_accuracy(page.text, truth["text"]))
            per_file[pdf.stem] = {"accuracy": accuracy[-1], "confidence": page.confidence}
        out["resolutions"][dpi] = {
            "seconds_per_page": sorted(seconds)[len(seconds) // 2],
            "accuracy_mean": sum(accuracy) / len(accuracy),
            "accuracy_min": min(accuracy),
            "files": per_file,
        }
        log(
            f"ocr {dpi} dpi: {out['resolutions'][dpi]['seconds_per_page']:.2f} s/page, "
            f"accuracy {out['resolutions'][dpi]['accuracy_mean']:.4f}"
        )
    out["ingest"] = ingest_scans(work, log)
    return out


def ingest_scans(work: Path, log=print) -> dict[str, Any]:
    """`namnd ingest --no-embed` in a fresh process over a 10-page scan (the gallery twice)
    and the same scan beside the five seeds: seconds per scanned page, and the cores the
    batch kept busy (CPU seconds of the process and its children over wall seconds)."""
    import resource
    import shutil
    import subprocess
    import sys

    import pypdf

    from .corpus import seed_files

    folder = work / "ocr-batch"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    writer = pypdf.PdfWriter()
    for _ in range(2):
        for pdf, _truth in gallery():
            writer.append(pypdf.PdfReader(pdf))
    scan = folder / "skannat-protokoll.pdf"
    with scan.open("wb") as out:
        writer.write(out)
    pages = len(pypdf.PdfReader(scan).pages)
    out: dict[str, Any] = {"pages": pages}
    for label, paths in (("scan alone", [scan]), ("scan and seeds", [scan, *seed_files()])):
        data = work / f"ocr-data-{len(paths)}"
        shutil.rmtree(data, ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "api.cli",
                "ingest",
                "--no-embed",
                "--quiet",
                "--data-dir",
                str(data),
                *map(str, paths),
            ],
            check=True,
            capture_output=True,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        out[label] = {"seconds": wall, "per_page": wall / pages, "cores": cpu / wall}
        log(
            f"ocr ingest, {label}: {wall:.1f} s ({wall / pages:.2f} s/page), "
            f"{cpu / wall:.2f} cores busy"
        )
    return out


def section(results: dict[str, Any], opts) -> str:
    """The OCR section of BENCHMARKS.md."""
    from .fmt import f, reproduce, table

    found = results.get("ocr")
    if not found:
        return ""
    if "missing" in found:
        return f"Not measured: {found['missing']}.\n"
    rows = [
        [
            f"{dpi} dpi",
            f(r["seconds_per_page"], 2),
            f(100 * r["accuracy_mean"], 2),
            f(100 * r["accuracy_min"], 2),
        ]
        for dpi, r in found["resolutions"].items()
    ]
    out = [
        f"The scan gallery (`tests/data/scans/`, {found['pages']} protokoll pages scanned at "
        "300 dpi: clean, skewed 1.5°, noisy, blurred, stamped and signed), recognized by "
        "Tesseract 5 (`swe`) per resolution; median seconds per page and character accuracy "
        "(1 − edit distance / length):\n",
        table(["rendered at", "s/page", "accuracy %, mean", "accuracy %, worst page"], rows),
    ]
    batch = found.get("ingest")
    if batch:
        alone, mixed = batch["scan alone"], batch["scan and seeds"]
        out.append(
            f"`namnd ingest --no-embed` of a {batch['pages']}-page scan: "
            f"{alone['seconds']:.1f} s, {alone['per_page']:.2f} s per page, "
            f"{alone['cores']:.2f} cores busy; the same scan in a batch with the five seeds: "
            f"{mixed['seconds']:.1f} s, {mixed['cores']:.2f} cores busy (the parse worker "
            "recognizes while the main process stores and indexes; one single-threaded "
            "Tesseract per core). Load average at the start of the run: "
            f"{results.get('load_start', [0])[0]:.1f}"
            + (
                "; on a machine that busy, the cores a process gets say more about the other "
                "processes than about it.\n"
                if results.get("load_start", [0])[0] > 2
                else ".\n"
            )
        )
    out.append(reproduce(opts, "ocr", extra="--sizes 0"))
    return "\n".join(out)
