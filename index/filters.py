"""The search filters, declared once.

Each filter is one `FilterSpec` (name, the name users type, help text, length limit, kind).
The CLI options (`namnd search/ask --kommun …`), the FastAPI query and body parameters, and
the validation all come from `FILTER_SPECS`; the backends translate a validated `Filters`
into their own terms (SQL in `search/hybrid.py`, tantivy in `bm25.py`, Milvus expressions in
`milvus.py`). Adding a filter is one spec and one field here plus its translation per backend.

A `Filters` is valid once made: blank values become None, dates are calendar dates in
order, a role is one of the known roles and a dnr is in its canonical form, so every way in
(CLI, API, answers, ärenden) gets the same checks and the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from swedish.domain import ROLES
from swedish.patterns import ISO_DATE, normalize_dnr


@dataclass(frozen=True)
class FilterSpec:
    name: str  # the field of `Filters`
    param: str  # what users type: `--from`, `?from=`
    help: str
    max_length: int
    kind: str = "text"  # "text" or "date"


FILTER_SPECS: tuple[FilterSpec, ...] = (
    FilterSpec("kommun", "kommun", "only this kommun (Eskilstuna)", 100),
    FilterSpec("namnd", "namnd", "only this nämnd or organ (Socialnämnden)", 100),
    FilterSpec("dokumenttyp", "dokumenttyp", "only this document type (protokoll, …)", 50),
    FilterSpec("sektion", "sektion", "only this section of a § (beslut, yrkanden, …)", 50),
    FilterSpec("dnr", "dnr", "only § with this diarienummer (SOCN/2023:39)", 60),
    FilterSpec("roll", "roll", f"a person of the § had this role: {', '.join(ROLES)}", 50),
    FilterSpec("parti", "parti", "… from this party (V, M, …); with roll: the same person", 20),
    FilterSpec("ref", "ref", "the § refers to this law or remiss ('Ds 2023:17')", 80),
    FilterSpec("datum_from", "from", "from this date (YYYY-MM-DD), inclusive", 10, "date"),
    FilterSpec("datum_to", "to", "up to this date (YYYY-MM-DD), inclusive", 10, "date"),
)


class FilterError(ValueError):
    """A filter value that cannot be used, naming the parameter as users typed it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Filters:
    kommun: str | None = None
    namnd: str | None = None
    dokumenttyp: str | None = None
    sektion: str | None = None
    dnr: str | None = None
    roll: str | None = None  # a person of the chunk's § had this role (reservation, yrkande, …)
    parti: str | None = None  # … from this party (with `roll`: the same person)
    ref: str | None = None  # the chunk's § refers to this law or remiss (Ds 2023:17)
    datum_from: str | None = None  # ISO date, inclusive
    datum_to: str | None = None

    def __post_init__(self) -> None:
        for spec in FILTER_SPECS:
            value = getattr(self, spec.name)
            if value is not None:
                value = str(value).strip() or None
            if value is not None and len(value) > spec.max_length:
                raise FilterError(
                    spec.param, f"{spec.param} is longer than {spec.max_length} characters"
                )
            if value is not None and spec.kind == "date":
                _check_date(spec.param, value)
            object.__setattr__(self, spec.name, value)
        if self.roll is not None:
            roll = self.roll.lower()
            if roll not in ROLES:
                raise FilterError("roll", f"unknown roll {self.roll!r} (use {', '.join(ROLES)})")
            object.__setattr__(self, "roll", roll)
        if self.dnr is not None:
            object.__setattr__(self, "dnr", normalize_dnr(self.dnr))
        if self.datum_from and self.datum_to and self.datum_from > self.datum_to:
            raise FilterError(
                "from", f"the range starts ({self.datum_from}) after it ends ({self.datum_to})"
            )

    @classmethod
    def from_params(cls, values: dict[str, Any]) -> Filters:
        """Filters from values keyed by field name; keys that are not filters are ignored
        (a parsed command line or a request's parameters)."""
        return cls(**{spec.name: values.get(spec.name) for spec in FILTER_SPECS})

    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def as_params(self) -> dict[str, str]:
        """The set filters by the names users type (`from`, `to`, …): for links and feeds."""
        return {
            spec.param: getattr(self, spec.name)
            for spec in FILTER_SPECS
            if getattr(self, spec.name) is not None
        }


def _check_date(param: str, value: str) -> None:
    if not ISO_DATE.fullmatch(value):
        raise FilterError(param, f"{param} must be a date YYYY-MM-DD, not {value!r}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise FilterError(param, f"{value} is not a calendar date (YYYY-MM-DD)") from None
