"""The real app served by uvicorn on a free loopback port, in a thread (for tests that need a
real HTTP server: the browser tests and raw request paths that an HTTP client would
normalize)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from api.app import create_app

STARTUP_LIMIT = 60.0  # seconds; a bound on waiting, not a performance assertion


@contextmanager
def serve(data_dir: Path) -> Iterator[str]:
    """Yield the base URL ("http://127.0.0.1:PORT") of the app over `data_dir`."""
    app = create_app(Path(data_dir))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_LIMIT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_LIMIT)
        sock.close()
