"""Our filters as Milvus filter expressions, and the terms as Milvus tokens.

String literals are escaped; a literal cannot hold a line break (the grammar has no way to
write one), so such a value matches nothing. Milvus has no phrase query: a phrase becomes a
`like` prefilter on the token text (every word of the phrase present) and a post-filter
(`collection.phrase_in`). An escape sequence inside a `like` pattern crashes the milvus-lite
2.5.1 server, so none is ever sent; `chunk_id in []` is an error, so no empty list is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import fields

from swedish.patterns import reference_key

from ..bm25 import FILTER_FIELDS, person_terms
from ..filters import Filters

NOTHING = "chunk_id < 0"  # chunk ids are positive (SQLite AUTOINCREMENT)


def literal(value: str) -> str | None:
    """A Milvus string literal, or None when the value cannot be written as one (a line
    break: the grammar has no way to put one in a literal)."""
    if "\n" in value or "\r" in value:
        return None
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def date_number(iso: str | None) -> int:
    return int(iso.replace("-", "")) if iso else 0


def filter_expr(filters: Filters | None) -> str:
    """The filters as a Milvus boolean expression ("" for none). Like the store's SQL, an
    undated chunk matches no date range."""
    if filters is None:
        return ""
    parts: list[str] = []
    handled = {*FILTER_FIELDS, "dnr", "datum_from", "datum_to", "roll", "parti", "ref"}
    unknown = [
        f.name for f in fields(filters) if f.name not in handled and getattr(filters, f.name)
    ]
    if unknown:
        raise ValueError(f"the milvus backend cannot filter on {', '.join(unknown)}")

    def equals(field: str, value: str) -> None:
        quoted = literal(value)
        parts.append(f"{field} == {quoted}" if quoted else NOTHING)

    def contains(field: str, value: str) -> None:
        quoted = literal(value)
        parts.append(f"array_contains({field}, {quoted})" if quoted else NOTHING)

    for name in FILTER_FIELDS:
        value = getattr(filters, name)
        if value:
            equals(name, value)
    if filters.dnr:
        contains("dnr", filters.dnr)
    if filters.roll or filters.parti:
        contains("roller", person_terms(filters.roll, filters.parti))
    if filters.ref:
        contains("refs", reference_key(filters.ref))
    if filters.datum_from:
        parts.append(f"datum >= {date_number(filters.datum_from)}")
    if filters.datum_to:
        parts.append(f"datum > 0 and datum <= {date_number(filters.datum_to)}")
    return " and ".join(parts)


def and_(*exprs: str) -> str:
    exprs = tuple(e for e in exprs if e)
    if len(exprs) <= 1:
        return exprs[0] if exprs else ""
    return " and ".join(f"({e})" for e in exprs)


def ids_expr(ids: Iterable[int]) -> str:
    return f"chunk_id in [{','.join(str(int(i)) for i in ids)}]"


_SPACE = re.compile(r"\s+")


def term(token: str) -> str:
    """A term as one whitespace-free token (the Milvus analyzer splits on whitespace)."""
    return _SPACE.sub("_", token)


def like_term(token: str) -> str | None:
    """A `like` condition that the term is present, or None when it cannot be written
    safely (an escape sequence in a like pattern crashes milvus-lite 2.5.1). `_` in a term
    is a wildcard there, so the condition may let through more: the post-filter decides."""
    if any(c in token for c in '"\\%'):
        return None
    return f'text like "% {token} %"'
