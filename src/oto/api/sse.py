"""Server-sent events: each engine event as ``event: KIND`` and one line of JSON ``data``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from oto.app.runs import Event

MEDIA_TYPE = "text/event-stream"
# A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE = 15.0


def encode(event: Event) -> bytes:
    return f"event: {event.kind}\ndata: {json.dumps(event.data, ensure_ascii=False)}\n\n".encode()


async def stream(events: AsyncIterator[Event], *, keepalive: float = KEEPALIVE) -> AsyncIterator[bytes]:
    """The events as SSE frames, with a keep-alive comment whenever ``keepalive`` seconds pass quietly."""
    iterator = aiter(events)
    pending: asyncio.Future[Any] | None = None
    try:
        while True:
            pending = pending or asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait({pending}, timeout=keepalive)
            if not done:
                yield b": keep-alive\n\n"
                continue
            try:
                event = pending.result()
            except StopAsyncIteration:
                return
            finally:
                pending = None
            yield encode(event)
    finally:
        if pending is not None:
            pending.cancel()
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
