"""Personnummer masking (api/masking.py): the detector's rules, and end to end over a
generated protokoll holding a personnummer: the HTTP API, the `namnd` command and the logs
never show it (unless masking is turned off), offsets still line up, the store keeps it."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.cli import main
from api.masking import (
    MaskedJSONResponse,
    MaskingLogFilter,
    find_personnummer,
    mask_data,
    mask_text,
    refuse_personnummer,
)


def luhn_digit(nine: str) -> str:
    """The check digit for nine digits, computed from the right as in the standard."""
    total = 0
    for position, char in enumerate(reversed(nine)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return str((10 - total % 10) % 10)


def with_check(nine: str) -> str:
    """YYMMDD-NNN plus its check digit, as YYMMDD-NNNN."""
    return f"{nine[:6]}-{nine[6:]}{luhn_digit(nine)}"


PNR = with_check("811228987")  # 811228-9874, Skatteverket's example
SAMORDNING = with_check("701063239")  # born on the 3rd: day 03 + 60


def test_the_check_digit_helper_agrees_with_known_numbers():
    assert PNR == "811228-9874"
    assert SAMORDNING == "701063-2391"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (PNR, "XXXXXX-XXXX"),
        ("811228+9874", "XXXXXX+XXXX"),  # 100 years or older
        ("8112289874", "XXXXXXXXXX"),
        ("19811228-9874", "XXXXXXXX-XXXX"),
        ("198112289874", "XXXXXXXXXXXX"),
        (SAMORDNING, "XXXXXX-XXXX"),
        ("19701063-2391", "XXXXXXXX-XXXX"),
        (with_check("000229123"), "XXXXXX-XXXX"),  # born 2000
    ],
)
def test_every_form_is_masked_at_the_same_length(text, masked):
    assert find_personnummer(text) == [(0, len(text))]
    assert mask_text(text) == masked


def test_masked_in_running_text_with_offsets_kept():
    text = f"Sökanden ({PNR}), tidigare pnr:{PNR.replace('-', '')}. Se 19{PNR}!"
    masked = mask_text(text)
    assert len(masked) == len(text)
    assert masked == "Sökanden (XXXXXX-XXXX), tidigare pnr:XXXXXXXXXX. Se XXXXXXXX-XXXX!"
    assert [text[a:b] for a, b in find_personnummer(text)] == [
        PNR,
        PNR.replace("-", ""),
        "19" + PNR,
    ]


@pytest.mark.parametrize(
    "text",
    [
        "811228-9875",  # wrong check digit
        "811228-9870",
        "19811228-9873",
        "198112289871",
        with_check("811328987"),  # month 13, valid Luhn
        with_check("810028987"),  # month 00
        with_check("811200987"),  # day 00
        with_check("811232987"),  # day 32
        with_check("811260987"),  # day 60: neither a day nor a samordningsnummer
        with_check("811292987"),  # day 92
        "212000-0340",  # organisation number: month 20
        with_check("212000034"),  # the same with a valid check digit
        "35" + PNR.replace("-", ""),  # century 35 is no century: a 12-digit run
        "SOCN/2023:98",
        "Dnr 1.2.2-72/2022",
        "KS 2023/000123-1.2",
        "1 234 567 kr",
        "8 112 289 874 kr",
        "016-710 10 00",
        "08-508 290 00",
        "2023-05-24",
        "2023-05-24 – 2023-06-30",
        "4 kap. 1 § SoL",
        "SFS 2001:453",
        "Ds 2023:17",
        "kl. 08:30-12:00",
    ],
)
def test_not_a_personnummer(text):
    assert find_personnummer(text) == []
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "1" + PNR,  # 7 digits before the separator
        PNR + "5",  # 5 digits after it
        "0" + PNR.replace("-", ""),  # 11 digits
        PNR.replace("-", "") + "12",  # 12 digits that are no YYYYMMDDNNNN
        "19" + PNR + "3",
    ],
)
def test_not_cut_out_of_a_longer_digit_run(text):
    assert find_personnummer(text) == []


def test_samordningsnummer_days_61_to_91():
    assert find_personnummer(with_check("811261987"))
    assert find_personnummer(with_check("811291987"))


def test_mask_data_masks_every_string_and_key_and_keeps_the_rest():
    value = {
        "text": f"pnr {PNR}",
        "highlights": [[0, 3]],
        "nested": [{"quote": PNR, "n": 1, "page": None}],
        PNR: True,
        "dnr": "SOCN/2023:98",
    }
    assert mask_data(value) == {
        "text": "pnr XXXXXX-XXXX",
        "highlights": [[0, 3]],
        "nested": [{"quote": "XXXXXX-XXXX", "n": 1, "page": None}],
        "XXXXXX-XXXX": True,
        "dnr": "SOCN/2023:98",
    }
    assert value["text"] == f"pnr {PNR}", "the input is not changed"


# --- logs ---------------------------------------------------------------------------------


def access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn's access log makes it (the path with its query string is an arg)."""
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )


