"""What the collection covers, and what it lacks: meetings per kommun and organ, the § numbers
missing inside a year's sequence, months without a meeting where the organ usually meets.

Users of document collections most often complain that they cannot tell what is missing, so
this is computed from the store alone (`GET /api/coverage`, `namnd coverage`):

- A **meeting** is an organ's date with a protokoll or a kallelse. A protokollsutdrag whose §
  numbers all lie inside a protokoll's of the same organ and year is an extract of that
  meeting (its own date is often the extract's, not the meeting's) and is listed with it;
  another protokollsutdrag stands for a meeting the collection has no protokoll of.
- **Missing §**: § are numbered through the year (§ 1 at the first meeting of the year) or,
  in some kommuner, from 1 at every meeting. When every protokoll of the organ's year opens
  with § 1 the numbering is per meeting and a gap is a hole inside one meeting's range;
  otherwise the year's § from its lowest to its highest number are one sequence and every
  number not found is missing.
- **Months without a meeting**: inside the span from the organ's first to its last meeting, a
  month without a meeting is reported when the organ usually meets then: it met in that
  month of another year of the collection, or in both the month before and the month after
  (nämnder follow a yearly sammanträdesplan, mostly monthly with a summer break; a lone
  month without a meeting between two with one is a gap in the collection or in the plan).

`outside_notes` tells a search or a question whose kommun or date filter falls outside what
the collection covers, so "no hits" is not mistaken for "nothing happened".
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from index.filters import Filters
from index.store import Store

from .citation import permalink

MEETING_TYPES = ("protokoll", "kallelse")
EXTRACT_TYPE = "protokollsutdrag"
NUMBERED_TYPES = ("protokoll", EXTRACT_TYPE)  # parts whose § numbers are the meeting's


def coverage(store: Store) -> dict[str, Any]:
    """Per kommun and organ: meetings, missing § per year, months without a meeting."""
    rows = store.query(
        f"""SELECT d.kommun, coalesce(pa.namnd, d.namnd) AS namnd, pa.datum, pa.dokumenttyp,
                   pa.document_id, pa.id AS part_id, d.title, d.dokumenttyp AS doc_typ,
                   d.source_url
            FROM parts pa JOIN documents d ON d.id = pa.document_id
            WHERE pa.dokumenttyp IN ({",".join("?" * (len(MEETING_TYPES) + 1))})
              AND pa.datum IS NOT NULL
            ORDER BY d.kommun, namnd, pa.datum, pa.document_id, pa.ordinal""",
        [*MEETING_TYPES, EXTRACT_TYPE],
    )
    numbers: dict[int, list[int]] = defaultdict(list)
    for row in store.query(
        f"""SELECT p.part_id, p.nummer FROM paragraphs p JOIN parts pa ON pa.id = p.part_id
            WHERE p.nummer IS NOT NULL
              AND pa.dokumenttyp IN ({",".join("?" * len(NUMBERED_TYPES))})""",
        NUMBERED_TYPES,
    ):
        numbers[row["part_id"]].append(row["nummer"])
    organs: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in rows:
        organs[(row["kommun"] or "okänd", row["namnd"] or "okänd")].append(row)
    by_kommun: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (kommun, namnd), parts in organs.items():
        by_kommun[kommun].append(_organ(namnd, parts, numbers))
    years = _years(store)
    return {
        "dokument": int(store.scalar("SELECT count(*) FROM documents") or 0),
        "kommuner": [
            {
                "kommun": kommun,
                "ar": years.get(kommun, []),
                "dokument": int(
                    store.scalar("SELECT count(*) FROM documents WHERE kommun = ?", [kommun]) or 0
                ),
                "organ": sorted(found, key=lambda o: o["namnd"]),
            }
            for kommun, found in sorted(by_kommun.items())
        ],
        "utan_moten": _without_meetings(store, set(by_kommun)),
    }


def _organ(namnd: str, parts: list[Any], numbers: dict[int, list[int]]) -> dict[str, Any]:
    meetings: dict[str, dict[str, Any]] = {}
    extracts: list[Any] = []
    for part in parts:
        if part["dokumenttyp"] == EXTRACT_TYPE:
            extracts.append(part)
            continue
        meeting = meetings.setdefault(part["datum"], _meeting(part["datum"]))
        _add(meeting, part, numbers.get(part["part_id"], []))
    for part in extracts:
        found = numbers.get(part["part_id"], [])
        host = next(
            (
                m
                for m in meetings.values()
                if m["datum"][:4] == part["datum"][:4]
                and found
                and m["nummer"]
                and all(min(m["nummer"]) <= n <= max(m["nummer"]) for n in found)
            ),
            None,
        )
        if host is None:
            host = meetings.setdefault(part["datum"], _meeting(part["datum"]))
        _add(host, part, found)
    ordered = [meetings[d] for d in sorted(meetings)]
    sequences = []  # (datum, kinds, sorted § numbers) per meeting
    for meeting in ordered:
        nummer = sorted(set(meeting.pop("nummer")))
        sequences.append((meeting["datum"], meeting["typer"], nummer))
        meeting["paragrafer"] = _range_text(nummer)
        meeting["forsta_paragraf"] = nummer[0] if nummer else None
        meeting["sista_paragraf"] = nummer[-1] if nummer else None
        meeting["antal_paragrafer"] = len(nummer)
    return {
        "namnd": namnd,
        "moten": ordered,
        "saknade_paragrafer": _missing_numbers(sequences),
        "manader_utan_mote": _months_without(ordered),
    }


def _meeting(datum: str) -> dict[str, Any]:
    return {"datum": datum, "nummer": [], "typer": [], "dokument": []}


def _add(meeting: dict[str, Any], part: Any, found: list[int]) -> None:
    meeting["nummer"].extend(found)
    if part["dokumenttyp"] not in meeting["typer"]:
        meeting["typer"].append(part["dokumenttyp"])
    if all(d["id"] != part["document_id"] for d in meeting["dokument"]):
        meeting["dokument"].append(
            {
                "id": part["document_id"],
                "titel": part["title"],
                "dokumenttyp": part["doc_typ"],
                "source_url": part["source_url"],
                "permalink": permalink(part["document_id"], None, None),
            }
        )


def _missing_numbers(sequences: list[tuple[str, list[str], list[int]]]) -> list[dict[str, Any]]:
    """Per year: the § numbers not found inside its sequence, as ranges. `sequences`:
    (datum, kinds, sorted § numbers) per meeting."""
    out = []
    by_year: dict[str, list[tuple[list[str], list[int]]]] = defaultdict(list)
    for datum, kinds, numbers in sequences:
        if numbers:
            by_year[datum[:4]].append((kinds, numbers))
    for year, found in sorted(by_year.items()):
        protokoll = [numbers for kinds, numbers in found if "protokoll" in kinds]
        per_meeting = bool(protokoll) and all(numbers[0] == 1 for numbers in protokoll)
        runs = (
            [numbers for _, numbers in found]
            if per_meeting
            else [sorted({n for _, numbers in found for n in numbers})]
        )
        gaps: set[int] = set()
        for run in runs:
            gaps.update(n for n in range(run[0], run[-1] + 1) if n not in set(run))
        if gaps:
            out.append(
                {
                    "ar": int(year),
                    "numrering": "per möte" if per_meeting else "per år",
                    "saknas": _ranges(sorted(gaps)),
                    "antal": len(gaps),
                }
            )
    return out


def _months_without(meetings: list[dict[str, Any]]) -> list[str]:
    """Months (YYYY-MM) inside the organ's span without a meeting where it usually meets."""
    met = {m["datum"][:7] for m in meetings}
    if not met:
        return []
    months = sorted(met)
    first, last = _month_number(months[0]), _month_number(months[-1])
    calendar_months = defaultdict(set)  # month of the year -> years with a meeting then
    for month in met:
        calendar_months[month[5:7]].add(month[:4])
    out = []
    for number in range(first + 1, last):
        month = _month_text(number)
        if month in met:
            continue
        other_year = bool(calendar_months[month[5:7]] - {month[:4]})
        around = _month_text(number - 1) in met and _month_text(number + 1) in met
        if other_year or around:
            out.append(month)
    return out


