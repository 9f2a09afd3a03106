"""The ``App``: OTO's one Python API, over the database and Temporal together.

Every interface (the CLI, the REST API, the dashboard) holds one ``App`` and calls only it. An
operation that must reach both places (a schedule change, a delete that takes schedules along,
an import, a run) is written once, here, so no interface can write one without the other.

Temporal's client is connected on first use: catalog verbs never pay for it (the CLI starts in a
fraction of a second), and an interface that has its own way to Temporal (a test's dev server, an
API's shared client) passes it as ``temporal``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import TYPE_CHECKING

from oto.services.database import Database, get_database
from oto.services.health import Status, database_status

if TYPE_CHECKING:
    from temporalio.client import Client

    from oto.app.catalog import Commands, Executables, Parameters, Schemas
    from oto.app.doctor import Check
    from oto.app.documents import Documents
    from oto.app.jobs import Jobs, Routines
    from oto.app.keys import ApiKeys
    from oto.app.notifications import Notifications
    from oto.app.runs import Runs
    from oto.app.schedules import Schedules
    from oto.app.secrets import Secrets
    from oto.app.tool_catalog import ToolCatalog
    from oto.app.workers import Workers

Connect = Callable[[], Awaitable["Client"]]
HEALTH_TIMEOUT = 3.0


class App:
    """Everything an interface may do, each resource under its own name (``app.jobs.add``, ``app.runs.submit_job``).

    ``database`` defaults to the configured one; ``temporal`` to a client for OTO_TEMPORAL_ADDRESS,
    connected when first needed (one per event loop).
    """

    def __init__(self, database: Database | None = None, *, temporal: Connect | None = None) -> None:
        self.database = database or get_database()
        self._connect = temporal

    def use_temporal(self, client: Client) -> None:
        """Talk to Temporal through ``client`` from now on (``oto dev`` connects to the server it started)."""

        async def connected() -> Client:
            return client

        self._connect = connected

    async def temporal(self) -> Client:
        """A connected Temporal client; ``Unavailable`` in one sentence when Temporal does not answer."""
        if self._connect is not None:
            return await self._connect()
        from oto.engine.client import connect  # Temporal's SDK loads slowly: only what needs it pays

        return await connect()

    # -- resources, each built on first use so a verb loads only its own modules ------------------

    @cached_property
    def executables(self) -> Executables:
        from oto.app.catalog import Executables

        return Executables(self)

    @cached_property
    def parameters(self) -> Parameters:
        from oto.app.catalog import Parameters

        return Parameters(self)

    @cached_property
    def commands(self) -> Commands:
        from oto.app.catalog import Commands

        return Commands(self)

    @cached_property
    def jobs(self) -> Jobs:
        from oto.app.jobs import Jobs

        return Jobs(self)

    @cached_property
    def routines(self) -> Routines:
        from oto.app.jobs import Routines

        return Routines(self)

    @cached_property
    def schemas(self) -> Schemas:
        from oto.app.catalog import Schemas

        return Schemas(self)

    @cached_property
    def schedules(self) -> Schedules:
        from oto.app.schedules import Schedules

        return Schedules(self)

    @cached_property
    def runs(self) -> Runs:
        from oto.app.runs import Runs

        return Runs(self)

    @cached_property
    def documents(self) -> Documents:
        from oto.app.documents import Documents

        return Documents(self)

    @cached_property
    def api_keys(self) -> ApiKeys:
        from oto.app.keys import ApiKeys

        return ApiKeys(self)

    @cached_property
    def secrets(self) -> Secrets:
        from oto.app.secrets import Secrets

        return Secrets(self)

    @cached_property
    def notifications(self) -> Notifications:
        from oto.app.notifications import Notifications

        return Notifications(self)

    @cached_property
    def tool_catalog(self) -> ToolCatalog:
        from oto.app.tool_catalog import ToolCatalog

        return ToolCatalog(self)

    @cached_property
    def workers(self) -> Workers:
        from oto.app.workers import Workers

        return Workers(self)

    # -- the database itself ----------------------------------------------------------------------

    def init(self) -> str | None:
        """Create or upgrade the schema (``oto init``); returns the revision it is at."""
        self.database.upgrade()
        return self.database.current_revision()

    def check_schema(self) -> None:
        """Refuse, in one sentence, a database with no OTO schema or an out-of-date one."""
        self.database.check_schema()

    @property
    def database_url(self) -> str:
        """The database's URL, password hidden."""
        return self.database.safe_url

    def database_status(self) -> Status:
        return database_status(self.database)

    async def doctor(self) -> list[Check]:
        """Whether everything a run needs is in place, one check a line (``oto doctor``)."""
        from oto.app.doctor import examine

        return await examine(self)

    async def metrics(self, *, schedules_within: float = 2.0) -> tuple[bytes, str]:
        """This process's Prometheus metrics and their media type.

        The schedule gauges are read from Temporal first, within ``schedules_within`` seconds; a
        Temporal or database that does not answer leaves them as they were (logged, never an error).
        """
        import asyncio
        import logging

        from oto.engine import metrics

        try:
            async with asyncio.timeout(schedules_within):
                await metrics.refresh_schedules(await self.temporal(), self.database)
        except Exception as error:  # serve what is known
            logging.getLogger(__name__).warning("schedule metrics not refreshed: %s", error or type(error).__name__)
        return metrics.exposition()

    async def temporal_status(self) -> Status:
        """Whether Temporal's frontend serves, within a few seconds."""
        import asyncio

        from temporalio.service import RPCError

        from oto.errors import Unavailable
        from oto.settings import get_settings

        address = get_settings().temporal_address
        try:
            client = await asyncio.wait_for(self.temporal(), HEALTH_TIMEOUT)
            await asyncio.wait_for(client.service_client.check_health(), HEALTH_TIMEOUT)
        except Unavailable as error:
            return Status(False, error.message)
        except (RPCError, RuntimeError, OSError, TimeoutError) as error:
            return Status(False, f"Temporal does not answer at {address}: {str(error) or type(error).__name__}")
        return Status(True, address)
