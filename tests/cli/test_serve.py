"""`oto serve`: uvicorn on OTO_API_HOST:OTO_API_PORT, refusing to start on a database without schema."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.cli import Oto

# Runs `oto serve` whether or not the entry point has wired the command in yet.
SERVE = (
    "import sys\n"
    "from oto.cli import app as cli, serve\n"
    "if not any(c.name == 'serve' for c in cli.app.registered_commands):\n"
    "    serve.register(cli.app)\n"
    "sys.exit(cli.main(['serve', '--log-level', 'warning']))\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    env = os.environ | {
        "OTO_DATABASE_URL": os.environ["OTO_DATABASE_URL"], "OTO_API_PORT": str(port),
        "OTO_HOME": str(tmp_path / "home"), "OTO_TEMPORAL_ADDRESS": "127.0.0.1:1",
    }
    return subprocess.Popen([sys.executable, "-c", SERVE], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_serves_the_api_on_the_configured_port(initialized: Oto, tmp_path: Path) -> None:
    port = free_port()
    server = start(tmp_path, port)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "oto serve did not answer"
                time.sleep(0.1)
        assert health.status_code == 503  # no Temporal at 127.0.0.1:1, and /health says so
        assert health.json()["database"]["ok"] is True and health.json()["status"] == "down: temporal"
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()["info"]["title"] == "OTO"
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/jobs").status_code == 401
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/api/v1" in out


def test_refuses_a_database_without_schema(oto: Oto, tmp_path: Path) -> None:
    server = start(tmp_path, free_port())
    _, err = server.communicate(timeout=30)
    assert server.returncode == 2
    assert err.startswith("Error: the database") and "oto init" in err and "Traceback" not in err
