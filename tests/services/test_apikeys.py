"""API keys: shown once, stored as a hash, scoped, revocable; and the local admin key of `oto dev`."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from oto.app import App
from oto.domain.models import ApiKey
from oto.errors import AlreadyExists, InvalidInput, NotFound
from oto.services import apikeys
from oto.services.apikeys import Forbidden, Unauthorized
from oto.services.database import Database


def test_only_the_hash_is_stored_and_the_key_authenticates(database: Database) -> None:
    with database.session() as db:
        new = apikeys.create(db, "ci", "run")
    assert new.key.startswith(f"oto_{new.info.prefix}_") and len(new.key) > 40
    with database.session() as db:
        record = db.scalar(select(ApiKey).where(ApiKey.name == "ci"))
        assert record is not None and new.key not in (record.key_hash, record.prefix)
        assert record.key_hash == apikeys.digest(new.key)
        info = apikeys.authenticate(db, new.key)
    assert (info.name, info.scope, info.active) == ("ci", "run", True)
    assert info.last_used_at is None  # checking only reads
    info = App(database).api_keys.authenticate(new.key)
    assert info.last_used_at is not None
    with database.session() as db:
        assert apikeys.get(db, "ci").last_used_at is not None


def test_a_key_is_checked_at_once_while_a_writer_holds_the_lock(database: Database) -> None:
    """On SQLite a long import holds the write lock: the check reads, and the time of use is skipped."""
    with database.session() as db:
        key = apikeys.create(db, "ci", "read").key
    app = App(database)
    writer = database.engine.raw_connection()
    try:
        cursor = writer.cursor()
        cursor.execute("UPDATE api_keys SET scope = scope")  # SQLite's write lock, PostgreSQL's row locks
        started = time.monotonic()
        info = app.api_keys.authenticate(key)
        assert time.monotonic() - started < 3
        assert (info.name, info.last_used_at) == ("ci", None)
    finally:
        writer.rollback()
        writer.close()
    assert app.api_keys.authenticate(key).last_used_at is not None  # written once the lock is free


def test_unknown_malformed_and_revoked_keys_are_refused(database: Database) -> None:
    with database.session() as db:
        key = apikeys.create(db, "ci", "read").key
    for bad in ("", "nope", "oto_short_x", key[:-1] + ("A" if key[-1] != "A" else "B"), key.replace("oto_", "otp_")):
        with database.session() as db, pytest.raises(Unauthorized):
            apikeys.authenticate(db, bad)
    with database.session() as db:
        revoked = apikeys.revoke(db, "ci")
        assert revoked.active is False and apikeys.revoke(db, "ci").revoked_at == revoked.revoked_at
    with database.session() as db, pytest.raises(Unauthorized, match="revoked"):
        apikeys.authenticate(db, key)


def test_names_and_scopes_are_checked(sqlite_database: Database) -> None:
    with sqlite_database.session() as db:
        apikeys.create(db, "a", "admin")
        with pytest.raises(AlreadyExists):
            apikeys.create(db, "a", "read")
        with pytest.raises(InvalidInput, match="scope"):
            apikeys.create(db, "b", "root")
        with pytest.raises(InvalidInput):
            apikeys.create(db, " ", "read")
        with pytest.raises(InvalidInput) as slash:
            apikeys.create(db, "ci/deploy", "read")
        assert str(slash.value) == ("a key name cannot contain '/' (names go in URL paths, where '/' separates "
                                    "parts): 'ci/deploy'")
        with pytest.raises(NotFound):
            apikeys.revoke(db, "ghost")
        assert [k.name for k in apikeys.list_all(db)] == ["a"]
        assert "key" not in apikeys.list_all(db)[0].to_dict()


@pytest.mark.parametrize(("granted", "needed", "allowed"), [
    ("read", "read", True), ("read", "run", False), ("read", "admin", False),
    ("run", "read", True), ("run", "run", True), ("run", "admin", False),
    ("admin", "read", True), ("admin", "run", True), ("admin", "admin", True),
])
def test_scopes_nest(granted: str, needed: str, allowed: bool) -> None:
    assert apikeys.allows(granted, needed) is allowed


def test_require_raises_forbidden(sqlite_database: Database) -> None:
    with sqlite_database.session() as db:
        info = apikeys.create(db, "r", "read").info
    with pytest.raises(Forbidden, match="needs scope run"):
        apikeys.require(info, "run")


def test_local_admin_key_is_made_once_private_and_reissued_when_lost(
    sqlite_database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "home" / "admin.key"
    first, state = apikeys.ensure_local_admin_key(sqlite_database, path)
    assert state == "created" and first == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip()
    with sqlite_database.session() as db:
        assert apikeys.authenticate(db, key).scope == "admin"
    assert apikeys.ensure_local_admin_key(sqlite_database, path) == (path, "kept")
    assert path.read_text().strip() == key

    path.unlink()
    assert apikeys.ensure_local_admin_key(sqlite_database, path)[1] == "created"
    renewed = path.read_text().strip()
    assert renewed != key
    with sqlite_database.session() as db, pytest.raises(Unauthorized):
        apikeys.authenticate(db, key)


def test_a_revoked_local_admin_key_stays_revoked(sqlite_database: Database, tmp_path: Path) -> None:
    path = tmp_path / "home" / "admin.key"
    apikeys.ensure_local_admin_key(sqlite_database, path)
    key = path.read_text().strip()
    with sqlite_database.session() as db:
        apikeys.revoke(db, apikeys.LOCAL_ADMIN)
    assert apikeys.ensure_local_admin_key(sqlite_database, path) == (path, "revoked")
    path.unlink()
    assert apikeys.ensure_local_admin_key(sqlite_database, path) == (path, "revoked")
    assert not path.exists()
    with sqlite_database.session() as db:
        assert not apikeys.get(db, apikeys.LOCAL_ADMIN).active
        with pytest.raises(Unauthorized, match="revoked"):
            apikeys.authenticate(db, key)
    assert "oto apikey create" in apikeys.LOCAL_ADMIN_REVOKED


def test_local_admin_key_defaults_to_oto_home(sqlite_database: Database, oto_home: Path) -> None:
    path, state = apikeys.ensure_local_admin_key(sqlite_database)
    assert state == "created" and path == oto_home / "admin.key" and path.exists()
