"""The API docs (/docs) and the web UI pages make no request to another host, in real
headless Chromium: every request each page makes is recorded, and each must go to the server
itself. Swagger UI comes from the fastapi-offline package, so the docs render with the
network to every other host cut (a server without Internet)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from support.browser import CHROMIUM
from support.live_server import serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing (apt-get install -y chromium; make test installs it)",
    ),
]


@pytest.fixture(scope="module")
def base_url(ingested):
    with serve(ingested.path) as url:
        yield url


def visit(browser, base_url: str, path: str, ready: str) -> tuple[list[str], list[str]]:
    """Open `path` with every request to another host cut off; wait for `ready` to show.
    Returns (every requested URL, those that went to another host)."""
    context = browser.new_context()
    requested: list[str] = []
    elsewhere: list[str] = []
    own = urlsplit(base_url).netloc

    def route(route_) -> None:
        url = route_.request.url
        requested.append(url)
        scheme, netloc = urlsplit(url)[:2]
        if scheme in ("data", "blob") or netloc == own:
            route_.continue_()
        else:
            elsewhere.append(url)
            route_.abort()

    context.route("**/*", route)
    page = context.new_page()
    try:
        page.goto(base_url + path)
        expect(page.locator(ready).first).to_be_visible(timeout=30_000)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    return requested, elsewhere


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("/docs", ".swagger-ui .info .title"),  # rendered by Swagger UI from /openapi.json
        ("/", "main"),
        ("/?q=socialnämnden", "main"),
        ("/?doc=1", "main"),
    ],
)
def test_a_page_makes_no_request_to_another_host(browser, base_url, path, ready):
    requested, elsewhere = visit(browser, base_url, path, ready)
    assert elsewhere == []
    assert requested, "the recording saw the page's own requests"
    if path == "/docs":
        assert any(url.endswith("/static-offline-docs/swagger-ui-bundle.js") for url in requested)
        assert any(url.endswith("/openapi.json") for url in requested)


def test_redoc_is_not_served(base_url):
    """ReDoc fetches its logo from Redocly's host; the API is documented at /docs."""
    import httpx

    assert httpx.get(base_url + "/redoc").status_code == 404
