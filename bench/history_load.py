"""Run history at a million runs: listings, dashboard pages and ``oto run list``, each beside a plain query.

Fills a scratch database (a SQLite file in a temporary folder; a throwaway schema in PostgreSQL at
127.0.0.1:5432, database ``test``, dropped afterwards) with ``--runs`` job and routine runs by bulk
insert (the driver's own executemany or COPY), spread over a year, 50 jobs, three triggers, one
run in twenty a routine run with two steps. Then times, as medians in milliseconds:

- the API's ``GET /api/v1/runs`` (first page, each filter, a page by cursor from the middle of the
  history, and a deep ``offset`` for contrast), in-process through Starlette's test client;
- the dashboard's overview, runs page (first and by cursor), job page, routine page and run page;
- ``oto run list --limit 50`` (first page and by cursor) as whole processes, beside another catalog
  verb and a bare ``python -c pass``;

each next to a plain indexed ``SELECT ... LIMIT 50`` of the same rows through the bare driver, and
next to that same query answered as JSON by a bare route of the same app and server (what any HTTP
answer costs here), and prints the ratios. The schema is the one migrations make, indexes included;
PostgreSQL is vacuumed and analyzed after the load (as autovacuum would), SQLite is not analyzed (OTO
never runs ANALYZE).

    .venv/bin/python bench/history_load.py [--runs 1000000] [--backend sqlite|postgresql|both] [--repeat 15]

A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import sqlalchemy as sa
from fastapi.testclient import TestClient
from starlette.responses import Response
from temporalio.client import Client

from oto.domain.models import Run
from oto.errors import Unavailable
from oto.services import apikeys, documents, run_pages, runs
from oto.services.database import Database
from oto.services.health import Status
from oto.web.server import create_app

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "data" / "openssl.json"
OTO = [sys.executable, "-m", "oto"]
POSTGRES_URL = os.environ.get("OTO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
JOBS = 50
TRIGGERS = ("cli", "api:ops", "schedule:nightly")
ROUTINE = "keypair-and-pub"
JOB = "job07"
CHUNK = 20_000
# the columns a listing reads (it leaves out the output and the artifact list)
LISTED = [c.name for c in Run.__table__.columns if c.name not in ("stdout", "stderr", "artifacts")]


async def no_temporal() -> Client:
    raise Unavailable("no Temporal in this benchmark")


async def temporal_up() -> Status:
    return Status(True, "bench")


@contextmanager
def scratch(backend: str) -> Iterator[tuple[Database, str]]:
    """A migrated, empty database and the URL a CLI process reaches it by; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/history.db"
            database = Database(url)
            database.upgrade()
            try:
                yield database, url
            finally:
                database.dispose()
        return
    schema = f"oto_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    database = Database(url)
    try:
        database.upgrade()
        yield database, url
    finally:
        database.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def catalog(database: Database) -> None:
    """The openssl catalog, with jobs up to ``JOBS`` (copies of GenRSA-2048 under other names)."""
    document = json.loads(DOCUMENT.read_text())
    model = next(j for j in document["jobs"] if j["name"] == "GenRSA-2048")
    document["jobs"] += [model | {"name": f"job{n:02d}"} for n in range(JOBS - len(document["jobs"]))]
    with database.session() as db:
        documents.import_document(db, document)


def _columns(row: Run) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in Run.__table__.columns}


def templates(database: Database) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A real job run's, routine run's and its steps' columns (their specs as the services write them)."""
    with database.session() as db:
        job = _columns(runs.create_job_run(db, "GenRSA-2048"))
        plan = runs.create_routine_run(db, ROUTINE)
    with database.session() as db:
        steps = [_columns(s) for s in db.scalars(sa.select(Run).where(Run.parent_id == plan.run_id))]
        routine = _columns(db.get_one(Run, plan.run_id))
        db.execute(sa.delete(Run).where(Run.parent_id.is_not(None)))
        db.execute(sa.delete(Run))
    return job, routine, steps