@pytest.mark.parametrize(
    "query", [PNR, "811228%2B9874", "811228%2b9874", "19" + PNR, "811228+9874"]
)
def test_log_filter_masks_an_access_log_query_string(query):
    record = access_record(f"/api/search?q={query}&limit=10")
    assert MaskingLogFilter().filter(record) is True
    message = record.getMessage()
    assert "9874" not in message
    assert "/api/search?q=XXXXXX" in message
    assert record.args[4] == 200, "uvicorn's access formatter needs the status as an int"


def test_log_filter_masks_the_message_and_the_traceback():
    try:
        raise ValueError(f"no such person {PNR}")
    except ValueError:
        record = logging.LogRecord(
            "namnd.api", logging.ERROR, __file__, 1, f"failed for {PNR}", (), sys.exc_info()
        )
    MaskingLogFilter().filter(record)
    handler_output = logging.Formatter().format(record)
    assert PNR not in handler_output
    assert "failed for XXXXXX-XXXX" in handler_output
    assert "ValueError: no such person XXXXXX-XXXX" in handler_output


# --- end to end ---------------------------------------------------------------------------

PROTOKOLL = f"""\
## Protokoll fört vid socialnämndens sammanträde 2023-05-24

**Plats och tid** Stadshuset, Katrineholm, klockan 08:30–12:00

Ledamöter	Göran Gredfors (M) ordförande, Anna Wilder (S), Carina Åkesson (SD)
Övriga närvarande	Sara Boëthius nämndsekreterare

§ 12

## Ansökan om ekonomiskt bistånd till hyra

Dnr SOCN/2023:98

### Ärendebeskrivning

Sökanden med personnummer {PNR} ansöker om ekonomiskt bistånd till hyra för maj 2023. \
Hyran uppgår till 1 234 567 kr enligt hyresavtalet. Frågor besvaras av socialförvaltningen \
på telefon 016-710 10 00. Hyresvärdens organisationsnummer är 212000-0340. Ärendet har \
tidigare behandlats under Dnr 1.2.2-72/2022 enligt 4 kap. 1 § SoL.

### Beslut

Socialnämnden beslutar att bevilja sökanden {PNR} ekonomiskt bistånd till hyra för maj 2023.

§ 13

## Överklagande av beslut om bistånd för {SAMORDNING}

Dnr SOCN/2023:99

### Beslut

Socialnämnden beslutar att överlämna överklagandet till förvaltningsrätten.
"""

KEPT = ["SOCN/2023:98", "1 234 567 kr", "016-710 10 00", "212000-0340", "1.2.2-72/2022"]


@pytest.fixture(scope="module")
def data_path(tmp_path_factory):
    """A fresh data directory with the generated protokoll, BM25 only (no embedding)."""
    from index.datadir import DataDir
    from ingest.pipeline import ingest_paths

    root = tmp_path_factory.mktemp("masking")
    source = root / "in" / "protokoll_socialnamnden_2023-05-24.txt"
    source.parent.mkdir()
    source.write_text(PROTOKOLL, encoding="utf-8")
    data = DataDir(root / "data")
    summary = ingest_paths(data, [source], progress=False)
    assert summary.count("ingested") == 1, [r.reason for r in summary.results]
    data.close()
    return root / "data"


@pytest.fixture(scope="module")
def masked(data_path):
    with TestClient(create_app(data_path)) as client:
        yield client


@pytest.fixture(scope="module")
def unmasked(data_path):
    with TestClient(create_app(data_path, mask=False)) as client:
        yield client


def get(client, path: str, **params) -> tuple[dict, str]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json(), response.text


