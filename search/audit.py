"""The audit trail of an ärende: each recommendation of the revision, and the passages of
the nämnd's svar that answer it.

Recommendations come from the revisionsrapport and the revisorer's missiv first; lists the
svar or a § quotes ("Revisionens rekommendationer till nämnden är:") add sources, and stand
in for the revision when it is not in the corpus. The same recommendation in several lists
is one recommendation with several sources.

A svar answers a recommendation in the paragraph that quotes it ("Avseende rekommendationen
att revidera nämndens mål …"). Every paragraph of the svar's yttrande section (or of the
whole svar) is scored by how much of the recommendation it contains, word by word in order;
spelling slips ("skyndsambetskrav", "arbetsätt") still count. The best paragraph per svar
wins, so two recommendations that differ only at the end (rutiner / delegationsordning)
land on their own paragraphs. The paragraphs that follow an answer, up to the next answer,
are given as its continuation, marked so. A § that adopts the svar repeats its paragraphs:
the same passage is one answer with both places (`platser`), so it is shown once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from index.store import Store
from swedish.recommendations import coverage, words

# Share of a recommendation's words a paragraph quotes (in runs of three or more words).
# Measured on the seeds: a quoting paragraph scores 1.0 (spelling slips included), the other
# "Utforma ett systematiskt arbetssätt …" paragraph 0.83, every other paragraph at most 0.5.
ANSWER_THRESHOLD = 0.9
GUESS_THRESHOLD = 0.6  # below ANSWER_THRESHOLD: shown only as an uncertain answer
SAME_RECOMMENDATION = 0.9
CONTINUATION = 2  # at most this many following paragraphs
REVISION_TYPES = ("revisionsrapport", "missiv")
ANSWER_TYPES = ("svar", "yttrande", "beslut", "tjänsteskrivelse")
_CLOSING = re.compile(r"^(?:till sist|slutligen|avslutningsvis|sammanfattningsvis)\b", re.I)
_LIST_ITEM = re.compile(r"^\s*(?:[-–—•*·]|\d{1,2}[.)])\s")


@dataclass
class Block:
    paragraph_id: int
    document_id: int
    start: int
    end: int
    text: str


def audit_trail(store: Store, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recommendations with their sources and answers, for the members of one ärende
    (dicts with paragraph_id, document_id, typ, start, end, sections)."""
    by_id = {m["paragraph_id"]: m for m in members}
    if not by_id:
        return []
    marks = ",".join("?" * len(by_id))
    rows = store.query(
        f"""SELECT r.*, u.typ FROM rekommendationer r
            JOIN arende_units u ON u.paragraph_id = r.paragraph_id
            WHERE r.paragraph_id IN ({marks}) ORDER BY r.document_id, r.start""",
        sorted(by_id),
    )
    if not rows:
        return []
    recommendations = _unify(rows)
    texts = _document_texts(store, {m["document_id"] for m in members})
    quoted = [(r["document_id"], r["start"], r["end"]) for r in rows]
    for member in sorted(members, key=lambda m: (m["datum"] or "", m["paragraph_id"])):
        if member["typ"] not in ANSWER_TYPES:
            continue
        blocks = _answer_blocks(member, texts[member["document_id"]], quoted)
        _answer(recommendations, blocks, member)
    return recommendations


# --- recommendations ---------------------------------------------------------------------


def _unify(rows) -> list[dict[str, Any]]:
    """One entry per distinct recommendation, revision sources first."""
    ordered = sorted(
        rows,
        key=lambda r: (r["typ"] not in REVISION_TYPES, r["typ"] != "missiv", r["start"]),
    )
    out: list[dict[str, Any]] = []
    for row in ordered:
        source = {
            "paragraph_id": row["paragraph_id"],
            "document_id": row["document_id"],
            "typ": row["typ"],
            "lista": row["lista"],
            "ordinal": row["ordinal"],
            "inledning": row["inledning"],
            "start": row["start"],
            "end": row["end"],
            "text": row["text"],
        }
        said = words(row["text"])
        same = next(
            (
                r
                for r in out
                if min(coverage(said, r["_words"]), coverage(r["_words"], said))
                >= SAME_RECOMMENDATION
            ),
            None,
        )
        if same is None:
            out.append(
                {
                    "nummer": len(out) + 1,
                    "text": row["text"],
                    "fran_revisionen": row["typ"] in REVISION_TYPES,
                    "kallor": [source],
                    "svar": [],
                    "_words": said,
                }
            )
        else:
            same["kallor"].append(source)
    for entry in out:
        entry.pop("_words")
    return out


