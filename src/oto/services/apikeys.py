"""API keys: who may call the REST API, and how much they may do.

A key is shown once, when it is created, and only its SHA-256 is stored. Keys carry 256 random
bits, so a fast hash is enough (no password-style stretching needed), and the short public
prefix finds the row without scanning. Scopes nest: ``read`` < ``run`` < ``admin``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import Lock
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from oto.domain.documents import check_no_slash
from oto.domain.models import ApiKey
from oto.errors import AlreadyExists, InvalidInput, NotFound, OtoError
from oto.services.database import Database
from oto.settings import get_settings

SCOPES = ("read", "run", "admin")
KEY_PREFIX = "oto"
LOCAL_ADMIN = "local-admin"
# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
_TOUCH_EVERY = timedelta(minutes=1)
# How long a server trusts a key it has just found valid without asking the database again. A key
# revoked in this process (the API, or a CLI verb run in it) is forgotten at once; one revoked by
# another process (`oto apikey revoke`, another API process) stops working within this time.
RECENT_SECONDS = 1.0
_RECENT_MAX = 1024


class Unauthorized(OtoError):
    """No key, an unknown key or a revoked key."""

    exit_code = 1
    http_status = 401
    title = "Not authenticated"


class Forbidden(OtoError):
    """A valid key whose scope does not allow the operation."""

    exit_code = 1
    http_status = 403
    title = "Not allowed"


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key: everything but the key itself."""

    name: str
    scope: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    # Dashboard sessions started in another generation have ended (logged out).
    session_generation: int = 0

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "scope": self.scope, "prefix": self.prefix, "active": self.active,
            "created_at": _iso(self.created_at), "last_used_at": _iso(self.last_used_at),
            "revoked_at": _iso(self.revoked_at),
        }


@dataclass(frozen=True)
class NewKey:
    """A freshly created key: ``key`` is the only copy of the secret there will ever be."""

    info: KeyInfo
    key: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.info.name, "scope": self.info.scope, "key": self.key}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _now() -> datetime:
    return datetime.now(UTC)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _info(record: ApiKey) -> KeyInfo:
    return KeyInfo(
        name=record.name, scope=record.scope, prefix=record.prefix, created_at=record.created_at,
        last_used_at=record.last_used_at,
        revoked_at=record.revoked_at, session_generation=record.session_generation,
    )


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    return scope


def _check_name(name: str) -> str:
    if not name.strip() or "\x00" in name or len(name) > 200:
        raise InvalidInput("a key name must be 1 to 200 characters, not blank")
    try:
        return check_no_slash(name, "a key name")  # it is revoked at /api/v1/apikeys/NAME/revoke
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def _issue() -> tuple[str, str]:
    """A new (prefix, key) pair: ``oto_<prefix>_<secret>``."""
    prefix = secrets.token_hex(4)
    return prefix, f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


def create(db: Session, name: str, scope: str) -> NewKey:
    """A new key; the plaintext is returned here once and never stored."""
    _check_name(name)
    check_scope(scope)
    if db.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise AlreadyExists(f"an API key named {name!r} already exists (revoked keys keep their name)")
    prefix, key = _issue()
    record = ApiKey(name=name, scope=scope, prefix=prefix, key_hash=digest(key), created_at=_now())
    db.add(record)
    db.flush()
    return NewKey(_info(record), key)


def list_all(db: Session) -> list[KeyInfo]:
    return [_info(k) for k in db.scalars(select(ApiKey).order_by(ApiKey.name))]


def get(db: Session, name: str) -> KeyInfo:
    return _info(_record(db, name))


def _record(db: Session, name: str) -> ApiKey:
    record = db.scalar(select(ApiKey).where(ApiKey.name == name))
    if record is None:
        raise NotFound(f"no API key named {name!r}")
    return record


def revoke(db: Session, name: str) -> KeyInfo:
    """Revoke a key for good; revoking it again changes nothing."""
    record = _record(db, name)
    if record.revoked_at is None:
        record.revoked_at = _now()
        db.flush()
    recent.forget()
    return _info(record)


def end_sessions(db: Session, name: str) -> KeyInfo:
    """End every dashboard session of a key (logging out): their cookies no longer work, even replayed."""
    record = _record(db, name)
    record.session_generation += 1
    db.flush()
    recent.forget()
    return _info(record)