def assert_no_personnummer(body: str) -> None:
    for number in (PNR, SAMORDNING):
        assert number not in body
        assert number.replace("-", "") not in body


def test_the_store_keeps_the_truth(data_path):
    from index.datadir import DataDir

    data = DataDir(data_path, readonly=True)
    try:
        (text,) = [r[0] for r in data.store.query("SELECT text FROM documents")]
    finally:
        data.close()
    assert PNR in text and SAMORDNING in text


def test_document_view_is_masked_with_offsets_unchanged(masked, unmasked):
    document, body = get(masked, "/api/documents/1")
    assert_no_personnummer(body)
    truth, truth_body = get(unmasked, "/api/documents/1")
    assert PNR in truth["text"] and SAMORDNING in truth_body
    text = document["text"]
    assert len(text) == len(truth["text"])
    at = truth["text"].index(PNR)
    assert text[at : at + len(PNR)] == "XXXXXX-XXXX"
    assert text.count("XXXXXX-XXXX") == 3
    for kept in KEPT:
        assert kept in text
    # Every offset the view uses points at the same text as before, apart from the masks.
    assert document["chunks"] == truth["chunks"]
    assert mask_text(truth["text"]) == text
    rubriker = [p["rubrik"] for p in document["paragrafer"]]
    assert "Överklagande av beslut om bistånd för XXXXXX-XXXX" in rubriker


def test_search_is_masked_and_highlights_still_mark_the_words(masked, unmasked):
    found, body = get(masked, "/api/search", q="bistånd hyra", mode="bm25")
    assert_no_personnummer(body)
    truth, _ = get(unmasked, "/api/search", q="bistånd hyra", mode="bm25")
    assert found["total"] == truth["total"] >= 1  # one card per §
    document, _ = get(masked, "/api/documents/1")
    shown = [r for r in found["results"] if "XXXXXX-XXXX" in r["snippet"]]
    assert shown, "a snippet shows the masked number"
    assert any(PNR in r["snippet"] for r in truth["results"])
    for result, original in zip(found["results"], truth["results"], strict=True):
        assert result["highlights"] == original["highlights"]
        assert len(result["snippet"]) == len(original["snippet"])
        assert document["text"][result["start"] : result["end"]] == result["text"]
        for start, end in result["highlights"]:
            assert result["snippet"][start:end].lower().startswith(("bistånd", "hyr"))


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "/api/search", {"q": PNR, "mode": "bm25"}),
        ("GET", "/api/ask", {"q": f"Vem har personnummer {PNR}?"}),
        ("POST", "/api/ask", {"q": PNR}),
        ("GET", "/api/arenden", {"q": PNR}),
    ],
)
def test_a_query_holding_a_personnummer_is_refused_while_masking(
    masked, unmasked, method, path, params
):
    """Its results would tell which documents hold the number, masked or not."""
    if method == "GET":
        response = masked.get(path, params=params)
    else:
        response = masked.post(path, json=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["parameter"] == "q"
    assert_no_personnummer(response.text)
    if path == "/api/search":
        found, _ = get(unmasked, path, **params)
        assert found["total"] >= 1, "the index holds the number: the refusal is what hides it"


def test_ask_is_masked_and_the_citation_still_points_at_its_quote(masked, unmasked):
    question = "Vilket personnummer har sökanden som ansöker om ekonomiskt bistånd till hyra?"
    answer, body = get(masked, "/api/ask", q=question)
    assert_no_personnummer(body)
    truth, _ = get(unmasked, "/api/ask", q=question)
    assert not answer["abstained"]
    assert PNR in truth["answer"]
    assert "XXXXXX-XXXX" in answer["answer"]
    document, _ = get(masked, "/api/documents/1")
    (citation,) = [c for c in answer["citations"] if "XXXXXX-XXXX" in c["quote"]]
    assert document["text"][citation["start"] : citation["end"]] == citation["quote"]
    posted = masked.post("/api/ask", json={"q": question})
    assert posted.status_code == 200
    assert_no_personnummer(posted.text)


def test_arenden_and_paragrafer_are_masked(masked, unmasked):
    listing, body = get(masked, "/api/arenden")
    assert_no_personnummer(body)
    assert SAMORDNING in get(unmasked, "/api/arenden")[1]
    exported = []
    for arende in listing["arenden"]:
        assert_no_personnummer(get(masked, f"/api/arenden/{arende['id']}")[1])
        for export in ("export.json", "export.csv", "utskrift"):
            response = masked.get(f"/api/arenden/{arende['id']}/{export}")
            assert response.status_code == 200
            exported.append(response.text)
    assert_no_personnummer("".join(exported))
    unit_ids = [u["paragraph_id"] for u in get(masked, "/api/documents/1")[0]["enheter"]]
    assert unit_ids
    bodies = [get(masked, f"/api/paragrafer/{i}")[1] for i in unit_ids]
    for paragraph_body in bodies:
        assert_no_personnummer(paragraph_body)
    assert any("XXXXXX-XXXX" in b for b in bodies)


def test_an_error_echoing_input_is_masked(masked):
    response = masked.get("/api/search", params={"q": "bistånd", "roll": PNR})
    assert response.status_code == 422
    assert_no_personnummer(response.text)


def test_app_and_access_logs_are_masked(masked, caplog, monkeypatch):
    """create_app installed the masking for every record made in the process."""
    # A uvicorn server started by an earlier test leaves uvicorn.access not propagating and
    # at its own level (its logging config); caplog listens at the root.
    monkeypatch.setattr(logging.getLogger("uvicorn.access"), "propagate", True)
    with caplog.at_level(logging.INFO), caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("namnd.api").warning("slow query %r", PNR)
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/api/ask?q={PNR}", "1.1", 200
        )
    assert {r.name for r in caplog.records} == {"namnd.api", "uvicorn.access"}
    assert_no_personnummer(caplog.text)
    assert "slow query 'XXXXXX-XXXX'" in caplog.text
    assert "/api/ask?q=XXXXXX-XXXX" in caplog.text


