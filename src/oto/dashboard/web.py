"""What every dashboard page shares: templates, the logged-in viewer, forms with CSRF, error pages."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.routing import APIRoute, APIRouter
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from oto.app.keys import Forbidden
from oto.dashboard import forms
from oto.errors import OtoError
from oto.web import session
from oto.web.auth import Visitor, visitor
from oto.web.deps import app_of

__all__ = ["app_of"]

T = TypeVar("T")
HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")

NAV = (
    ("/", "Overview"),
    ("/executables", "Executables"),
    ("/builder", "Command builder"),
    ("/commands", "Commands"),
    ("/jobs", "Jobs"),
    ("/routines", "Routines"),
    ("/runs", "Runs"),
    ("/schedules", "Schedules"),
    ("/notifications", "Notifications"),
    ("/catalog", "Tool catalog"),
    ("/import", "Import"),
)


class LoginRequired(Exception):
    """No valid session: the page sends the browser to the login form."""


# The person looking at a page: the key they logged in with, and their session's CSRF token.
Viewer = Visitor


def current_viewer(request: Request) -> Viewer:
    found = visitor(app_of(request), request)
    if found is None:
        raise LoginRequired
    return found


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def url_part(value: object) -> str:
    """One path segment, quoted whole (tags hold spaces, flags start with dashes)."""
    return quote(str(value), safe="")


def when(value: object) -> str:
    """An ISO time as people read it, in UTC."""
    if value is None or value == "":
        return "—"
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def size(value: object) -> str:
    number = float(value) if isinstance(value, int | float) else 0.0
    for unit in ("B", "KiB", "MiB", "GiB"):
        if number < 1024 or unit == "GiB":
            return f"{number:.0f} {unit}" if unit == "B" else f"{number:.1f} {unit}"
        number /= 1024
    return f"{number:.1f} GiB"


templates.env.filters["q"] = url_part
templates.env.filters["when"] = when
templates.env.filters["size"] = size
templates.env.filters["argv"] = lambda items: shlex.join(str(i) for i in items)
templates.env.globals["NAV"] = NAV


def render(request: Request, template: str, viewer: Viewer | None, /, status_code: int = 200,
           **context: Any) -> Response:
    context |= {"viewer": viewer, "csrf": viewer.csrf if viewer else "", "path": request.url.path}
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, error: OtoError) -> Response:
    try:
        viewer: Viewer | None = current_viewer(request)
    except LoginRequired:
        viewer = None
    return render(request, "error.html", viewer, status_code=error.http_status, error=error)


class PageRoute(APIRoute):
    """A dashboard route: no session sends to the login form, an OtoError becomes an HTML page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                raw = request.scope.get("raw_path") or request.url.path.encode()
                target = raw.decode("latin-1") + (f"?{request.url.query}" if request.url.query else "")
                if request.method != "GET":
                    target = "/"
                return redirect(f"/login?next={quote(target, safe='')}")
            except OtoError as error:
                return await run_in_threadpool(error_page, request, error)

        return page


def page_router() -> APIRouter:
    """Routes of pages; a body past ``forms.MAX_BODY`` is refused (413) before it is all read."""
    return APIRouter(route_class=PageRoute, include_in_schema=False, max_body_size=forms.MAX_BODY)


async def posted(request: Request, viewer: Viewer, scope: str) -> forms.Form:
    """The form of a POST, once its CSRF token matches the session and the key may do ``scope``."""
    form = await forms.read(request)
    if not session.csrf_ok(viewer.csrf, form.get(session.CSRF_FIELD)):
        raise Forbidden("this form is out of date (its session token does not match): reload the page and try again")
    viewer.need(scope)
    return form


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await run_in_threadpool(fn, *args, **kwargs)


def trigger_of(viewer: Viewer) -> str:
    """How runs started here are marked: by the dashboard, for the key logged in."""
    return f"dashboard:{viewer.key.name}"
