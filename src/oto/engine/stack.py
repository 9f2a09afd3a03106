"""Temporal for one machine: the server at OTO_TEMPORAL_ADDRESS if it answers, else an embedded one.

``oto dev`` and ``oto demo`` use this; with OTO_TEMPORAL_ADDRESS pointing at a real cluster it
starts nothing.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from oto.engine.devserver import DevServer, answers, free_port, is_local, split_address
from oto.errors import Unavailable
from oto.settings import get_settings


@asynccontextmanager
async def temporal(*, ui: bool, any_port: bool = False) -> AsyncIterator[tuple[str, DevServer | None]]:
    """The address of a Temporal that answers, and the dev server started for it (None if it was up).

    The embedded server keeps its state in ``$OTO_HOME/temporal/dev.db``; with ``ui`` Temporal's
    own web UI listens on the gRPC port + 1000. ``any_port`` lets it take a free port when the
    configured one is busy with something else.
    """
    settings = get_settings()
    address = settings.temporal_address
    if await answers(address, settings.temporal_namespace):
        yield address, None
        return
    if not is_local(address):
        raise Unavailable(f"Temporal does not answer at {address}; OTO only starts one on this machine")
    _, port = split_address(address)
    if any_port and not _port_free(port):
        port = free_port()
    folder = settings.home / "temporal"
    server = DevServer(port=port, db_file=folder / "dev.db", log_file=folder / "dev.log",
                       ui_port=port + 1000 if ui else None)
    await server.start()
    try:
        yield server.address, server
    finally:
        server.stop()


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
