"""What the API checks before it reads a request's body: who sends it, and how large it may be.

FastAPI reads and parses a body before it resolves a route's dependencies, the key check among
them, so without this a 15 MB body with no key was held and parsed before its 401. This ASGI
middleware answers first: a call that changes something under ``/api/v1`` must show a working key
(a bearer token, or a dashboard session with its CSRF token) before a byte of its body is read,
and a body past ``OTO_MAX_BODY`` (``OTO_MAX_IMPORT`` for ``POST /api/v1/import``) is refused with
413, from its ``Content-Length`` at once, or while it streams in without one.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oto.errors import OtoError
from oto.settings import get_settings
from oto.web import auth, session

API_PREFIX = "/api/v1"
IMPORT_PATH = f"{API_PREFIX}/import"


class BodyTooLarge(HTTPException):
    """A body past its limit. An HTTPException, so FastAPI's body reading passes it on as it is
    (any other error there becomes a 400) and ``oto.api.problems`` words it as a 413 problem."""

    def __init__(self, limit: int, setting: str) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes, the limit {setting} sets")


def body_limit(path: str) -> tuple[int, str]:
    """The largest body a request to ``path`` may send, and the setting that says so."""
    settings = get_settings()
    if path.rstrip("/") == IMPORT_PATH:
        return settings.max_import, "OTO_MAX_IMPORT"
    return settings.max_body, "OTO_MAX_BODY"


class RequestGuard:
    """The API's first look at a request: its key (for calls that change something) and its body size."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(f"{API_PREFIX}/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        limit, setting = body_limit(scope["path"])
        if request.method not in session.SAFE_METHODS:
            refusal = await _refusal(request)
            if refusal is not None:
                await self._answer(scope, send, refusal)
                return
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._answer(scope, send, BodyTooLarge(limit, setting))
            return
        received = 0
        started = False

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, setting)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped, watched)
        except BodyTooLarge as error:
            if started:
                raise
            await self._answer(scope, send, error)

    @staticmethod
    async def _answer(scope: Scope, send: Send, error: Exception) -> None:
        from oto.api import problems

        request = Request(scope)
        response = problems.render(request, error)
        # The body was not read: the client may still be sending it, so the connection ends here.
        response.headers["Connection"] = "close"
        await response(scope, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


async def _refusal(request: Request) -> Exception | None:
    """Why the caller may not send a body here (no key, a bad one, a session without its CSRF token,
    or a database that does not answer)."""
    try:
        await auth.identify(request.app.state.oto, request, _bearer(request))
    except (OtoError, SQLAlchemyError) as error:
        return error
    return None


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None

