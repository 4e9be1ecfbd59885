"""The chain of an ärende as a revisor reads it: granskning (the revisionsrapport, its date,
its auditor and title) → missiv → anmälan → the nämnd's svar → the decision (the § with its
beslut text and date) → later follow-up, each step with the links that place it (its
evidence) and its bilagor grouped under it.

Steps come in the order of the handling, not only by date: a svar that states no date of its
own is not dated by the bundle it was filed in (that date is often the missiv's); it gets no
date and the interval its place in the chain gives it (after the revision it answers, by the
decision that adopts it). A bilaga is never a step: its own date (a ledningssystem from the
year before) says when it was written, not when the ärende was handled. A step that repeats
another step's text (a § and the svar it adopts) says so, so its text is shown once.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from index.store import Store
from swedish.patterns import find_dates

# Step of each unit type, in the order of the handling.
STEPS = {
    "revisionsrapport": "granskning",
    "missiv": "missiv",
    "anmälan": "anmälan",
    "tjänsteskrivelse": "svar",
    "yttrande": "svar",
    "svar": "svar",
    "beslut": "beslut",
    "motion": "initiativ",
}
AUDIT = ("revisionsrapport", "missiv")
STEP_ORDER = ["initiativ", "granskning", "missiv", "anmälan", "svar", "beslut", "uppföljning"]
_AUDITOR = re.compile(
    r"\b(KPMG|PwC|PricewaterhouseCoopers|EY|Ernst & Young|Deloitte|BDO|Grant Thornton"
    r"|Revisionskontoret|Stadsrevisionen)\b"
)
_ADDRESSEE = re.compile(r"^\s*Till:?\s+(\S.{2,80})$", re.M)
_DEADLINE = re.compile(r"\bsenast\s+(?:den\s+)?$", re.I)
EVIDENCE_SHOWN = 3  # links per step, the strongest first


def audit_chain(
    store: Store,
    members: list[dict[str, Any]],
    links: list[dict[str, Any]],
    leaves: dict[int, int],
    twins: dict[int, int],
) -> list[dict[str, Any]]:
    """The steps of an ärende. `members` as search.arenden reads them (with `organ`),
    `links` its evidence, `leaves` bilaga -> the unit it is attached to, `twins` a unit ->
    the earlier unit whose text it repeats."""
    steps = [m for m in members if m["paragraph_id"] not in leaves and m["typ"] in STEPS]
    if not steps:
        return []
    texts = _texts(store, {m["document_id"] for m in steps})
    decided = [m["datum"] for m in steps if m["typ"] == "beslut" and _own_date(m)]
    audited = [m["datum"] for m in steps if m["typ"] in AUDIT and _own_date(m)]
    first_decision = min(
        (d for d in decided if not audited or d >= max(audited)),
        default=None,
    )
    out = []
    for member in steps:
        step = STEPS[member["typ"]]
        # Follow-up: a step of its own (not a copy of an earlier one) dated by itself after
        # the decision.
        later = bool(
            first_decision
            and _own_date(member)
            and member["datum"] > first_decision
            and member["paragraph_id"] not in twins
        )
        if later:
            step = "uppföljning"
        out.append(_step(member, step, texts[member["document_id"]]))
    ids = {s["paragraph_id"] for s in out}
    for entry in out:
        entry["bevis"] = _evidence(entry["paragraph_id"], links, ids)
        entry["samma_text_som"] = twins.get(entry["paragraph_id"])
        entry["bilagor"] = [
            _bilaga(m) for m in members if leaves.get(m["paragraph_id"]) == entry["paragraph_id"]
        ]
    out.sort(key=lambda s: (STEP_ORDER.index(s["steg"]), s["datum"] or "9999", s["start"]))
    _date_undated(out)
    return out


def _own_date(member: dict[str, Any]) -> bool:
    """The unit states its date itself (or it is a meeting's), not its bundle's."""
    return bool(member["datum"]) and (
        member["datum_kalla"] == "egen" or member["datum_typ"] in ("sammanträde", "justering")
    )


def _texts(store: Store, document_ids: set[int]) -> dict[int, str]:
    marks = ",".join("?" * len(document_ids))
    return {
        r["id"]: r["text"]
        for r in store.query(
            f"SELECT id, text FROM documents WHERE id IN ({marks})", sorted(document_ids)
        )
    }


def _step(member: dict[str, Any], step: str, text: str) -> dict[str, Any]:
    body = text[member["start"] : member["end"]]
    own = _own_date(member)
    out: dict[str, Any] = {
        "steg": step,
        "typ": member["typ"],
        "paragraph_id": member["paragraph_id"],
        "document_id": member["document_id"],
        "part_id": member["part_id"],
        "paragraf": member["paragraf"],
        "rubrik": member["rubrik"] or member["title"],
        "namnd": member["organ"],
        "datum": member["datum"] if own else None,
        "datum_typ": member["datum_typ"],
        "datum_kalla": member["datum_kalla"],
        "handlingens_datum": None if own else member["datum"],
        "dnr": member["dnr"],
        "source": member["filename"],
        "source_url": member["source_url"],
        "start": member["start"],
        "end": member["end"],
        "sakerhet": member["sakerhet"],
        "konfidens": member["konfidens"],
    }
    if step == "granskning":
        found = Counter(m[1] for m in _AUDITOR.finditer(body))
        out["revisor"] = found.most_common(1)[0][0] if found else None
    if step == "missiv":
        addressee = _ADDRESSEE.search(body[:2000])
        out["till"] = addressee[1].strip() if addressee else None
        out["svar_senast"] = next(
            (iso for start, _, iso in find_dates(body) if _DEADLINE.search(body[:start])),
            None,
        )
    if member["paragraf"]:
        out["beslut"] = member["att_satser"]
    return out


def _bilaga(member: dict[str, Any]) -> dict[str, Any]:
    return {
        "paragraph_id": member["paragraph_id"],
        "document_id": member["document_id"],
        "part_id": member["part_id"],
        "typ": member["typ"],
        "rubrik": member["rubrik"] or member["title"],
        "datum": member["datum"],
        "datum_kalla": member["datum_kalla"],
        "start": member["start"],
        "end": member["end"],
    }


def _evidence(
    paragraph_id: int, links: list[dict[str, Any]], steps: set[int]
) -> list[dict[str, Any]]:
    """The strongest links between this step and the other steps."""
    found = [
        {
            "regel": link["regel"],
            "varde": link["varde"],
            "saker": link["saker"],
            "konfidens": link["konfidens"],
            "med": link["till"] if link["fran"] == paragraph_id else link["fran"],
            "document_id": link["document_id"],
            "start": link["start"],
            "end": link["end"],
        }
        for link in links
        if paragraph_id in (link["fran"], link["till"])
        and (link["till"] if link["fran"] == paragraph_id else link["fran"]) in steps
    ]
    found.sort(key=lambda e: (not e["saker"], -e["konfidens"]))
    return found[:EVIDENCE_SHOWN]


def _date_undated(steps: list[dict[str, Any]]) -> None:
    """An undated step lies after the dated steps before it and by the first dated step
    after it."""
    for i, step in enumerate(steps):
        if step["datum"]:
            continue
        before = [s["datum"] for s in steps[:i] if s["datum"]]
        after = [s["datum"] for s in steps[i + 1 :] if s["datum"]]
        step["datum_intervall"] = {
            "efter": max(before) if before else None,
            "senast": min(after) if after else None,
        }
