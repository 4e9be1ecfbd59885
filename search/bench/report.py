"""BENCHMARKS.md from the results of one `namnd bench` run: tables of medians and ratios, the
command that reproduces each table, and short interpretations derived from the numbers."""

from __future__ import annotations

from typing import Any

from index.embedder import DEFAULT_THREADS

from .fmt import kind_list, only_hint
from .formats import formats_section
from .sections_index import (
    embeddings_section,
    ingest_section,
    memory_section,
    synthetic_section,
    targets_section,
)
from .sections_quality import answer_section, api_section, compounds_section, quality_section
from .sections_search import bm25_section, faiss_section, latency_section

SECTIONS = (
    "Targets",
    "Ingest and indexing throughput",
    "Embeddings",
    "Query latency",
    "FAISS: flat vs IVF",
    "BM25: tantivy vs rank-bm25",
    "Memory and disk",
    "Retrieval quality",
    "Compound handling",
    "Q&A",
    "API throughput",
    "The synthetic corpus",
    "Document reading: the format gallery",
)


def render(results: dict[str, Any], opts) -> str:
    out: list[str] = []
    w = out.append
    machine = results["machine"]
    minutes = results.get("seconds", 0) / 60
    w("# Benchmarks\n")
    w(
        f"Measured by `namnd bench` on {results['date']}; the run took {minutes:.1f} min.  \n"
        f"Reproduce everything: `{opts.command}`\n"
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
    for title, section in (
        ("Targets", targets_section),
        ("Ingest and indexing throughput", ingest_section),
        ("Embeddings", embeddings_section),
        ("Query latency", latency_section),
        ("FAISS: flat vs IVF", faiss_section),
        ("BM25: tantivy vs rank-bm25", bm25_section),
        ("Memory and disk", memory_section),
        ("Retrieval quality", quality_section),
        ("Compound handling", compounds_section),
        ("Q&A", answer_section),
        ("API throughput", api_section),
        ("The synthetic corpus", synthetic_section),
        ("Document reading: the format gallery", formats_section),
    ):
        w(f"## {title}\n")
        body = section(results, opts)
        w(body if body else f"Not run in this invocation ({only_hint(title)}).\n")
    return "\n".join(out).rstrip() + "\n"


def _load(values) -> str:
    return "/".join(f"{v:.1f}" for v in values) if values else "?"
