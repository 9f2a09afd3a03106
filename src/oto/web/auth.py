"""Who is calling, for the REST API and the dashboard alike: an API key and what its scope allows.

A key arrives as a bearer token (scripts, ``curl``) or is remembered by the dashboard's signed
session cookie (the browser's pages and their calls to the API). A session's key is looked up again
on every request; a bearer token at most ``RECENT_SECONDS`` (1 s) after the server last found it
valid, so a key revoked through this server stops working at once, and one revoked elsewhere (the
CLI, another server process) within that second.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from oto.app import App
from oto.app import keys as apikeys
from oto.app.keys import Forbidden, KeyInfo, Unauthorized
from oto.web import session

NO_KEY = "this needs an API key: send the header Authorization: Bearer <key>"
SESSION_ENDED = "the dashboard session has ended (logged out, expired or its key revoked): log in again"


@dataclass(frozen=True)
class Visitor:
    """A person logged in to the dashboard: their key as it is now, and their session's CSRF token."""

    key: KeyInfo
    csrf: str

    def can(self, scope: str) -> bool:
        return allows(self.key, scope)

    def need(self, scope: str) -> None:
        require(self.key, scope)


def visitor(app: App, request: Request) -> Visitor | None:
    """The request's dashboard session, or None without a valid one (none, expired, key revoked)."""
    login = session.current(request)
    if login is None:
        return None
    info = session.key_of(app, login)
    return Visitor(info, login.csrf) if info is not None else None


def caller(app: App, request: Request, token: str | None) -> KeyInfo:
    """The key behind a request: its bearer ``token`` when it sends one, else its dashboard session.

    Unauthorized without either; a session's call that changes something must also send the
    session's CSRF token in ``X-CSRF-Token`` (Forbidden otherwise): a cookie alone proves nothing.
    """
    if token is not None:
        return app.api_keys.authenticate(token)
    if request.cookies.get(session.COOKIE) is None:
        raise Unauthorized(NO_KEY)
    found = visitor(app, request)
    if found is None:
        raise Unauthorized(SESSION_ENDED)
    if request.method not in session.SAFE_METHODS and not session.csrf_ok(found.csrf,
                                                                           request.headers.get(session.CSRF_HEADER)):
        raise Forbidden(f"a dashboard session must send its CSRF token in the {session.CSRF_HEADER} header")
    return found.key


async def identify(app: App, request: Request, token: str | None) -> KeyInfo:
    """``caller`` for async code: a bearer token the server found valid a moment ago is answered on
    the event loop; anything else (a lookup, a session) in a worker thread, off the loop."""
    if token is not None:
        known = app.api_keys.recall(token)
        if known is not None:
            return known
    return await run_in_threadpool(caller, app, request, token)


def allows(key: KeyInfo, scope: str) -> bool:
    """Whether ``key``'s scope covers ``scope`` (admin > run > read)."""
    return apikeys.allows(key.scope, scope)


def require(key: KeyInfo, scope: str) -> None:
    """Forbidden unless ``key``'s scope covers ``scope``."""
    apikeys.require(key, scope)
