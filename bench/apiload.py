"""Throughput of /api/search under concurrent clients on loopback.

A real `namnd serve` process is started on a free port; each client is a thread with its own
keep-alive connection sending distinct queries (no answer comes from a cache) until a time
limit or a request cap is reached. The clients run on the same 2-vCPU machine as the server
and take part of its CPU: the figures are a floor for a server with the machine to itself.
"""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .measure import stats

STARTUP_TIMEOUT = 180.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(data_dir: Path, port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "api.cli", "serve", "--data-dir", str(data_dir)]
    command += ["--port", str(port)]
    with log.open("w") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)


def wait_ready(base: str, process: subprocess.Popen) -> float:
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < STARTUP_TIMEOUT:
        if process.poll() is not None:
            raise RuntimeError(f"namnd serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("namnd serve did not become ready")


def load(
    data_dir: Path,
    queries: list[str],
    clients: list[int],
    seconds: float,
    max_requests: int,
    log: Path,
) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = serve(data_dir, port, log)
    try:
        out: dict[str, Any] = {"startup_s": wait_ready(base, process)}
        feed = itertools.cycle(queries)
        _run(base, feed, 2, 3.0, 20)  # warm-up: model loaded, first requests served
        out["runs"] = [_run(base, feed, n, seconds, max_requests) | {"clients": n} for n in clients]
        out["queries"] = len(queries)
        return out
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _run(base: str, feed, clients: int, seconds: float, max_requests: int) -> dict[str, Any]:
    import httpx

    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    sent = itertools.count()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            while time.perf_counter() < deadline and next(sent) < max_requests:
                with lock:
                    query = next(feed)
                started = time.perf_counter()
                try:
                    response = http.get("/api/search", params={"q": query})
                    status = response.status_code
                except httpx.HTTPError as error:
                    status, query = 0, type(error).__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    if status != 200:
                        errors.append(f"{status} {query}"[:80])

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "seconds": wall,
        "rps": len(latencies) / wall,
        "latency": stats(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
    }
