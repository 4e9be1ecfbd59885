"""Report sections: query latency with the hybrid profile, FAISS flat vs IVF, BM25 vs
rank-bm25."""

from __future__ import annotations

from typing import Any

from search.relevance import DENSE_DEPTH

from .fmt import f, ms, reproduce, table

RECALL_GOAL = 0.95
QUERY_KINDS = ("question", "keywords", "fragment")  # bench/queries.py


def latency_section(results: dict[str, Any], opts) -> str:
    scales = [s for s in results.get("scales") or [] if "latency" in s]
    if not scales:
        return ""
    out = [
        "Through the real `Searcher.find`, the search of the API, CLI and UI (retrievers, the "
        "relevance cutoff, fusion, cards per §, total and facets, snippets, result rows from "
        "SQLite), limit 10, no filters; dense and hybrid include embedding the "
        "query (its cache is cleared before every query). `-flat` rows use an exact index in "
        "place of the IVF index that ingest built (measured in the same loop).\n"
    ]
    rows = []
    for s in scales:
        lat = s["latency"]
        for name, st in lat["latency"].items():
            index = ""
            if name.startswith(("dense", "hybrid")):
                index = (
                    "flat"
                    if name.endswith("-flat") or lat.get("faiss_kind") == "flat"
                    else (f"IVF, nprobe {lat.get('nprobe')}")
                )
            rows.append(
                [
                    f"{lat['chunks']:,}",
                    name.replace("-flat", ""),
                    index,
                    ms(st),
                    ms(st, "p95"),
                    ms(st, "mean"),
                ]
            )
    out.append(table(["chunks", "mode", "vectors", "p50 (ms)", "p95 (ms)", "mean (ms)"], rows))
    kinds = [s for s in scales if s["latency"].get("by_kind")]
    if kinds:
        out.append(
            "By kind of query (p50 / p95 ms; the queries are half evaluation questions, a "
            "fifth keyword forms of them, the rest fragments of corpus sentences):\n"
        )
        rows = []
        for s in kinds:
            for name, by_kind in s["latency"]["by_kind"].items():
                rows.append(
                    [f"{s['latency']['chunks']:,}", name]
                    + [
                        f"{ms(st)} / {ms(st, 'p95')} ({st['n']})"
                        for st in (by_kind.get(k) for k in QUERY_KINDS)
                        if st
                    ]
                )
        out.append(table(["chunks", "mode", *QUERY_KINDS], rows))
    profiled = [s for s in scales if "hybrid_profile" in s["latency"]]
    if profiled:
        out.append(
            "Where a hybrid query's time goes (median / p95 ms per step of `Searcher.find`, "
            "same queries). The query embeds on the embedder's thread while the lexical side "
            "runs (idf weights, the chunks holding enough of them, their BM25 scores), then "
            "the search waits for the vector; “embed alone” is the same embedding timed by "
            "itself before each search:\n"
        )
        steps = {
            "embed": "embed alone",
            "lexical": "lexical side",
            "wait": "wait for vector",
            "dense": f"dense (k={DENSE_DEPTH})",
            "fuse": "fuse and cutoff",
            "cards": "cards and total",
            "facets": "facets",
            "present": "snippets and rows",
            "suggest": "suggestions",
            "total": "total",
            "cached": "again, vector cached",
        }
        rows = []
        for s in profiled:
            profile = s["latency"]["hybrid_profile"]
            rows.append(
                [f"{s['latency']['chunks']:,}"]
                + [f"{ms(profile[k])} / {ms(profile[k], 'p95')}" for k in steps]
            )
        out.append(table(["chunks", *steps.values()], rows))
        last = profiled[-1]["latency"]
        profile = last["hybrid_profile"]
        hybrid = last["latency"]["hybrid"]
        verdict = "meets" if hybrid["p50"] <= 30 and hybrid["p95"] <= 100 else "misses"
        after = sum(profile[k]["p50"] for k in ("dense", "fuse", "cards", "facets", "present"))
        out.append(
            f"At {last['chunks']:,} chunks hybrid search {verdict} the target (p50 ≤ 30 ms, "
            f"p95 ≤ 100 ms): p50 {ms(hybrid)} ms, p95 {ms(hybrid, 'p95')} ms, with "
            f"{last['threads']} OpenMP thread(s). Embedding the query alone takes "
            f"{ms(profile['embed'])} ms median, and the steps after the vector arrives "
            f"(dense, fusion, cards, facets, snippets) about {f(after)} ms together. The same "
            f"search with the query's vector cached takes {ms(profile['cached'])} ms: with the "
            f"embedding {ms(profile['total'])} ms, so the lexical side and the embedding, run "
            "side by side on the two cores, overlap only in part (a lexical side that takes "
            f"{ms(profile['lexical'])} ms beside the embedding is faster alone). Query "
            "embedding grows with the query's length, not with the corpus; the rest grows "
            "with the corpus."
            + _busy_note(results)
            + "\n"
        )
    out.append(reproduce(opts, "bm25,dense,hybrid", sizes=True))
    return "\n".join(out)