# --- the command --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["search", "bistånd hyra", "--mode", "bm25"],
        ["search", "bistånd hyra", "--mode", "bm25", "--json"],
        ["ask", "Vilket personnummer har sökanden som ansöker om ekonomiskt bistånd till hyra?"],
        ["documents"],
        ["documents", "--json"],
        ["arenden", "--json"],
        ["get", "/api/documents"],
    ],
)
def test_cli_output_is_masked_unless_no_mask(data_path, capsys, command):
    assert main([*command, "--data-dir", str(data_path)]) == 0
    shown = capsys.readouterr().out
    assert_no_personnummer(shown)
    assert "XXXXXX-XXXX" in shown
    assert main([*command, "--data-dir", str(data_path), "--no-mask"]) == 0
    raw = capsys.readouterr().out
    assert PNR in raw or SAMORDNING in raw
    assert len(raw) == len(shown)


def test_cli_arende_is_masked(data_path, capsys):
    assert main(["arenden", "--json", "--data-dir", str(data_path)]) == 0
    ids = [a["id"] for a in json.loads(capsys.readouterr().out)["arenden"]]
    outputs = []
    for arende_id in ids:
        assert main(["arende", str(arende_id), "--data-dir", str(data_path)]) == 0
        outputs.append(capsys.readouterr().out)
        for export in ("csv", "html"):
            argv = ["arende", str(arende_id), "--export", export, "--data-dir", str(data_path)]
            assert main(argv) == 0
            outputs.append(capsys.readouterr().out)
    assert_no_personnummer("".join(outputs))
    assert "XXXXXX-XXXX" in "".join(outputs)


# --- written forms -----------------------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
# One valid number per form, as protokoll and PDF text write them (issue 16). 850709-9805,
# 990101-5553 and 121212-1212 are valid; each masked form keeps every character but digits.
WRITTEN_FORMS = [
    "850709 - 9805",
    "990101 5553",
    "19990101 5553",
    "850709/9805",
    "850709.9805",
    "85 07 09-9805",
    "850709\u20139805",  # en dash
    "850709\u20119805",  # non-breaking hyphen
    "850709\u22129805",  # minus sign
    "850709\u00ad9805",  # soft hyphen
    "850709 \u2013 9805",
    "850709\u00a09805",  # no-break space
    "８５０７０９－９８０５",  # full-width digits and dash
    "１９８５０７０９－９８０５",
    "121212-\n1212",  # a PDF line wrapped at the hyphen
    "121212 -\n1212",
    "19121212-\r\n1212",
    "850709\u00ad\n9805",
    "811228+9874",
    "19811228 - 9874",
    "85 07 09 9805",
    "811228%2B9874",
]