def rows(n: int, job: dict[str, Any], routine: dict[str, Any], steps: list[dict[str, Any]],
         now: datetime) -> Iterator[dict[str, Any]]:
    """``n`` job and routine runs (and the routine runs' steps), oldest first, over the year to ``now``."""
    rng = random.Random(20)
    span = timedelta(days=365)
    statuses, weights = ("succeeded", "failed", "timed_out", "cancelled"), (90, 7, 2, 1)
    for k in range(n):
        created = now - span + span * (k / n)
        run_id = f"run-{rng.getrandbits(128):032x}"
        status = "running" if k >= n - 10 else rng.choices(statuses, weights)[0]
        took = timedelta(seconds=rng.uniform(0.05, 30.0))
        times = {"created_at": created, "started_at": created + timedelta(seconds=1),
                 "finished_at": None if status == "running" else created + timedelta(seconds=1) + took}
        common = times | {"id": run_id, "status": status, "trigger": TRIGGERS[k % 3], "workdir": f"runs/{run_id}",
                          "exit_code": None if status == "running" else int(status != "succeeded"),
                          "stdout": "ok\n", "attempts": 1}
        if k % 20 == 19:
            yield routine | common
            for index, step in enumerate(steps):
                yield step | common | {"id": f"{run_id}-{step['step_id']}", "parent_id": run_id,
                                       "workdir": f"runs/{run_id}/{index}"}
        else:
            yield job | common | {"job_name": f"job{k % JOBS:02d}" if k % JOBS >= 5 else "GenRSA-2048"}


