"""Data directories for tests: point one at an existing Milvus server, or give it another's
embedding cache so its vectors need not be computed again."""

from __future__ import annotations

import json
from pathlib import Path


def use_milvus_server(path: Path, uri: str) -> None:
    """Make the data directory at `path` use the Milvus server at `uri` (its milvus.json)."""
    from index.milvus import CONFIG_FILE

    path.mkdir(parents=True, exist_ok=True)
    (path / CONFIG_FILE).write_text(json.dumps({"uri": uri}), encoding="utf-8")


def copy_embeddings(source, target) -> None:
    """Give `target` the embedding cache of `source` (its vectors need not be computed)."""
    rows = source.store.query("SELECT model, hash, vector FROM embeddings")
    with target.store.transaction() as conn:
        conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)
        target.store.set_meta(conn, "embedder_name", source.store.get_meta("embedder_name"))
