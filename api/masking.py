"""Masking of Swedish personnummer and samordningsnummer in what Nämndsök shows and logs.

Protokoll sometimes hold a person's personnummer (an individual case, a delegation
decision). The store keeps the documents as they are (export and backup keep the truth);
only output is masked: the JSON API, the `namnd` command's output, and log records.

What counts as a personnummer here:

- the forms YYMMDD-NNNN, YYMMDD+NNNN (the + of a person aged 100 or more), YYMMDDNNNN,
  YYYYMMDD-NNNN and YYYYMMDDNNNN, with the century 18, 19 or 20;
- not part of a longer run of digits (an OCR or account number is not cut up);
- month 01–12 and day 01–31, or 61–91 for a samordningsnummer (day + 60);
- a valid Luhn check digit over the 10-digit form YYMMDDNNNN.

Dnr ("SOCN/2023:98"), amounts ("1 234 567 kr"), phone numbers ("016-710 10 00"), dates
("2023-05-24") and law references have no such digit run, and an organisation number
("212000-0340") has a month of 20 or more, so none of them is masked. A ten-digit run
without a separator that happens to be a valid date with a valid check digit (about one
phone number "07…" in ten) is masked too: hiding a number too many is the safe mistake.

A match is masked with the same length (every digit becomes "X", the separator stays:
"XXXXXX-XXXX"), so character offsets (highlights, citations, document view marks) stay
valid. "%2B", a URL-encoded "+", is accepted as a separator so that a query string in an
access log line is masked as well.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse

PERSONNUMMER = re.compile(r"(?<!\d)(?:18|19|20)?(\d{2})(\d{2})(\d{2})(-|\+|%2[Bb])?(\d{4})(?!\d)")


def _luhn_ok(digits: str) -> bool:
    """The last of ten digits is the Luhn check digit of the first nine."""
    total = 0
    for i, char in enumerate(digits[:9]):
        value = int(char) * (2 - i % 2)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10 == int(digits[9])


def _is_personnummer(match: re.Match[str]) -> bool:
    year, month, day, _, number = match.groups()
    return (
        1 <= int(month) <= 12
        and (1 <= int(day) <= 31 or 61 <= int(day) <= 91)
        and _luhn_ok(year + month + day + number)
    )


def _masked(match: re.Match[str]) -> str:
    if not _is_personnummer(match):
        return match[0]
    if match[4] is None:
        return "X" * len(match[0])
    return "X" * (match.start(4) - match.start()) + match[4] + "XXXX"


# Why a search or question holding a personnummer is refused while output is masked: its
# results would tell which documents hold the number even with the number itself masked.
PERSONNUMMER_REFUSED = (
    "Sökningar på personnummer eller samordningsnummer är avstängda: svaret skulle visa "
    "var numret förekommer."
)


def refuse_personnummer(q: str, mask: bool) -> None:
    """422 for a query holding a personnummer while output is masked."""
    if mask and find_personnummer(q):
        raise HTTPException(
            status_code=422, detail=[{"parameter": "q", "message": PERSONNUMMER_REFUSED}]
        )


def find_personnummer(text: str) -> list[tuple[int, int]]:
    """Spans of the personnummer and samordningsnummer in `text`."""
    return [m.span() for m in PERSONNUMMER.finditer(text) if _is_personnummer(m)]


def mask_text(text: str) -> str:
    """`text` with every personnummer masked, at the same length."""
    return PERSONNUMMER.sub(_masked, text)


def mask_data(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings) with every string masked, keys
    included. This is the one output boundary: results, snippets, answers, citations,
    documents and ärenden are all masked by passing through it whole."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {mask_data(k): mask_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_data(v) for v in value]
    return value


class MaskedJSONResponse(JSONResponse):
    """The API's JSON response with every string masked (`create_app(mask=True)`)."""

    def render(self, content: Any) -> bytes:
        return super().render(mask_data(content))


class MaskingLogFilter(logging.Filter):
    """Masks a log record in place: its message, its arguments (uvicorn's access log
    passes the path with the query string as one) and its traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(str(record.msg))  # getMessage() would str() it anyway
        if isinstance(record.args, dict):
            record.args = {k: _mask_arg(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_mask_arg(v) for v in record.args)
        if record.exc_info and not record.exc_text:
            # Formatter.format uses exc_text when it is set instead of formatting again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


def _mask_arg(value: Any) -> Any:
    # Only strings: uvicorn's access formatter needs the status code to stay an int.
    return mask_text(value) if isinstance(value, str) else value


_installed = False


def install_log_masking() -> None:
    """Mask every log record this process creates, whichever logger and handler it goes
    through (uvicorn configures its own handlers when it starts, after the app is made, and
    a logger's filter does not see its children's records), by running `MaskingLogFilter`
    in the log record factory. Safe to call more than once."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()
    masking = MaskingLogFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        masking.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
