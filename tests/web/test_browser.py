"""The web UI in real headless Chromium (Debian's package, driven by Playwright; no browser
download) against the real server over the embedded corpus: search, filters, the document
view, questions with citations, a phone-width viewport, and document text that tries to run
script. Every page visited is saved as a screenshot under test-artifacts/browser/."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect
from support.browser import (
    CHROMIUM,
    DESKTOP,
    HOSTILE_KOMMUN,
    PAYLOADS,
    PHONE,
    Tab,
    assert_fits_phone,
    cards,
    search_for,
)

QUESTION = "Hur många ansökningar om vräkning fick Kronofogden i Katrineholm 2022?"
NOT_FOUND = "Jag hittar inget svar på det i handlingarna."

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing (apt-get install -y chromium; make test installs it)",
    ),
]


def test_search_shows_cards_with_the_matched_words_marked(tab, api):
    tab.goto("/")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Sök i kommunala nämndhandlingar")
    expect(tab.page.locator(".doc-list > li")).to_have_count(5)
    tab.shot("start")

    search_for(tab, "vräkning av barnfamiljer")
    assert tab.params() == {"q": "vräkning av barnfamiljer"}
    expect(tab.page.get_by_role("heading", level=1)).to_contain_text("träffar för")
    expected = api.get("/api/search", params={"q": "vräkning av barnfamiljer", "limit": 20}).json()
    expect(cards(tab)).to_have_count(len(expected["results"]))
    tab.shot("results")

    first, result = cards(tab).first, expected["results"][0]
    expect(first.locator(".meta")).to_have_text(
        " · ".join(
            x
            for x in (
                result["kommun"],
                result["namnd"],
                result["datum"],
                f"§ {result['paragraf']}" if result["paragraf"] else None,
                result["dnr"],
            )
            if x
        )
    )
    expect(first.get_by_role("link", name=result["rubrik"], exact=True)).to_be_visible()
    expect(first.locator(".tag").first).to_have_text(result["dokumenttyp"].capitalize())
    # The marks are exactly the API's highlight offsets into the snippet.
    marked = [result["snippet"][start:end] for start, end in result["highlights"]]
    assert marked
    expect(first.locator(".snippet mark")).to_have_text(marked)
    expect(first.locator(".snippet")).to_have_text(re.sub(r"\s+", " ", result["snippet"]).strip())
    assert any(word.lower().startswith("vräkning") for word in marked)
    # The search box and the title follow the URL.
    expect(tab.page.locator("#q")).to_have_value("vräkning av barnfamiljer")
    expect(tab.page).to_have_title("vräkning av barnfamiljer – Nämndsök")


def test_other_places_are_listed(tab, api):
    # A § and its protokollsutdrag have the same text: one card, with "Även i".
    body = api.get("/api/search", params={"q": "delårsrapport 2 med bilagor", "limit": 20}).json()
    with_others = [r for r in body["results"] if r["other_places"]]
    assert with_others, "the corpus repeats § 72 in a protokollsutdrag"
    tab.goto("/?q=delårsrapport+2+med+bilagor")
    card = tab.page.locator(f'article.result[data-chunk="{with_others[0]["chunk_id"]}"]')
    expect(card.locator(".also")).to_contain_text("Även i:")
    other = with_others[0]["other_places"][0]
    link = card.locator(".also a").first
    expect(link).to_have_attribute(
        "href", re.compile(rf"doc={other['document_id']}&chunk={other['chunk_id']}")
    )
    tab.shot("aven-i")


def test_filter_by_kommun_and_back(tab):
    tab.goto("/?q=budget")
    before = set(cards(tab).evaluate_all("cards => cards.map(c => c.dataset.kommun)"))
    assert len(before) > 1, before
    facet = tab.page.locator('a[data-facet="kommun"][data-value="Stockholm"]')
    expect(facet).to_contain_text(re.compile(r"Stockholm\s*\d+"))
    facet.click()
    expect(tab.page).to_have_url(re.compile(r"kommun=Stockholm"))
    tab.settle()
    assert tab.params() == {"q": "budget", "kommun": "Stockholm"}
    after = cards(tab).evaluate_all("cards => cards.map(c => c.dataset.kommun)")
    assert after and set(after) == {"Stockholm"}
    expect(facet).to_have_attribute("aria-current", "true")
    expect(tab.page.locator(".chip")).to_have_text(re.compile(r"Kommun: Stockholm"))
    tab.shot("stockholm")

    tab.page.go_back()
    expect(tab.page).not_to_have_url(re.compile(r"kommun="))
    tab.settle()
    restored = set(cards(tab).evaluate_all("cards => cards.map(c => c.dataset.kommun)"))
    assert restored == before
    expect(facet).not_to_have_attribute("aria-current", "true")
    expect(tab.page.locator(".chip")).to_have_count(0)
    tab.shot("back")

    tab.page.go_forward()
    expect(tab.page).to_have_url(re.compile(r"kommun=Stockholm"))
    tab.settle()
    assert set(cards(tab).evaluate_all("cards => cards.map(c => c.dataset.kommun)")) == {
        "Stockholm"
    }


def test_filter_by_year_and_remove_it(tab):
    tab.goto("/?q=månadsrapport")
    years = tab.page.locator('a[data-facet="ar"]')
    assert years.count() > 1
    tab.page.locator('a[data-facet="ar"][data-value="2022"]').click()
    expect(tab.page).to_have_url(re.compile(r"ar=2022"))
    tab.settle()
    dates = tab.page.locator("article.result .meta").all_inner_texts()
    assert dates and all(" · 2022-" in text for text in dates), dates
    tab.shot("ar-2022")
    tab.page.get_by_role("link", name="Ta bort filtret År: 2022").click()
    expect(tab.page).not_to_have_url(re.compile(r"ar="))
    tab.settle()
    dates = tab.page.locator("article.result .meta").all_inner_texts()
    assert any(" · 2022-" not in text for text in dates)


def test_keyboard_only(tab):
    tab.goto("/")
    tab.page.keyboard.press("/")
    assert tab.page.evaluate("document.activeElement.id") == "q"
    tab.page.keyboard.type("budget")
    tab.page.keyboard.press("Enter")
    expect(tab.page).to_have_url(re.compile(r"q=budget"))
    tab.settle()
    expect(tab.page.locator("#status")).to_have_text(re.compile(r"träffar"))
    # Tab through the form and the filters to the first kommun, and choose it with Enter.
    first = tab.page.locator('a[data-facet="kommun"]').first
    value = first.get_attribute("data-value")
    for _ in range(12):
        tab.page.keyboard.press("Tab")
        if tab.page.evaluate("document.activeElement.dataset.facet") == "kommun":
            break
    assert tab.page.evaluate("document.activeElement.dataset.value") == value
    tab.shot("fokus")
    tab.page.keyboard.press("Enter")
    expect(tab.page).to_have_url(re.compile(r"kommun="))
    tab.settle()
    assert set(cards(tab).evaluate_all("cards => cards.map(c => c.dataset.kommun)")) == {value}


def test_nonsense_says_inga_traffar_and_a_misspelling_offers_menade_du(tab):
    tab.goto("/?q=xyzzyqwerty")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Inga träffar för ”xyzzyqwerty”")
    expect(cards(tab)).to_have_count(0)
    expect(tab.page.locator(".empty")).to_contain_text("Inga träffar")
    expect(tab.page.locator("#status")).to_have_text(re.compile(r"Inga träffar"))
    tab.shot("nonsens")
    tab.goto("/?q=vr%C3%A4knig")
    expect(tab.page.get_by_role("heading", level=1)).to_contain_text("Inga träffar")
    suggestion = tab.page.locator(".suggestions a", has_text="vräkning")
    expect(tab.page.locator(".suggestions")).to_contain_text("Menade du:")
    tab.shot("menade-du")
    suggestion.first.click()
    expect(tab.page).to_have_url(re.compile(r"q=vr%C3%A4kning(&|$)"))
    tab.settle()
    expect(cards(tab).first).to_be_visible()


def test_the_count_is_the_total_and_the_pages_reach_every_result(tab, api):
    body = api.get("/api/search", params={"q": "budget", "limit": 3}).json()
    total = body["total"]
    assert total > 3
    tab.goto("/?q=budget&limit=3")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(f"{total} träffar för ”budget”")
    expect(tab.page.locator(".pager p")).to_have_text(f"Visar 1–3 av {total}")
    tab.page.get_by_role("link", name="Nästa →").click()
    expect(tab.page).to_have_url(re.compile(r"sida=2"))
    tab.settle()
    second = api.get("/api/search", params={"q": "budget", "limit": 3, "offset": 3}).json()
    shown = cards(tab).evaluate_all("cards => cards.map(c => Number(c.dataset.chunk))")
    assert shown == [r["chunk_id"] for r in second["results"]]
    expect(tab.page.locator(".pager p")).to_have_text(re.compile(rf"Visar 4–\d+ av {total}"))
    tab.shot("sida-2")


def test_a_skip_link_takes_keyboard_users_past_the_filters(tab):
    tab.goto("/?q=budget")
    filters = tab.page.locator("a[data-facet]").count()
    presses = 0
    while tab.page.evaluate("document.activeElement.textContent") != "Hoppa till träffarna":
        assert presses < filters, (presses, filters)  # fewer Tabs than there are filters
        tab.page.keyboard.press("Tab")
        presses += 1
    tab.page.keyboard.press("Enter")
    title = cards(tab).first.locator(".card__title a")
    expect(title).to_be_focused()
    tab.shot("hoppa")


def test_sort_by_date_and_a_date_range(tab):
    tab.goto("/?q=budget")
    tab.page.get_by_label("Sortera").select_option("nyast")
    expect(tab.page).to_have_url(re.compile(r"sort=nyast"))
    tab.settle()
    dates = [re.search(r"\d{4}-\d{2}-\d{2}", t)[0]
             for t in tab.page.locator("article.result .meta").all_inner_texts()]
    assert dates == sorted(dates, reverse=True) and len(set(dates)) > 1
    tab.page.get_by_label("Från", exact=True).fill("2023-01-01")
    tab.page.get_by_label("Till", exact=True).fill("2023-12-31")
    tab.page.get_by_role("button", name="Visa").click()
    expect(tab.page).to_have_url(re.compile(r"from=2023-01-01&to=2023-12-31"))
    tab.settle()
    dates = [re.search(r"\d{4}-\d{2}-\d{2}", t)[0]
             for t in tab.page.locator("article.result .meta").all_inner_texts()]
    assert dates and all("2023-01-01" <= d <= "2023-12-31" for d in dates), dates
    expect(tab.page.locator(".chip")).to_contain_text(["Datum: 2023-01-01–2023-12-31"])
    tab.shot("datum")


def test_the_place_stays_in_view_at_a_passage_and_the_link_copies(tab, api):
    tab.context.grant_permissions(["clipboard-read", "clipboard-write"])
    result = api.get("/api/search", params={"q": "SOCN/2023:82"}).json()["results"][0]
    tab.goto(f"/?doc={result['document_id']}&chunk={result['passages'][-1]['chunk_id']}")
    context = tab.page.locator(".doc-context")
    expect(context).to_be_in_viewport()
    for fact in (result["kommun"], result["namnd"], result["datum"], "§ 75"):
        expect(context).to_contain_text(fact)
    context.get_by_role("button", name="Kopiera länk").click()
    expect(tab.page.get_by_role("button", name="Länken är kopierad")).to_be_visible()
    assert tab.page.evaluate("navigator.clipboard.readText()") == tab.page.url
    tab.shot("kopiera-lank")


def test_open_a_document_at_its_paragraph(tab, api):
    tab.goto("/?q=SOCN/2023:82")
    first = cards(tab).first
    expect(first.locator(".meta")).to_contain_text("§ 75")
    expect(first.locator(".tag--exact")).to_have_text("Exakt träff")
    chunk_id = first.get_attribute("data-chunk")
    first.locator(".card__title a").click()
    expect(tab.page).to_have_url(re.compile(rf"chunk={chunk_id}"))
    tab.settle()
    hit = tab.page.locator(f"#chunk-{chunk_id}")
    expect(hit).to_have_class(re.compile(r"chunk--hit"))
    expect(hit).to_be_in_viewport()
    expect(tab.page.locator(".chunk--hit")).to_have_count(1)
    current = tab.page.locator('.doc-nav a[aria-current="location"]')
    expect(current).to_have_count(1)
    expect(current).to_contain_text("§ 75")
    tab.shot("traff")

    # The § list navigates: § 78 scrolls into view, its chunks are marked.
    tab.page.locator(".doc-nav a", has_text="§ 78").click()
    expect(tab.page).to_have_url(re.compile(r"paragraf=78"))
    tab.settle()
    doc_id = int(tab.params()["doc"])
    doc = api.get(f"/api/documents/{doc_id}").json()
    par = next(p for p in doc["paragrafer"] if p["paragraf"] == "78")
    expect(tab.page.locator(f"#par-{par['id']}")).to_be_in_viewport()
    focused = tab.page.locator(".chunk--focus")
    assert focused.count() == sum(1 for c in doc["chunks"] if c["paragraph_id"] == par["id"])
    expect(focused.first).to_contain_text("§ 78")
    expect(tab.page.locator('.doc-nav a[aria-current="location"]')).to_contain_text("§ 78")
    tab.shot("paragraf-78")

    # Back returns to the hit, and "Tillbaka till träffarna" to the results.
    tab.page.go_back()
    expect(tab.page).to_have_url(re.compile(rf"chunk={chunk_id}"))
    tab.settle()
    tab.page.get_by_role("link", name="← Tillbaka till träffarna").click()
    expect(tab.page).to_have_url(re.compile(r"/\?q=SOCN%2F2023%3A82$"))
    tab.settle()
    expect(cards(tab).first.locator(".meta")).to_contain_text("§ 75")


def test_a_shared_link_opens_the_document_at_its_paragraph(tab, api):
    documents = api.get("/api/documents").json()["documents"]
    stockholm = next(d for d in documents if d["kommun"] == "Stockholm")
    par = next(p for p in stockholm["paragrafer"] if p["paragraf"] == "15")
    tab.goto(f"/?doc={stockholm['id']}&paragraf=15")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(stockholm["title"])
    anchor = tab.page.locator(f"#par-{par['id']}")
    expect(anchor).to_be_in_viewport()
    expect(tab.page.locator(".chunk--focus").first).to_contain_text(par["rubrik"])
    expect(tab.page.get_by_role("link", name="← Alla handlingar")).to_be_visible()
    tab.shot("delad-lank")


def test_ask_and_follow_a_citation(tab, api):
    tab.goto("/")
    tab.page.get_by_role("radio", name="Fråga").check()
    expect(tab.page.locator("#submit")).to_have_text("Fråga")
    tab.page.get_by_label("Sök eller fråga i nämndhandlingarna").fill(QUESTION)
    tab.page.get_by_role("button", name="Fråga").click()
    expect(tab.page).to_have_url(re.compile(r"mode=fraga"))
    tab.settle()
    answer = api.get("/api/ask", params={"q": QUESTION}).json()
    assert not answer["abstained"]
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(QUESTION)
    expect(tab.page.locator(".answer__text")).to_have_text(answer["answer"])
    expect(tab.page.get_by_role("heading", name="Källor")).to_be_visible()
    expect(tab.page.locator(".source-item blockquote")).to_have_text(
        [c["quote"] for c in answer["citations"]]
    )
    tab.shot("svar")

    citation = answer["citations"][0]
    tab.page.get_by_role("link", name="Källa 1", exact=True).click()
    expect(tab.page).to_have_url(re.compile(rf"start={citation['start']}&end={citation['end']}"))
    tab.settle()
    mark = tab.page.locator("mark.cite-mark")
    expect(mark).to_have_text(citation["quote"])
    expect(mark).to_be_in_viewport()
    expect(tab.page.locator(f"#chunk-{citation['chunk_id']}")).to_have_class(
        re.compile("chunk--hit")
    )
    tab.shot("citat")

    tab.page.go_back()
    expect(tab.page).to_have_url(re.compile(r"mode=fraga"))
    tab.settle()
    expect(tab.page.locator(".answer__text")).to_have_text(answer["answer"])


def test_an_unanswerable_question_says_so(tab):
    tab.goto("/?q=Vad+kostar+den+nya+simhallen+i+G%C3%B6teborg%3F&mode=fraga")
    expect(tab.page.locator(".answer__text")).to_have_text(re.compile(rf"^{NOT_FOUND}"))
    expect(tab.page.get_by_role("heading", name="Källor", exact=True)).to_have_count(0)
    expect(tab.page.locator("a.cite")).to_have_count(0)
    expect(tab.page.locator(".answer__kind")).to_have_count(0)
    tab.shot("inget-svar")


def test_an_answer_from_positions_says_what_kind_it_is(tab, api):
    question = "Vem reserverade sig mot socialnämndens yttrande om vistelseförbud i Eskilstuna?"
    answer = api.get("/api/ask", params={"q": question}).json()
    assert answer["answer_kind"] == "stallningstaganden"
    tab.goto(f"/?q={quote(question)}&mode=fraga")
    tab.settle()
    expect(tab.page.locator(".answer__kind")).to_have_text("Från ställningstaganden")
    expect(tab.page.locator(".answer__text")).to_have_text(answer["answer"])
    expect(tab.page.locator(".source-item blockquote")).to_have_text(
        [c["quote"] for c in answer["citations"]]
    )
    tab.shot("svar-stallningstaganden")


def test_a_proposal_is_marked_as_not_decided(tab, api):
    question = (
        "Har socialnämnden i Katrineholm beslutat om socialförvaltningens kvalitetsberättelse 2023?"
    )
    answer = api.get("/api/ask", params={"q": question}).json()
    assert answer["status"] == "förslag"
    tab.goto(f"/?q={quote(question)}&mode=fraga")
    tab.settle()
    expect(tab.page.locator(".answer__kind .tag")).to_have_text(
        ["Från förslag till beslut", "Förslag – inte beslutat"]
    )
    tab.shot("svar-forslag")


def test_an_abstention_lists_the_nearest_sources(tab, api):
    question = "Hur många barn placerades i familjehem i Stockholm under 2022?"
    answer = api.get("/api/ask", params={"q": question}).json()
    assert answer["abstained"] and answer["nearest"]
    tab.goto(f"/?q={quote(question)}&mode=fraga")
    tab.settle()
    expect(tab.page.get_by_role("heading", name="Närmaste källor")).to_be_visible()
    links = tab.page.locator(".nearest .source-item__link")
    expect(links).to_have_count(len(answer["nearest"]))
    links.first.click()
    expect(tab.page).to_have_url(re.compile(rf"doc={answer['nearest'][0]['document_id']}"))
    tab.shot("inget-svar-narmaste")


def test_phone_width(browser, base_url):
    tab = Tab(browser, base_url, PHONE, "test_phone_width")
    try:
        pages = [
            ("start", "/"),
            ("traffar", "/?q=vr%C3%A4kning"),
            ("svar", f"/?q={quote(QUESTION)}&mode=fraga"),
            ("handling", "/?q=vr%C3%A4kning&doc=1&paragraf=75"),
        ]
        assert_fits_phone(tab, pages)
        # Filters fold away on a phone and open on a tap.
        tab.goto("/?q=vr%C3%A4kning")
        facet = tab.page.locator('a[data-facet="kommun"]').first
        expect(facet).to_be_hidden()
        expect(cards(tab).first).to_be_in_viewport()
        tab.page.get_by_text("Filtrera", exact=True).click()
        expect(facet).to_be_visible()
        tab.shot("filter-oppna")
        # The § list folds away too.
        tab.goto("/?doc=1&paragraf=75")
        expect(tab.page.locator(".doc-nav .toc")).to_be_hidden()
        expect(tab.page.locator(".chunk--focus").first).to_be_in_viewport()
    finally:
        tab.close()
    assert tab.errors == []


# --- untrusted document text -----------------------------------------------------------------



def test_document_text_is_never_run_as_markup(browser, hostile_url):
    with httpx.Client(base_url=hostile_url) as client:
        doc = client.get("/api/documents").json()["documents"][0]
        text = client.get(f"/api/documents/{doc['id']}").json()["text"]
    for payload in PAYLOADS:
        assert payload in text  # the payloads survive ingest verbatim
    assert doc["kommun"] == HOSTILE_KOMMUN

    tab = Tab(browser, hostile_url, DESKTOP, "test_document_text_is_never_run_as_markup")
    try:
        page = tab.page

        def assert_inert() -> None:
            assert page.evaluate("typeof window.__xss") == "undefined"
            assert page.locator("main script, main img, main svg, main iframe").count() == 0
            assert page.locator("a[href^='javascript:' i]").count() == 0

        tab.goto("/")
        expect(page.locator(".doc-list .card__title")).to_have_text(doc["title"])
        expect(page.locator(".doc-list .meta")).to_contain_text(HOSTILE_KOMMUN)
        assert_inert()
        tab.shot("start")

        search_for(tab, "skräpkodsärendet")
        card = cards(tab).first
        for payload in PAYLOADS:
            expect(card.locator(".snippet")).to_contain_text(payload)
        expect(card.locator(".meta")).to_contain_text(HOSTILE_KOMMUN)
        expect(page.locator('a[data-facet="kommun"]')).to_contain_text(HOSTILE_KOMMUN)
        # Not embedded: the notes of the search response are shown.
        expect(page.locator(".notice")).to_contain_text("inte inbäddade")
        assert_inert()
        tab.shot("traff")

        search_for(tab, "dagordning")
        expect(cards(tab).first.locator(".card__title")).to_contain_text(PAYLOADS[2])
        for payload in PAYLOADS:
            expect(cards(tab).first.locator(".snippet")).to_contain_text(payload)
        assert_inert()
        tab.shot("rubrik")
        cards(tab).first.locator(".card__title a").click()
        expect(page).to_have_url(re.compile(r"doc="))
        tab.settle()
        body = page.locator(".doc-text")
        for payload in PAYLOADS:
            expect(body).to_contain_text(payload)
        expect(page.locator(".doc-nav")).to_contain_text(PAYLOADS[2])
        expect(page.locator(".facts")).not_to_contain_text("javascript:")
        assert_inert()
        tab.shot("handling")

        with httpx.Client(base_url=hostile_url) as client:
            answer = client.get("/api/ask", params={"q": "skräpkod"}).json()
        tab.goto("/?q=skr%C3%A4pkod&mode=fraga")
        expect(page.locator(".answer__text")).to_have_text(answer["answer"])
        expect(page.locator(".source-item blockquote")).to_have_text(
            [c["quote"] for c in answer["citations"]]
        )
        assert_inert()
        tab.shot("fraga")
    finally:
        tab.close()
    assert tab.errors == []
