"""``/notifications``: webhooks told when runs end, as `oto notify` manages them (docs/notifications.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, AppDep, Name
from oto.api.problems import responses
from oto.domain.documents import NotificationDoc

router = APIRouter(prefix="/notifications", tags=["notifications"], dependencies=[NO_QUERY])


@router.get("", dependencies=[READ], responses=responses(401, 403))
def list_notifications(app: AppDep) -> list[dict[str, Any]]:
    """Every notification with its last delivery attempt; a secret only as ``signed``."""
    return app.notifications.list_all()


@router.post("", status_code=201, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422))
def create_notification(app: AppDep, body: NotificationDoc) -> dict[str, Any]:
    """Add a notification: ``url`` (http or https), ``on`` (default failed, timed_out), at most one of
    ``job``, ``routine`` or ``schedule``, and a ``secret`` that signs each body (stored sealed)."""
    return app.notifications.add(body.model_dump())


@router.get("/{name}", dependencies=[READ], responses=responses(401, 403, 404, 422))
def get_notification(app: AppDep, name: Name) -> dict[str, Any]:
    """One notification and its latest delivery attempts, newest first."""
    return app.notifications.get(name)


@router.delete("/{name}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 422))
def delete_notification(app: AppDep, name: Name) -> Response:
    app.notifications.delete(name)
    return Response(status_code=204)


@router.post("/{name}/test", dependencies=[ADMIN], responses=responses(401, 403, 404, 422))
async def test_notification(app: AppDep, name: Name) -> dict[str, Any]:
    """POST a test payload to the notification now; whether its receiver answered 2xx."""
    return await app.notifications.test(name)
