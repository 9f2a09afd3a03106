"""A bare Temporal SDK baseline: processes as local activities, nothing recorded (temporalio only)."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def spawn_true() -> int:
    process = await asyncio.create_subprocess_exec(
        "/bin/true", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return await process.wait()


@workflow.defn
class BareMany:
    """N processes as local activities, ``concurrency`` at a time: the SDK's fastest plain shape."""

    @workflow.run
    async def run(self, n: int, concurrency: int) -> int:
        gate = asyncio.Semaphore(concurrency)

        async def one() -> int:
            async with gate:
                return await workflow.execute_local_activity(spawn_true, start_to_close_timeout=timedelta(seconds=30))

        return sum(await asyncio.gather(*(one() for _ in range(n))))


@workflow.defn
class BareOne:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_local_activity(spawn_true, start_to_close_timeout=timedelta(seconds=30))
