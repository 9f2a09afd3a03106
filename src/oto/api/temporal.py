"""How the API reaches Temporal: through the engine's client, replaceable per app (tests pass their own).

Routes get it through ``oto.web.deps`` (``connect_of``, ``connector_of``), shared with the dashboard.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from temporalio.client import Client
from temporalio.service import RPCError

from oto.engine import client as engine_client
from oto.errors import Unavailable
from oto.services.health import Status
from oto.settings import get_settings
from oto.web.deps import Connect, connect_of, connector_of

__all__ = ["Connect", "connect_of", "connector_of", "default_connect", "probe_for"]

HEALTH_TIMEOUT = 3.0


def probe_for(connect: Connect) -> Callable[[], Awaitable[Status]]:
    """A /health probe asking Temporal's frontend whether it serves."""

    async def probe() -> Status:
        address = get_settings().temporal_address
        try:
            client = await asyncio.wait_for(connect(), HEALTH_TIMEOUT)
            await asyncio.wait_for(client.service_client.check_health(), HEALTH_TIMEOUT)
        except Unavailable as error:
            return Status(False, error.message)
        except (RPCError, RuntimeError, OSError, TimeoutError) as error:
            return Status(False, f"Temporal does not answer at {address}: {str(error) or type(error).__name__}")
        return Status(True, address)

    return probe


async def default_connect() -> Client:
    return await engine_client.connect()