def _parse(key: str) -> str | None:
    """The prefix of a well-formed key, or None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8:
        return None
    return parts[1]


class _Recent:
    """Keys found valid in the last ``RECENT_SECONDS``, by database and digest: the API asks the
    database about a key once a second, not on every request.

    ``generation`` moves on with every change to any key; a lookup that began before a change does
    not store what it read, so a revocation is never undone by a request that raced it.
    """

    def __init__(self) -> None:
        self._lock = Lock()
        self._found: dict[tuple[str, str], tuple[KeyInfo, float]] = {}
        self.generation = 0

    def recall(self, where: str, key: str) -> KeyInfo | None:
        wanted = digest(key)
        with self._lock:
            entry = self._found.get((where, wanted))
        if entry is None:
            return None
        info, until = entry
        return info if time.monotonic() < until else None

    def remember(self, where: str, key: str, info: KeyInfo, generation: int) -> None:
        with self._lock:
            if generation != self.generation:
                return
            if len(self._found) >= _RECENT_MAX:
                self._found.clear()
            self._found[(where, digest(key))] = (info, time.monotonic() + RECENT_SECONDS)

    def forget(self) -> None:
        """After any change to a key (revoked, issued again, logged out): every key is asked again."""
        with self._lock:
            self.generation += 1
            self._found.clear()


recent = _Recent()


def authenticate(db: Session, key: str) -> KeyInfo:
    """The key's record if it is known and not revoked; Unauthorized otherwise.

    It only reads: on SQLite a write would wait for the write lock, behind a long import. When
    the key was last used is written apart, by ``touch``, best-effort.
    """
    prefix = _parse(key)
    if prefix is None:
        raise Unauthorized("the API key is malformed (keys look like oto_xxxxxxxx_...)")
    wanted = digest(key)
    for record in db.scalars(select(ApiKey).where(ApiKey.prefix == prefix)):
        if hmac.compare_digest(record.key_hash, wanted):
            if record.revoked_at is not None:
                raise Unauthorized(f"the API key {record.name!r} was revoked")
            return _info(record)
    raise Unauthorized("unknown API key")


def needs_touch(info: KeyInfo, at: datetime | None = None) -> bool:
    """Whether ``last_used_at`` is old enough to be worth a write (once a minute at most)."""
    last = info.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return last is None or (at or _now()) - last > _TOUCH_EVERY


def touch(db: Session, info: KeyInfo, at: datetime | None = None) -> KeyInfo:
    """Record that a key was used now; the key as it then is."""
    at = at or _now()
    db.execute(update(ApiKey).where(ApiKey.name == info.name, ApiKey.prefix == info.prefix)
               .values(last_used_at=at).execution_options(synchronize_session=False))
    return replace(info, last_used_at=at)


def allows(granted: str, needed: str) -> bool:
    """Whether a key of scope ``granted`` may do what needs ``needed``."""
    return SCOPES.index(check_scope(granted)) >= SCOPES.index(check_scope(needed))


def require(info: KeyInfo, needed: str) -> None:
    if not allows(info.scope, needed):
        raise Forbidden(f"the API key {info.name!r} has scope {info.scope}; this needs scope {needed}")


def local_admin_key_path() -> Path:
    return get_settings().home / "admin.key"


LocalAdminState = Literal["created", "kept", "revoked"]
# What `oto dev` says when its key was revoked: the way to a new one, which the revocation never undoes.
LOCAL_ADMIN_REVOKED = (f"the {LOCAL_ADMIN} API key was revoked and stays revoked; make a new admin key with "
                       "`oto apikey create NAME --scope admin` (it is shown once: keep it)")


def ensure_local_admin_key(database: Database, path: Path | None = None) -> tuple[Path, LocalAdminState]:
    """An admin key for ``oto dev``, written to ``path`` (``$OTO_HOME/admin.key``, mode 0600) the first time.

    Returns the path and what happened: ``created`` (a new key in the file), ``kept`` (the file's
    key works) or ``revoked``. When the file is lost or holds a key that no longer works, an active
    ``local-admin`` key is issued again, so the file holds a working key. A revoked one is never
    issued again: revoking is for good, and a restart must not undo it.
    """
    path = path or local_admin_key_path()
    with database.session() as db:
        record = db.scalar(select(ApiKey).where(ApiKey.name == LOCAL_ADMIN))
        if record is not None and record.revoked_at is not None:
            return path, "revoked"
    if path.exists():
        with database.session() as db:
            try:
                info = authenticate(db, path.read_text(encoding="utf-8").strip())
                touch(db, info)
            except Unauthorized:
                info = None
        if info is not None and info.scope == "admin":
            return path, "kept"
    with database.session() as db:
        record = db.scalar(select(ApiKey).where(ApiKey.name == LOCAL_ADMIN))
        if record is None:
            key = create(db, LOCAL_ADMIN, "admin").key
        elif record.revoked_at is not None:
            return path, "revoked"
        else:
            prefix, key = _issue()
            record.prefix, record.key_hash, record.scope = prefix, digest(key), "admin"
            record.created_at, record.last_used_at = _now(), None
            db.flush()
            recent.forget()
        _write_private(path, key + "\n")
    return path, "created"


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, never briefly world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
