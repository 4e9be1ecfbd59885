"""Normalization: page furniture and export markup out, broken words and sentences joined,
everything else kept."""

from __future__ import annotations

from ingest.normalize import normalize
from ingest.readers import RawText

BODY = (
    "Socialnämnden har fått möjlighet att yttra sig över promemorian om vistelseförbud "
    "på allmän plats."
)
WORDS = (
    "Inflödet av anmälningar avseende barn och unga har varit högt under året och "
    "hanteringen är en utmaning för förvaltningen och dess medarbetare i vardagen"
).split()


def prose(n: int) -> str:
    """A distinct paragraph of body text (pages of a real document do not repeat text)."""
    words = WORDS[n % len(WORDS) :] + WORDS[: n % len(WORDS)]
    return " ".join(words).capitalize() + f" ({n})."


def page_body(page: int, paragraphs: int = 4) -> str:
    return "\n\n".join(prose(page * 10 + k) for k in range(paragraphs))


def text(*pages: str, paged: bool | None = None, visual: bool = False) -> str:
    raw = RawText(
        pages=list(pages),
        paged=len(pages) > 1 if paged is None else paged,
        fmt="pdf" if visual else "text",
        visual_lines=visual,
    )
    return normalize(raw).text


def lines(*pages: str, **kwargs) -> list[str]:
    return [line for line in text(*pages, **kwargs).split("\n") if line]


# --- page furniture ---------------------------------------------------------------------------


def test_signature_boxes_are_removed():
    out = lines(
        "§ 70\n\nFastställande av föredragningslista\n\nJusterandes sign\n\nUtdragsbestyrkande\n\n"
        "Justerandes sign\t\t\tUtdragsbestyrkande\n"
        "------------------\t--\t--\t--------------------\n\n"
        "Justerandes signatur: ........\n\n§ 71"
    )
    assert out == ["§ 70", "Fastställande av föredragningslista", "§ 71"]


def test_rule_lines_are_removed():
    out = lines("Beslut\n\n\\_\\_\\_\\_\\_\n\n-----\n\n—\n\n_____\n\n***\n\nBeslutet skickas till:")
    assert out == ["Beslut", "Beslutet skickas till:"]


def test_page_numbers_at_page_edges_are_removed():
    styles = ["{n} (4)", "Sida {n} av 4", "{n}/4", "{n}"]
    pages = [
        f"{styles[n - 1].format(n=n)}\n\n{page_body(n)}\n\n{styles[(n + 1) % 4].format(n=n)}"
        for n in range(1, 5)
    ]
    out = lines(*pages)
    assert out == [prose(n * 10 + k) for n in range(1, 5) for k in range(4)]


def test_lone_numbers_at_page_edges_go_but_a_year_stays():
    pages = [f"{n}\n\n{page_body(n)}" for n in range(1, 4)]
    pages[0] = "Kvalitetsberättelse\n\n2023\n\n" + pages[0]  # a title page
    out = lines(*pages)
    assert not {"1", "2", "3"} & set(out)
    assert out[:2] == ["Kvalitetsberättelse", "2023"]


def test_numbers_inside_a_page_are_kept():
    body = page_body(1, paragraphs=8).split("\n\n")
    page = "\n\n".join([*body[:4], "12", *body[4:]])
    out = lines(page, paged=True)
    assert out == [*body[:4], "12", *body[4:]]


def test_repeated_page_header_is_removed_on_paged_input():
    header = "Protokoll 2023-09-21\tSocialnämnden\t{n} (5)"
    pages = [
        f"{header.format(n=n)}\n\n{page_body(n)}\n\nJusterandes sign\tUtdragsbestyrkande"
        for n in range(1, 6)
    ]
    out = lines(*pages)
    assert out == [prose(n * 10 + k) for n in range(1, 6) for k in range(4)]


def test_a_page_header_on_a_minority_of_pages_is_kept():
    pages = [f"Bilaga {n}\n\n{page_body(n)}" for n in range(1, 6)]
    pages[1:] = [page_body(n) for n in range(2, 6)]
    out = lines(*pages)
    assert out[0] == "Bilaga 1"