# --- answers -----------------------------------------------------------------------------


def _document_texts(store: Store, document_ids: set[int]) -> dict[int, str]:
    marks = ",".join("?" * len(document_ids))
    return {
        r["id"]: r["text"]
        for r in store.query(
            f"SELECT id, text FROM documents WHERE id IN ({marks})", sorted(document_ids)
        )
    }


def _answer_blocks(
    member: dict[str, Any], text: str, quoted: list[tuple[int, int, int]]
) -> list[Block]:
    """The paragraphs of a svar that may answer: its yttrande section when it has one,
    without headings, list items and the quoted recommendation lists."""
    sections = member["sections"]
    if isinstance(sections, str):
        sections = json.loads(sections)
    spans = [(s["start"], s["end"]) for s in sections if s["sektion"] == "yttrande"]
    if not spans:
        spans = [(member["start"], member["end"])]
    blocks: list[Block] = []
    for start, end in spans:
        position = start
        for piece in re.split(r"(\n\s*\n)", text[start:end]):
            piece_start, position = position, position + len(piece)
            body = piece.strip()
            if not body or "." not in body or _LIST_ITEM.match(body):
                continue
            lead = piece_start + len(piece) - len(piece.lstrip())
            block_end = lead + len(body)
            if any(d == member["document_id"] and lead < e and s < block_end for d, s, e in quoted):
                continue
            blocks.append(
                Block(member["paragraph_id"], member["document_id"], lead, block_end, body)
            )
    return blocks


def _answer(
    recommendations: list[dict[str, Any]], blocks: list[Block], member: dict[str, Any]
) -> None:
    if not blocks:
        return
    scores = [[coverage(words(r["text"]), words(b.text)) for b in blocks] for r in recommendations]
    chosen: dict[int, int] = {}  # recommendation index -> block index
    taken: set[int] = set()
    for threshold in (ANSWER_THRESHOLD, GUESS_THRESHOLD):
        pairs = sorted(
            (
                (score, -i, -j)
                for i, row in enumerate(scores)
                for j, score in enumerate(row)
                if score >= threshold and i not in chosen
            ),
            reverse=True,
        )
        for _, i, j in pairs:
            i, j = -i, -j
            if i in chosen or j in taken:
                continue  # each recommendation its best paragraph; each paragraph one answer
            chosen[i] = j
            taken.add(j)
    for i, j in sorted(chosen.items()):
        block = blocks[j]
        passages = [_passage(block, "citerar")]
        for k in range(j + 1, min(j + 1 + CONTINUATION, len(blocks))):
            if k in taken or _CLOSING.match(blocks[k].text):
                break
            passages.append(_passage(blocks[k], "fortsättning"))
        place = {
            "paragraph_id": member["paragraph_id"],
            "document_id": member["document_id"],
            "typ": member["typ"],
            "paragraf": member.get("paragraf"),
            "rubrik": member.get("rubrik") or member.get("title"),
            "datum": member.get("datum") if member.get("datum_kalla") != "dokumentet" else None,
            "source": member.get("filename"),
            "start": block.start,
            "end": block.end,
        }
        same = _same_answer(recommendations[i]["svar"], block.text)
        if same is not None:
            same["platser"].append(place)  # the § repeats the svar: one text, two places
            continue
        recommendations[i]["svar"].append(
            {
                **{k: v for k, v in place.items() if k not in ("start", "end")},
                "likhet": round(scores[i][j], 3),
                "osaker": scores[i][j] < ANSWER_THRESHOLD,
                "passager": passages,
                "platser": [place],
            }
        )


def _same_answer(answers: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    """The answer already found whose quoting passage is this text (word for word but for
    spelling slips, as a § that adopts the svar repeats it)."""
    said = words(text)
    for answer in answers:
        given = words(answer["passager"][0]["text"])
        if min(coverage(said, given), coverage(given, said)) >= SAME_RECOMMENDATION:
            return answer
    return None


def _passage(block: Block, roll: str) -> dict[str, Any]:
    return {
        "roll": roll,
        "document_id": block.document_id,
        "start": block.start,
        "end": block.end,
        "text": block.text,
    }