def _busy_note(results: dict[str, Any]) -> str:
    """How query embedding fares when another process holds a core (Embeddings)."""
    busy = {r["threads"]: r["query"]["p50"] for r in results.get("embed_rate") or [] if r["busy"]}
    if 1 not in busy or 2 not in busy:
        return ""
    return (
        " The search process had the machine to itself: with another process busy on one "
        f"core, a query embedded in {f(busy[2])} ms median with 2 threads and {f(busy[1])} ms "
        "with 1 (see Embeddings), so hybrid latency rises by that difference on a loaded "
        "machine."
    )


def faiss_section(results: dict[str, Any], opts) -> str:
    blocks = []
    for s in results.get("scales") or []:
        runs = (s.get("latency") or {}).get("faiss")
        if runs:
            title = (
                f"{runs['vectors']:,} vectors (synthetic, derived from real embeddings of the "
                "text they stand for; real query embeddings)"
            )
            blocks.append((title, runs, True))
    million = results.get("million")
    if million:
        title = (
            f"{million['vectors']:,} synthetic vectors (mixes of real corpus embeddings plus "
            "noise, no text behind them; real query embeddings)"
        )
        blocks.append((title, million["compare"], False))
    if not blocks:
        return ""
    out = [
        "Raw `VectorIndex.search` for k=100 (what hybrid search asks for), one query at a time, "
        "one thread. Recall is measured against exact search over the same vectors, by score "
        "(a result tied with the k-th exact score counts as found). “as built by ingest” is "
        "the index `sync_vectors` leaves (flat until `ann_threshold`, then IVF trained once on "
        "the vectors present then and filled); “rebuilt” is `rebuild_ann` at the full size.\n"
    ]
    choice = None
    for title, runs, text_backed in blocks:
        out.append(
            f"**{title}**: exact (flat) p50 {ms(runs['flat'])} ms, p95 "
            f"{ms(runs['flat'], 'p95')} ms."
            + (
                f" `rebuild_ann` at this size took {f(runs['ivf_rebuild_s'])} s."
                if "ivf_rebuild_s" in runs
                else ""
            )
            + "\n"
        )
        variants = [k for k in runs if k.startswith("ivf (")]
        if not variants:
            continue
        header = ["nprobe"]
        for name in variants:
            label = "as built" if "as built" in name else "rebuilt"
            header += [
                f"{label} (nlist {runs[name]['nlist']}) p50 ms",
                "p95 ms",
                "recall@10",
                "recall@100",
            ]
        rows = []
        for i, first in enumerate(runs[variants[0]]["runs"]):
            row = [str(first["nprobe"])]
            for name in variants:
                r = runs[name]["runs"][i]
                row += [
                    ms(r["latency"]),
                    ms(r["latency"], "p95"),
                    f(r["recall@10"], 3),
                    f(r["recall@100"], 3),
                ]
            rows.append(row)
        out.append(table(header, rows))
        preferred = next((v for v in variants if "as built" in v), variants[0])
        good = [r for r in runs[preferred]["runs"] if r["recall@10"] >= RECALL_GOAL]
        if good:
            out.append(
                f"Smallest nprobe with recall@10 ≥ {RECALL_GOAL} ({preferred}): "
                f"{good[0]['nprobe']} (p50 {ms(good[0]['latency'])} ms).\n"
            )
            if text_backed:
                choice = (runs["vectors"], preferred, good[0])
    if million:
        out.append(
            f"Building the {million['vectors']:,}-vector index the way ingest does (batches of "
            f"900) took {f(million['build_s'])} s; the file is {f(million['faiss_mb'], 0)} MB; "
            f"peak RSS {f(million['peak_rss_mb'], 0)} MB (vectors, an exact copy and the IVF "
            "index in one process).\n"
        )
    nprobe_now = next(
        (s["latency"].get("nprobe") for s in results.get("scales") or [] if s.get("latency")), None
    )
    if choice:
        size, name, row = choice
        out.append(
            f"nprobe: at {size:,} vectors the smallest value reaching recall@10 ≥ {RECALL_GOAL} "
            f"is **{row['nprobe']}** ({name}: recall@10 {f(row['recall@10'], 3)}, recall@100 "
            f"{f(row['recall@100'], 3)}, p50 {ms(row['latency'])} ms); the configured default "
            f"is {nprobe_now}. Caveat: the synthetic vectors are mixes of a few hundred real "
            "embeddings plus isotropic noise, so their clusters are not those of a real corpus "
            "of this size; recall must be re-measured on real embeddings when there are enough.\n"
        )
    out.append(reproduce(opts, "dense", sizes=True, extra=f"--million {opts.million}"))
    return "\n".join(out)