def _month_number(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month_text(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def _ranges(numbers: list[int]) -> list[str]:
    """[82, 83, 84, 90] -> ["82–84", "90"]."""
    out: list[str] = []
    start = previous = None
    for n in numbers:
        if previous is not None and n == previous + 1:
            previous = n
            continue
        if start is not None:
            out.append(str(start) if start == previous else f"{start}–{previous}")
        start = previous = n
    if start is not None:
        out.append(str(start) if start == previous else f"{start}–{previous}")
    return out


def _range_text(numbers: list[int]) -> str | None:
    return ", ".join(_ranges(numbers)) or None


def _years(store: Store) -> dict[str, list[int]]:
    """The years each kommun's documents (parts) are dated in."""
    out: dict[str, list[int]] = defaultdict(list)
    for row in store.query(
        """SELECT DISTINCT d.kommun, substr(pa.datum, 1, 4) AS ar
           FROM parts pa JOIN documents d ON d.id = pa.document_id
           WHERE pa.datum IS NOT NULL ORDER BY d.kommun, ar"""
    ):
        out[row["kommun"] or "okänd"].append(int(row["ar"]))
    return dict(out)


def _without_meetings(store: Store, with_meetings: set[str]) -> list[dict[str, Any]]:
    """Kommuner with documents but no protokoll or kallelse (so no meeting to show)."""
    return [
        {"kommun": row[0] or "okänd", "dokument": row[1]}
        for row in store.query(
            "SELECT kommun, count(*) FROM documents GROUP BY kommun ORDER BY kommun"
        )
        if (row[0] or "okänd") not in with_meetings
    ]


# --- filters outside the collection --------------------------------------------------------


def covered(store: Store) -> tuple[list[str], list[int], dict[str, list[int]]]:
    """(kommuner, years, years per kommun) the collection has documents for."""
    per_kommun = _years(store)
    kommuner = sorted({r[0] for r in store.query("SELECT DISTINCT kommun FROM documents") if r[0]})
    years = sorted({y for found in per_kommun.values() for y in found})
    return kommuner, years, per_kommun


def outside_notes(store: Store, filters: Filters) -> list[str]:
    """Notes (Swedish, for the UI and the CLI) when a kommun or date filter lies outside
    what the collection covers; empty when it lies inside."""
    if not (filters.kommun or filters.datum_from or filters.datum_to):
        return []  # nothing to check: no query of the store on an unfiltered search
    kommuner, years, per_kommun = covered(store)
    notes: list[str] = []
    kommun = None
    if filters.kommun:
        kommun = next((k for k in kommuner if k.lower() == filters.kommun.lower()), None)
        if kommun is None:
            notes.append(
                f"Samlingen har inga handlingar från {filters.kommun}; den täcker "
                f"{_join(kommuner) or 'inga kommuner än'}."
            )
    if filters.datum_from or filters.datum_to:
        low = int(filters.datum_from[:4]) if filters.datum_from else None
        high = int(filters.datum_to[:4]) if filters.datum_to else None
        scope = per_kommun.get(kommun, []) if kommun else years
        inside = [y for y in scope if (low is None or y >= low) and (high is None or y <= high)]
        if scope and not inside:
            where = f"Från {kommun} täcker samlingen" if kommun else "Samlingen täcker"
            asked = f"{filters.datum_from or '…'}–{filters.datum_to or '…'}"
            notes.append(f"{where} åren {_join([str(y) for y in scope])}; {asked} ligger utanför.")
    return notes


def _join(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " och " + items[-1]
