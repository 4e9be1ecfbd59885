"""The options of `namnd bench` (kept free of heavy imports: the parser is built for every
`namnd` command)."""

from __future__ import annotations

import argparse
from pathlib import Path

PARTS = ("ingest", "embed", "bm25", "dense", "hybrid", "quality", "answer", "api", "formats")
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
    "noise": 0.2,
}


def _ints(text: str) -> list[int]:
    try:
        return [int(x.replace("_", "")) for x in text.split(",") if x.strip() and int(x) > 0]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, not {text!r}"
        ) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = DEFAULTS
    p.add_argument(
        "--sizes",
        type=_ints,
        default=_ints(d["sizes"]),
        help="synthetic corpus sizes in chunks (0 for none); default %(default)s",
    )
    p.add_argument("--queries", type=int, default=d["queries"], help="latency queries")
    p.add_argument(
        "--only",
        default=d["only"],
        help=f"comma-separated parts to run, of {','.join(PARTS)} (default: all)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path(d["out"]),
        help="report file (Markdown); default %(default)s",
    )
    p.add_argument(
        "--work-dir",
        type=Path,
        help="keep data directories and results.json here (default: a temp dir)",
    )
    p.add_argument("--seed", type=int, default=d["seed"], help="synthetic corpus seed")
    p.add_argument(
        "--million",
        type=int,
        default=d["million"],
        help="size of the synthetic-vector FAISS run (0 to skip)",
    )
    p.add_argument(
        "--rebuild-million",
        action="store_true",
        help="also time a full IVF rebuild at the million size (minutes)",
    )
    p.add_argument("--api-clients", type=_ints, default=_ints(d["api_clients"]))
    p.add_argument("--api-seconds", type=float, default=d["api_seconds"])
    p.add_argument("--api-max-requests", type=int, default=d["api_max_requests"])
    p.add_argument(
        "--embed-sample",
        type=int,
        default=d["embed_sample"],
        help="real chunks embedded per thread setting",
    )
    p.add_argument(
        "--noise", type=float, default=d["noise"], help="noise norm of the synthetic vectors"
    )
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the synthetic data directories in --work-dir (for profiling afterwards)",
    )
    p.add_argument(
        "--reuse-embeddings",
        type=Path,
        metavar="DATA_DIR",
        help="copy this data directory's embedding cache first (the corpus embedding is then "
        "not timed)",
    )


def command_line(args: argparse.Namespace) -> str:
    """The `namnd bench` command that reproduces a run with these options."""
    parts = ["namnd bench"]
    parts.append(f"--sizes {','.join(map(str, args.sizes)) or '0'}")
    parts.append(f"--queries {args.queries}")
    if args.only != DEFAULTS["only"]:
        parts.append(f"--only {args.only}")
    for name in ("seed", "million", "api_seconds", "api_max_requests", "embed_sample", "noise"):
        if getattr(args, name) != DEFAULTS[name]:
            parts.append(f"--{name.replace('_', '-')} {getattr(args, name)}")
    if args.api_clients != _ints(DEFAULTS["api_clients"]):
        parts.append(f"--api-clients {','.join(map(str, args.api_clients))}")
    if args.rebuild_million:
        parts.append("--rebuild-million")
    return " ".join(parts)


def run_from_args(args: argparse.Namespace) -> int:
    from index.embedder import set_threads

    from .runner import Options, run

    set_threads(1)
    options = Options(
        sizes=args.sizes,
        queries=args.queries,
        only=[x.strip() for x in args.only.split(",") if x.strip()],
        out=args.out,
        work_dir=args.work_dir,
        seed=args.seed,
        million=args.million,
        rebuild_million=args.rebuild_million,
        api_clients=args.api_clients,
        api_seconds=args.api_seconds,
        api_max_requests=args.api_max_requests,
        embed_sample=args.embed_sample,
        noise=args.noise,
        reuse_embeddings=args.reuse_embeddings,
        keep=args.keep,
        command=command_line(args),
    )
    results = run(options, log=lambda m: print(f"[bench] {m}", flush=True))
    print(f"[bench] done in {results['seconds'] / 60:.1f} min")
    return 0
