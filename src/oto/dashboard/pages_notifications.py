"""Notifications: the list with each one's last attempt, a form to add one, and a page per notification
with its delivery attempts, a test button and delete."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from oto.app.notifications import NOTIFY_DEFAULT_ON, NOTIFY_STATUSES
from oto.dashboard.web import ViewerDep, app_of, in_thread, page_router, posted, redirect, render, url_part
from oto.errors import OtoError

router = page_router()
PAGE = 1000
FIELDS = ("name", "url", "target", "secret", "description")


def _context(request: Request) -> dict[str, Any]:
    app = app_of(request)
    return {"notifications": app.notifications.list_all(),
            "job_names": [j.name for j in app.jobs.page(limit=PAGE).items],
            "routine_names": [r.name for r in app.routines.page(limit=PAGE).items],
            "schedule_names": [s.name for s in app.schedules.list_all()],
            "statuses": NOTIFY_STATUSES}


@router.get("/notifications")
def notification_list(request: Request, viewer: ViewerDep) -> Response:
    return render(request, "notifications.html", viewer, message="", given={"on": NOTIFY_DEFAULT_ON},
                  **_context(request))


@router.post("/notifications")
async def notification_create(request: Request, viewer: ViewerDep) -> Response:
    app = app_of(request)
    form = await posted(request, viewer, "admin")
    given: dict[str, Any] = {key: form.get(key) for key in FIELDS}
    given["on"] = [s for s in NOTIFY_STATUSES if form.get(f"on-{s}")]
    kind, _, target = given["target"].partition(":")
    data: dict[str, Any] = {"name": given["name"].strip(), "url": given["url"].strip(), "on": given["on"],
                            "description": given["description"], "secret": given["secret"] or None}
    if kind in ("job", "routine", "schedule") and target:
        data[kind] = target
    try:
        await in_thread(app.notifications.add, data)
    except OtoError as error:
        context = await in_thread(_context, request)
        given["secret"] = ""  # never sent back
        return render(request, "notifications.html", viewer, status_code=error.http_status, message=error.message,
                      given=given, **context)
    return redirect(f"/notifications/{url_part(data['name'])}")


async def _page(request: Request, name: str, viewer: Any, *, message: str = "", tested: dict[str, Any] | None = None,
                status_code: int = 200) -> Response:
    shown = await in_thread(app_of(request).notifications.get, name)
    return render(request, "notification.html", viewer, status_code=status_code, n=shown, message=message,
                  tested=tested)


@router.get("/notifications/{name}")
async def notification_detail(request: Request, name: str, viewer: ViewerDep) -> Response:
    """One notification and its latest delivery attempts."""
    return await _page(request, name, viewer)


@router.post("/notifications/{name}/test")
async def notification_test(request: Request, name: str, viewer: ViewerDep) -> Response:
    await posted(request, viewer, "admin")
    tested = await app_of(request).notifications.test(name)
    return await _page(request, name, viewer, tested=tested)


@router.post("/notifications/{name}/delete")
async def notification_delete(request: Request, name: str, viewer: ViewerDep) -> Response:
    await posted(request, viewer, "admin")
    await in_thread(app_of(request).notifications.delete, name)
    return redirect("/notifications")
