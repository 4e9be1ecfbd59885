"""Masking of Swedish personnummer and samordningsnummer in what Nämndsök shows and logs.

Protokoll sometimes hold a person's personnummer (an individual case, a delegation
decision). The store keeps the documents as they are (export and backup keep the truth);
only output is masked: the JSON API, the `namnd` command's output, and log records.

What counts as a personnummer here:

- the forms YYMMDD-NNNN, YYMMDD+NNNN (the + of a person aged 100 or more), YYMMDDNNNN,
  YYYYMMDD-NNNN and YYYYMMDDNNNN, with the century 18, 19 or 20, and the ways they are
  written: `850709 - 9805`, `990101 5553`, `850709/9805`, `850709.9805`, `85 07 09-9805`,
  Unicode and full-width dashes and digits, a line break after the dash (see `_SEPARATOR`);
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
from collections.abc import Iterator
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse

# The written forms protokoll and PDF text produce: a separator of ASCII, Unicode or
# full-width dashes (soft hyphen, non-breaking hyphen, en dash, minus sign), "+", "/" or ".",
# with spaces around it or a line break after it (PDF lines wrap at the hyphen), or a space
# alone; the date with single spaces between its pairs (`85 07 09-9805`); digits of any
# script (full-width `８５０７０９`). URL-encoded separators let a query string in an access
# log be masked as well.
_SPACE = r"(?:[ \t\u00a0\u2007\u202f\u3000]|%20)"
_DASH = (
    r"(?:[-+/.\u00ad\u2010-\u2015\u2212\ufe58\ufe63\uff0b\uff0d\uff0e\uff0f]"
    r"|%2[BbDdFf]|%E2%80%9[0-5]|%E2%88%92|%C2%AD|%EF%BC%8D)"
)
_BREAK = rf"(?:{_SPACE}*\r?\n{_SPACE}*)?"
_SEPARATOR = rf"{_SPACE}*{_BREAK}{_DASH}\u00ad?{_SPACE}*{_BREAK}|{_SPACE}{{1,2}}"
_PAIR_SPACE = r"(?:[ \u00a0\u202f]|%20)?"
_TAIL = (
    rf"(?P<year>\d\d){_PAIR_SPACE}(?P<month>\d\d){_PAIR_SPACE}"
    rf"(?P<day>\d\d)(?P<sep>{_SEPARATOR})?(?P<number>\d{{4}})(?!\d)"
)
PERSONNUMMER = re.compile(rf"(?<!\d)(?P<century>\d\d)?{_TAIL}")
_DIGIT_GROUPS = ("century", "year", "month", "day", "number")


def _luhn_ok(digits: str) -> bool:
    """The last of ten digits is the Luhn check digit of the first nine."""
    total = 0
    for i, char in enumerate(digits[:9]):
        value = int(char) * (2 - i % 2)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10 == int(digits[9])


def _is_personnummer(match: re.Match[str]) -> bool:
    century, year, month, day, number = match.group(*_DIGIT_GROUPS)
    return (
        (not century or int(century) in (18, 19, 20))
        and 1 <= int(month) <= 12
        and (1 <= int(day) <= 31 or 61 <= int(day) <= 91)
        and _luhn_ok(year + month + day + number)
    )


def _matches(text: str) -> Iterator[re.Match[str]]:
    """The personnummer in `text`. A candidate that fails the checks does not hide one that
    starts inside it (`år 2023 850709-9805`: `2023 850709` is read first, as year 20, month
    23); a longer run of digits is still never cut."""
    position = 0
    while found := PERSONNUMMER.search(text, position):
        if _is_personnummer(found):
            yield found
            position = found.end()
        else:
            position = found.start() + 1


def _masked(text: str, match: re.Match[str]) -> str:
    """The match with every digit of the number as "X"; separators and spaces stay, so the
    length and every offset after it stay the same."""
    out = list(match[0])
    for group in _DIGIT_GROUPS:
        if match[group]:
            start, end = match.span(group)
            out[start - match.start() : end - match.start()] = "X" * (end - start)
    return "".join(out)


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
    return [m.span() for m in _matches(text)]


def mask_text(text: str) -> str:
    """`text` with every personnummer masked, at the same length."""
    out, position = [], 0
    for match in _matches(text):
        out += [text[position : match.start()], _masked(text, match)]
        position = match.end()
    out.append(text[position:])
    return "".join(out)


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
