"""Per-field accuracy of the document reader over the format gallery (`tests/data/formats/`).

Each gallery document comes with a truth file (kommun, organ, date and its kind, document
type, every § with label, number, rubrik and dnr, and the people of the header). Every file
is read, normalized and parsed as `namnd ingest` does, and each field is compared with the
truth. A field is scored over the documents whose truth or reading states it, so a reader
that invents a value where the truth has none loses a point, and one that finds nothing
where nothing is stated is not rewarded for it (except for the date, where "no date" is the
right answer for a document that states none). § are scored as precision (found § that are
in the truth) and recall; rubrik and dnr over the § found correctly. Page furniture counts
per document: a chunk holding a running header, `Justerandes sign`, `Utdragsbestyrkande` or
a page number line fails its document.

"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.normalize import normalize
from ingest.parse import parse_document
from ingest.readers import read_file
from swedish.model import ParsedDocument

from .corpus import ROOT

GALLERY = ROOT / "tests" / "data" / "formats"
FIELDS = (
    "kommun",
    "namnd",
    "datum",
    "datum_typ",
    "dokumenttyp",
    "paragraf_precision",
    "paragraf_recall",
    "rubrik",
    "dnr",
    "ordforande",
    "vice_ordforande",
    "sekreterare",
    "justerare",
    "beslutande",
    "furniture",
)
_FURNITURE = re.compile(
    r"Justerandes sign|Ordf sign|Utdragsbestyrkande|"
    r"[A-ZÅÄÖ]{3,} (?:KOMMUN|STAD)\s+SAMMANTRÄDESPROTOKOLL|"
    r"(?:^|\t)\s*(?:Sida\s+)?\d{1,3}\s*(?:\(\d{1,3}\)|av \d{1,3}|/\d{1,3})\s*$",
    re.MULTILINE,
)


@dataclass
class Score:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, where: str) -> None:
        self.total += 1
        self.right += ok
        if not ok:
            self.misses.append(where)

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 1.0


def truth_files(directory: Path = GALLERY) -> list[Path]:
    return sorted(directory.glob("*.truth.json"))


def read(path: Path) -> ParsedDocument:
    raw, _ = read_file(path)
    return parse_document(normalize(raw))


def reading(document: ParsedDocument) -> dict[str, Any]:
    """The fields the truth files state, as read from one parsed document."""
    header = document.header
    paragraphs = [p for part in document.parts for p in part.paragraphs if p.paragraf is not None]
    beslutande = [
        {"name": p.name, "party": p.party}
        for p in header.narvarande
        if p.roll in ("ledamot", "tjänstgörande ersättare")
    ]
    return {
        "kommun": document.kommun,
        "namnd": document.namnd,
        "datum": document.datum,
        "datum_typ": document.datum_typ,
        "dokumenttyp": document.dokumenttyp,
        "paragrafer": [
            {"label": p.paragraf, "nummer": p.nummer, "rubrik": p.rubrik, "dnr": p.dnr}
            for p in paragraphs
        ],
        "ordforande": header.ordforande,
        "vice_ordforande": header.vice_ordforande,
        "sekreterare": header.sekreterare,
        "justerare": header.justerare,
        "beslutande": beslutande,
        "chunks": [chunk.text for chunk in document.chunks],
    }


def score(pairs: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> dict[str, Score]:
    """Scores per field from (name, truth, reading) triples."""
    scores = {name: Score() for name in FIELDS}
    for name, truth, got in pairs:
        for key in ("kommun", "namnd", "datum", "datum_typ", "dokumenttyp"):
            want = truth[key] or None
            scores[key].add(got[key] == want, f"{name}: {got[key]!r} ≠ {want!r}")
        wanted = {p["label"]: p for p in truth["paragrafer"]}
        for found in got["paragrafer"]:
            right = wanted.get(found["label"])
            ok = right is not None and right["nummer"] == found["nummer"]
            scores["paragraf_precision"].add(ok, f"{name}: extra § {found['label']}")
            if not ok:
                continue
            scores["rubrik"].add(
                found["rubrik"] == right["rubrik"],
                f"{name} § {found['label']}: {found['rubrik']!r} ≠ {right['rubrik']!r}",
            )
            scores["dnr"].add(
                found["dnr"] == right["dnr"],
                f"{name} § {found['label']}: {found['dnr']} ≠ {right['dnr']}",
            )
        labels = {p["label"] for p in got["paragrafer"]}
        for label in wanted:
            scores["paragraf_recall"].add(label in labels, f"{name}: missing § {label}")
        for key in ("ordforande", "vice_ordforande", "sekreterare", "justerare"):
            if truth[key] or got[key]:
                scores[key].add(got[key] == truth[key], f"{name}: {got[key]!r} ≠ {truth[key]!r}")
        want_people = {(p["name"], p["party"]) for p in truth["beslutande"]}
        got_people = {(p["name"], p["party"]) for p in got["beslutande"]}
        if want_people or got_people:
            scores["beslutande"].add(
                want_people == got_people,
                f"{name}: missing {sorted(want_people - got_people)}, "
                f"extra {sorted(got_people - want_people)}",
            )
        furniture = [c for c in got["chunks"] if _FURNITURE.search(c)]
        scores["furniture"].add(
            not furniture, f"{name}: {furniture[0][:80]!r}" if furniture else name
        )
    return scores


def gallery_scores(directory: Path = GALLERY) -> tuple[dict[str, Score], dict[str, Any]]:
    """Read every gallery document and score it; also the documents and reading time."""
    pairs = []
    started = time.perf_counter()
    formats: dict[str, int] = {}
    for truth_path in truth_files(directory):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        path = directory / truth["file"]
        formats[path.suffix[1:]] = formats.get(path.suffix[1:], 0) + 1
        pairs.append((truth["file"], truth, reading(read(path))))
    seconds = time.perf_counter() - started
    return score(pairs), {"documents": len(pairs), "formats": formats, "seconds": seconds}


def run() -> dict[str, Any]:
    """The bench part: per-field accuracy and the misses behind it."""
    scores, info = gallery_scores()
    info["fields"] = {
        name: {"right": s.right, "total": s.total, "share": s.share, "misses": s.misses[:5]}
        for name, s in scores.items()
    }
    return info


_LABELS = {
    "kommun": "kommun",
    "namnd": "nämnd/organ",
    "datum": "datum (none where none is stated)",
    "datum_typ": "datum_typ",
    "dokumenttyp": "dokumenttyp (okänd where no cue decides)",
    "paragraf_precision": "§ precision",
    "paragraf_recall": "§ recall",
    "rubrik": "rubrik of a § found",
    "dnr": "dnr of a § found",
    "ordforande": "ordförande",
    "vice_ordforande": "vice ordförande",
    "sekreterare": "sekreterare",
    "justerare": "justerare",
    "beslutande": "beslutande with party (whole list)",
    "furniture": "documents without page furniture in chunks",
}


def section(results: dict[str, Any], opts: Any = None) -> str:
    """The BENCHMARKS.md section: per-field accuracy over the gallery."""
    found = results.get("formats")
    if not found:
        return ""
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(found["formats"].items()))
    out = [
        f"{found['documents']} documents of `tests/data/formats/` ({kinds}; written by "
        "`tests/data/formats/make_gallery.py` in the layouts of the field guide), read, "
        "normalized and parsed as `namnd ingest` does, each field compared with the "
        f"document's truth file; reading took {found['seconds']:.1f} s. "
        "Reproduce: `namnd bench --only formats --sizes 0 --million 0`. Target (issue 11): "
        "every field ≥ 97 %, § precision 100 %.\n",
        "| field | right / scored | accuracy |",
        "|---|---:|---:|",
    ]
    for name, row in found["fields"].items():
        out.append(
            f"| {_LABELS.get(name, name)} | {row['right']} / {row['total']} | "
            f"{100 * row['share']:.1f} % |"
        )
    misses = [m for row in found["fields"].values() for m in row["misses"]]
    if misses:
        out.append("\nMisses: " + "; ".join(misses[:6]) + ".")
    return "\n".join(out) + "\n"
