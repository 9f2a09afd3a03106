"""Load on the REST API: requests/s and p50/p99 latency, next to a bare FastAPI endpoint.

One uvicorn process serves the OTO app over a SQLite database holding the openssl catalog and
1,000 jobs, plus a bare ``GET /bare`` endpoint returning a small JSON object (same app, same
server, same settings), so the ratios show what OTO itself costs: authentication, a database
session, the services and serialization. A separate process drives it with httpx at bounded
concurrency for a bounded time per target.

    .venv/bin/python bench/api_load.py [--seconds 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "data" / "openssl.json"
TAG_URL = "openssl%20-%203.5.3"
JOBS = 1000
CHECK_FLAGS = {"flags": ["genpkey", "-algorithm", "-pkeyopt", "-out"]}


@dataclass(frozen=True)
class Target:
    label: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    authenticated: bool = True


TARGETS = [
    Target("bare FastAPI endpoint", "GET", "/bare", authenticated=False),
    Target("GET /api/v1/jobs (page of 100)", "GET", "/api/v1/jobs"),
    Target("GET /api/v1/jobs?limit=1000", "GET", "/api/v1/jobs?limit=1000"),
    Target("POST /executables/{tag}/check", "POST", f"/api/v1/executables/{TAG_URL}/check", CHECK_FLAGS),
]


@dataclass(frozen=True)
class Result:
    target: Target
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    server_cpu: float | None = None  # the server process's CPU seconds over the measured window

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float | None:
        """The server's CPU time per request, in milliseconds."""
        return None if self.server_cpu is None or not self.requests else 1000 * self.server_cpu / self.requests

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def prepare(folder: Path) -> tuple[str, str]:
    """A migrated SQLite database with the openssl catalog, 1,000 jobs and an admin key."""
    from oto.services import apikeys, documents, jobs
    from oto.services.database import Database

    url = f"sqlite:///{folder / 'bench.db'}"
    database = Database(url)
    database.upgrade()
    with database.session() as db:
        documents.import_document(db, json.loads(DOCUMENT.read_text()))
        values = {"genpkey": "", "-algorithm": "RSA", "-pkeyopt": "rsa_keygen_bits:2048", "-out": "key.pem"}
        for i in range(JOBS - 3):
            jobs.add(db, {"name": f"bench-{i:04}", "command": "GenRSA", "values": values | {"-out": f"k{i}.pem"}})
        key = apikeys.create(db, "bench", "read").key
    database.dispose()
    return url, key


def serve(url: str, port: int) -> None:
    """The server process: the OTO app plus the bare endpoint, under one uvicorn."""
    import uvicorn

    from oto.api.app import create_app
    from oto.services.database import Database
    from oto.services.health import Status

    async def temporal_not_needed() -> Status:
        return Status(True, "not probed by the benchmark")

    app = create_app(Database(url), temporal_probe=temporal_not_needed)

    @app.get("/bare", include_in_schema=False)
    async def bare() -> dict[str, Any]:
        return {"ok": True, "name": "bare", "items": [1, 2, 3]}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of process ``pid`` so far (None where /proc is not there)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_up(base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/health", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"the server did not start within {timeout}s")


async def drive(base: str, key: str, target: Target, seconds: float, concurrency: int, warmup: float,
                server_pid: int | None = None) -> Result:
    headers = {"Authorization": f"Bearer {key}"} if target.authenticated else {}
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30.0) as client:

        async def one() -> float:
            started = time.perf_counter()
            response = await client.request(target.method, target.path, json=target.body)
            if response.status_code != 200:
                raise RuntimeError(f"{target.label}: HTTP {response.status_code}: {response.text[:200]}")
            return (time.perf_counter() - started) * 1000

        async def worker(until: float, record: bool) -> None:
            nonlocal errors
            while time.perf_counter() < until:
                try:
                    elapsed = await one()
                except (httpx.HTTPError, RuntimeError):
                    errors += 1
                    continue
                if record:
                    latencies.append(elapsed)

        warm_until = time.perf_counter() + warmup
        await asyncio.gather(*(worker(warm_until, False) for _ in range(concurrency)))
        cpu_before = cpu_seconds(server_pid) if server_pid is not None else None
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(worker(until, True) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu_after = cpu_seconds(server_pid) if server_pid is not None else None
    used = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return Result(target, len(latencies), elapsed, latencies, errors, used)


def report(results: list[Result], seconds: float, concurrency: int) -> None:
    bare = results[0]
    print(f"\n{JOBS} jobs in SQLite, {concurrency} concurrent clients, {seconds:.0f}s per target "
          f"(after warm-up), one uvicorn worker, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f} at the end\n")
    header = (f"{'target':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
              f"{'req/s vs bare':>14} {'p50 vs bare':>12} {'server CPU ms/req':>18}")
    print(header)
    print("-" * len(header))
    for r in results:
        cpu = "-" if r.cpu_ms is None else f"{r.cpu_ms:.2f}"
        print(f"{r.target.label:<34} {r.rate:>8.0f} {r.percentile(0.50):>8.2f} {r.percentile(0.99):>8.2f} "
              f"{r.errors:>6} {r.rate / bare.rate:>14.3f} {r.percentile(0.50) / bare.percentile(0.50):>12.1f}x "
              f"{cpu:>18}")
    print(f"\nmean latency of the bare endpoint: {statistics.fmean(bare.latencies_ms):.2f} ms "
          "(the client shares the machine, so the bare rate is also bounded by the load generator)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per target")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each target")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight at once")
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return

    with tempfile.TemporaryDirectory(prefix="oto-bench-") as folder:
        env = os.environ | {"OTO_HOME": folder}
        os.environ["OTO_HOME"] = folder
        url, key = prepare(Path(folder))
        port = free_port()
        server = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port)], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base)
            results = [
                asyncio.run(drive(base, key, t, args.seconds, args.concurrency, args.warmup, server.pid))
                for t in TARGETS
            ]
        finally:
            server.terminate()
            server.wait(timeout=10)
    report(results, args.seconds, args.concurrency)


if __name__ == "__main__":
    main()
