"""Notifications: webhooks told when runs end (docs/notifications.md).

They are catalog records like the rest (one unit of work per call); the deliveries themselves are made
by workers, in a Temporal workflow each run's end starts. ``test`` posts once, from here, now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oto.domain.documents import NOTIFY_DEFAULT_ON, NOTIFY_STATUSES
from oto.services import notifications

if TYPE_CHECKING:
    from oto.app.application import App

__all__ = ["NOTIFY_DEFAULT_ON", "NOTIFY_STATUSES", "Notifications"]


class Notifications:
    def __init__(self, app: App) -> None:
        self.app = app
        self.database = app.database

    @staticmethod
    def secret_from_file(path: str) -> str:
        """A signing secret read from a file: UTF-8, at most 4096 bytes, one trailing newline dropped."""
        return notifications.secret_from_file(path)

    def add(self, data: dict[str, Any]) -> dict[str, Any]:
        """Add a notification (``name``, ``url``, ``on``, at most one of ``job``/``routine``/``schedule``,
        ``secret``, ``description``); its view, the secret never shown."""
        return self.database.call(notifications.add, data)

    def list_all(self) -> list[dict[str, Any]]:
        """Every notification with its last attempt."""
        return self.database.call(notifications.list_all)

    def get(self, name: str) -> dict[str, Any]:
        """One notification with its latest delivery attempts, newest first."""
        return self.database.call(notifications.get, name)

    def delete(self, name: str) -> None:
        self.database.call(notifications.delete_one, name)

    async def test(self, name: str) -> dict[str, Any]:
        """POST a test payload to the notification now, once, and record the attempt; what came of it."""
        from oto.engine import notify
        from oto.settings import get_settings

        public = get_settings().public_url or ""
        out = await self.database.run(notifications.outgoing, name, notifications.TEST_RUN, public)
        sent = await notify.send(out)
        await self.database.run(notifications.record_attempt, name, notifications.TEST_RUN, 1,
                                http_status=sent.http_status, error=sent.error, ok=sent.ok)
        return {"name": name, "ok": sent.ok, "http_status": sent.http_status, "error": sent.error or None}