def _sqlite_moment(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def load(database: Database, n: int) -> float:
    """Bulk insert ``n`` runs through the bare driver; returns the seconds it took."""
    job, routine, steps = templates(database)
    names = [c.name for c in Run.__table__.columns]
    json_columns = {"spec", "argv", "artifacts"}
    sqlite = database.url.startswith("sqlite")
    started = time.perf_counter()
    connection = database.engine.raw_connection()
    try:
        cursor = connection.cursor()
        batch: list[tuple[Any, ...]] = []

        def flush() -> None:
            if sqlite:
                marks = ", ".join("?" * len(names))
                cursor.executemany(f"INSERT INTO runs ({', '.join(names)}) VALUES ({marks})", batch)
            else:
                with cursor.copy(f"COPY runs ({', '.join(names)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            batch.clear()

        for row in rows(n, job, routine, steps, datetime.now(UTC)):
            values = []
            for name in names:
                value = row[name]
                if name in json_columns:
                    value = json.dumps(value)
                elif sqlite and isinstance(value, datetime):
                    value = _sqlite_moment(value)
                values.append(value)
            batch.append(tuple(values))
            if len(batch) >= CHUNK:
                flush()
        if batch:
            flush()
        connection.commit()
        if not sqlite:  # what autovacuum does after such a load: statistics, and the visibility map
            connection.driver_connection.autocommit = True  # type: ignore[union-attr]
            cursor.execute("VACUUM ANALYZE runs")
            connection.driver_connection.autocommit = False  # type: ignore[union-attr]
    finally:
        connection.close()
    return time.perf_counter() - started


def median_ms(call: Callable[[], object], repeat: int) -> float:
    for _ in range(2):  # warm caches, as a server that has been up a while has them
        call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


_connections = threading.local()


def _raw(database: Database) -> Any:
    """One bare driver connection per thread (sqlite3 wants its own thread), kept for every query."""
    if getattr(_connections, "url", None) != database.url:
        connection = database.engine.raw_connection()
        if not database.url.startswith("sqlite"):  # no transaction left open: it would hold DROP SCHEMA
            connection.driver_connection.autocommit = True  # type: ignore[union-attr]
        _connections.url, _connections.value = database.url, connection
    return _connections.value


@dataclass(frozen=True)
class Plain:
    """A plain indexed query through the bare driver: ``where`` in the driver's placeholder style."""

    where: str
    params: tuple[Any, ...] = ()
    offset: int = 0
    columns: str = ", ".join(LISTED)

    def runner(self, database: Database) -> Callable[[], list[Any]]:
        sqlite = database.url.startswith("sqlite")
        where = self.where if sqlite else self.where.replace("?", "%s")
        order = "" if "id = " in where else " ORDER BY created_at DESC, id DESC LIMIT 50"
        text = f"SELECT {self.columns} FROM runs WHERE {where}{order}" + (f" OFFSET {self.offset}" * bool(self.offset))
        params = tuple(_sqlite_moment(p) if sqlite and isinstance(p, datetime) else p for p in self.params)

        def run() -> list[Any]:
            cursor = _raw(database).cursor()
            cursor.execute(text, params)
            return list(cursor.fetchall())

        return run


def process_ms(argv: list[str], env: dict[str, str], repeat: int) -> float:
    def call() -> None:
        subprocess.run(argv, env=env, check=True, capture_output=True)

    return median_ms(call, max(repeat // 3, 3))


Result = tuple[str, float, float | None, str, float]


def measure(backend: str, n: int, repeat: int) -> list[Result]:
    """(what, its ms, the bare route's ms, the baseline's name, the baseline's ms) for each target."""
    results: list[Result] = []
    with scratch(backend) as (database, url):
        catalog(database)
        took = load(database, n)
        with database.session() as db:
            total = db.scalar(sa.select(sa.func.count()).select_from(Run))
            middle = db.execute(sa.select(Run.created_at, Run.id).where(Run.parent_id.is_(None))
                                .order_by(Run.created_at.desc(), Run.id.desc()).offset(n // 2).limit(1)).one()
            routine_run = db.scalar(sa.select(Run.id).where(Run.kind == "routine").order_by(Run.created_at)
                                    .offset(n // 40).limit(1))
            key = apikeys.create(db, "bench", "read").key
        print(f"\n## {backend}: {n:,} runs ({total:,} records with steps) loaded in {took:.1f} s", flush=True)
        cursor = run_pages.cursor_of({"created_at": middle.created_at.isoformat(), "run_id": middle.id})
        top = "parent_id IS NULL"
        deep = Plain(f"{top} AND (created_at, id) < (?, ?)", (middle.created_at, middle.id))
        app = create_app(database, temporal=no_temporal, temporal_probe=temporal_up)
        # the plain query behind a bare route of the same app and server: what any HTTP answer costs
        current: list[Callable[[], list[Any]]] = []

        async def bare_route() -> Response:
            rows = current[0]()
            return Response(json.dumps([list(r) for r in rows], default=str), media_type="application/json")

        app.add_api_route("/bare", bare_route)
        with TestClient(app) as client:

            def bare_http(plain: Plain) -> float:
                current[:] = [plain.runner(database)]
                return median_ms(lambda: client.get("/bare"), repeat)

            headers = {"Authorization": f"Bearer {key}"}

            def api(path: str) -> Callable[[], object]:
                def call() -> object:
                    response = client.get(path, headers=headers)
                    assert response.status_code == 200, response.text
                    return response

                return call

            listings = [
                ("GET /api/v1/runs?limit=50", "/api/v1/runs?limit=50", Plain(top)),
                ("GET /api/v1/runs?status=failed", "/api/v1/runs?limit=50&status=failed",
                 Plain(f"{top} AND status = ?", ("failed",))),
                (f"GET /api/v1/runs?job={JOB}", f"/api/v1/runs?limit=50&job={JOB}",
                 Plain(f"{top} AND job_name = ?", (JOB,))),
                (f"GET /api/v1/runs?routine={ROUTINE}", f"/api/v1/runs?limit=50&routine={ROUTINE}",
                 Plain(f"{top} AND routine_name = ?", (ROUTINE,))),
                ("GET /api/v1/runs?trigger=api:ops", "/api/v1/runs?limit=50&trigger=api:ops",
                 Plain(f"{top} AND trigger = ?", ("api:ops",))),
                ("GET /api/v1/runs?after=<middle>", f"/api/v1/runs?limit=50&after={cursor}", deep),
                ("GET /api/v1/runs?offset=200000", "/api/v1/runs?limit=50&offset=200000",
                 Plain(top, offset=200_000)),
            ]
            for label, path, plain in listings:
                plain_ms = median_ms(plain.runner(database), repeat)
                results.append((label, median_ms(api(path), repeat), bare_http(plain), "plain", plain_ms))
                print(f"  {label}: done", flush=True)

            client.post("/login", data={"key": key, "next": "/"})
            pages = [
                ("dashboard /", "/", Plain(top)),
                ("dashboard /runs", "/runs", Plain(top)),
                ("dashboard /runs?after=<middle>", f"/runs?after={cursor}", deep),
                (f"dashboard /jobs/{JOB}", f"/jobs/{JOB}", Plain(f"{top} AND job_name = ?", (JOB,))),
                (f"dashboard /routines/{ROUTINE}", f"/routines/{ROUTINE}",
                 Plain(f"{top} AND routine_name = ?", (ROUTINE,))),
                ("dashboard /runs/<routine run>", f"/runs/{routine_run}",
                 Plain("id = ? OR parent_id = ?", (routine_run, routine_run), columns="*")),
            ]
            for label, path, plain in pages:
                def page(path: str = path) -> object:
                    response = client.get(path)
                    assert response.status_code == 200 and "<html" in response.text, (path, response.status_code)
                    return response

                plain_ms = median_ms(plain.runner(database), repeat)
                results.append((label, median_ms(page, repeat), bare_http(plain), "plain", plain_ms))
                print(f"  {label}: done", flush=True)

        with tempfile.TemporaryDirectory() as home:
            env = {k: v for k, v in os.environ.items() if not k.startswith("OTO_")} | {
                "OTO_HOME": home, "OTO_DATABASE_URL": url, "COLUMNS": "200"}
            bare = process_ms([sys.executable, "-c", "pass"], env, repeat)
            catalog_verb = process_ms([*OTO, "executable", "list"], env, repeat)
            for label, argv in (("oto run list --limit 50", [*OTO, "run", "list", "--limit", "50"]),
                                ("oto run list --limit 50 --after <middle>",
                                 [*OTO, "run", "list", "--limit", "50", "--after", cursor])):
                results.append((label, process_ms(argv, env, repeat), None, "oto executable list", catalog_verb))
            results.append(("oto executable list", catalog_verb, None, "python -c pass", bare))
            results.append(prune_half(database, env, middle.created_at))
    return results


def prune_half(database: Database, env: dict[str, str], cut: datetime) -> Result:
    """``oto run prune`` of the older half of the history (steps with their routines), beside a plain
    DELETE of the same rows in a transaction rolled back before it (one run each: a prune is not repeated)."""
    table = cast(sa.Table, Run.__table__)
    older = sa.and_(table.c.parent_id.is_(None), table.c.created_at < cut)
    with database.engine.connect() as connection:
        transaction = connection.begin()
        start = time.perf_counter()
        connection.execute(sa.delete(table).where(table.c.parent_id.in_(sa.select(table.c.id).where(older))))
        connection.execute(sa.delete(table).where(older))
        plain = (time.perf_counter() - start) * 1000
        transaction.rollback()
    age = (datetime.now(UTC) - cut).total_seconds()
    start = time.perf_counter()
    subprocess.run([*OTO, "run", "prune", "--older-than", f"{age:.0f}s", "--json"], env=env, check=True,
                   capture_output=True)
    return ("oto run prune (the older half)", (time.perf_counter() - start) * 1000, None, "plain DELETE", plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()
    backends = ("sqlite", "postgresql") if options.backend == "both" else (options.backend,)
    load_average = os.getloadavg()
    print(f"nproc {os.cpu_count()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {load_average[0]:.2f} "
          f"{load_average[1]:.2f} {load_average[2]:.2f}; medians of {options.repeat}")
    for backend in backends:
        results = measure(backend, options.runs, options.repeat)
        print(f"\n| {backend} | ms | bare route, same query: ms | ratio | beside | ms | ratio |\n"
              "|---|---:|---:|---:|---|---:|---:|")
        for label, ms, bare, against, base in results:
            over_bare = ("—", "—") if bare is None else (f"{bare:.1f}", f"{ms / bare:.1f}×")
            print(f"| {label} | {ms:.1f} | {over_bare[0]} | {over_bare[1]} | {against} | {base:.2f} "
                  f"| {ms / base:.1f}× |")
    print(f"\nload after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