def digits_masked(text: str) -> str:
    """Every digit as "X", the separator kept (also a URL-encoded "+", %2B)."""
    return "%2B".join(
        "".join("X" if char.isdigit() else char for char in part) for part in text.split("%2B")
    )


def break_check_digit(form: str) -> str:
    """The same written form with a wrong check digit (the last digit + 1 mod 10)."""
    last = max(i for i, char in enumerate(form) if char.isdigit())
    digit = (int(form[last]) + 1) % 10
    replacement = str(digit).translate(FULL_WIDTH) if form[last] > "9" else str(digit)
    return form[:last] + replacement + form[last + 1 :]


@pytest.mark.parametrize("form", WRITTEN_FORMS)
def test_written_forms_are_masked_at_the_same_length(form):
    text = f"Sökanden ({form}) ansöker."
    assert mask_text(text) == f"Sökanden ({digits_masked(form)}) ansöker."
    assert find_personnummer(text) == [(10, 10 + len(form))]


@pytest.mark.parametrize("form", WRITTEN_FORMS)
def test_written_forms_with_a_wrong_check_digit_are_kept(form):
    wrong = break_check_digit(form)
    assert mask_text(f"Nr {wrong}.") == f"Nr {wrong}."


def test_a_failed_candidate_does_not_hide_a_number_after_it():
    assert mask_text("år 2023 850709-9805") == "år 2023 XXXXXX-XXXX"
    assert mask_text("2023-05-24 – 2023-06-30") == "2023-05-24 – 2023-06-30"


@pytest.mark.parametrize("form", WRITTEN_FORMS)
def test_a_query_in_any_written_form_is_refused(masked, form):
    response = masked.get("/api/search", params={"q": f"bistånd {form}", "mode": "bm25"})
    assert response.status_code == 422
    assert digits_masked(form) in response.text or "personnummer" in response.text


@st.composite
def written_personnummer(draw) -> tuple[str, bool]:
    """A personnummer or samordningsnummer in a random written form, with a valid or a wrong
    check digit: (the text, whether it is valid)."""
    century = draw(st.sampled_from(["18", "19", "20"]))
    year = draw(st.integers(0, 99))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28)) + draw(st.sampled_from([0, 60]))
    serial = draw(st.integers(0, 999))
    nine = f"{year:02d}{month:02d}{day:02d}{serial:03d}"
    check = int(luhn_digit(nine))
    valid = draw(st.booleans())
    if not valid:
        check = (check + draw(st.integers(1, 9))) % 10
    date = nine[:6]
    if draw(st.booleans()):
        date = " ".join([date[:2], date[2:4], date[4:]])
    if draw(st.booleans()):
        date = century + date
    dash = draw(
        st.sampled_from(
            [*"-+/.\u2010\u2011\u2012\u2013\u2014\u2212\u00ad\ufe63\uff0d", "%2B"]
        )
    )
    before = draw(st.sampled_from(["", " ", "  ", "\u00a0"]))
    after = draw(st.sampled_from(["", " ", "\n", " \n", "\r\n", "\u202f"]))
    separator = draw(st.sampled_from(["", " ", "\u00a0", before + dash + after]))
    text = f"{date}{separator}{nine[6:]}{check}"
    if dash != "%2B" and draw(st.booleans()):  # a URL-encoded "+" is ASCII
        text = text.translate(FULL_WIDTH)
    return text, valid


@given(
    written_personnummer(),
    st.sampled_from(["", "Beslut för ", "(", "pnr:", "år 2023 ", "Dnr SOCN/2023:98 "]),
    st.sampled_from(["", ".", ") ", " ansöker", ", 1 234 kr"]),
)
@settings(max_examples=600, deadline=None)
def test_fuzz_every_valid_written_form_is_masked_everywhere_and_no_invalid_one(
    number, prefix, suffix
):
    form, valid = number
    text = f"{prefix}{form}{suffix}"
    expected = f"{prefix}{digits_masked(form)}{suffix}" if valid else text
    assert mask_text(text) == expected
    assert bool(find_personnummer(text)) == valid
    # Every output passes through these: JSON responses, log records, refused queries.
    rendered = json.loads(MaskedJSONResponse({"snippet": text, text: [text]}).body)
    assert rendered == {"snippet": expected, expected: [expected]}
    record = logging.LogRecord("namnd", logging.INFO, __file__, 1, "q=%s", (text,), None)
    MaskingLogFilter().filter(record)
    assert record.getMessage() == f"q={expected}"
    if valid:
        with pytest.raises(HTTPException) as refused:
            refuse_personnummer(text, mask=True)
        assert refused.value.status_code == 422
    else:
        refuse_personnummer(text, mask=True)


