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
from oto.app import App
from oto.app.keys import LOCAL_ADMIN_REVOKED
from oto.cli.common import get_app, run
from oto.cli.output import say, warn
from oto.cli.serve import trusted_proxies
from oto.errors import NotFound
from oto.settings import get_settings

DEMO_ROUTINE = "keypair-and-pub"


def demo_document() -> Path:
    """data/openssl.json of the source tree (or of the installed package)."""
    package = Path(oto.__file__).resolve().parent
    for candidate in (package.parents[1] / "data" / "openssl.json", package / "data" / "openssl.json"):
        if candidate.is_file():
            return candidate
    raise NotFound(f"the demo catalog data/openssl.json is not beside {package}")


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
    app = get_app()
    app.workers.configure_logs(json=log_format == LogFormat.json)
    settings = get_settings()
    queues = task_queue or [settings.task_queue]
    app.check_schema()
    say(f"worker serving task queue {', '.join(queues)} on Temporal {settings.temporal_address} "
        f"(database {app.database_url}); Ctrl-C stops it")
    run(app.workers.serve(queues))


def dev(
    api: Annotated[bool, typer.Option(help="Also serve the REST API (and the dashboard).")] = True,
) -> None:
    """Everything on one machine: a Temporal dev server (unless one answers), a worker and the API."""
    run(_dev(get_app(), api))


async def _dev(app: App, api: bool) -> None:
    settings = get_settings()
    app.init()
    say(f"database: {app.database_url}")
    queues = app.workers.queues(settings.task_queue)
    async with app.workers.local(ui=True, queues=queues) as local:
        if local.started:
            say(f"Temporal dev server: {local.address} (web UI {local.ui_address}), state in {local.state_file}")
        else:
            say(f"Temporal: {local.address}")
        key_file, state = app.api_keys.ensure_local_admin()
        if state == "revoked":
            warn(f"admin API key: {LOCAL_ADMIN_REVOKED}")
        else:
            say(f"admin API key: {'created in' if state == 'created' else 'in'} {key_file}")
        say(f"worker: task queues {', '.join(queues)}")
        stop = asyncio.ensure_future(_until_signal())
        web = _api_server(app) if api else None
        serving_api = asyncio.ensure_future(web.serve()) if web is not None else None
        if web is not None:
            say(f"API: http://{settings.api_host}:{settings.api_port}/api/v1")
        say("Ctrl-C stops everything")
        await asyncio.wait([t for t in (stop, serving_api) if t is not None], return_when=asyncio.FIRST_COMPLETED)
        if web is not None and serving_api is not None:
            web.should_exit = True  # the API first, then the worker, then Temporal
            await serving_api
        stop.cancel()


def _api_server(app: App) -> Any:
    import uvicorn

    from oto.web.server import SHUTDOWN_GRACE, create_app

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # `oto dev` takes the signals: it stops the API, then the worker, then Temporal

    settings = get_settings()
    config = uvicorn.Config(create_app(app.database), host=settings.api_host, port=settings.api_port,
                            log_level="warning", timeout_graceful_shutdown=SHUTDOWN_GRACE,
                            proxy_headers=trusted_proxies() is not None, forwarded_allow_ips=trusted_proxies())
    return Server(config)


def demo() -> None:
    """The OpenSSL RSA keypair demo: generate a key through Temporal, extract and check it."""
    if run(_demo(get_app())) != 0:
        raise typer.Exit(1)


async def _demo(app: App) -> int:
    from oto.cli.runs import follow, show

    app.init()
    say(f"1. database ready: {app.database_url}")
    path = demo_document()
    imported, _ = await app.documents.import_one(json.loads(path.read_text(encoding="utf-8")))
    say(f"2. imported {path} ({imported.created} created, {imported.updated} updated)")
    async with app.workers.local(ui=False, any_port=True, sync_schedules=False) as local:
        say(f"3. Temporal: {'started an embedded dev server on ' if local.started else ''}{local.address}")
        say(f"4. worker on task queue {', '.join(local.queues)}; running routine {DEMO_ROUTINE!r} through "
            "Temporal: GenRSA-2048, then ExtractPub-key and CheckKey-key")
        run_id = await app.runs.submit_routine(DEMO_ROUTINE, trigger="demo")
        found = await follow(app, run_id, progress=True)
    show(found, outputs=False)
    steps = {s["step"]: s for s in found["steps"]}
    folder = Path(found["workdir"])
    check = steps.get("check", {})
    verdict = (check.get("stdout") or check.get("stderr") or check.get("error") or "no output").strip()
    say(f"5. key check (openssl pkey -in key.pem -noout -check): {verdict}")
    say(f"private key: {folder / 'key.pem'}")
    if (folder / "pub.pem").exists():
        say(f"public key:  {folder / 'pub.pem'}")
    ok = found["status"] == "succeeded" and check.get("status") == "succeeded" and "valid" in verdict.lower()
    say("demo succeeded" if ok else f"demo failed: run {run_id} ended {found['status']}")
    return 0 if ok else 1


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("dev")(dev)
    app.command("demo")(demo)
