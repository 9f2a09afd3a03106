"""A client leaving a live log stream: the real `oto serve` in its own process logs no traceback.

A person closing a run's page, or Ctrl-C on `curl -N .../logs`, is an ordinary event; the server
must let the stream go quietly, and still stop in time while a stream is open. The server runs as
`oto serve` over the test's database and Temporal, the worker in this process; its whole output
is read at the end.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from oto.engine import client as engine_client
from oto.engine.devserver import DevServer, free_port
from oto.web.server import SHUTDOWN_GRACE
from tests.api.conftest import Keys
from tests.support.engine import Engine


@contextmanager
def oto_serve(engine: Engine, temporal: DevServer, log: Path) -> Iterator[int]:
    """`oto serve` on a free loopback port over the engine's database; yields the port."""
    port = free_port()
    env = os.environ | {"OTO_DATABASE_URL": engine.database.url, "OTO_TEMPORAL_ADDRESS": temporal.address,
                        "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "oto", "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code in (200, 503):
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "oto serve did not start"
                time.sleep(0.1)
            yield port
        finally:
            server.terminate()
            try:
                server.wait(SHUTDOWN_GRACE + 10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                raise


async def read_until(sock: socket.socket, marker: bytes, timeout: float = 20.0) -> bytes:
    """What the socket sent until ``marker`` appeared (the socket is non-blocking)."""
    loop = asyncio.get_running_loop()
    seen = b""
    async with asyncio.timeout(timeout):
        while marker not in seen:
            chunk = await loop.sock_recv(sock, 4096)
            assert chunk, seen
            seen += chunk
    return seen


async def open_stream(port: int, path: str, headers: dict[str, str]) -> socket.socket:
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: text/event-stream",
             *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    await loop.sock_sendall(sock, "\r\n".join(lines).encode())
    return sock


async def test_leaving_a_live_log_stream_leaves_no_traceback(engine: Engine, temporal: DevServer,
                                                             tmp_path: Path) -> None:
    engine.sh("chatty", "while true; do echo tick; sleep 0.2; done")
    keys = Keys(engine.database)
    log = tmp_path / "serve.log"
    with oto_serve(engine, temporal, log) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            started = await http.post("/api/v1/jobs/chatty/runs", headers=keys["run"])
            assert started.status_code == 202, started.text
            run_id = started.json()["run_id"]
            login = await http.post("/login", data={"key": keys.values["read"]})
            cookie = login.headers["set-cookie"].split(";")[0]

            # As `curl -N` with a key, and as a browser's EventSource with its session: cut mid-stream.
            for headers in (keys["read"], {"Cookie": cookie}):
                for _ in range(2):
                    sock = await open_stream(port, f"/api/v1/runs/{run_id}/logs", headers)
                    head = await read_until(sock, b"event: stdout")
                    assert head.startswith(b"HTTP/1.1 200"), head
                    sock.close()
            # A stream cut before its first byte, too.
            sock = await open_stream(port, f"/api/v1/runs/{run_id}/logs", keys["read"])
            sock.close()
            await asyncio.sleep(1.0)  # the server notices the cuts and lets the streams go

            # It still serves, and the run goes on untouched.
            run = await http.get(f"/api/v1/runs/{run_id}", headers=keys["read"])
            assert run.json()["status"] == "running"
        # A stream still open when the server stops: the server stops within its grace all the same.
        sock = await open_stream(port, f"/api/v1/runs/{run_id}/logs", keys["read"])
        await read_until(sock, b"event: stdout")
        stopping = time.monotonic()
    assert time.monotonic() - stopping < SHUTDOWN_GRACE + 5
    sock.close()
    await engine_client.cancel(run_id, client=engine.client, database=engine.database)
    assert (await engine.wait(run_id))["status"] == "cancelled"
    output = log.read_text()
    assert "Traceback" not in output, output
    assert "GET /api/v1/runs/" in output  # the log was written (uvicorn's access log)