def test_running_header_inline_in_an_export_is_removed_after_the_first():
    run = "Eskilstuna kommun\nGranskning av handläggning inom barn och ungdomsvården\n2023-05-31"
    page = "\n\n".join(f"{run}\n\n{BODY} Avsnitt {n}." for n in range(1, 5))
    out = lines(page, paged=False)
    assert out.count("Granskning av handläggning inom barn och ungdomsvården") == 1
    assert len([line for line in out if line.startswith("Socialnämnden har")]) == 4


def test_recurring_section_labels_and_sentences_are_kept():
    block = (
        "Beslutsordning\n\nNämnden ställde sig bakom förvaltningens förslag till beslut.\n\n"
        "Särskilt uttalande\n\n"
    )
    page = "".join(f"§ {n}\n\n{block}{BODY}\n\n" for n in range(1, 6))
    out = lines(page, paged=False)
    assert out.count("Särskilt uttalande") == 5
    assert out.count("Nämnden ställde sig bakom förvaltningens förslag till beslut.") == 5


# --- export markup ----------------------------------------------------------------------------


def test_markdown_and_html_markup_is_removed():
    out = lines(
        "## Fastställande av föredragningslista\n\n### Beslut\n\n"
        "**Plats och tid** Stadshuset\n\n<b>Nr</b>\t<b>Ärende</b>\t<b>Beteckning</b>\n\n"
        "*Kostnaden belastar kommunledningskontorets ram.*\n\n"
        "Enligt \\*stjärnan och [promemorian](https://example.se/ds) &amp; bilagan<br>"
        "Ny rad\n\n\\_\\_\\_\\_\\_"
    )
    assert out == [
        "Fastställande av föredragningslista",
        "Beslut",
        "Plats och tid Stadshuset",
        "Nr\tÄrende\tBeteckning",
        "Kostnaden belastar kommunledningskontorets ram.",
        "Enligt *stjärnan och promemorian & bilagan",
        "Ny rad",
    ]


def test_adjacent_bold_or_struck_spans_become_lines():
    out = lines(
        "**§ 71****Socialnämndens delårsrapport 2 år 2023**\n\n"
        "**Ledamöter**~~Alexander Ojanne (S), ordf.~~"
    )
    assert out == [
        "§ 71",
        "Socialnämndens delårsrapport 2 år 2023",
        "Ledamöter",
        "Alexander Ojanne (S), ordf.",
    ]


def test_odd_whitespace_is_normalized():
    out = lines("Sara\u00a0Boëthius  nämndsekreterare\u200b\r\nEva\u2009Åberg\t\t")
    assert out == ["Sara Boëthius nämndsekreterare", "Eva Åberg"]


# --- joining ----------------------------------------------------------------------------------


def test_hyphenated_word_across_lines_is_joined():
    out = lines("Under 2022 inleddes 6 700 förhands-\nbedömningar av anmälningar.")
    assert out == ["Under 2022 inleddes 6 700 förhandsbedömningar av anmälningar."]


def test_hyphen_before_och_is_a_word_pair_not_a_break():
    out = lines("Revisionen granskade handläggningen inom barn-\noch ungdomsvården i kommunen.")
    assert out == ["Revisionen granskade handläggningen inom barn- och ungdomsvården i kommunen."]


def test_hyphenation_in_visual_pdf_lines():
    wide = "Antal pågående utredningar under 2022 uppgick till nästan 3 000 och"
    out = lines(
        f"{wide} förhands-\nbedömningar gjordes inom barn-\noch ungdomsvården.",
        paged=True,
        visual=True,
    )
    assert out == [
        f"{wide} förhandsbedömningar gjordes inom barn- och ungdomsvården.",
    ]


def test_sentence_broken_by_furniture_is_rejoined():
    out = lines(
        "Socialförvaltningens kvalitetsledningssystem är\n\nJusterandes sign\n\n"
        "Utdragsbestyrkande\n\n"
        "på plats för att följa upp både löpande arbete och utvecklingsarbeten."
    )
    assert out == [
        "Socialförvaltningens kvalitetsledningssystem är på plats för att följa upp både "
        "löpande arbete och utvecklingsarbeten."
    ]


