"""An ärende for the audit file: a printable HTML page, and JSON or CSV with every step,
date, citation and link.

Everything comes from the dict `search.arenden.get_arende` returns (masked by the caller
when output is masked). The flat rows (`rows`) are the CSV and the JSON's `rader`: one row
per step of the chain, bilaga, recommendation, answering passage (once per place it is
written), link with its evidence and hänvisning, each with its date, its source and offsets
and a link that opens the place in the web UI. The page is built with every text escaped:
document text is untrusted.
"""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Any
from urllib.parse import urlencode

COLUMNS = [
    "del",
    "nummer",
    "typ",
    "datum",
    "datum_kalla",
    "datum_intervall",
    "namnd",
    "paragraf",
    "rubrik",
    "dnr",
    "text",
    "regel",
    "saker",
    "konfidens",
    "source",
    "document_id",
    "start",
    "end",
    "lank",
]
STEP_LABELS = {
    "initiativ": "Initiativ",
    "granskning": "Granskning",
    "missiv": "Missiv",
    "anmälan": "Anmälan",
    "svar": "Nämndens svar",
    "beslut": "Beslut",
    "uppföljning": "Uppföljning",
}


def place_link(base: str, document_id: int | None, start: int | None, end: int | None) -> str:
    """The web UI's address of a place in a document (the whole document without offsets)."""
    if document_id is None:
        return ""
    params: dict[str, Any] = {"doc": document_id}
    if start is not None and end is not None:
        params |= {"start": start, "end": end}
    return f"{base.rstrip('/')}/?{urlencode(params)}"


def unit_link(base: str, unit: dict[str, Any]) -> str:
    """The web UI's address of a § (by its number) or a part without § (by its id)."""
    params: dict[str, Any] = {"doc": unit["document_id"]}
    if unit.get("paragraf"):
        params["paragraf"] = unit["paragraf"]
    else:
        params["del"] = unit["part_id"]
    return f"{base.rstrip('/')}/?{urlencode(params)}"


def rows(arende: dict[str, Any], base: str = "") -> list[dict[str, Any]]:
    """The ärende as flat rows (see the module docstring), in reading order."""
    out: list[dict[str, Any]] = []

    def add(unit: dict[str, Any] | None = None, **values: Any) -> None:
        row = dict.fromkeys(COLUMNS, "")
        row.update({k: v for k, v in values.items() if v is not None})
        row["lank"] = (
            unit_link(base, unit)
            if unit
            else place_link(base, values.get("document_id"), values.get("start"), values.get("end"))
        )
        out.append(row)

    for n, step in enumerate(arende["kedja"], start=1):
        span = step.get("datum_intervall") or {}
        add(
            step,
            del_="steg",
            nummer=n,
            typ=step["steg"],
            datum=step["datum"],
            datum_kalla=step["datum_kalla"],
            datum_intervall=_between(span),
            namnd=step["namnd"],
            paragraf=step["paragraf"],
            rubrik=step["rubrik"],
            dnr=", ".join(step["dnr"]),
            text=" ".join(step.get("beslut") or []),
            saker=step["sakerhet"] == "säker",
            konfidens=step["konfidens"],
            source=step["source"],
            document_id=step["document_id"],
            start=step["start"],
            end=step["end"],
        )
        for bilaga in step["bilagor"]:
            add(
                bilaga,
                del_="bilaga",
                nummer=n,
                typ=bilaga["typ"],
                datum=bilaga["datum"],
                datum_kalla=bilaga["datum_kalla"],
                rubrik=bilaga["rubrik"],
                source=step["source"] if bilaga["document_id"] == step["document_id"] else "",
                document_id=bilaga["document_id"],
                start=bilaga["start"],
                end=bilaga["end"],
            )
    for rec in arende["revision"]:
        for source in rec["kallor"]:
            add(
                del_="rekommendation",
                nummer=rec["nummer"],
                typ=source["typ"],
                text=source["text"],
                document_id=source["document_id"],
                start=source["start"],
                end=source["end"],
            )
        for answer in rec["svar"]:
            for place in answer["platser"]:
                add(
                    del_="svar",
                    nummer=rec["nummer"],
                    typ=place["typ"],
                    datum=place["datum"],
                    paragraf=place["paragraf"],
                    rubrik=place["rubrik"],
                    text=answer["passager"][0]["text"],
                    saker=not answer["osaker"],
                    konfidens=answer["likhet"],
                    source=place["source"],
                    document_id=place["document_id"],
                    start=place["start"],
                    end=place["end"],
                )
    for link in arende["lankar"]:
        add(
            del_="koppling",
            nummer=f"{link['fran']}-{link['till']}",
            regel=link["regel"],
            text=link["varde"],
            saker=link["saker"],
            konfidens=link["konfidens"],
            document_id=link["document_id"] if link["start"] is not None else None,
            start=link["start"],
            end=link["end"],
        )
    for ref in arende["hanvisningar"]:
        add(
            del_="hanvisning",
            nummer=ref["paragraph_id"],
            typ=ref["typ"],
            datum=ref["datum"],
            paragraf=ref["paragraf"],
            dnr=ref["dnr"],
            text=ref["text"],
            regel="extern" if ref["extern"] else ref["riktning"],
            document_id=ref["document_id"],
            start=ref["start"],
            end=ref["end"],
        )
    for row in out:
        row["del"] = row.pop("del_")
    return out


