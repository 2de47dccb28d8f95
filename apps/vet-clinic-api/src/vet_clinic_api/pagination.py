"""Query parameters and the response envelope of every list route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from vet_services.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

ItemT = TypeVar("ItemT", bound=BaseModel)
RowT = TypeVar("RowT")


class PageParams(BaseModel):
    limit: int
    cursor: str | None


def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=512,
            pattern=r"^[A-Za-z0-9_-]+$",
            description="`next_cursor` of the previous page",
        ),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(_page_params)]


class PageResponse(BaseModel, Generic[ItemT]):
    """A page of items; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[ItemT]
    next_cursor: str | None = None
    limit: int = Field(ge=1, le=MAX_LIMIT)

    @classmethod
    def of(cls, page: Page[RowT], convert: Callable[[RowT], ItemT]) -> PageResponse[ItemT]:
        return cls(
            items=[convert(row) for row in page.items],
            next_cursor=page.next_cursor,
            limit=page.limit,
        )
