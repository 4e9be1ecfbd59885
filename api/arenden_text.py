"""Readable terminal output of `namnd arenden` and `namnd arende` (the --json forms print
the same dicts the HTTP API returns)."""

from __future__ import annotations

import textwrap
from typing import Any

_WIDTH = 100


def print_arenden(found: dict[str, Any]) -> None:
    if not found["arenden"]:
        print("Inga ärenden.")
        return
    shown = len(found["arenden"])
    print(f"{found['total']} ärenden" + (f" (visar {shown})" if shown < found["total"] else ""))
    for item in found["arenden"]:
        period = item["forsta_datum"] or "?"
        if item["senaste_datum"] and item["senaste_datum"] != item["forsta_datum"]:
            period += f" – {item['senaste_datum']}"
        uncertain = f", {item['osakra']} osäkra" if item["osakra"] else ""
        dnr = f" · {', '.join(item['dnr'])}" if item["dnr"] else ""
        print(
            f"[{item['id']}] {item['kommun'] or '?'} · {period} · "
            f"{item['antal']} {'del' if item['antal'] == 1 else 'delar'}{uncertain}{dnr}"
        )
        print(f"     {item['rubrik'] or ''}")
        kinds = ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in item["typer"].items())
        extra = " · revisionens rekommendationer" if item["har_rekommendationer"] else ""
        print(f"     {kinds}{extra}")


def print_arende(arende: dict[str, Any]) -> None:
    print(f"Ärende {arende['id']} · {arende['kommun'] or '?'} · {arende['rubrik'] or ''}")
    if arende["dnr"]:
        print(f"dnr: {', '.join(arende['dnr'])}")
    if arende["kedja"]:
        print("\nÄrendets gång")
        for step in arende["kedja"]:
            _print_step(step)
    print("\nTidslinje")
    for entry in arende["tidslinje"]:
        datum = entry["datum"] or "okänt datum"
        if entry["datum_kalla"] == "dokumentet":
            datum += "*"
        paragraf = f"§ {entry['paragraf']} " if entry["paragraf"] else ""
        certainty = (
            "" if entry["sakerhet"] == "säker" else f"  [{entry['sakerhet']} {entry['konfidens']}]"
        )
        twin = f"  (samma text som {entry['samma_text_som']})" if entry["samma_text_som"] else ""
        indent = "    " if entry["bilaga_till"] else ""
        print(
            f"  {indent}{datum:<12} {entry['typ']:<17} {paragraf}{entry['rubrik'] or ''}"
            f"{certainty}{twin}"
        )
        print(f"  {'':<12} {'':<17} {entry['source']} · del {entry['paragraph_id']}")
    if any(e["datum_kalla"] == "dokumentet" for e in arende["tidslinje"]):
        print("  * datumet är handlingens, inte delens eget")
    print("\nLänkar (bevis)")
    for link in arende["lankar"]:
        sure = "säker" if link["saker"] else f"osäker {link['konfidens']}"
        print(f"  {link['fran']} – {link['till']}: {link['regel']} [{sure}] {link['varde']}")
    if arende["hanvisningar"]:
        print("\nHänvisningar")
        for ref in arende["hanvisningar"]:
            where = (
                "finns inte i samlingen" if ref["extern"] else f"ärende {ref['mal']['arende_id']}"
            )
            print(f"  {ref['paragraph_id']} {ref['riktning']}: {ref['text']} ({where})")
    if arende["revision"]:
        print("\nRevisionens rekommendationer och nämndens svar")
        for rec in arende["revision"]:
            _wrapped(f"{rec['nummer']}. {rec['text']}", "  ")
            if not rec["svar"]:
                print("     (inget svar hittat)")
            for answer in rec["svar"]:
                places = ", ".join(
                    f"§ {p['paragraf']}" if p["paragraf"] else f"{p['typ']} ({p['source']})"
                    for p in answer["platser"]
                )
                note = " (osäkert)" if answer["osaker"] else ""
                quote = answer["passager"][0]["text"]
                _wrapped(f"svar i {places}{note}: {quote[:300]}…", "     ")
    if arende["positioner"]:
        print("\nPositioner")
        for paragraph in arende["positioner"]:
            print(f"  § {paragraph['paragraf'] or '–'} {paragraph['rubrik'] or ''}")
            for position in paragraph["positioner"]:
                party = f" ({position['parti']})" if position["parti"] else ""
                detail = f", {position['detalj']}" if position["detalj"] else ""
                print(f"     {position['roll']}{detail}: {position['namn']}{party}")


def _print_step(step: dict[str, Any]) -> None:
    if step["datum"]:
        datum = step["datum"]
    else:
        span = step.get("datum_intervall") or {}
        datum = f"odaterat ({span.get('efter') or '?'} – {span.get('senast') or '?'})"
    paragraf = f"§ {step['paragraf']} " if step["paragraf"] else ""
    print(f"  {step['steg'].upper()} · {datum} · {step['namnd'] or '?'}")
    print(f"     {paragraf}{step['rubrik'] or ''} ({step['source']})")
    extra = [
        f"revisor {step['revisor']}" if step.get("revisor") else "",
        f"till {step['till']}" if step.get("till") else "",
        f"svar senast {step['svar_senast']}" if step.get("svar_senast") else "",
        f"samma text som del {step['samma_text_som']}" if step["samma_text_som"] else "",
    ]
    if any(extra):
        print(f"     {', '.join(x for x in extra if x)}")
    for text in step.get("beslut") or []:
        _wrapped(f"beslut: {text}", "     ")
    for proof in step["bevis"]:
        sure = "säker" if proof["saker"] else f"osäker {proof['konfidens']}"
        _wrapped(f"bevis ({proof['regel']}, {sure}, del {proof['med']}): {proof['varde']}", "     ")
    for bilaga in step["bilagor"]:
        print(f"     bilaga: {bilaga['rubrik'] or bilaga['typ']} ({bilaga['datum'] or '?'})")


def _wrapped(text: str, indent: str) -> None:
    print(textwrap.fill(text, _WIDTH, initial_indent=indent, subsequent_indent=indent + "   "))
