"""Schemathesis over /openapi.json: no 5xx, and every response as the schema says, for any input."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from oto.services import apikeys, documents
from oto.services.database import Database
from tests.api.conftest import OPENSSL_DOCUMENT, catalog_app

EXAMPLES_PER_OPERATION = 50
# A body can fit the JSON schema and still be refused with 422: the services judge what a schema
# cannot say (an absolute path, a cron expression, the flag matching engine's rules). So this one
# check is left out; every other check, negative data rejection included, runs.


def _app_over_seeded_database() -> tuple[object, str]:
    """One SQLite database for the whole run, holding the openssl catalog and an admin key."""
    folder = Path(tempfile.mkdtemp(prefix="oto-fuzz-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    database = Database(f"sqlite:///{folder / 'oto.db'}")
    database.upgrade()
    with database.session() as db:
        documents.import_document(db, json.loads(OPENSSL_DOCUMENT.read_text()))
        key = apikeys.create(db, "fuzz", "admin").key
    return catalog_app(database), key


APP, KEY = _app_over_seeded_database()
CONFIG = schemathesis.Config.from_dict({"auth": {"openapi": {"ApiKey": {"bearer": KEY}}}})
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
