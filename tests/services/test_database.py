"""The database itself: the schema check, SQLite's settings, and times read back in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from oto.domain.models import ApiKey
from oto.errors import SchemaOutdated
from oto.services import executables
from oto.services.database import Database, head_revision


def test_an_out_of_date_schema_is_refused_with_the_fix(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(SchemaOutdated, match=r"has an out-of-date schema: run `oto init`$"):
        database.check_schema(again=True)


def test_the_head_the_cli_checks_is_alembics_head(database: Database) -> None:
    """``oto.domain.migrations.HEAD`` spares the CLI loading Alembic: it must name the newest migration."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from oto.services.database import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == head_revision()
    assert database.current_revision() == head_revision()  # what `oto init` (the fixture) upgraded to


def test_a_missing_schema_is_refused(tmp_path: Path) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaOutdated, match=r"has no OTO schema: run `oto init`$"), empty.session() as db:
        executables.list_all(db)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_database: Database) -> None:
    with sqlite_database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_times_are_read_back_as_aware_utc(database: Database) -> None:
    """SQLite keeps no zone: a time written in another zone, or naive, still reads back as the same UTC moment."""
    paris = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    with database.session() as db:
        db.add(ApiKey(name="k", scope="read", prefix="p", key_hash="h", created_at=paris,
                      last_used_at=datetime(2026, 1, 2, 3, 4, 5)))
    with database.session() as db:
        key = db.scalars(sa.select(ApiKey)).one()
        assert key.created_at == paris and key.created_at.tzinfo is UTC
        assert key.created_at.hour == 1
        assert key.last_used_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert key.revoked_at is None
        found = db.scalar(sa.select(ApiKey.name).where(ApiKey.created_at < datetime(2026, 3, 29, 1, 31, tzinfo=UTC)))
        assert found == "k"
