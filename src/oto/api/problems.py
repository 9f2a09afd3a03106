"""Every error the API returns is an RFC 9457 problem (``application/problem+json``).

OtoError already carries its HTTP status and title; this module only renders it, and turns the
failures that reach the API from elsewhere (request parsing, the database) into the same shape,
so a client never sees a traceback and bad input never becomes a 500.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.status import HTTP_422_UNPROCESSABLE_CONTENT

from oto.errors import OtoError, Refused

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("oto.api")
RETRY_AFTER = 5  # seconds, on every 503


class Violation(BaseModel):
    """One reason of the flag matching engine (a violation of a command, or a schema problem)."""

    kind: str
    flags: list[str]
    message: str


class FieldError(BaseModel):
    location: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with OTO's extensions where they apply."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    violations: list[Violation] | None = None
    used_by: list[dict[str, str]] | None = None
    errors: list[FieldError] | None = None


def problem_type(slug: str) -> str:
    return f"urn:oto:problem:{slug}"


def _slug(error: OtoError) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", type(error).__name__).lower()


def problem(
    request: Request, status: int, title: str, detail: str, *, slug: str | None = None, **extensions: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem_type(slug) if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    body.update({k: v for k, v in extensions.items() if v is not None})
    headers = {"WWW-Authenticate": 'Bearer realm="oto"'} if status == 401 else None
    if status == 503:  # what is away usually comes back: say when it is worth asking again
        headers = {"Retry-After": str(RETRY_AFTER)}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _oto_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, OtoError)
    extensions: dict[str, Any] = {}
    if isinstance(error, Refused):
        extensions["violations"] = error.details
    elif error.http_status == 409 and error.details:
        extensions["used_by"] = [{str(k): str(v) for k, v in d.items()} for d in error.details]
    return problem(request, error.http_status, error.title, error.message, slug=_slug(error), **extensions)


def _location(loc: Any) -> str:
    return ".".join(str(part) for part in loc)


def _message(text: Any) -> str:
    return str(text).removeprefix("Value error, ")


def _field_error(request: Request, error: dict[str, Any]) -> FieldError:
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "extra_forbidden" and len(loc) == 2 and loc[0] == "query":
        # A query model refused a parameter it does not name: say which, and what the route takes.
        expected = ", ".join(sorted(_query_names(request.scope.get("route")))) or "none"
        return FieldError(location="query", message=f"unknown parameter {loc[1]!r} (this route takes: {expected})")
    return FieldError(location=_location(loc), message=_message(error.get("msg", "invalid")))


def _query_names(route: Any) -> set[str]:
    """The query parameters a route and its dependencies take, those of query models included."""
    names: set[str] = set()
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is None:
            continue
        pending += dependant.dependencies
        for param in dependant.query_params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                names |= {info.alias or name for name, info in model.model_fields.items()}
            else:
                names.add(param.alias)
    return names


def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [_field_error(request, e) for e in error.errors()]
    first = errors[0] if errors else FieldError(location="", message="the request is invalid")
    detail = f"{first.location}: {first.message}" if first.location else first.message
    return problem(request, HTTP_422_UNPROCESSABLE_CONTENT, "Invalid input", detail, slug="invalid-input",
                   errors=[e.model_dump() for e in errors])


def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    if error.status_code == 400:
        # FastAPI's answer to a body it cannot decode; to OTO that is invalid input like any other.
        return problem(request, HTTP_422_UNPROCESSABLE_CONTENT, "Invalid input",
                       "body: cannot be read as JSON (is it UTF-8?)", slug="invalid-input")
    from http import HTTPStatus

    try:
        title = HTTPStatus(error.status_code).phrase
    except ValueError:
        title = "Error"
    detail = error.detail if isinstance(error.detail, str) else title
    if error.status_code == 404 and detail == "Not Found":
        detail = f"there is nothing at {request.url.path}"
    response = problem(request, error.status_code, title, detail)
    for key, value in (error.headers or {}).items():
        response.headers[key] = value
    if error.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = dict(request.scope) | {"method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def _bad_value(request: Request, error: Exception) -> JSONResponse:
    """Values the database cannot hold: too long, a NUL character, an out-of-range number."""
    log.info("refused a value the database cannot store: %s", type(error).__name__)
    return problem(
        request, HTTP_422_UNPROCESSABLE_CONTENT, "Invalid input",
        "a value cannot be stored: it is too long, too large, holds a NUL character or is not valid Unicode",
        slug="invalid-input",
    )


def _conflict(request: Request, error: Exception) -> JSONResponse:
    """Two writers raced on the same natural key; the loser is told it already exists."""
    return problem(request, 409, "Already exists", "it was created at the same time by another request; "
                   "read it again", slug="already-exists")


def _database_down(request: Request, error: Exception) -> JSONResponse:
    """A lost or refused connection. Usually nothing was written (the transaction rolled back),
    but a commit whose answer was lost may have been: the detail does not promise either way."""
    log.warning("database error: %s", error)
    return problem(request, 503, "Service unavailable",
                   f"the database does not answer; try again in {RETRY_AFTER}s", slug="unavailable")


def _server_error(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(request, 500, "Internal Server Error", "an unexpected error happened; it was logged")


def render(request: Request, error: Exception) -> JSONResponse:
    """The problem for an error met before routing (``oto.api.guard``), as the handlers below word it."""
    if isinstance(error, OtoError):
        return _oto_error(request, error)
    if isinstance(error, HTTPException):
        return _http_error(request, error)
    if isinstance(error, OperationalError | InterfaceError):
        return _database_down(request, error)
    return _server_error(request, error)


def install(app: FastAPI) -> None:
    app.add_exception_handler(OtoError, _oto_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DataError, _bad_value)
    app.add_exception_handler(UnicodeEncodeError, _bad_value)
    app.add_exception_handler(OverflowError, _bad_value)
    app.add_exception_handler(IntegrityError, _conflict)
    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(InterfaceError, _database_down)
    app.add_exception_handler(Exception, _server_error)


def responses(*statuses: int, ok_media_type: str | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route may return (and its 200 when it is not a JSON model)."""
    descriptions = {
        401: "No API key, or an unknown or revoked one",
        403: "The key's scope does not allow this",
        404: "No such resource",
        409: "Already exists, or still in use",
        422: "Invalid input, or refused by the flag matching engine (with violations)",
        503: "The database or Temporal does not answer",
    }
    entries: dict[int | str, dict[str, Any]] = {
        status: {
            "description": descriptions[status],
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
    if ok_media_type is not None:
        schema = {"type": "object"} if ok_media_type == "application/json" else {"type": "string"}
        entries[200] = {"content": {ok_media_type: {"schema": schema}}}
    return entries
