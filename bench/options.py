"""The parts of `namnd bench`, their defaults and the options of one run: declared once, for
the command line (`cli.py`) and the runner (`runner.py`) alike."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

PARTS = (
    "ingest",
    "embed",
    "bm25",
    "dense",
    "hybrid",
    "quality",
    "answer",
    "api",
    "ocr",
    "adversarial",
    "bulk",
    "formats",
    "backends",
)
DEFAULTS = {
    "sizes": "10000,100000",
    "queries": 200,
    "only": ",".join(PARTS),
    "out": "BENCHMARKS.md",
    "seed": 0,
    "million": 1_000_000,
    "api_clients": "8,50",
    "api_seconds": 60.0,
    "api_max_requests": 5000,
    "embed_sample": 200,
    "bulk_rounds": 3,
    "noise": 0.2,
}


def ints(text: str) -> list[int]:
    """Comma-separated integers ("10000,100_000"), zeros and blanks dropped."""
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip() and int(x) > 0]


@dataclass
class Options:
    sizes: list[int] = field(default_factory=lambda: ints(DEFAULTS["sizes"]))
    queries: int = DEFAULTS["queries"]
    only: list[str] = field(default_factory=lambda: list(PARTS))
    out: Path | None = Path(DEFAULTS["out"])
    work_dir: Path | None = None
    seed: int = DEFAULTS["seed"]
    million: int = DEFAULTS["million"]
    rebuild_million: bool = False
    api_clients: list[int] = field(default_factory=lambda: ints(DEFAULTS["api_clients"]))
    api_seconds: float = DEFAULTS["api_seconds"]
    api_max_requests: int = DEFAULTS["api_max_requests"]
    embed_sample: int = DEFAULTS["embed_sample"]
    bulk_rounds: int = DEFAULTS["bulk_rounds"]
    noise: float = DEFAULTS["noise"]
    reuse_embeddings: Path | None = None  # a data directory whose embedding cache to copy
    keep: bool = False  # keep the synthetic data directories (needs work_dir)
    command: str = "namnd bench"

    @classmethod
    def from_args_fields(cls) -> list[str]:
        """The fields that the command line sets by the same name (`only` and `command`
        are derived)."""
        return [f.name for f in fields(cls) if f.name not in ("only", "command")]

    def wants(self, *parts: str) -> bool:
        return any(p in self.only for p in parts)
