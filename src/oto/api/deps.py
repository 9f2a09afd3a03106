"""What routes receive besides the request body: the database and the shapes of their URL parts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from oto.app import App
from oto.app.catalog import MAX_LIMIT, MAX_OFFSET
from oto.errors import InvalidInput


def app_of(request: Request) -> App:
    """The application this server was built over (its database and its way to Temporal)."""
    app: App = request.app.state.oto
    return app


AppDep = Annotated[App, Depends(app_of)]

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


def reject_unknown_query(request: Request) -> None:
    """Refuse query parameters the route does not take: a typo in a filter must not list everything."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(route)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        expected = ", ".join(sorted(known)) or "none"
        raise InvalidInput(f"query: unknown parameter {unknown[0]!r} (this route takes: {expected})")


_known: dict[int, frozenset[str]] = {}


def _query_names(route: Any) -> frozenset[str]:
    names = _known.get(id(route))
    if names is None:
        names = _known[id(route)] = frozenset(_walk(route.dependant))
    return names


def _walk(dependant: Any) -> set[str]:
    """The query parameters of a dependant and of everything it depends on."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _walk(sub)
    return names
