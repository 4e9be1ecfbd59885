"""The HTTP parameters that come from the filter declaration (`index/filters.py`): the query
parameters of every route that searches or asks, and the body of `POST /api/ask`, so the API
takes exactly the filters the CLI takes, with the same checks."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, create_model

from api.masking import refuse_personnummer
from index.filters import FILTER_SPECS, Filters

MAX_QUERY = 500
MAX_LIMIT = 50  # results per page
MAX_OFFSET = 100_000  # how far paging reaches
MAX_ID = 2**63 - 1  # SQLite's largest integer
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


def problem(parameter: str, message: str) -> HTTPException:
    """A 422 naming the parameter as the client sent it."""
    return HTTPException(status_code=422, detail=[{"parameter": parameter, "message": message}])


def check_query(q: str, mask: bool) -> None:
    """What the declared constraints cannot say of a query: that it is blank, or (while
    output is masked) that it holds a personnummer, whose results would tell where it
    occurs."""
    if not q.strip():
        raise problem("q", "The query is blank; type at least one word.")
    refuse_personnummer(q, mask)


def _query(spec) -> Any:
    return Query(
        None,
        alias=spec.param if spec.param != spec.name else None,
        max_length=spec.max_length,
        pattern=DATE_PATTERN if spec.kind == "date" else None,
        description=spec.help,
    )


def filter_query_params() -> Callable[..., Filters]:
    """A FastAPI dependency whose parameters are the declared filters (`?kommun=&from=…`)."""

    def dependency(**values: str | None) -> Filters:
        return Filters.from_params(values)

    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                spec.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=_query(spec),
                annotation=str | None,
            )
            for spec in FILTER_SPECS
        ],
        return_annotation=Filters,
    )
    return dependency


def _body_model() -> type[BaseModel]:
    fields: dict[str, Any] = {
        "q": (str, Field(min_length=1, max_length=MAX_QUERY, description="Frågan")),
    }
    for spec in FILTER_SPECS:
        fields[spec.name] = (
            str | None,
            Field(
                default=None,
                alias=spec.param if spec.param != spec.name else None,
                max_length=spec.max_length,
                pattern=DATE_PATTERN if spec.kind == "date" else None,
                description=spec.help,
            ),
        )
    return create_model("AskRequest", __config__=ConfigDict(populate_by_name=True), **fields)


AskRequest = _body_model()


def body_filters(body: BaseModel) -> Filters:
    return Filters.from_params(body.model_dump())
