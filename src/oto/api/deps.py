"""What routes receive besides the request body: the application (``oto.web.deps``), URL parts, query models.

Every route takes its query parameters as one model that forbids any other (``QueryModel``), or
depends on ``NO_QUERY``: a typo in a filter (``?comand=``) is a 422 naming it, never a listing of
everything. ``oto.api.problems`` words that refusal.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from oto.app.catalog import MAX_LIMIT, MAX_OFFSET
from oto.web.deps import AppDep, app_of

__all__ = ["NO_QUERY", "AppDep", "DeleteOptions", "Flag", "Name", "NameFilter", "NoQuery", "Paging",
           "PagingQuery", "QueryModel", "Tag", "app_of"]


# A natural key from the URL. NUL cannot be stored or passed in an argv, so it is refused here.
_NAME = r"^[^\x00]+$"
Name = Annotated[str, Path(min_length=1, max_length=500, pattern=_NAME, description="A name, URL-encoded")]
Tag = Annotated[str, Path(min_length=1, max_length=500, pattern=_NAME,
                          description='An executable tag, URL-encoded: "openssl%20-%203.5.3"')]
Flag = Annotated[str, Path(min_length=1, max_length=500, pattern=_NAME, description="A flag, e.g. -out")]
# A filter of a listing, in a query model.
NameFilter = Annotated[str | None, Field(min_length=1, max_length=500, pattern=_NAME)]


class QueryModel(BaseModel):
    """A route's query parameters; any parameter it does not name is refused."""

    model_config = ConfigDict(extra="forbid")


class NoQuery(QueryModel):
    """The query of a route that takes none."""


async def _no_query(query: Annotated[NoQuery, Query()]) -> None:
    """Only validates: ``NoQuery`` refuses every parameter (async: no thread for nothing to do)."""


# In ``dependencies=[...]`` of a route without query parameters.
NO_QUERY = Depends(_no_query)


class Paging(QueryModel):
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip")
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description="How many items at most")


class DeleteQuery(QueryModel):
    cascade: bool = Field(False, description="Also delete what uses it")


PagingQuery = Annotated[Paging, Query()]
DeleteOptions = Annotated[DeleteQuery, Query()]
