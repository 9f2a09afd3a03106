"""``oto worker``, ``oto dev`` and ``oto demo``: the processes that run jobs.

Temporal's modules load only here, inside the verbs, so the catalog verbs stay quick.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

import oto
from oto.cli.output import say
from oto.errors import NotFound
from oto.services import documents, executables
from oto.services.database import Database, get_database
from oto.settings import get_settings

DEMO_ROUTINE = "keypair-and-pub"


def demo_document() -> Path:
    """data/openssl.json of the source tree (or of the installed package)."""
    package = Path(oto.__file__).resolve().parent
    for candidate in (package.parents[1] / "data" / "openssl.json", package / "data" / "openssl.json"):
        if candidate.is_file():
            return candidate
    raise NotFound(f"the demo catalog data/openssl.json is not beside {package}")


def _queues(database: Database, *extra: str) -> list[str]:
    with database.session() as db:
        found = [doc.task_queue for doc in executables.list_all(db)]
    return list(dict.fromkeys([*extra, *found]))


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


class LogFormat(StrEnum):
    json = "json"
    text = "text"


def worker(
    task_queue: Annotated[list[str] | None, typer.Option(
        "--task-queue", help="Serve this task queue (repeatable; default OTO_TASK_QUEUE).")] = None,
    log_format: Annotated[LogFormat, typer.Option(
        "--log-format", help="Log lines as JSON objects (one per line) or as plain text.")] = LogFormat.json,
) -> None:
    """Run a worker until interrupted: it runs the jobs of its task queues and records their runs."""
    from oto.engine import logs
    from oto.engine.client import connect, run_sync
    from oto.engine.worker import run_worker, sdk_runtime

    logs.configure(json=log_format == LogFormat.json)

    settings = get_settings()
    queues = task_queue or [settings.task_queue]
    database = get_database()
    database.check_schema()

    async def go() -> None:
        client = await connect(runtime=sdk_runtime())  # the SDK's metrics with OTO_METRICS_PORT
        say(f"worker serving task queue {', '.join(queues)} on Temporal {settings.temporal_address} "
            f"(database {database.safe_url}); Ctrl-C stops it")
        await run_worker(queues, client=client, database=database)

    run_sync(go())


def dev(
    api: Annotated[bool, typer.Option(help="Also serve the REST API (and the dashboard).")] = True,
) -> None:
    """Everything on one machine: a Temporal dev server (unless one answers), a worker and the API."""
    from oto.engine.client import run_sync

    run_sync(_dev(api))


async def _dev(api: bool) -> None:
    from oto.engine import stack
    from oto.engine.client import connect
    from oto.engine.schedules import sync_on_start
    from oto.engine.worker import serving
    from oto.services import apikeys

    settings = get_settings()
    database = get_database()
    database.upgrade()
    say(f"database: {database.safe_url}")
    async with stack.temporal(ui=True) as (address, server):
        if server is not None:
            say(f"Temporal dev server: {address} (web UI {server.ui_address}), state in {server.db_file}")
        else:
            say(f"Temporal: {address}")
        client = await connect(address)
        await sync_on_start(client, database)
        key_file, made = apikeys.ensure_local_admin_key(database)
        say(f"admin API key: {'created in' if made else 'in'} {key_file}")
        queues = _queues(database, settings.task_queue)
        async with serving(client, queues, database):
            say(f"worker: task queues {', '.join(queues)}")
            stop = asyncio.ensure_future(_until_signal())
            web = _api_server(database) if api else None
            serving_api = asyncio.ensure_future(web.serve()) if web is not None else None
            if web is not None:
                say(f"API: http://{settings.api_host}:{settings.api_port}/api/v1")
            say("Ctrl-C stops everything")
            await asyncio.wait([t for t in (stop, serving_api) if t is not None], return_when=asyncio.FIRST_COMPLETED)
            if web is not None and serving_api is not None:
                web.should_exit = True  # the API first, then the worker, then Temporal
                await serving_api
            stop.cancel()


def _api_server(database: Database) -> Any:
    import uvicorn

    from oto.api.app import create_app

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # `oto dev` takes the signals: it stops the API, then the worker, then Temporal

    settings = get_settings()
    config = uvicorn.Config(create_app(database), host=settings.api_host, port=settings.api_port,
                            log_level="warning")
    return Server(config)


def demo() -> None:
    """The OpenSSL RSA keypair demo: generate a key through Temporal, extract and check it."""
    from oto.engine.client import run_sync

    if run_sync(_demo()) != 0:
        raise typer.Exit(1)


async def _demo() -> int:
    from oto.cli.runs import follow, show
    from oto.engine import stack
    from oto.engine.client import connect, submit_routine
    from oto.engine.worker import serving

    database = get_database()
    database.upgrade()
    say(f"1. database ready: {database.safe_url}")
    path = demo_document()
    with database.session() as db:
        imported = documents.import_document(db, json.loads(path.read_text(encoding="utf-8")))
    say(f"2. imported {path} ({imported.created} created, {imported.updated} updated)")
    async with stack.temporal(ui=False, any_port=True) as (address, server):
        say(f"3. Temporal: {'started an embedded dev server on ' if server else ''}{address}")
        client = await connect(address)
        queues = _queues(database)
        async with serving(client, queues, database):
            say(f"4. worker on task queue {', '.join(queues)}; running routine {DEMO_ROUTINE!r} through Temporal: "
                "GenRSA-2048, then ExtractPub-key and CheckKey-key")
            run_id = await submit_routine(DEMO_ROUTINE, trigger="demo", client=client, database=database)
            run = await follow(run_id, client, progress=True)
    show(run, outputs=False)
    steps = {s["step"]: s for s in run["steps"]}
    folder = Path(run["workdir"])
    check = steps.get("check", {})
    verdict = (check.get("stdout") or check.get("stderr") or check.get("error") or "no output").strip()
    say(f"5. key check (openssl pkey -in key.pem -noout -check): {verdict}")
    say(f"private key: {folder / 'key.pem'}")
    if (folder / "pub.pem").exists():
        say(f"public key:  {folder / 'pub.pem'}")
    ok = run["status"] == "succeeded" and check.get("status") == "succeeded" and "valid" in verdict.lower()
    say("demo succeeded" if ok else f"demo failed: run {run_id} ended {run['status']}")
    return 0 if ok else 1


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("dev")(dev)
    app.command("demo")(demo)
