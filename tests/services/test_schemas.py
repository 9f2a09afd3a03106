"""One compiled schema per executable, rebuilt only when its parameters change."""

from __future__ import annotations

import pytest

from oto.errors import InvalidInput
from oto.services import lookups, parameters, schemas
from oto.services.database import Database
from tests.support.catalog import TAG, genrsa_document, load, param


def test_the_compiled_schema_is_reused_until_a_parameter_changes(database: Database) -> None:
    load(database, genrsa_document())
    with database.session() as db:
        first = schemas.for_executable(lookups.executable(db, TAG))
        assert schemas.for_executable(lookups.executable(db, TAG)) is first
        parameters.add(db, param("-z", require_ids=["-out"]))
    with database.session() as db:
        second = schemas.for_executable(lookups.executable(db, TAG))
        assert second is not first
        assert second.closure(["-z"]) == {"-z", "-out"}


def test_a_refused_change_keeps_the_old_schema(database: Database) -> None:
    load(database, genrsa_document())
    with database.session() as db:
        revision = lookups.executable(db, TAG).rules_revision
    with pytest.raises(InvalidInput), database.session() as db:
        parameters.add(db, param("-z", require_ids=["-z2"]))
    with database.session() as db:
        assert lookups.executable(db, TAG).rules_revision == revision
