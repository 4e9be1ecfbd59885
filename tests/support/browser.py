"""Driving the web UI in Debian's headless Chromium with Playwright (no browser download):
a tab that records script errors and saves screenshots under test-artifacts/browser/, the
search box, result cards, the phone-width check, and a document that tries to run script."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}


class Tab:
    """A page in a fresh browser context that records script errors and takes screenshots."""

    def __init__(self, browser, base_url: str, viewport: dict, name: str) -> None:
        self.context = browser.new_context(viewport=viewport, locale="sv-SE")
        self.page = self.context.new_page()
        self.base_url = base_url
        self.name = name
        self.errors: list[str] = []
        self.shots = 0
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)
        self.settle()

    def settle(self) -> None:
        """Wait until the view for the current URL is rendered (an answer can take seconds
        on a busy shared machine: a wait, not a speed test)."""
        expect(self.page.locator("main")).to_have_attribute("aria-busy", "false", timeout=30_000)

    def params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.page.url).query).items()}

    def shot(self, label: str) -> None:
        self.shots += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.page.screenshot(path=str(path))

    def close(self) -> None:
        self.context.close()


def cards(tab: Tab):
    return tab.page.locator("article.result")


def search_for(tab: Tab, query: str) -> None:
    tab.page.get_by_label("Sök eller fråga i nämndhandlingarna").fill(query)
    tab.page.keyboard.press("Enter")
    expect(tab.page).to_have_url(re.compile(r"[?&]q="))
    tab.settle()


def assert_fits_phone(tab: Tab, pages: list[tuple[str, str]]) -> None:
    """Each (label, path) renders without sideways scrolling at phone width; a screenshot
    of each."""
    for label, path in pages:
        tab.goto(path)
        width = tab.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (label, width)
        tab.shot(label)


# --- untrusted document text -----------------------------------------------------------------

# In the text form, `\_` is an escaped underscore (a bare `__` is markup and is removed).
HOSTILE_TEXT = r"""Protokoll Socialnämnden 2024-02-01

§ 1

SOCN/2024:1

Fastställande av dagordning med <img src=y onerror="window.\_\_xss=2"> i rubriken

Beslut

Nämnden godkänner dagordningen. Skadlig kod i texten: <script>window.\_\_xss=1</script>

Bilden <img src=x onerror="window.\_\_xss=1"> ska visas som text i skräpkodsärendet.
"""
HOSTILE_KOMMUN = 'Skräp<svg onload="window.__xss=3">kommun'
PAYLOADS = (
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '<img src=y onerror="window.__xss=2">',
)
