"""Ärenden, the audit trail, positions, references and "Liknande" in the web UI, in real
headless Chromium against the real server over the embedded corpus (issue 6). The expected
facts come from the seeds (test_arenden.ANSWERS, the § 75 reservations), the rest from the
JSON API the page is built on. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from playwright.sync_api import expect
from support.arenden import ANSWERS
from support.browser import CHROMIUM, PHONE, Tab, assert_fits_phone, cards, search_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

RESERVATIONS_75 = {
    ("Leena Kumpula", "C", "skriftlig"),
    ("Sebastian Nygren", "V", "skriftlig"),
    ("Johan Graff Andersson", "L", "muntlig"),
}


def revision_arende(api) -> dict:
    found = api.get("/api/arenden", params={"q": "KSKF/2023:237"}).json()["arenden"]
    return api.get(f"/api/arenden/{found[0]['id']}").json()


def paragraph_75(api) -> dict:
    result = api.get("/api/search", params={"q": "SOCN/2023:82", "limit": 1}).json()["results"][0]
    return api.get(f"/api/paragrafer/{result['paragraph_id']}").json()


def flat(text: str) -> str:
    return " ".join(text.split())


def timeline(tab: Tab) -> list[dict]:
    return tab.page.locator(".timeline__item").evaluate_all(
        """items => items.map(li => ({
            typ: li.dataset.typ,
            sakerhet: li.dataset.sakerhet,
            bilaga: li.parentElement.classList.contains("timeline--bilagor"),
            datum: li.querySelector("time").textContent,
            title: li.querySelector(".timeline__title").textContent,
            certainty: [...li.querySelectorAll(".tag--trolig, .tag--osaker")]
                .map(t => t.textContent),
        }))"""
    )


def test_the_revision_arende_shows_its_timeline_in_date_order(tab, api):
    arende = revision_arende(api)
    tab.goto(f"/?arende={arende['id']}")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(arende["rubrik"])
    expect(tab.page.locator(".facts")).to_contain_text("KSKF/2023:237, SOCN/2023:39")
    expect(tab.page.locator(".doc-header .meta")).to_contain_text("Eskilstuna")
    expect(tab.page.locator(".timeline__item")).to_have_count(len(arende["tidslinje"]))
    tab.shot("tidslinje")

    items = timeline(tab)
    # The steps in date order; the bilagor under the part they belong to.
    dates = [item["datum"] for item in items if not item["bilaga"]]
    assert dates == sorted(dates)
    bilagor = [e for e in arende["tidslinje"] if e["bilaga_till"] is not None]
    assert bilagor and sum(item["bilaga"] for item in items) == len(bilagor)
    rapport = next(i for i, x in enumerate(items) if x["typ"] == "revisionsrapport")
    anmalan = next(i for i, x in enumerate(items) if x["title"].startswith("§ 141 "))
    beslut = next(i for i, x in enumerate(items) if x["title"].startswith("§ 76 "))
    assert rapport < anmalan < beslut, items
    assert (items[rapport]["datum"], items[beslut]["datum"]) == ("2023-05-31", "2023-09-26")
    assert (items[anmalan]["typ"], items[beslut]["typ"]) == ("anmälan", "beslut")
    # A guessed member says so in words; a certain one carries no such mark.
    for item in items:
        if item["sakerhet"] == "säker":
            assert item["certainty"] == [], item
        else:
            assert len(item["certainty"]) == 1, item
            assert re.match(r"^(Trolig|Osäker) · \d+ %$", item["certainty"][0]), item
    # The svar quotes the revision's recommendations: the report is a certain member.
    assert items[rapport]["sakerhet"] == "säker" and items[beslut]["sakerhet"] == "säker"
    # § 76 repeats the svar, and says which.
    expect(tab.page.locator(".timeline__item").nth(beslut)).to_contain_text("Samma text som Svar")

    # Every link with its rule, evidence and certainty; a guess is never "Säker".
    evidence = tab.page.locator(".evidence__item")
    expect(evidence).to_have_count(len(arende["lankar"]))
    for index, link in enumerate(arende["lankar"]):
        item = evidence.nth(index)
        expect(item).to_have_attribute("data-regel", link["regel"])
        expect(item.locator(".evidence__text")).to_have_text(link["varde"])
        if link["saker"]:
            expect(item.locator(".evidence__head .tag")).to_have_text("Säker")
        else:
            expect(item.locator(".evidence__head .tag")).to_have_text(
                re.compile(r"^(Trolig|Osäker) · \d+ %$")
            )
    tab.page.locator("#kopplingar").scroll_into_view_if_needed()
    tab.shot("kopplingar")

    # A member opens the document at its §.
    tab.page.locator(".timeline__item").nth(anmalan).locator(".timeline__title a").click()
    expect(tab.page).to_have_url(re.compile(r"paragraf=141"))
    tab.settle()
    expect(tab.page.locator('.doc-nav a[aria-current="location"]').first).to_contain_text("§ 141")
    current = tab.page.locator(".unit-bar--current")
    expect(current).to_be_in_viewport()
    expect(current.locator(".unit-bar__label")).to_have_text("§ 141")
    # § 141 names the same granskning: a certain member, no certainty mark.
    expect(current.locator(".tag--trolig, .tag--osaker")).to_have_count(0)
    tab.shot("paragraf-141")


def test_each_recommendation_is_beside_its_answer_and_leads_to_it(tab, api):
    arende = revision_arende(api)
    tab.goto(f"/?arende={arende['id']}")
    rows = tab.page.locator(".audit__row")
    expect(rows).to_have_count(5)
    for index, (recommendation, answer) in enumerate(ANSWERS):
        row = rows.nth(index)
        expect(row.locator(".audit__rec blockquote")).to_have_text(
            re.compile("^" + re.escape(recommendation))
        )
        passage = row.locator(".audit__answer blockquote").first
        expect(passage).to_have_text(re.compile("^" + re.escape(answer)))
        expected = arende["revision"][index]["svar"][0]["passager"][0]["text"]
        assert flat(passage.inner_text()) == flat(expected)
        # The svar and § 76 say it word for word: one passage, two places.
        expect(row.locator(".audit__link")).to_have_text(
            [re.compile(r"^Visa i svaret"), re.compile(r"^Visa i § 76")]
        )
        # Side by side on a desktop: the answer to the right, level with the recommendation.
        rec_box = row.locator(".audit__rec").bounding_box()
        answer_box = row.locator(".audit__answer").bounding_box()
        assert answer_box["x"] >= rec_box["x"] + rec_box["width"] - 1
        assert answer_box["y"] == pytest.approx(rec_box["y"], abs=1)
    tab.page.locator("#revision").scroll_into_view_if_needed()
    tab.shot("rekommendationer")

    # Follow the fourth answer into § 76: the passage is marked and on screen.
    [answer] = arende["revision"][3]["svar"]
    wanted = next(p for p in answer["platser"] if p["paragraf"] == "76")
    rows.nth(3).locator(".audit__link", has_text="§ 76").click()
    expect(tab.page).to_have_url(re.compile(rf"start={wanted['start']}&end={wanted['end']}"))
    tab.settle()
    marks = tab.page.locator("mark.cite-mark")
    expect(marks.first).to_be_in_viewport()
    assert flat("".join(marks.all_inner_texts())).startswith(ANSWERS[3][1])
    expect(tab.page.locator('.doc-nav a[aria-current="location"]')).to_contain_text("§ 76")
    tab.shot("svar-markerat")

    tab.page.go_back()
    expect(tab.page).to_have_url(re.compile(rf"arende={arende['id']}"))
    tab.settle()
    expect(rows).to_have_count(5)


def reservations(scope) -> set[tuple[str, str, str]]:
    items = scope.locator('[data-roll="reservation"] li')
    return {
        (
            li.get_attribute("data-namn"),
            li.get_attribute("data-parti"),
            li.locator(".positions__detail").inner_text(),
        )
        for li in items.all()
    }


def test_paragraph_75_positions_on_the_arende_page_and_in_the_document(tab, api):
    paragraf = paragraph_75(api)
    tab.goto(f"/?arende={paragraf['arende_id']}")
    card = tab.page.locator(f'.positions-card[data-paragraph="{paragraf["id"]}"]')
    expect(card.locator('[data-roll="reservation"] li')).to_have_count(3)
    assert reservations(card) == RESERVATIONS_75
    expect(card.locator('[data-roll="yrkande"] li[data-namn="Sebastian Nygren"]')).to_have_text(
        "Sebastian Nygren (V) avslag"
    )
    expect(card.locator("dt")).to_have_text(["Yrkanden", "Reservationer"])
    tab.page.locator("#positioner").scroll_into_view_if_needed()
    tab.shot("positioner")

    # In the document, the bar of § 75 shows the same, and the name leads to its words.
    tab.goto(f"/?doc={paragraf['document_id']}&paragraf=75")
    bar = tab.page.locator(".unit-bar--current")
    expect(bar).to_have_attribute("data-paragraph", str(paragraf["id"]))
    expect(bar.locator(".unit-bar__positions")).to_have_attribute("open", "")
    expect(bar.locator('[data-roll="reservation"] li')).to_have_count(3)
    assert reservations(bar) == RESERVATIONS_75
    expect(bar.locator(".tag--ref")).to_have_text(["Ds 2023:17"])
    expect(bar).to_be_in_viewport()
    tab.shot("paragraf-75")
    # The other § fold their positions away (§ 79 has one yrkande).
    other = tab.page.locator(".unit-bar:not(.unit-bar--current) .unit-bar__positions")
    expect(other).to_have_count(1)
    expect(other).not_to_have_attribute("open", "")

    bar.locator('[data-roll="reservation"] li[data-namn="Johan Graff Andersson"] a').click()
    expect(tab.page).to_have_url(re.compile(r"start=\d+&end=\d+"))
    tab.settle()
    expect(tab.page.locator("mark.cite-mark")).to_have_text("Johan Graff Andersson")

    # And the bar's "Ärende" leads to the ärende.
    tab.page.go_back()
    tab.settle()
    tab.page.locator(".unit-bar--current [data-action=arende]").click()
    expect(tab.page).to_have_url(re.compile(rf"arende={paragraf['arende_id']}"))
    tab.settle()
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(paragraf["rubrik"])


def test_the_remiss_is_found_by_words_and_by_the_reference_facet(tab, api):
    tab.goto("/")
    search_for(tab, "Ds 2023:17")
    expect(cards(tab).first.locator(".meta")).to_contain_text("§ 75")
    facet = tab.page.locator('a[data-facet="ref"][data-value="Ds 2023:17"]')
    expect(facet).to_contain_text(re.compile(r"Ds 2023:17\s*\d+"))
    tab.shot("ds-2023-17")

    facet.click()
    expect(tab.page).to_have_url(re.compile(r"ref=Ds\+2023%3A17"))
    tab.settle()
    assert tab.params() == {"q": "Ds 2023:17", "ref": "Ds 2023:17"}
    expected = api.get(
        "/api/search", params={"q": "Ds 2023:17", "ref": "Ds 2023:17", "limit": 20}
    ).json()["results"]
    expect(cards(tab)).to_have_count(len(expected))
    assert {r["paragraf"] for r in expected} == {"75"}
    expect(cards(tab).locator(".meta")).to_contain_text(["§ 75"] * len(expected))
    expect(tab.page.locator(".chip")).to_have_text(re.compile(r"^Hänvisar till: Ds 2023:17"))
    expect(facet).to_have_attribute("aria-current", "true")
    tab.shot("ref-filter")

    # The reference in a § bar searches for everything that cites it.
    tab.goto(f"/?doc={expected[0]['document_id']}&paragraf=75")
    tab.page.locator(".unit-bar--current .tag--ref", has_text="Ds 2023:17").click()
    expect(tab.page).to_have_url(re.compile(r"q=Ds\+2023%3A17&ref=Ds\+2023%3A17"))
    tab.settle()
    expect(cards(tab)).to_have_count(len(expected))


def test_filter_by_reservation_and_party(tab, api):
    tab.goto("/?q=vistelsef%C3%B6rbud")
    everything = cards(tab).count()
    tab.page.locator('a[data-facet="roll"][data-value="reservation"]').click()
    expect(tab.page).to_have_url(re.compile(r"roll=reservation"))
    tab.settle()
    tab.page.locator('a[data-facet="parti"][data-value="V"]').click()
    expect(tab.page).to_have_url(re.compile(r"parti=V"))
    tab.settle()
    assert tab.params() == {"q": "vistelseförbud", "roll": "reservation", "parti": "V"}
    expected = api.get(
        "/api/search",
        params={"q": "vistelseförbud", "roll": "reservation", "parti": "V", "limit": 20},
    ).json()["results"]
    assert expected and {r["paragraf"] for r in expected} == {"75"}
    expect(cards(tab)).to_have_count(len(expected))
    assert len(expected) < everything
    expect(tab.page.locator(".chip")).to_have_text(
        [re.compile("^Ställningstagande: Reservationer"), re.compile(r"^Parti: .*\(V\)")]
    )
    tab.shot("reservation-v")

    # Role and party belong to one person: no KD politician reserved against § 75.
    tab.goto("/?q=vistelsef%C3%B6rbud&roll=reservation&parti=KD")
    expect(cards(tab)).to_have_count(0)
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(re.compile("^Inga träffar"))

    # Back and forward keep the filters in the URL.
    tab.page.go_back()
    expect(tab.page).to_have_url(re.compile(r"parti=V"))
    tab.settle()
    expect(cards(tab)).to_have_count(len(expected))
    tab.page.get_by_role("link", name=re.compile("^Ta bort filtret Parti")).click()
    expect(tab.page).not_to_have_url(re.compile(r"parti="))
    tab.settle()
    assert tab.params() == {"q": "vistelseförbud", "roll": "reservation"}


def test_a_search_result_leads_to_its_arende(tab, api):
    tab.goto("/?q=vistelsef%C3%B6rbud")
    expected = api.get("/api/search", params={"q": "vistelseförbud", "limit": 20}).json()
    with_case = [r for r in expected["results"] if r["arende_id"]]
    assert with_case
    expect(tab.page.locator(".card__arende")).to_have_count(len(with_case))
    first = cards(tab).first
    wanted = expected["results"][0]["arende_id"]
    first.locator(".card__arende").click()
    expect(tab.page).to_have_url(re.compile(rf"arende={wanted}"))
    tab.settle()
    arende = api.get(f"/api/arenden/{wanted}").json()
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(arende["rubrik"])
    tab.shot("arende-fran-traff")
    tab.page.get_by_role("link", name="← Tillbaka till träffarna").click()
    expect(tab.page).to_have_url(re.compile(r"/\?q=vistelsef%C3%B6rbud$"))
    tab.settle()
    expect(cards(tab)).to_have_count(len(expected["results"]))


STEP_LABELS = ["Granskning", "Missiv", "Anmälan", "Nämndens svar", "Beslut"]


def test_the_revision_chain_shows_each_passage_once_and_parts_under_their_own_header(tab, api):
    arende = revision_arende(api)
    tab.goto(f"/?arende={arende['id']}")
    steps = tab.page.locator(".chain__step")
    expect(steps).to_have_count(len(arende["kedja"]))
    expect(steps.locator(".chain__head .tag--typ")).to_have_text(STEP_LABELS)
    decision = tab.page.locator('.chain__step[data-steg="beslut"]')
    expect(decision.locator(".chain__beslut")).to_contain_text(
        "Socialförvaltningens förslag antas som socialnämndens svar"
    )
    expect(decision).to_contain_text("2023-09-26")
    # The svar states no date: it is not shown with the missiv's.
    svar = tab.page.locator('.chain__step[data-steg="svar"] .chain__date')
    expect(svar).to_have_text("odaterat, mellan 2023-06-14 och 2023-09-26")
    # § 141 was decided by another organ than the nämnd it was sent to.
    expect(tab.page.locator('.chain__step[data-steg="anmälan"] .meta')).to_contain_text(
        "Kommunstyrelsen/kommunfullmäktige"
    )
    # Each answering passage is shown once, with every place it is written.
    answers = [a for rec in arende["revision"] for a in rec["svar"]]
    expect(tab.page.locator(".audit__passage")).to_have_count(len(answers))
    page_text = flat(tab.page.locator("main").inner_text())
    for answer in answers:
        assert page_text.count(flat(answer["passager"][0]["text"])[:150]) == 1
        assert len(answer["platser"]) == 2
    expect(tab.page.locator(".audit__passage").first.locator(".audit__link")).to_have_count(2)
    tab.shot("kedja")

    # The KPMG report opens under its own kind, title and date, not the bundle's header.
    tab.page.locator('.chain__step[data-steg="granskning"] .chain__title a').click()
    tab.settle()
    header = tab.page.locator(".doc-header--part")
    expect(header.locator("h1")).to_have_text(
        "Granskning av handläggning inom barn och ungdomsvården"
    )
    expect(header.locator(".meta")).to_contain_text("2023-05-31")
    expect(header.locator(".meta")).to_contain_text("Revisionsrapport")
    expect(header.locator(".doc-header__bundle")).to_contain_text("Svar på kommunrevisionens")
    tab.shot("rapport-egen-rubrik")


def test_liknande_lists_the_nearest_paragraphs_and_filters_them(tab, api):
    paragraf = paragraph_75(api)
    tab.goto(f"/?doc={paragraf['document_id']}&paragraf=75")
    tab.page.locator(".unit-bar--current [data-action=liknande]").click()
    expect(tab.page).to_have_url(re.compile(rf"liknande={paragraf['id']}"))
    tab.settle()
    found = api.get(f"/api/paragrafer/{paragraf['id']}/liknande", params={"limit": 10}).json()
    assert found["liknande"]
    items = tab.page.locator(".liknande__item")
    expect(items).to_have_count(len(found["liknande"]))
    expect(items.locator(".card__title")).to_have_text([s["rubrik"] for s in found["liknande"]])
    assert str(paragraf["id"]) not in items.evaluate_all("a => a.map(x => x.dataset.paragraph)")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(paragraf["rubrik"])
    # By default only other kommuner; nothing in the seeds is close to the vistelseförbud
    # yttrande, and the page says so.
    kommuner = items.evaluate_all("a => a.map(x => x.dataset.kommun)")
    assert kommuner and "Eskilstuna" not in kommuner
    assert not found["nara_prejudikat"]
    expect(tab.page.locator(".liknande__count")).to_have_text("Inget nära prejudikat")
    expect(tab.page.locator(".liknande__none")).to_be_visible()
    tab.shot("liknande")

    def choose(control: str, in_url: str, params: dict[str, str]) -> list[dict]:
        """Click a filter; the list then shows what the API lists for those filters."""
        tab.page.locator(control).click()
        expect(tab.page).to_have_url(re.compile(in_url))
        tab.settle()
        shown = api.get(
            f"/api/paragrafer/{paragraf['id']}/liknande", params={**params, "limit": 10}
        ).json()["liknande"]
        assert shown
        expect(items).to_have_count(len(shown))
        expect(items.locator(".card__title")).to_have_text([s["rubrik"] for s in shown])
        return shown

    # Only yttranden.
    choose('.choice[data-liktyp="yttrande"]', r"liktyp=yttrande", {"dokumenttyp": "yttrande"})
    tab.shot("liknande-yttranden")

    # The own kommun's other meetings too, never the § 75 meeting itself.
    others = choose(
        ".choice--toggle", r"andra=0", {"dokumenttyp": "yttrande", "andra_kommuner": "false"}
    )
    protokoll = paragraf["document_id"]
    assert protokoll not in {s["document_id"] for s in others}
    tab.shot("liknande-egen-kommun")

    # A result opens its document at its §.
    first = others[0]
    items.first.locator(".card__title a").click()
    expect(tab.page).to_have_url(re.compile(rf"doc={first['document_id']}"))
    tab.settle()
    expect(tab.page.locator(".unit-bar--current")).to_have_attribute(
        "data-paragraph", str(first["paragraph_id"])
    )


def test_arende_pages_at_phone_width(browser, base_url, api):
    tab = Tab(browser, base_url, PHONE, "test_arende_pages_at_phone_width")
    try:
        revision = revision_arende(api)
        paragraf = paragraph_75(api)
        pages = [
            ("arende", f"/?arende={revision['id']}"),
            ("positioner", f"/?arende={paragraf['arende_id']}"),
            ("handling", f"/?doc={paragraf['document_id']}&paragraf=75"),
            ("liknande", f"/?liknande={paragraf['id']}"),
            ("filter", "/?q=vistelsef%C3%B6rbud&roll=reservation&parti=V"),
        ]
        assert_fits_phone(tab, pages)
        # On a phone the answer comes under its recommendation, at full width.
        tab.goto(f"/?arende={revision['id']}")
        row = tab.page.locator(".audit__row").first
        row.scroll_into_view_if_needed()
        rec_box = row.locator(".audit__rec").bounding_box()
        answer_box = row.locator(".audit__answer").bounding_box()
        assert answer_box["y"] >= rec_box["y"] + rec_box["height"] - 1
        assert answer_box["width"] == pytest.approx(rec_box["width"], abs=1)
        tab.shot("rekommendation")
        # The § 75 bar with its positions fits and leaves the § in view.
        tab.goto(f"/?doc={paragraf['document_id']}&paragraf=75")
        expect(tab.page.locator(".unit-bar--current")).to_be_in_viewport()
        expect(tab.page.locator(".chunk--focus").first).to_be_in_viewport()
    finally:
        tab.close()
    assert tab.errors == []


def test_arende_pages_never_run_document_text(browser, hostile_url):
    with httpx.Client(base_url=hostile_url) as client:
        cases = client.get("/api/arenden").json()["arenden"]
        assert cases
        arende = client.get(f"/api/arenden/{cases[0]['id']}").json()
    assert "<img" in json.dumps(arende, ensure_ascii=False)
    tab = Tab(browser, hostile_url, PHONE, "test_arende_pages_never_run_document_text")
    page = tab.page

    def assert_inert() -> None:
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.locator("main script, main img, main svg, main iframe").count() == 0

    try:
        tab.goto(f"/?arende={arende['id']}")
        expect(page.get_by_role("heading", level=1)).to_have_text(arende["rubrik"])
        expect(page.locator(".doc-header .meta")).to_contain_text(arende["kommun"])
        assert_inert()
        tab.shot("arende")
        first = arende["tidslinje"][0]
        tab.goto(f"/?liknande={first['paragraph_id']}")
        expect(page.get_by_role("heading", level=1)).to_have_text(first["rubrik"])
        assert_inert()
        tab.goto(f"/?doc={first['document_id']}&paragraf={first['paragraf']}")
        expect(page.locator(".unit-bar--current")).to_be_visible()
        assert_inert()
    finally:
        tab.close()
    assert tab.errors == []
