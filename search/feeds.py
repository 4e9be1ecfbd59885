"""Atom 1.0 feeds and CSV of a search, and the feed of an ärende.

A feed has one entry per § or part (its best passage as the summary), newest meeting date
first. Entry ids are `urn:uuid:` names derived from the unit's stable key (search/citation.py
`unit_key`: the document's content hash and the § number or part), so a feed reader sees the
same § as the same entry across server restarts, `namnd reindex` and a restored export, and a
new § as a new one. The feed's own id is derived from its canonical parameters.

Links are absolute: `base` is the server's URL as the client reached it.
"""

from __future__ import annotations

import csv
import io
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from index.filters import Filters

from .citation import annotate, unit_fields, units
from .hybrid import Searcher

ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
CSV_FIELDS = (
    "kommun",
    "namnd",
    "datum",
    "paragraf",
    "dnr",
    "rubrik",
    "dokumenttyp",
    "permalink",
    "snippet",
)
SUMMARY_CHARS = 400  # an ärende member's summary: the opening of its text
# Namespace of the uuid5 entry and feed ids (fixed: changing it changes every id).
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/namndsok")

ET.register_namespace("", ATOM)


def unit_results(
    searcher: Searcher, query: str, filters: Filters, limit: int, mode: str, fusion: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """A search's results, annotated (search/citation.py), one per § or part in rank order
    (its best passage), with the search's notes."""
    options = {"fusion": fusion} if fusion else {}
    response = searcher.search(query, filters, limit=limit, mode=mode, **options)
    seen: set[str] = set()
    out = []
    for result in annotate(searcher.data.store, response.results):
        key = result.get("nyckel")
        if key is None or key in seen:
            continue
        seen.add(key)
        out.append(result)
    return out, response.notes


def newest_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By meeting date, newest first (undated last); ties keep their rank."""
    dated = sorted((e for e in entries if e.get("datum")), key=lambda e: e["datum"], reverse=True)
    return dated + [e for e in entries if not e.get("datum")]


def entry_title(entry: dict[str, Any]) -> str:
    """ "Eskilstuna · Socialnämnden · 2023-09-26 · § 75 Rubrik"."""
    head = (
        f"§ {entry['paragraf']} {entry.get('rubrik') or ''}"
        if entry.get("paragraf")
        else (entry.get("rubrik") or (entry.get("dokumenttyp") or "").capitalize())
    )
    pieces = [entry.get("kommun"), entry.get("namnd"), entry.get("datum"), head.strip()]
    return " · ".join(p for p in pieces if p)


def arende_entries(store, arende: dict[str, Any]) -> list[dict[str, Any]]:
    """The members of an ärende (search/arenden.py `get_arende`) as feed entries."""
    ids = [m["paragraph_id"] for m in arende["tidslinje"]]
    rows = units(store, ids)
    openings: dict[int, str] = {}
    for start in range(0, len(ids), 900):
        batch = ids[start : start + 900]
        for row in store.query(
            f"""SELECT paragraph_id, text FROM chunks WHERE paragraph_id IN
                ({",".join("?" * len(batch))}) ORDER BY paragraph_id, ordinal""",
            batch,
        ):
            openings.setdefault(row["paragraph_id"], row["text"])
    out = []
    for member in arende["tidslinje"]:
        row = rows.get(member["paragraph_id"])
        if row is None:
            continue
        entry = {**member, **unit_fields(row)}
        entry["snippet"] = _opening(openings.get(member["paragraph_id"], ""))
        out.append(entry)
    return newest_first(out)


def _opening(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"


def feed_id(kind: str, params: dict[str, Any]) -> str:
    canonical = urlencode(sorted((k, str(v)) for k, v in params.items() if v not in (None, "")))
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, f'{kind}?{canonical}')}"


def atom_feed(
    *,
    title: str,
    feed_urn: str,
    self_url: str,
    alternate_url: str,
    updated: str,
    entries: list[dict[str, Any]],
    base: str,
    mask: Callable[[Any], Any] = lambda value: value,
) -> bytes:
    """The Atom document (UTF-8 bytes). `updated` is an RFC 3339 time; `mask` masks text
    that reaches the feed (personnummer, api/masking.py)."""
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "sv"})
    _text(feed, "id", feed_urn)
    _text(feed, "title", mask(title))
    _text(feed, "updated", _rfc3339(updated))
    _text(feed, "generator", "Nämndsök")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "Nämndsök")
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": self_url, "type": ATOM_TYPE})
    ET.SubElement(
        feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": alternate_url, "type": "text/html"}
    )
    for entry in entries:
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(item, "id", f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, entry['nyckel'])}")
        _text(item, "title", mask(entry_title(entry)))
        document = entry["dokument"]
        _text(item, "updated", _rfc3339(document["ingested_at"]))
        if entry.get("datum"):
            _text(item, "published", f"{entry['datum']}T00:00:00Z")
        ET.SubElement(
            item,
            f"{{{ATOM}}}link",
            {"rel": "alternate", "href": base + entry["permalink"], "type": "text/html"},
        )
        if document.get("source_url"):
            ET.SubElement(item, f"{{{ATOM}}}link", {"rel": "via", "href": document["source_url"]})
        if entry.get("dokumenttyp"):
            ET.SubElement(item, f"{{{ATOM}}}category", {"term": entry["dokumenttyp"]})
        passage = " ".join((entry.get("snippet") or "").split())
        _text(item, "summary", mask(f"{entry['kallhanvisning']}. {passage}"))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{name}").text = value


def _rfc3339(value: str | None) -> str:
    """A stored time ("2024-05-01T10:00:00+00:00") or date as RFC 3339."""
    if not value:
        return "1970-01-01T00:00:00Z"
    if len(value) == 10:
        return f"{value}T00:00:00Z"
    return value.replace("+00:00", "Z")


def results_csv(results: list[dict[str, Any]], base: str) -> str:
    """One row per result, CSV_FIELDS in order, permalinks absolute; `dnr` as in the result
    ("SOCN/2023:39, SOCN/2023:40")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for result in results:
        row = []
        for name in CSV_FIELDS:
            value = result.get(name)
            if name == "permalink" and value:
                value = base + value
            if name == "snippet" and value:
                value = " ".join(str(value).split())
            row.append(_cell(value))
        writer.writerow(row)
    return out.getvalue()


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula ("=…", "+…") is quoted with a
    leading apostrophe (the OWASP advice for CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
