"""The production shape on one machine: OTO on PostgreSQL, a Temporal server, and ``oto serve``
and ``oto worker`` as separate processes, started, killed and restarted by the test.

Nothing here is in-process: the test talks to the API over HTTP like any client and reads the
database only to check what the processes wrote.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa

from oto.engine.devserver import DevServer
from tests.support import POSTGRES_URL
from tests.support.deploy import Stack, deployed


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one deployment, dropped afterwards."""
    name = f"oto_stack_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is not answering at {POSTGRES_URL}: {error.orig}")
    yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest_asyncio.fixture
async def stack(postgres_url: str, temporal: DevServer, oto_home: Path) -> AsyncIterator[Stack]:
    """OTO on PostgreSQL and the session's Temporal; the test starts the API and workers it needs."""
    async with deployed(oto_home, postgres_url, temporal.address) as deployment:
        yield deployment
