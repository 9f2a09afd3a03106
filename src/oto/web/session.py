"""Dashboard sessions: a signed cookie naming the API key a person logged in with.

The cookie holds the key's name and public prefix (never the key), a CSRF token and the key's
session generation, signed and
timestamped by itsdangerous (HMAC-SHA256) with a secret kept in ``$OTO_HOME/dashboard.secret``
(mode 0600), so sessions survive a restart and every process of one home shares them; a cookie
older than ``LIFETIME`` is refused. Each request looks the key up again: revoking it ends its
sessions at once, and so does logging out, which moves the key's session generation on in the
database, so a copy of the cookie kept from before is refused too. The cookie is HttpOnly,
SameSite=Strict and Secure over https (as the client sees it: behind a TLS proxy, ``oto serve``
trusts its ``X-Forwarded-Proto`` from ``OTO_FORWARDED_ALLOW_IPS``); forms and the browser's API
calls also carry the session's CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from oto.app import App
from oto.app.keys import KeyInfo
from oto.errors import NotFound
from oto.settings import get_settings

COOKIE = "oto_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
LIFETIME = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SALT = "oto.dashboard.session"

_secrets: dict[Path, bytes] = {}
_lock = Lock()


@dataclass(frozen=True)
class Login:
    """What a valid session cookie says."""

    key_name: str
    prefix: str
    csrf: str
    generation: int = 0


def _secret_path() -> Path:
    return get_settings().home / "dashboard.secret"


def secret() -> bytes:
    """The signing secret of this OTO home, made on first use (0600, never briefly readable by others)."""
    path = _secret_path()
    with _lock:
        known = _secrets.get(path)
        if known is not None:
            return known
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            value = bytes.fromhex(path.read_text(encoding="ascii").strip())
        except OSError:
            value = secrets.token_bytes(32)  # an unwritable home: sessions last as long as the process
        else:
            value = secrets.token_bytes(32)
            try:
                os.write(fd, value.hex().encode("ascii"))
            finally:
                os.close(fd)
        _secrets[path] = value
        return value


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret(), salt=SALT, signer_kwargs={"digest_method": hashlib.sha256})


def encode(login: Login) -> str:
    """The cookie value for ``login``, signed now."""
    return str(_serializer().dumps([login.key_name, login.prefix, login.csrf, login.generation]))


def decode(cookie: str, *, max_age: int = LIFETIME) -> Login | None:
    """The login a cookie holds, or None when it is forged, damaged or older than ``max_age`` seconds."""
    try:
        fields = _serializer().loads(cookie, max_age=max_age)
    except BadData:
        return None
    if not isinstance(fields, list) or len(fields) != 4:
        return None
    name, prefix, csrf, generation = fields
    if not all(isinstance(v, str) for v in (name, prefix, csrf)) or type(generation) is not int:
        return None
    return Login(name, prefix, csrf, generation)


def start(response: Response, request: Request, info: KeyInfo) -> Login:
    """Set the session cookie for a key that just authenticated."""
    login = Login(info.name, info.prefix, secrets.token_urlsafe(24), info.session_generation)
    response.set_cookie(
        COOKIE, encode(login), max_age=LIFETIME, path="/", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )
    return login


def end(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def current(request: Request) -> Login | None:
    cookie = request.cookies.get(COOKIE)
    return decode(cookie) if cookie else None


def key_of(app: App, login: Login) -> KeyInfo | None:
    """The logged-in key as it is now: None once it is revoked, issued again or logged out."""
    try:
        info = app.api_keys.get(login.key_name)
    except NotFound:
        return None
    if not info.active or not hmac.compare_digest(info.prefix, login.prefix):
        return None
    if info.session_generation != login.generation:
        return None
    return info


def csrf_ok(expected: str, token: str | None) -> bool:
    """Whether a form's or a header's token is the session's (compared in constant time)."""
    return bool(token) and hmac.compare_digest(expected.encode(), (token or "").encode())