def bm25_section(results: dict[str, Any], opts) -> str:
    scales = [s for s in results.get("scales") or [] if "bm25" in s]
    if not scales:
        return ""
    out = [
        "Same chunks, same analyzer tokens (the text each engine indexes is our analyzer's "
        "output for place line + text), same queries, top 10, k1=1.2, b=0.75; the engines are "
        "interleaved query by query. Query analysis is included for every engine.\n"
    ]
    rows = []
    for s in scales:
        b = s["bm25"]
        for name, st in b["latency"].items():
            rows.append(
                [
                    f"{b['chunks']:,}",
                    name,
                    ms(st),
                    ms(st, "p95"),
                    f(b["qps"][name], 0),
                    f"{b['ratio_vs_rank_bm25'][name]:,.1f}×",
                    f(b["top10_overlap_with_tantivy"].get(name), 3) if name != "tantivy" else "–",
                ]
            )
    out.append(
        table(
            [
                "chunks",
                "engine",
                "p50 (ms)",
                "p95 (ms)",
                "queries/s",
                "vs rank-bm25",
                "top-10 overlap with tantivy",
            ],
            rows,
        )
    )
    build_rows = [
        [
            f"{s['bm25']['chunks']:,}",
            f(s["build"]["bm25_s"]),
            f(s["bm25"]["rank_bm25_build_s"]),
            f(s["bm25"]["rank_bm25_mb"], 0),
            f(s["bm25"].get("bm25s_build_s")),
            f(s["bm25"].get("bm25s_mb"), 0),
            f(s["build"]["disk_mb"]["bm25"]),
        ]
        for s in scales
    ]
    out.append(
        table(
            [
                "chunks",
                "tantivy build incl. analyzer (s)",
                "rank-bm25 build (s)",
                "rank-bm25 RAM (MB)",
                "bm25s build (s)",
                "bm25s RAM (MB)",
                "tantivy on disk (MB)",
            ],
            build_rows,
        )
    )
    last = scales[-1]["bm25"]
    ratio = last["ratio_vs_rank_bm25"]["tantivy"]
    out.append(
        f"At {last['chunks']:,} chunks tantivy answers {ratio:,.0f}× "
        f"as many queries per second as rank-bm25 (target ≥ 100×). Top-10 overlap is below 1 "
        "mostly because the idf formulas differ (rank-bm25's Okapi idf can go negative and is "
        "floored; tantivy uses Lucene's log(1 + …)) and ties are broken differently.\n"
    )
    out.append(reproduce(opts, "bm25", sizes=True))
    return "\n".join(out)
