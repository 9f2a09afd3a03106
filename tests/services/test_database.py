"""The schema check: OTO refuses to work on a database whose schema is missing or out of date."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from oto.errors import SchemaOutdated
from oto.services import executables
from oto.services.database import Database


def test_an_out_of_date_schema_is_refused_with_the_fix(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(SchemaOutdated, match=r"has an out-of-date schema: run `oto init`$"):
        database.check_schema(again=True)


def test_a_missing_schema_is_refused(tmp_path: Path) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaOutdated, match=r"has no OTO schema: run `oto init`$"), empty.session() as db:
        executables.list_all(db)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_database: Database) -> None:
    with sqlite_database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