def test_sentence_broken_by_a_page_break_is_rejoined():
    first = "De tre skyddsbedömningar som inte genomförts är ärenden där de inte är lagkrav,"
    second = "eftersom de skulle hanterats som information på annat sätt."
    out = lines(f"{BODY}\n\n{first}\n\n1 (2)", f"2 (2)\n\n{second}")
    assert out == [BODY, f"{first} {second}"]


def test_paragraph_running_on_to_the_next_page_is_joined():
    # A PDF reader saw the last line of page 1 reach the margin unfinished (`runs_on`), so
    # the paragraph goes on at the top of page 2, even before a capital.
    first = "Ordförande föreslår en propositionsordning där Leena Kumpulas (C), Johan"
    pages = [f"{BODY}\n\n{first}\n\n1 (2)", "2 (2)\n\nGraff Anderssons (L) yrkande ställs mot."]
    raw = RawText(pages=pages, paged=True, fmt="pdf", runs_on=[first, None])
    assert normalize(raw).text.split("\n")[-1] == (
        f"{first} Graff Anderssons (L) yrkande ställs mot."
    )
    raw = RawText(pages=pages, paged=True, fmt="pdf")  # without the reader's word: two lines
    assert normalize(raw).text.split("\n")[-1] == "Graff Anderssons (L) yrkande ställs mot."


def test_a_heading_at_the_top_of_the_next_page_is_not_joined():
    first = "Socialnämnden har under året arbetat med ärendeuppföljningar och"
    pages = [f"{BODY}\n\n{first}", "Beslut\n\n1. Rapporten godkänns."]
    raw = RawText(pages=pages, paged=True, fmt="pdf", runs_on=[first, None])
    assert lines_of(raw)[-3:] == [first, "Beslut", "1. Rapporten godkänns."]


def lines_of(raw: RawText) -> list[str]:
    return [line for line in normalize(raw).text.split("\n") if line]


def test_finished_paragraphs_and_lists_are_not_joined():
    out = lines(
        f"{BODY}\n\nKommunstyrelsen ska informeras\n\n- förhandsbedömningar\n\n"
        "Beslutet skickas till:\nKommunstyrelsen\nKommunrevisionen"
    )
    assert out == [
        BODY,
        "Kommunstyrelsen ska informeras",
        "- förhandsbedömningar",
        "Beslutet skickas till:",
        "Kommunstyrelsen",
        "Kommunrevisionen",
    ]


def test_visual_lines_join_until_a_short_line_ends_the_paragraph():
    # Plain PDF text: every line is a visual line. A heading after a paragraph's short last
    # line starts anew, however long the paragraph built so far has become.
    page = (
        "1. Socialförvaltningens förslag till yttrande antas som socialnämndens yttrande\n"
        "över remissen Vistelseförbud på allmän plats och vissa andra platser (Ds\n"
        "2023:17).\n"
        "Reservation\n"
        "Leena Kumpula (C) och Sebastian Nygren (V) lämnar båda in skriftliga\n"
        "reservationer (bilaga A och B)\n"
        "Johan Graff Andersson (L) lämnar muntlig reservation."
    )
    out = lines(page, paged=True, visual=True)
    assert out == [
        "1. Socialförvaltningens förslag till yttrande antas som socialnämndens yttrande över "
        "remissen Vistelseförbud på allmän plats och vissa andra platser (Ds 2023:17).",
        "Reservation",
        "Leena Kumpula (C) och Sebastian Nygren (V) lämnar båda in skriftliga reservationer "
        "(bilaga A och B)",
        "Johan Graff Andersson (L) lämnar muntlig reservation.",
    ]


def test_page_starts_point_at_each_page():
    pages = [f"{n} (3)\n\nSida {n} börjar här. {page_body(n)}" for n in range(1, 4)]
    raw = RawText(pages=pages, paged=True, fmt="pdf")
    normalized = normalize(raw)
    assert normalized.page_starts is not None and len(normalized.page_starts) == 3
    for n, start in enumerate(normalized.page_starts, start=1):
        assert normalized.text[start:].startswith(f"Sida {n} börjar här.")


def test_unpaged_text_has_no_page_starts():
    raw = RawText(pages=[BODY], paged=False, fmt="text")
    assert normalize(raw).page_starts is None
