"""Dashboard sessions: a signed cookie naming the API key a person logged in with.

The cookie holds the key's name and public prefix (never the key), a CSRF token and an expiry,
signed with HMAC-SHA256 by a secret kept in ``$OTO_HOME/dashboard.secret`` (mode 0600), so
sessions survive a restart and every process of one home shares them. Each request looks the key
up again: revoking it ends its sessions at once. The cookie is HttpOnly and SameSite=Strict;
forms and the browser's API calls also carry the session's CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from oto.errors import NotFound
from oto.services import apikeys
from oto.services.apikeys import Forbidden, KeyInfo, Unauthorized
from oto.settings import get_settings

COOKIE = "oto_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
LIFETIME = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_secrets: dict[Path, bytes] = {}
_lock = Lock()


@dataclass(frozen=True)
class Login:
    """What a valid session cookie says."""

    key_name: str
    prefix: str
    csrf: str
    expires: int


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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: str) -> str:
    return _b64(hmac.new(secret(), payload.encode("ascii"), hashlib.sha256).digest())


def encode(login: Login) -> str:
    payload = _b64(json.dumps([login.key_name, login.prefix, login.csrf, login.expires]).encode("utf-8"))
    return f"{payload}.{_sign(payload)}"


def decode(cookie: str, now: float | None = None) -> Login | None:
    """The login a cookie holds, or None when it is forged, damaged or expired."""
    payload, _, signature = cookie.partition(".")
    if not payload or not signature or not hmac.compare_digest(_sign(payload), signature):
        return None
    try:
        name, prefix, csrf, expires = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        return None
    if not all(isinstance(v, str) for v in (name, prefix, csrf)) or not isinstance(expires, int):
        return None
    if expires < (time.time() if now is None else now):
        return None
    return Login(name, prefix, csrf, expires)


def start(response: Response, request: Request, info: KeyInfo) -> Login:
    """Set the session cookie for a key that just authenticated."""
    login = Login(info.name, info.prefix, secrets.token_urlsafe(24), int(time.time()) + LIFETIME)
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


def key_of(db: Session, login: Login) -> KeyInfo | None:
    """The logged-in key as it is now: None once it is revoked or issued again."""
    try:
        info = apikeys.get(db, login.key_name)
    except NotFound:
        return None
    if not info.active or not hmac.compare_digest(info.prefix, login.prefix):
        return None
    return info


def csrf_ok(expected: str, token: str | None) -> bool:
    """Whether a form's or a header's token is the session's (compared in constant time)."""
    return bool(token) and hmac.compare_digest(expected.encode(), (token or "").encode())


def authenticate(db: Session, request: Request) -> KeyInfo:
    """For the REST API: the key of the request's dashboard session; Unauthorized without a valid one.

    A call that changes something must also send the session's CSRF token in ``X-CSRF-Token``.
    """
    login = current(request)
    info = key_of(db, login) if login is not None else None
    if login is None or info is None:
        raise Unauthorized("the dashboard session has ended (logged out, expired or its key revoked): log in again")
    if request.method not in SAFE_METHODS and not csrf_ok(login.csrf, request.headers.get(CSRF_HEADER)):
        raise Forbidden(f"a dashboard session must send its CSRF token in the {CSRF_HEADER} header")
    return info