def to_csv(arende: dict[str, Any], base: str = "") -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(arende, base))
    return buffer.getvalue()


def to_json(arende: dict[str, Any], base: str = "") -> dict[str, Any]:
    """The ärende's chain, audit trail, evidence and hänvisningar, and the same as rows."""
    keys = ("id", "kommun", "rubrik", "dnr", "forsta_datum", "senaste_datum", "antal", "osakra")
    out = {key: arende[key] for key in keys}
    out |= {
        "kedja": arende["kedja"],
        "revision": arende["revision"],
        "lankar": arende["lankar"],
        "hanvisningar": arende["hanvisningar"],
        "rader": rows(arende, base),
    }
    return out


def to_html(arende: dict[str, Any], base: str = "") -> str:
    """A printable page: the chain with evidence, each recommendation with its answer (once,
    with every place it is written), the links and the hänvisningar."""
    e = _escaped
    title = arende["rubrik"] or f"Ärende {arende['id']}"
    period = arende["forsta_datum"] or ""
    if arende["senaste_datum"] and arende["senaste_datum"] != period:
        period += f" – {arende['senaste_datum']}"
    parts = [
        "<!doctype html>",
        '<html lang="sv"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title>",
        "<style>body{font:11pt/1.45 Georgia,serif;max-width:48rem;margin:2rem auto;"
        "padding:0 1rem;color:#111}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;"
        "border-bottom:1px solid #999}blockquote{margin:.4rem 0 .4rem 1rem;padding-left:.6rem;"
        "border-left:3px solid #999}table{border-collapse:collapse;width:100%;font-size:9pt}"
        "td,th{border:1px solid #bbb;padding:.2rem .3rem;vertical-align:top;text-align:left}"
        ".meta{color:#444;font-size:.9rem}a{color:#1a4d8f;overflow-wrap:anywhere}"
        "@media print{a{color:#111}}</style></head><body>",
        f"<p class=meta>Ärende {arende['id']} · {e(arende['kommun'])}</p>",
        f"<h1>{e(title)}</h1>",
        f"<p class=meta>Dnr: {e(', '.join(arende['dnr']) or '–')} · Period: {e(period)} · "
        f"{arende['antal']} delar, varav {arende['osakra']} osäkert kopplade</p>",
        "<h2>Ärendets gång</h2><ol>",
    ]
    for step in arende["kedja"]:
        span = step.get("datum_intervall") or {}
        datum = step["datum"] or f"odaterat {_between(span)}".strip()
        link = unit_link(base, step)
        extra = [
            f"Revisor: {step['revisor']}" if step.get("revisor") else "",
            f"Till: {step['till']}" if step.get("till") else "",
            f"Svar senast {step['svar_senast']}" if step.get("svar_senast") else "",
            "säker" if step["sakerhet"] == "säker" else f"{step['sakerhet']} {step['konfidens']}",
        ]
        parts.append(
            f"<li><p><strong>{e(STEP_LABELS.get(step['steg'], step['steg']))}</strong> · "
            f"{e(datum)} · {e(step['namnd'])}</p>"
            f"<p>{'§ ' + e(step['paragraf']) + ' ' if step['paragraf'] else ''}"
            f'<a href="{e(link)}">{e(step["rubrik"])}</a> ({e(step["source"])})</p>'
            f"<p class=meta>{e(' · '.join(x for x in extra if x))}</p>"
        )
        if step.get("beslut"):
            parts.append(
                "<blockquote>" + "".join(f"<p>{e(t)}</p>" for t in step["beslut"]) + "</blockquote>"
            )
        for proof in step["bevis"]:
            sure = "säker" if proof["saker"] else f"osäker {proof['konfidens']}"
            parts.append(
                f"<p class=meta>Bevis ({e(proof['regel'])}, {sure}): {e(proof['varde'])}</p>"
            )
        if step["bilagor"]:
            parts.append(
                "<p class=meta>Bilagor: "
                + "; ".join(
                    f'<a href="{e(unit_link(base, b))}">{e(b["rubrik"])}</a> {e(b["datum"])}'
                    for b in step["bilagor"]
                )
                + "</p>"
            )
        parts.append("</li>")
    parts.append("</ol>")
    if arende["revision"]:
        parts.append("<h2>Revisionens rekommendationer och nämndens svar</h2><ol>")
        for rec in arende["revision"]:
            parts.append(f"<li><blockquote>{e(rec['text'])}</blockquote>")
            if not rec["svar"]:
                parts.append("<p class=meta>Inget svar hittat.</p>")
            for answer in rec["svar"]:
                places = ", ".join(
                    f'<a href="{e(place_link(base, p["document_id"], p["start"], p["end"]))}">'
                    f"{e('§ ' + p['paragraf'] if p['paragraf'] else p['typ'])}"
                    f"{' ' + e(p['datum']) if p['datum'] else ''}</a>"
                    for p in answer["platser"]
                )
                note = " (osäkert)" if answer["osaker"] else ""
                parts.append(
                    f"<p class=meta>Svar{note}, står i: {places}</p>"
                    f"<blockquote>{e(answer['passager'][0]['text'])}</blockquote>"
                )
            parts.append("</li>")
        parts.append("</ol>")
    parts.append(
        "<h2>Kopplingar och bevis</h2><table><tr><th>Delar</th><th>Regel</th>"
        "<th>Säker</th><th>Bevis</th></tr>"
    )
    for link in arende["lankar"]:
        sure = "ja" if link["saker"] else f"nej ({link['konfidens']})"
        parts.append(
            f"<tr><td>{link['fran']}–{link['till']}</td><td>{e(link['regel'])}</td>"
            f"<td>{sure}</td><td>{e(link['varde'])}</td></tr>"
        )
    parts.append("</table>")
    if arende["hanvisningar"]:
        parts.append("<h2>Hänvisningar</h2><ul>")
        for ref in arende["hanvisningar"]:
            where = (
                "finns inte i samlingen" if ref["extern"] else f"del {ref['mal']['paragraph_id']}"
            )
            parts.append(f"<li>{e(ref['text'])} ({e(where)})</li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _between(span: dict[str, Any]) -> str:
    if span.get("efter") and span.get("senast"):
        return f"mellan {span['efter']} och {span['senast']}"
    if span.get("efter"):
        return f"efter {span['efter']}"
    if span.get("senast"):
        return f"senast {span['senast']}"
    return ""


def _escaped(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)
