"""Which workers poll OTO's task queues, as Temporal saw them recently (for the dashboard's overview)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from oto.errors import OtoError
from oto.settings import get_settings

ASK_TIMEOUT = 2.0


@dataclass(frozen=True)
class Poller:
    identity: str
    last_seen: datetime | None


@dataclass(frozen=True)
class QueueState:
    name: str
    pollers: list[Poller]


async def _describe(client: Client, queue: str) -> QueueState:
    request = DescribeTaskQueueRequest(
        namespace=get_settings().temporal_namespace, task_queue=TaskQueue(name=queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    )
    response = await client.workflow_service.describe_task_queue(request, timeout=timedelta(seconds=ASK_TIMEOUT))
    pollers = [
        Poller(p.identity, p.last_access_time.ToDatetime(tzinfo=UTC) if p.HasField("last_access_time") else None)
        for p in response.pollers
    ]
    return QueueState(queue, sorted(pollers, key=lambda p: p.identity))


async def seen(connect: Callable[[], Awaitable[Client]], queues: list[str]) -> tuple[list[QueueState], str | None]:
    """Each queue with the workers Temporal saw polling it, or an empty list and why Temporal did not say."""
    address = get_settings().temporal_address
    try:
        client = await asyncio.wait_for(connect(), ASK_TIMEOUT * 2)
        found = await asyncio.wait_for(asyncio.gather(*(_describe(client, q) for q in dict.fromkeys(queues))),
                                       ASK_TIMEOUT * 2)
    except TimeoutError:
        return [], (f"Temporal at {address} did not answer within {ASK_TIMEOUT * 2:.0f} s (busy, or far away), "
                    "so its workers are not listed here; the rest of the page is up to date. Reload in a moment.")
    except OtoError:
        return [], f"Temporal does not answer at {address}, so its workers cannot be listed."
    except Exception as error:  # Temporal refusing: the overview still shows everything else
        detail = getattr(error, "message", "") or str(error) or type(error).__name__
        return [], f"Temporal did not list its workers ({detail[:200]}); the rest of the page is up to date."
    return list(found), None
