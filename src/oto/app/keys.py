"""API keys: issued once in clear, stored hashed, checked by scope (read < run < admin)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from oto.services import apikeys
from oto.services.apikeys import LOCAL_ADMIN_REVOKED, SCOPES, Forbidden, KeyInfo, LocalAdminState, NewKey, Unauthorized

if TYPE_CHECKING:
    from oto.app.application import App

__all__ = ["LOCAL_ADMIN_REVOKED", "SCOPES", "ApiKeys", "Forbidden", "KeyInfo", "LocalAdminState", "NewKey",
           "Unauthorized", "allows", "require"]


def allows(granted: str, needed: str) -> bool:
    """Whether a key of scope ``granted`` may do what needs ``needed``."""
    return apikeys.allows(granted, needed)


def require(info: KeyInfo, needed: str) -> None:
    """Forbidden unless the key's scope covers ``needed``."""
    apikeys.require(info, needed)


class ApiKeys:
    def __init__(self, app: App) -> None:
        self.database = app.database

    def create(self, name: str, scope: str) -> NewKey:
        return self.database.call(apikeys.create, name, scope)

    def list_all(self) -> list[KeyInfo]:
        return self.database.call(apikeys.list_all)

    def get(self, name: str) -> KeyInfo:
        return self.database.call(apikeys.get, name)

    def revoke(self, name: str) -> KeyInfo:
        info = self.database.call(apikeys.revoke, name)
        apikeys.recent.forget()  # again once committed: no request read the key between the two
        return info

    def end_sessions(self, name: str) -> KeyInfo:
        """End every dashboard session of the key ``name`` (logging out), however its cookie is replayed."""
        info = self.database.call(apikeys.end_sessions, name)
        apikeys.recent.forget()
        return info

    def recall(self, key: str) -> KeyInfo | None:
        """The key's record if this process found it valid within ``apikeys.RECENT_SECONDS`` and its
        last use needs no write; None otherwise (``authenticate`` then asks the database). Never blocks."""
        info = apikeys.recent.recall(self.database.url, key)
        return None if info is None or apikeys.needs_touch(info) else info

    def authenticate(self, key: str) -> KeyInfo:
        """The key's record if it is known and not revoked; Unauthorized otherwise.

        The check only reads. When the key was last used is then written in a transaction of its
        own that gives up at once when the database is busy (a long import holds SQLite's write
        lock): a request never waits for it, and a missed write only leaves the time a little old.
        A key found valid is remembered for ``RECENT_SECONDS`` (``recall``).
        """
        known = self.recall(key)
        if known is not None:
            return known
        generation = apikeys.recent.generation
        info = self.database.call(apikeys.authenticate, key)
        if apikeys.needs_touch(info):
            touched = self.database.attempt(apikeys.touch, info)
            if touched is not None:
                info = touched
        apikeys.recent.remember(self.database.url, key, info, generation)
        return info

    def ensure_local_admin(self, path: Path | None = None) -> tuple[Path, LocalAdminState]:
        """The admin key file of ``oto dev`` (made the first time); returns its path and what happened
        (``created``, ``kept``, or ``revoked``: a revoked key is never issued again)."""
        return apikeys.ensure_local_admin_key(self.database, path)
