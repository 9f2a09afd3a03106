"""Secret values at rest: sealed, never echoed, unreadable with another key, rotated all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from oto.app import App
from oto.domain.models import Job, Run
from oto.errors import InvalidInput, Refused
from oto.services import jobs, runs, secrets
from oto.services.database import Database
from oto.settings import get_settings
from tests.support.catalog import TAG, genrsa_document, load, param

SECRET = "TOP-SECRET-TOKEN-123"


def _catalog(database: Database, value: str = SECRET) -> None:
    doc = genrsa_document()
    doc["parameters"].append(param("-token", value_type="int", secret=True))
    doc["commands"].append({"name": "Enc", "executable_tag": TAG, "parameters": ["genpkey", "-pass"]})
    doc["jobs"].append({"name": "Enc-1", "command": "Enc", "values": {"genpkey": "", "-pass": value}})
    load(database, doc)


def _stored(database: Database) -> str:
    with database.session() as db:
        value = db.scalars(select(Job).where(Job.name == "Enc-1")).one().values["-pass"]
    assert isinstance(value, str)
    return value


def test_a_secret_is_stored_sealed_with_a_key_file_made_private(database: Database, oto_home: Path) -> None:
    _catalog(database)
    stored = _stored(database)
    assert stored.startswith("enc:") and SECRET not in stored and secrets.unseal(stored) == SECRET
    assert (oto_home / "secret.key").stat().st_mode & 0o777 == 0o600
    again = {"name": "Enc-1", "command": "Enc", "values": {"genpkey": "", "-pass": SECRET}}
    load(database, {"oto": 1, "jobs": [again]})
    assert _stored(database) == stored  # the same value saved again changes nothing


def test_an_error_never_echoes_a_secret_value(database: Database) -> None:
    _catalog(database)
    tok = {"name": "Tok", "executable_tag": TAG, "parameters": ["genpkey", "-token"]}
    load(database, {"oto": 1, "commands": [tok]})
    with database.session() as db, pytest.raises(InvalidInput) as raised:
        jobs.add(db, {"name": "t", "command": "Tok", "values": {"genpkey": "", "-token": SECRET}})
    assert "-token (int)" in raised.value.message and SECRET not in raised.value.message
    with database.session() as db, pytest.raises(InvalidInput) as raised:
        jobs.add(db, {"name": "t", "command": "Tok", "values": {"genpkey": "", "-token": "env:not a name"}})
    assert "env:NAME" in raised.value.message


def test_a_database_sealed_with_another_key_refuses_only_the_runs_that_need_it(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _catalog(database)
    monkeypatch.setenv("OTO_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    with database.session() as db, pytest.raises(Refused) as raised:
        runs.create_job_run(db, "Enc-1")
    assert "cannot be decrypted with the key in OTO_SECRET_KEY" in raised.value.message
    with database.session() as db:
        assert jobs.argv(db, "Enc-1")[-1] == "***"  # its argv still shows
        runs.create_job_run(db, "GenRSA-2048")  # nothing else breaks
        assert [j.name for j in jobs.list_all(db)] == ["Enc-1", "GenRSA-2048"]


def _every_sealed(database: Database) -> list[str]:
    with database.session() as db:
        found = [v for job in db.scalars(select(Job)) for v in job.values.values()
                 if isinstance(v, str) and v.startswith("enc:")]
        found += [s["value"] for run in db.scalars(select(Run)) for s in run.spec.get("secrets", [])]
    return found


def test_a_rotation_seals_everything_with_a_new_key_and_the_old_one_opens_nothing(database: Database) -> None:
    _catalog(database)
    with database.session() as db:
        runs.create_job_run(db, "Enc-1")
    old = secrets.keys()
    before = _every_sealed(database)
    assert len(before) == 2
    rotation = App(database).secrets.rotate_key()
    assert rotation.resealed == 2 and secrets.keys() != old and len(secrets.keys()) == 1
    after = _every_sealed(database)
    for value in after:
        assert secrets.unseal(value) == SECRET
        with pytest.raises(secrets.SecretError):
            secrets.unseal(value, old)


def test_an_interrupted_rotation_leaves_every_secret_readable(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _catalog(database)
    written: list[Any] = []
    real = secrets.write_key_file

    def dies_on_the_second_write(ring: list[bytes], **kwargs: Any) -> None:
        if written:
            raise KeyboardInterrupt  # the process is stopped between the database and the key file
        written.append(ring)
        real(ring, **kwargs)

    monkeypatch.setattr(secrets, "write_key_file", dies_on_the_second_write)
    with pytest.raises(KeyboardInterrupt):
        App(database).secrets.rotate_key()
    assert len(secrets.keys()) == 2
    assert all(secrets.unseal(v) == SECRET for v in _every_sealed(database))

    # A rotation that cannot open a secret writes nothing, and says why.
    with database.session() as db:
        job = db.scalars(select(Job).where(Job.name == "Enc-1")).one()
        job.values = {**job.values, "-pass": secrets.seal(SECRET, [Fernet.generate_key()])}
    monkeypatch.setattr(secrets, "write_key_file", real)
    with pytest.raises(Refused, match="nothing was sealed again"):
        App(database).secrets.rotate_key()


def test_a_parameter_that_becomes_secret_has_its_values_sealed_and_back(database: Database) -> None:
    _catalog(database)
    from oto.services import parameters

    with database.session() as db:
        parameters.update(db, TAG, "-out", {"secret": True})
        value = db.scalars(select(Job).where(Job.name == "GenRSA-2048")).one().values["-out"]
        assert value.startswith("enc:") and secrets.unseal(value) == "key.pem"
    with database.session() as db:
        parameters.update(db, TAG, "-out", {"secret": False})
        assert db.scalars(select(Job).where(Job.name == "GenRSA-2048")).one().values["-out"] == "key.pem"