# --- written forms end to end ------------------------------------------------------------

FORMS_PROTOKOLL = (
    "## Protokoll fört vid socialnämndens sammanträde 2023-05-24\n\n§ 14\n\n"
    "## Ansökan om bistånd\n\nDnr SOCN/2023:100\n\n"
    + "".join(
        f"Sökande nummer {n} har personnummer {f} enligt ansökan.\n\n"
        for n, f in enumerate(WRITTEN_FORMS)
    )
    + "### Beslut\n\nSocialnämnden beslutar att bevilja bistånd.\n"
)


@pytest.fixture(scope="module")
def forms_path(tmp_path_factory):
    from index.datadir import DataDir
    from ingest.pipeline import ingest_paths
    from ingest.readers import Limits

    root = tmp_path_factory.mktemp("forms")
    folder = root / "in"
    folder.mkdir()
    (folder / "protokoll.txt").write_text(FORMS_PROTOKOLL, encoding="utf-8")
    data = DataDir(root / "data")
    ingest_paths(data, [folder], limits=Limits(max_seconds=None), progress=False)
    data.close()
    return root


def assert_no_written_form(body: str) -> None:
    for form in WRITTEN_FORMS:
        for variant in (form, json.dumps(form)[1:-1], form.replace("\n", " ")):
            assert variant not in body, form


def test_written_forms_are_masked_in_the_document_view_and_search(forms_path):
    with TestClient(create_app(forms_path / "data")) as client:
        (document_id,) = [d["id"] for d in client.get("/api/documents").json()["documents"]]
        document = client.get(f"/api/documents/{document_id}")
        assert document.status_code == 200
        assert_no_written_form(document.text)
        assert document.json()["text"].count("personnummer X") == len(WRITTEN_FORMS)
        found = client.get("/api/search", params={"q": "sökande personnummer", "mode": "bm25"})
        assert found.status_code == 200 and found.json()["total"] >= 1
        assert_no_written_form(found.text)
        answer = client.get("/api/ask", params={"q": "Vilket personnummer har sökande nummer 3?"})
        assert_no_written_form(answer.text)


@pytest.mark.parametrize("path", ["/api/documents/8507099805", "/api/arenden/8507099805"])
def test_a_404_message_echoing_the_path_is_masked(masked, path):
    response = masked.get(path)
    assert response.status_code == 404
    assert "8507099805" not in response.text
    assert "XXXXXXXXXX" in response.text


def test_ingest_and_check_list_skipped_names_masked(forms_path, capsys):
    folder = forms_path / "in"
    (folder / "beslut 850709-9805.rtf").write_text("{\\rtf1 Beslut}")
    (folder / "121212-1212.txt").write_bytes(b"")
    data = str(forms_path / "data")
    assert main(["ingest", str(folder), "--no-embed", "--quiet", "--data-dir", data]) == 1
    shown = capsys.readouterr().out
    assert "skipped " in shown and "beslut XXXXXX-XXXX.rtf: unsupported file type .rtf" in shown
    assert "XXXXXX-XXXX.txt: empty file" in shown
    assert "850709-9805" not in shown and "121212-1212" not in shown
    main(["check", "--data-dir", data])
    checked = capsys.readouterr().out
    assert "XXXXXX-XXXX.txt: empty file" in checked
    assert "121212-1212" not in checked and "850709-9805" not in checked
    main(["check", "--json", "--data-dir", data])
    assert "121212-1212" not in capsys.readouterr().out
    main(["check", "--no-mask", "--data-dir", data])
    assert "121212-1212.txt: empty file" in capsys.readouterr().out


def test_the_ingest_progress_bar_shows_file_names_masked(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "beslut 850709-9805.txt").write_text(FORMS_PROTOKOLL, encoding="utf-8")
    args = ["ingest", str(folder), "--no-embed", "--data-dir", str(tmp_path / "data")]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "beslut XXXXXX-XXXX" in captured.err  # the progress bar's file name
    assert "850709-9805" not in captured.err + captured.out
