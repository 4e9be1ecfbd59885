"""Following a kommun in the web UI, in real headless Chromium against the real server (issue
14): a search page and an ärende page link their Atom feed (visibly and as <link
rel="alternate">) and the feed's links open; the CSV button downloads the result list; "Kopiera
källhänvisning" and "Kopiera länk" put the citation and the permalink on the clipboard; the
print view shows one §; results name their document by title and kind and link the
original; the Täckning page shows a calendar per organ with the month and § a left-out
meeting leaves. The data: the corpus plus Torsby's byggnadsnämnd with its March meeting left
out, BM25 only. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from playwright.sync_api import expect
from support.browser import CHROMIUM, DESKTOP, PHONE, Tab, assert_fits_phone, cards
from support.live_server import serve
from support.paths import SEEDS

from index.datadir import DataDir
from ingest.manifest import Manifest
from ingest.pipeline import ingest_paths

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

ATOM = "{http://www.w3.org/2005/Atom}"
MEETINGS = ["2024-01-16", "2024-02-13", "2024-03-12", "2024-04-16", "2024-05-14"]
LEFT_OUT = "2024-03-12"  # § 7–9


def protokoll(datum: str, first: int) -> str:
    lines = [f"## Protokoll fört vid byggnadsnämndens sammanträde {datum}", ""]
    for number in range(first, first + 3):
        lines += [
            f"§ {number}",
            "",
            f"BN/2024:{100 + number}",
            "",
            f"## Bygglov för fastigheten Tallen {number}:1",
            "",
            f"Byggnadsnämnden beviljar bygglov på Tallen {number}:1.",
            "",
        ]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def data_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("follow")
    folder = root / "torsby"
    folder.mkdir()
    rows = ["file,kommun,namnd,datum,source_url"]
    for index, datum in enumerate(MEETINGS):
        if datum == LEFT_OUT:
            continue
        (folder / f"bn_{datum}.txt").write_text(protokoll(datum, 1 + 3 * index), encoding="utf-8")
        rows.append(f"bn_{datum}.txt,Torsby,Byggnadsnämnden,,https://www.torsby.se/bn/{datum}")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = DataDir(root / "data")
    summary = ingest_paths(
        data, [*SEEDS, folder], manifest=Manifest(root / "manifest.csv"), progress=False
    )
    assert summary.count("ingested") == len(SEEDS) + 4
    data.close()
    return root / "data"


@pytest.fixture(scope="module")
def base_url(data_path):
    with serve(data_path) as url:
        yield url


@pytest.fixture
def tab(request, browser, base_url):
    opened = Tab(browser, base_url, DESKTOP, request.node.name)
    opened.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    yield opened
    opened.close()
    assert opened.errors == [], opened.errors


def feed_entries(api, href: str) -> list[ET.Element]:
    response = api.get(href)
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed" and root.findtext(f"{ATOM}id")
    return root.findall(f"{ATOM}entry")


def test_search_page_links_its_feed_and_csv(tab, api):
    tab.goto("/?q=vr%C3%A4kning&kommun=Katrineholm")
    alternate = tab.page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    expect(alternate).to_have_count(1)
    href = alternate.get_attribute("href")
    assert "q=vr%C3%A4kning" in href and "kommun=Katrineholm" in href
    visible = tab.page.get_by_role("link", name="Prenumerera (Atom-flöde)")
    expect(visible).to_have_attribute("href", href)
    entries = feed_entries(api, href)
    assert entries
    # An entry's link opens the § or part in the UI.
    link = entries[0].find(f"{ATOM}link[@rel='alternate']").get("href")
    tab.page.goto(link)
    tab.settle()
    expect(tab.page.locator(".doc-header h1")).to_be_visible()
    tab.shot("feed-entry")

    tab.goto("/?q=vr%C3%A4kning&kommun=Katrineholm")
    csv_link = tab.page.get_by_role("link", name="Ladda ner träfflistan (CSV)")
    with tab.page.expect_download() as download:
        csv_link.click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "kommun",
        "namnd",
        "datum",
        "paragraf",
        "dnr",
        "rubrik",
        "dokumenttyp",
        "permalink",
        "snippet",
    ]
    assert len(rows) > 1 and {r[0] for r in rows[1:]} == {"Katrineholm"}


def test_copy_citation_and_link_then_print_one_paragraph(tab, api):
    query = "Tallen 13:1"
    expected = api.get("/api/search", params={"q": query, "limit": 20}).json()["results"][0]
    assert expected["paragraf"] == "13"
    tab.goto(f"/?q={query.replace(' ', '+')}")
    card = cards(tab).first
    card.get_by_role("button", name="Kopiera källhänvisning").click()
    expect(tab.page.locator("#status")).to_have_text("Källhänvisningen kopierad")
    citation = tab.page.evaluate("navigator.clipboard.readText()")
    assert citation == expected["kallhanvisning"]
    for piece in ("Byggnadsnämnden", "Torsby kommun", "2024-05-14", "§ 13", "dnr BN/2024:113"):
        assert piece in citation
    card.get_by_role("button", name="Kopiera länk").click()
    expect(tab.page.locator("#status")).to_have_text("Länken kopierad")
    link = tab.page.evaluate("navigator.clipboard.readText()")
    assert link == tab.base_url + expected["permalink"]
    # Readable source: the document's title and kind, the publisher, the original file.
    source = card.locator(".source")
    expect(source).to_contain_text("Protokoll fört vid byggnadsnämndens sammanträde 2024-05-14")
    expect(source).not_to_contain_text(".txt")
    expect(source.get_by_role("link", name="Hos kommunen")).to_have_attribute(
        "href", "https://www.torsby.se/bn/2024-05-14"
    )
    original = source.get_by_role("link", name="Originalet")
    assert api.get(original.get_attribute("href")).status_code == 200
    tab.shot("copied")

    tab.page.goto(link)
    tab.settle()
    expect(tab.page.locator('.toc a[aria-current="location"]')).to_contain_text("§ 13")

    tab.goto(f"/?q={query.replace(' ', '+')}")
    cards(tab).first.get_by_role("link", name="Utskriftsvy").click()
    tab.settle()
    view = tab.page.locator(".print-view")
    expect(view.locator("h1")).to_have_text("Bygglov för fastigheten Tallen 13:1")
    expect(view.locator(".print-view__citation")).to_contain_text(expected["kallhanvisning"])
    expect(view.locator(".print-view__text")).to_contain_text("beviljar bygglov på Tallen 13:1")
    expect(view.locator(".print-view__text")).not_to_contain_text("Tallen 14:1")  # one § only
    tab.page.emulate_media(media="print")
    expect(tab.page.locator(".site-header")).to_be_hidden()
    expect(view.get_by_role("button", name="Skriv ut")).to_be_hidden()
    tab.shot("print")


def test_arende_page_links_its_feed(tab, api):
    arende = max(
        api.get("/api/arenden", params={"limit": 100}).json()["arenden"], key=lambda a: a["antal"]
    )
    tab.goto(f"/?arende={arende['id']}")
    href = f"/feed.atom?arende={arende['id']}"
    expect(tab.page.locator('head link[rel="alternate"]')).to_have_attribute("href", href)
    expect(tab.page.get_by_role("link", name="Prenumerera (Atom-flöde)")).to_have_attribute(
        "href", href
    )
    assert len(feed_entries(api, href)) == arende["antal"]
    expect(tab.page.locator(".unit-bar .copy-button, .cite-tools").first).to_be_attached()
    # Another view has no feed.
    tab.goto("/")
    expect(tab.page.locator('head link[rel="alternate"]')).to_have_count(0)


def test_coverage_page_shows_the_left_out_meeting(tab, api):
    tab.goto("/")
    tab.page.get_by_role("link", name="Täckning").click()
    tab.settle()
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Täckning")
    organ = tab.page.locator('.coverage-kommun[data-kommun="Torsby"] .coverage-organ')
    expect(organ.locator("h3")).to_have_text("Byggnadsnämnden (4 sammanträden)")
    expect(organ.locator('td[data-month="2024-03"]')).to_have_class(re.compile("calendar__gap"))
    expect(organ.locator(".calendar__met")).to_have_count(4)
    expect(organ.locator(".coverage-missing")).to_contain_text("2024: § 7–9 saknas")
    expect(organ.locator(".coverage-months")).to_contain_text("2024-03")
    tab.shot("tackning")
    organ.locator('td[data-month="2024-02"] a').click()
    tab.settle()
    expect(tab.page.locator(".doc-header h1")).to_have_text(
        "Protokoll fört vid byggnadsnämndens sammanträde 2024-02-13"
    )


def test_follow_pages_fit_a_phone(browser, base_url, api):
    result = api.get("/api/search", params={"q": "Tallen 13:1", "limit": 1}).json()["results"][0]
    phone = Tab(browser, base_url, PHONE, "follow-phone")
    try:
        assert_fits_phone(
            phone,
            [
                ("tackning", "/?tackning=1"),
                ("utskrift", f"/?utskrift={result['paragraph_id']}"),
                ("sok", "/?q=Tallen+13%3A1"),
            ],
        )
    finally:
        phone.close()
    assert phone.errors == [], phone.errors
