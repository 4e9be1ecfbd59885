"""Formatting helpers shared by the report sections."""

from __future__ import annotations

import math
from typing import Any


def kind_list(kinds: dict[str, int]) -> str:
    names = {"question": "evaluation questions", "keywords": "keyword paraphrases"}
    return ", ".join(f"{n} {names.get(k, 'sentence fragments')}" for k, n in kinds.items())


def only_hint(title: str) -> str:
    part = {
        "Targets": "needs hybrid, bm25 and quality",
        "Ingest and indexing throughput": "--only ingest",
        "Embeddings": "--only embed",
        "Bulk embedding": "--only bulk",
        "Query latency": "--only bm25,dense,hybrid",
        "FAISS: flat vs IVF": "--only dense",
        "BM25: tantivy vs rank-bm25": "--only bm25",
        "Memory and disk": "--only ingest",
        "Retrieval quality": "--only quality",
        "Compound handling": "--only quality",
        "Q&A": "--only answer",
        "API throughput": "--only api",
        "Ingest of adversarial files": "--only adversarial",
        "The synthetic corpus": "--only ingest",
        "OCR": "--only ocr",
        "Backends: embedded vs Milvus": "--only backends",
        "Document reading: the format gallery": "--only formats",
    }
    return part.get(title, "")


def reproduce(opts, only: str, sizes: bool = False, extra: str = "") -> str:
    parts = [f"namnd bench --only {only}"]
    if sizes:
        parts.append(f"--sizes {','.join(str(s) for s in opts.sizes)}")
        parts.append(f"--queries {opts.queries}")
    if extra:
        parts.append(extra)
    return "Reproduce: `" + " ".join(parts) + "`\n"


def f(x: Any, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:,.{digits}f}"


def ms(s: dict[str, float] | None, key: str = "p50") -> str:
    if not s:
        return "–"
    value = s.get(key)
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def scale_of(results: dict[str, Any], size: int | None = None) -> dict[str, Any] | None:
    scales = results.get("scales") or []
    if not scales:
        return None
    if size is None:
        return scales[-1]
    return next((s for s in scales if s["size"] == size), None)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def met(good: bool) -> str:
    return "met" if good else "**missed**"
