"""Split a document (often a bundle) into typed parts.

A kallelse carries its tjänsteskrivelser and their bilagor; a revision answer carries the
revisionsrapport, e-mails and a protokollsutdrag. Part starts are found from layout signals
that survive PDF text extraction: a protokoll header, a letterhead block ("Datum",
"Vår beteckning", "Dokumentnamn", "Till:" ...), a title followed by "Förslag till beslut",
a title page followed by a table of contents, a title announced earlier in a bilaga list,
the end of a "Beslutet skickas till" block, and a § that does not continue a protokoll.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

from swedish.analyzer import STOPWORDS
from swedish.sections import section_label

from .lines import Line, words
from .paragraphs import Heading, recipients_end

_LETTERHEAD = re.compile(
    r"^(?:datum|vår beteckning|er beteckning|diarienummer|dnr|vår handläggare|handläggare|"
    r"mottagare|dokumentnamn|dokument-id|giltig fr\.o\.m\.|revideras datum|till|"
    r"för kännedom|från|skickat|ämne|inkommande e-post|handlingsnummer)\b\s*:?",
    re.IGNORECASE,
)
_PROTOKOLL_HEADER = re.compile(
    r"^(?:protokoll\b|sammanträdesprotokoll|utdrag ur protokoll|protokollsutdrag|"
    r"plats och tid|tid och plats|sammanträdesdatum)",
    re.IGNORECASE,
)
_ORG_WORD = re.compile(
    r"(?:nämnd|förvaltning|styrelse|fullmäktige|kommun|stad|region|revision)\w*$", re.IGNORECASE
)
_TOC = re.compile(r"^(?:innehållsförteckning|innehåll)$", re.IGNORECASE)
_TOC_ENTRY = re.compile(r"(?:\.{3,}|…)\s*\d+$|\t\d+$")
_BILAGA_ITEM = re.compile(r"^[-–•]?\s*Bilaga\s+\w{1,3}\s*[:.–-]\s*(.+)$", re.IGNORECASE)
_AGENDA_ROW = re.compile(r"^(\d{1,2})\t([^\t]+)(?:\t(.*))?$")
_KALLELSE_WORDS = re.compile(r"^(?:kallelse|föredragningslista|dagordning)\b", re.IGNORECASE)
_REVISION_WORDS = re.compile(
    r"revisionsfrågor|revisionskriterier|rekommenderar vi|för revisorerna|revisionsrapport|"
    r"revisionens granskning|kommunrevisionens? granskning|granskning på uppdrag av revisionen",
    re.IGNORECASE,
)
_AUDIT_FIRMS = re.compile(r"\b(?:KPMG|PwC|EY|Deloitte|BDO|Grant Thornton)\b")
_REPORT_TITLE = re.compile(
    r"rapport|berättelse|uppföljning|redovisning|bokslut|delår|plan\b|färdplan|analys|"
    r"utvärdering|statistik|kartläggning",
    re.IGNORECASE,
)
_ANSWER_TITLE = re.compile(
    r"^(?:missiv\s+)?(?:yttrande|svar på|svar till|remissvar|remissyttrande)\b", re.I
)
# A document that names its own type on a line of its own at the top.
_TYPE_WORDS = {
    "motion": "motion",
    "medborgarförslag": "medborgarförslag",
    "delegationsbeslut": "delegationsbeslut",
    "missiv": "missiv",
    "tjänsteskrivelse": "tjänsteskrivelse",
    "beslutsunderlag": "tjänsteskrivelse",
    "revisionsrapport": "revisionsrapport",
    "granskningsrapport": "revisionsrapport",
    "delårsrapport": "delårsrapport",
    "årsredovisning": "årsredovisning",
    "verksamhetsplan": "verksamhetsplan",
    "remiss": "remiss",
    "yttrande": "yttrande",
    "protokoll": "protokoll",
    "sammanträdesprotokoll": "protokoll",
    "protokollsutdrag": "protokollsutdrag",
}
_TYPE_WORD = re.compile(
    rf"^({'|'.join(_TYPE_WORDS)})(?:\s*:?|\s+(?:om|angående|gällande|avseende)\s.*)$", re.I
)
_SUBJECT = re.compile(r"^(?:skickat|ämne)\b", re.IGNORECASE)
_EMAIL = re.compile(r"inkommande e-post|^från:|^skickat:", re.IGNORECASE)


@dataclass
class PartSpan:
    first: int  # index into lines
    last: int  # inclusive
    dokumenttyp: str = "bilaga"
    title: str | None = None
    title_line: int | None = None
    headings: list[Heading] | None = None


def split_parts(lines: list[Line], headings: list[Heading]) -> list[PartSpan]:
    heading_lines = {h.line.index for h in headings}
    ordered_headings = [h.line.index for h in headings]  # headings are in line order
    labels = [i for i, line in enumerate(lines) if _label_is(line.text, "beslutet skickas till")]
    recipient_lines = {j for i in labels for j in range(i + 1, recipients_end(lines, i))}
    ordered = sorted(set(_strong_starts(lines, headings, recipient_lines)) | {0})
    for position in labels:
        after = bisect.bisect_right(ordered, position)
        following = ordered[after] if after < len(ordered) else len(lines)
        end = recipients_end(lines, position, stop=following)
        if (
            end < len(lines)
            and end not in heading_lines
            and _inside_allowed(end, headings, ordered_headings)
        ):
            index = bisect.bisect_left(ordered, end)
            if index == len(ordered) or ordered[index] != end:
                ordered.insert(index, end)
    starts = _absorb_into_protokoll(set(ordered), lines, headings)
    starts |= _section_run_starts(sorted(starts), lines, headings)
    spans = _spans(sorted(starts), len(lines))
    spans = _merge_tiny(spans, lines, heading_lines)
    for span in spans:
        first = bisect.bisect_left(ordered_headings, span.first)
        span.headings = headings[first : bisect.bisect_right(ordered_headings, span.last)]
        _classify(span, lines, spans[0] is span)
    return spans


def _absorb_into_protokoll(
    starts: set[int], lines: list[Line], headings: list[Heading]
) -> set[int]:
    """A protokoll header owns everything up to its first § (närvaro, innehållsförteckning)."""
    out = set(starts)
    ordered = sorted(starts)
    heading_lines = [h.line.index for h in headings]
    for position, start in enumerate(ordered):
        if start not in out or not _header_within(lines, start):
            continue
        following = bisect.bisect_right(heading_lines, start)
        if following == len(heading_lines) or heading_lines[following] - start > 200:
            continue
        first = heading_lines[following]
        out.difference_update(ordered[position + 1 : bisect.bisect_right(ordered, first)])
    return out


def _header_within(lines: list[Line], start: int) -> bool:
    """The part starting at `start` opens with a protokoll header (after an org line)."""
    return any(_PROTOKOLL_HEADER.match(line.text.strip()) for line in lines[start : start + 3])


def _strong_starts(
    lines: list[Line], headings: list[Heading], recipient_lines: set[int]
) -> list[int]:
    found: list[int] = []
    bilaga_titles: list[tuple[int, set[str]]] = []
    for position, line in enumerate(lines):
        text = line.text.strip()
        label = section_label(text)
        if _label_is(text, "förslag till beslut"):
            title = _title_before(lines, position)
            if title is not None:
                found.append(_letterhead_start(lines, title, recipient_lines))
        elif _PROTOKOLL_HEADER.match(text):
            found.append(_org_prelude(lines, position))
        elif _TOC.match(text):
            start = _title_page_start(lines, position, recipient_lines)
            if start < position:
                found.append(start)
        elif (
            _LETTERHEAD.match(text)
            and _letterhead_cluster(lines, position)
            and (not found or found[-1] < position - 16)
        ):
            found.append(_org_prelude(lines, position))
        match = _BILAGA_ITEM.match(text)
        if match:
            bilaga_titles.append((position, _content_words(match[1])))
        elif label and label[0] == "handlingar":
            bilaga_titles.extend(_listed_titles(lines, position))
    found.extend(_announced_bilagor(lines, bilaga_titles))
    ordered = [h.line.index for h in headings]
    return [s for s in found if _inside_allowed(s, headings, ordered)]


def _label_is(text: str, sektion: str) -> bool:
    label = section_label(text)
    return label is not None and label[0] == sektion


def _inside_allowed(position: int, headings: list[Heading], lines: list[int]) -> bool:
    """A new part cannot start between two consecutive §s of one protokoll.

    `lines` are the headings' line indexes (in line order): only the pair around
    `position` can enclose it (a scan of every pair for every candidate start was
    quadratic on thousands of §)."""
    right = bisect.bisect_right(lines, position)
    if right == 0 or right == len(headings) or lines[right - 1] == position:
        return True
    return headings[right].number != headings[right - 1].number + 1


def _title_before(lines: list[Line], position: int) -> int | None:
    for back in range(1, 4):
        index = position - back
        if index < 0:
            return None
        text = lines[index].text.strip()
        if _LETTERHEAD.match(text) or section_label(text):
            return None
        if 2 <= len(text) <= 200 and not text.endswith("."):
            return index
    return None


def _short(text: str) -> bool:
    return len(text) <= 80 and not text.endswith(".") and "\t" not in text


def _letterhead_start(lines: list[Line], title: int, recipient_lines: set[int]) -> int:
    """Extend a part start from its title back over a letterhead block directly above it."""
    earliest = title
    index = title - 1
    while index >= 0 and title - index <= 16:
        text = lines[index].text.strip()
        if not _short(text) or section_label(text) or index in recipient_lines:
            break
        if _LETTERHEAD.match(text):
            earliest = index
        index -= 1
    if earliest == title:
        return _org_prelude(lines, title)
    return _org_prelude(lines, earliest)


_DATE_TIME_LINE = re.compile(
    r"^(?:(?:mån|tis|ons|tors|fre|lör|sön)dag\s+)?\d{4}-\d{2}-\d{2}(?:\s+\d{1,2}:\d{2})?$", re.I
)


def _org_line(text: str) -> bool:
    """A sender line ("Socialnämnden", "SOCIALFÖRVALTNINGEN", "Eskilstuna kommun") or the
    date-time line an e-mail print starts with."""
    text = text.strip()
    return len(text) <= 40 and (
        bool(_ORG_WORD.search(text))
        or (text.isupper() and len(text) > 3)
        or bool(_DATE_TIME_LINE.match(text))
    )


def _org_prelude(lines: list[Line], position: int) -> int:
    """Include the organisation name above a part start: one line, or one block of two
    ("Eskilstuna" / "kommun"), never a line from the block before."""
    start = position
    for back in (1, 2):
        index = position - back
        if index < 0 or not _org_line(lines[index].text) or section_label(lines[index].text):
            break
        if back == 2 and lines[index + 1].blank_before:
            break
        start = index
    return start


def _letterhead_cluster(lines: list[Line], position: int) -> bool:
    window = lines[position + 1 : position + 9]
    return any(_LETTERHEAD.match(line.text.strip()) for line in window)


def _title_page_start(lines: list[Line], toc: int, recipient_lines: set[int]) -> int:
    start = toc
    index = toc - 1
    while index >= 0 and toc - index <= 10:
        text = lines[index].text.strip()
        if not _short(text) or ":" in text or section_label(text) or index in recipient_lines:
            break
        start = index
        index -= 1
    return start


# Words that say nothing of a title's subject: the analyzer's stopwords and list fillers.
_STOPWORDS = STOPWORDS | {"samt", "år", "bilaga"}


def _content_words(text: str) -> set[str]:
    tokens = re.findall(r"[\wåäöÅÄÖ-]+", text.lower())
    return {t for t in tokens if t not in _STOPWORDS and len(t) > 1}


def _listed_titles(lines: list[Line], position: int) -> list[tuple[int, set[str]]]:
    titles: list[tuple[int, set[str]]] = []
    for line in lines[position + 1 : position + 10]:
        text = line.text.strip().lstrip("-–• ")
        if not _short(text) or section_label(text):
            break
        text = re.sub(r"\s*\([^)]*\)$", "", text)
        titles.append((line.index, _content_words(text)))
    return titles


def _announced_bilagor(lines: list[Line], titles: list[tuple[int, set[str]]]) -> list[int]:
    """Lines that open a bilaga announced earlier ("Bilaga 1: …", "Ärendets handlingar")."""
    # The content words of every line that could open a bilaga, and for each word the
    # lines holding it: a title is looked for among the lines sharing its rarest words,
    # not by reading the rest of the document once per title (quadratic in long bundles).
    words: dict[int, set[str]] = {}
    postings: dict[str, list[int]] = {}
    for line in lines:
        text = line.text.strip()
        if (
            len(text) > 200
            or _TOC_ENTRY.search(text)
            or _BILAGA_ITEM.match(text)
            or text.startswith(("-", "–", "•"))
            or not line.blank_before
        ):
            continue
        words[line.index] = _content_words(text)
        for word in words[line.index]:
            postings.setdefault(word, []).append(line.index)
    found: list[int] = []
    used: set[int] = set()
    for listed_at, wanted in titles:
        if len(wanted) < 2:
            continue
        # A match holds `need` of the wanted words, so one of the `len - need + 1` rarest.
        need = next(k for k in range(len(wanted) + 1) if k / len(wanted) >= 0.6)
        rarest = sorted(wanted, key=lambda w: (len(postings.get(w, ())), w))
        candidates = sorted(
            {i for w in rarest[: len(wanted) - need + 1] for i in postings.get(w, ())}
        )
        for index in candidates[bisect.bisect_right(candidates, listed_at) :]:
            have = words[index]
            if index in used:
                continue
            if len(wanted & have) / len(wanted) >= 0.6 and len(have - wanted) <= 8:
                found.append(index)
                used.add(index)
                break
    return found


def _section_run_starts(starts: list[int], lines: list[Line], headings: list[Heading]) -> set[int]:
    """A § that is the first of its part, with text before it that is no protokoll header."""
    out: set[int] = set()
    previous = -1  # line of the heading before (headings are in line order)
    for heading in headings:
        index = heading.line.index
        part_start = starts[bisect.bisect_right(starts, index) - 1]
        earlier = part_start <= previous < index
        if not earlier and part_start != index and not _header_within(lines, part_start):
            out.add(index)
        previous = index
    return out


def _spans(starts: list[int], n_lines: int) -> list[PartSpan]:
    bounds = [*starts, n_lines]
    return [PartSpan(a, b - 1) for a, b in itertools.pairwise(bounds) if b > a]


def _body_chars(lines: list[Line]) -> list[int]:
    """Characters of running text before each line (prefix sums; one more than lines):
    letterhead labels, names and numbers do not count."""
    return [0, *itertools.accumulate(len(t.text) if words(t.text) >= 3 else 0 for t in lines)]


def _merge_tiny(
    spans: list[PartSpan], lines: list[Line], heading_lines: set[int]
) -> list[PartSpan]:
    """A part with hardly any body text (a bare letterhead or title page) joins the next."""
    out: list[PartSpan] = []
    carry: PartSpan | None = None
    ordered = sorted(heading_lines)
    body = _body_chars(lines)
    for span in spans:
        if carry is not None:
            span = PartSpan(carry.first, span.last)
            carry = None
        after = bisect.bisect_left(ordered, span.first)
        has_heading = after < len(ordered) and ordered[after] <= span.last
        chars = body[span.last + 1] - body[span.first]
        if chars < 150 and not has_heading and span is not spans[-1]:
            carry = span
            continue
        out.append(span)
    if carry is not None:
        if out:
            out[-1] = PartSpan(out[-1].first, carry.last)
        else:
            out.append(carry)
    return out


def _classify(span: PartSpan, lines: list[Line], first: bool) -> None:
    part_lines = lines[span.first : span.last + 1]
    head = [line.text.strip() for line in part_lines[:40]]
    text = "\n".join(line.text for line in part_lines[:400])
    proposal = next(
        (i for i, t in enumerate(head[:30]) if _label_is(t, "förslag till beslut")), None
    )
    if span.headings:
        header = any(_PROTOKOLL_HEADER.match(t) for t in head[:20])
        utdrag = any(re.match(r"^(?:utdrag|protokollsutdrag)", t, re.I) for t in head[:20])
        several = len(span.headings) >= 2
        span.dokumenttyp = "protokoll" if (header or several) and not utdrag else "protokollsutdrag"
        span.title = next((t for t in head[:20] if _PROTOKOLL_HEADER.match(t)), None)
        if span.dokumenttyp == "protokollsutdrag" or span.title is None:
            first_heading = span.headings[0]
            span.title = span.title or f"§ {first_heading.paragraf}"
        return
    if first and (
        any(_KALLELSE_WORDS.match(t) for t in head[:15])
        or sum(1 for t in head if _AGENDA_ROW.match(t)) >= 3
    ):
        span.dokumenttyp = "kallelse"
        span.title = next((t for t in head if _KALLELSE_WORDS.match(t)), "Kallelse")
        return
    if proposal is not None:
        title_index = _title_before(part_lines, proposal)
        span.title = head[title_index] if title_index is not None else None
        span.dokumenttyp = (
            "yttrande" if span.title and _ANSWER_TITLE.match(span.title) else "tjänsteskrivelse"
        )
        return
    span.title = _first_title(head)
    named = next((_TYPE_WORDS[m[1].lower()] for t in head[:15] if (m := _TYPE_WORD.match(t))), None)
    if named is not None and not _EMAIL.search(text[:600]):
        span.dokumenttyp = named
        return
    if _EMAIL.search(text[:600]):
        span.dokumenttyp = "bilaga"
        subject = next(
            (i for i, t in enumerate(head) if re.match(r"^(?:skickat|ämne)\b", t, re.I)), None
        )
        if subject is not None and subject + 1 < len(head):
            span.title = head[subject + 1]
    elif len(_REVISION_WORDS.findall(text)) >= 1 and (
        _AUDIT_FIRMS.search(text[:3000]) or re.search(r"revisor", text[:3000], re.I)
    ):
        span.dokumenttyp = "revisionsrapport"
    elif (span.title and _REPORT_TITLE.search(span.title)) or any(_TOC.match(t) for t in head):
        span.dokumenttyp = "rapport"
    else:
        # No cue decides: the first part's type is unknown rather than guessed; a later
        # part of a bundle is an attachment.
        span.dokumenttyp = "okänd" if first else "bilaga"


def _first_title(head: list[str]) -> str | None:
    """First line that is a title rather than a letterhead label, value or org name."""
    for i, text in enumerate(head[:-1]):
        if re.match(r"^dokumentnamn\b", text, re.IGNORECASE):
            return re.sub(r"\.docx?$|\.pdf$", "", head[i + 1], flags=re.IGNORECASE)
    after_label = False
    for text in head:
        if _LETTERHEAD.match(text):
            after_label = not re.search(r"\d$", text)
            continue
        if after_label and len(text) <= 60:
            after_label = False
            continue
        after_label = False
        if _org_line(text) or re.fullmatch(r"[\d\s:./-]+", text) or len(text) < 4:
            continue
        if len(text) <= 160:
            return text
    return None


def agenda_items(lines: list[Line], span: PartSpan) -> list[tuple[str, str, str]]:
    """(nr, ärende, beteckning) rows of a kallelse's agenda table."""
    items = []
    for line in lines[span.first : span.last + 1]:
        match = _AGENDA_ROW.match(line.text.strip())
        if match:
            items.append((match[1], match[2].strip(), (match[3] or "").strip()))
    return items


def match_agenda(
    title: str | None, items: list[tuple[str, str, str]]
) -> tuple[str, str, str] | None:
    """The agenda row whose ärende best matches a tjänsteskrivelse title."""
    if not title:
        return None
    have = _content_words(title)
    best, best_score = None, 0.0
    for item in items:
        wanted = _content_words(item[1])
        if not wanted:
            continue
        score = len(wanted & have) / len(wanted)
        if score > best_score:
            best, best_score = item, score
    return best if best_score >= 0.6 else None
