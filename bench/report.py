"""BENCHMARKS.md from the results of one `namnd bench` run: tables of medians and ratios, the
command that reproduces each table, and short interpretations derived from the numbers."""

from __future__ import annotations

import re
from typing import Any

from index.embedder import DEFAULT_THREADS

from . import adversarial, backends, bulk, formats, ocr
from .fmt import kind_list, only_hint
from .sections_index import (
    embeddings_section,
    ingest_section,
    memory_section,
    synthetic_section,
    targets_section,
)
from .sections_quality import answer_section, api_section, compounds_section, quality_section
from .sections_search import bm25_section, faiss_section, latency_section

SECTION_BUILDERS = (
    ("Targets", targets_section),
    ("Ingest and indexing throughput", ingest_section),
    ("Embeddings", embeddings_section),
    ("Bulk embedding", bulk.section),
    ("Query latency", latency_section),
    ("FAISS: flat vs IVF", faiss_section),
    ("BM25: tantivy vs rank-bm25", bm25_section),
    ("Memory and disk", memory_section),
    ("Retrieval quality", quality_section),
    ("Compound handling", compounds_section),
    ("Q&A", answer_section),
    ("API throughput", api_section),
    ("Backends: embedded vs Milvus", backends.section),
    ("The synthetic corpus", synthetic_section),
    ("Document reading: the format gallery", formats.section),
    ("OCR", ocr.section),
    (adversarial.TITLE, adversarial.section),
)
SECTIONS = tuple(title for title, _ in SECTION_BUILDERS)


def render(results: dict[str, Any], opts, previous: str | None = None) -> str:
    """The report; a section this run did not measure keeps its text from `previous` (the
    report written before), with the command that measured it there."""
    kept = _sections(previous) if previous else {}
    bodies: dict[str, str] = {}
    reused = False
    for title, section in SECTION_BUILDERS:
        body = section(results, opts)
        if not body and not kept.get(title, "Not run").startswith("Not run"):
            body, reused = kept[title] + "\n", True
        bodies[title] = body
    out: list[str] = []
    w = out.append
    machine = results["machine"]
    minutes = results.get("seconds", 0) / 60
    w("# Benchmarks\n")
    w(
        f"Measured by `namnd bench` on {results['date']}; the run took {minutes:.1f} min.  \n"
        + (
            f"This run: `{opts.command}`; the sections it did not run keep the figures of an "
            "earlier run, each with the command that measured it.\n"
            if reused
            else f"Reproduce everything: `{opts.command}`\n"
        )
    )
    w(
        f"Machine: {machine.get('cpu', '?')}, {machine.get('cpus', '?')} vCPUs, "
        f"{machine.get('ram', '?')} RAM, {machine.get('os', '')}, Python {machine['python']}.  \n"
        f"Libraries: {machine['libraries']}.  \n"
        f"Load average (1/5/15 min) at the start {_load(results.get('load_start'))}, at the end "
        f"{_load(results.get('load_end'))}"
        + (
            ": other processes shared the machine during the run.\n"
            if max([*results.get("load_start", [0]), *results.get("load_end", [0])]) > 2.5
            else ".\n"
        )
    )
    w(
        "The machine is shared and noisy (its 2 vCPUs deliver about 1.2 cores), so every "
        "comparison below was measured side by side in the same run, interleaved query by "
        "query where possible; ratios are steadier than absolute numbers. Latencies are "
        f"single queries with `namnd`'s default of {DEFAULT_THREADS} OpenMP thread(s) (idle "
        "threads sleep) unless a table says otherwise. "
        f"Queries: {results['queries']['n']} distinct ({kind_list(results['queries']['kinds'])}), "
        "e.g. " + "; ".join(f"“{q}”" for q in results["queries"]["examples"][:4]) + ".\n"
    )
    for title, body in bodies.items():
        w(f"## {title}\n")
        w(body if body else f"Not run in this invocation ({only_hint(title)}).\n")
    return "\n".join(out).rstrip() + "\n"


def _sections(report: str) -> dict[str, str]:
    """The body of each `## Title` section of a report."""
    out = {}
    for block in re.split(r"^## ", report, flags=re.M)[1:]:
        title, _, body = block.partition("\n")
        out[title.strip()] = body.strip()
    return out


def _load(values) -> str:
    return "/".join(f"{v:.1f}" for v in values) if values else "?"
