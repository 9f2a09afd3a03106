"""What routes receive besides the request body: the database and the shapes of their URL parts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from oto.services.database import Database
from oto.services.listings import MAX_LIMIT, MAX_OFFSET


def database_of(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(database_of)]

# A natural key from the URL. NUL cannot be stored or passed in an argv, so it is refused here.
_NAME = r"^[^\x00]+$"
Name = Annotated[str, Path(min_length=1, max_length=500, pattern=_NAME, description="A name, URL-encoded")]
Tag = Annotated[str, Path(min_length=1, max_length=500, pattern=_NAME,
                          description='An executable tag, URL-encoded: "openssl%20-%203.5.3"')]
Flag = Annotated[str, Path(min_length=1, max_length=500, pattern=_NAME, description="A flag, e.g. -out")]
NameFilter = Annotated[str | None, Query(min_length=1, max_length=500, pattern=_NAME)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many items to skip")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many items at most")]
Cascade = Annotated[bool, Query(description="Also delete what uses it")]
