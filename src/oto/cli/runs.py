"""``oto run``: the history of runs, one run in full, and cancelling one.

Also how ``job run --wait`` and ``routine run --wait`` follow a run: a spinner for a job, a bar
of steps for a routine, only when stdout is a terminal.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from oto.app import App
from oto.app.runs import FINAL, SUCCEEDED
from oto.cli.common import JsonOption, WideOption, get_app, run
from oto.cli.output import console, print_json, print_table, say, warn

app = typer.Typer(help="The history of runs; show or cancel one.", no_args_is_help=True)
POLL = 0.25


async def follow(app: App, run_id: str, *, progress: bool) -> dict[str, Any]:
    """Wait for a run to end, showing its progress on a terminal; returns the run in full."""
    waiting = asyncio.ensure_future(app.runs.wait(run_id, started=True))
    if not progress or not sys.stdout.isatty():
        return await waiting
    _state = app.runs.status
    kind, status, counts = await asyncio.to_thread(_state, run_id)
    if kind == "job":
        with console.status(f"run {run_id}: {status}") as spinner:
            while not waiting.done():
                await asyncio.wait([waiting], timeout=POLL)
                spinner.update(f"run {run_id}: {(await asyncio.to_thread(_state, run_id))[1]}")
        return await waiting
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"run {run_id}", total=sum(counts.values()))
        while not waiting.done():
            await asyncio.wait([waiting], timeout=POLL)
            _, status, counts = await asyncio.to_thread(_state, run_id)
            ended = sum(n for s, n in counts.items() if s in FINAL)
            bar.update(task, completed=ended, description=f"run {run_id}: {status}")
    return await waiting


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}s"


def show(run: dict[str, Any], *, outputs: bool = True) -> None:
    """A run for people: its facts, its steps, then its output."""
    what = f"routine {run['routine']}" if run["kind"] == "routine" else (
        f"{run['kind']} {run['job']}" if run["job"] else "ad hoc")
    exit_part = f", exit {run['exit_code']}" if run["exit_code"] is not None else ""
    say(f"run {run['run_id']} ({what}): {run['status']}{exit_part}"
        f"{' in ' + _seconds(run['duration']) if run['duration'] is not None else ''}")
    facts = [("argv", shlex.join(run["argv"])), ("folder", run["workdir"]), ("task queue", run["task_queue"]),
             ("worker", run["worker"]), ("attempts", run["attempts"]), ("trigger", run["trigger"]),
             ("timeout", None if run.get("timeout") is None else f"{run['timeout']:g}s"),
             ("created", run["created_at"]), ("started", run["started_at"]), ("finished", run["finished_at"]),
             ("error", run["error"])]
    for label, value in facts:
        if value not in (None, "", []) and not (label == "argv" and run["kind"] == "routine"):
            say(f"  {label}: {value}")
    if run.get("artifacts"):
        say(f"  artifacts: {', '.join(a['path'] for a in run['artifacts'])}")
        if run.get("artifacts_cut"):
            say(f"  ({len(run['artifacts'])} listed of {run['artifacts_total']} files: the rest are in the run folder)")
    if "steps" in run:
        print_table("steps", ["step", "job", "status", "exit", "duration", "error"],
                    [(s["step"], s["job"], s["status"], s["exit_code"], _seconds(s["duration"]), s["error"] or "")
                     for s in run["steps"]])
    if outputs:
        for stream in ("stdout", "stderr"):
            if run.get(stream):
                say(f"--- {stream} ---")
                sys.stdout.write(run[stream] if run[stream].endswith("\n") else run[stream] + "\n")


def report(run: dict[str, Any], json: bool) -> None:
    """Print a finished run and exit 1 unless it succeeded."""
    if json:
        print_json(run)
    else:
        show(run)
    if run["status"] != SUCCEEDED:
        raise typer.Exit(1)



def start(submit: Callable[[App], Awaitable[str]], *, wait: bool, json: bool) -> None:
    """Submit a run, then print its id, or with ``wait`` follow it and report its end (``job|routine run``)."""
    app = get_app()

    async def go() -> dict[str, Any]:
        run_id = await submit(app)  # the services check the input before Temporal is asked
        if not wait:
            return {"run_id": run_id, "status": "queued"}
        return await follow(app, run_id, progress=not json)

    result = run(go())
    if wait:
        report(result, json)
    elif json:
        print_json(result)
    else:
        say(result["run_id"])


@app.command("list")
def list_(
    limit: Annotated[int, typer.Option(help="At most this many runs, newest first.")] = 20,
    after: Annotated[str | None, typer.Option(
        help="The runs after this cursor: the previous page prints it (next page: --after CURSOR).")] = None,
    offset: Annotated[int, typer.Option(help="Skip this many first (--after is as fast at any depth).")] = 0,
    status: Annotated[str | None, typer.Option(help="Only runs in this status.")] = None,
    job: Annotated[str | None, typer.Option(help="Only runs of this job.")] = None,
    routine: Annotated[str | None, typer.Option(help="Only runs of this routine.")] = None,
    trigger: Annotated[str | None, typer.Option(help="Only runs started this way (cli, api, schedule:NAME).")] = None,
    json: JsonOption = False, wide: WideOption = False,
) -> None:
    """List runs of jobs and routines, newest first; when more follow, stderr says how to page on."""
    page = get_app().runs.page(status=status, job=job, routine=routine, trigger=trigger, after=after,
                               offset=offset, limit=limit, count=False)
    found = page.items
    if json:
        print_json(found)
    else:
        print_table("runs", ["run", "kind", "name", "status", "exit", "trigger", "created", "duration"],
                    [(r["run_id"], r["kind"], r["job"] or r["routine"], r["status"], r["exit_code"], r["trigger"],
                      (r["created_at"] or "")[:19], _seconds(r["duration"])) for r in found], wide=wide)
    if page.next_after is not None:
        warn(f"next page: --after {page.next_after}")


@app.command("show")
def show_(run_id: str, json: JsonOption = False) -> None:
    """A run in full: status, argv, exit code, times, steps, stdout and stderr."""
    run = get_app().runs.get(run_id)
    if json:
        print_json(run)
    else:
        show(run)


@app.command("cancel")
def cancel(run_id: str, json: JsonOption = False) -> None:
    """Cancel a queued or running run: its processes get SIGTERM, then SIGKILL after the grace period."""
    run_id = run(get_app().runs.cancel(run_id))
    if json:
        print_json({"run_id": run_id, "cancel_requested": True})
    else:
        say(f"cancellation requested for run {run_id}")
