"""``oto run``: the history of runs, one run in full, and cancelling one.

Also how ``job run --wait`` and ``routine run --wait`` follow a run: a spinner for a job, a bar
of steps for a routine, only when stdout is a terminal.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oto.app import App
from oto.app.runs import FINAL, SUCCEEDED
from oto.cli.common import JsonOption, WaitOption, WideOption, get_app, run
from oto.cli.output import console, print_json, print_table, say, warn

if TYPE_CHECKING:
    from rich.progress import Progress

app = typer.Typer(help="The history of runs; show, rerun or cancel one.", no_args_is_help=True)
POLL = 0.25


async def follow(app: App, run_id: str, *, progress: bool) -> dict[str, Any]:
    """Wait for a run to end, showing its progress on a terminal; returns the run in full."""
    waiting = asyncio.ensure_future(app.runs.wait(run_id, started=True))
    if not progress or not sys.stdout.isatty():
        return await waiting
    _state = app.runs.status
    kind, status, counts = await asyncio.to_thread(_state, run_id)
    if kind == "job":
        with console().status(f"run {run_id}: {status}") as spinner:
            while not waiting.done():
                await asyncio.wait([waiting], timeout=POLL)
                spinner.update(f"run {run_id}: {(await asyncio.to_thread(_state, run_id))[1]}")
        return await waiting
    with progress_bar() as bar:
        task = bar.add_task(f"run {run_id}", total=sum(counts.values()))
        while not waiting.done():
            await asyncio.wait([waiting], timeout=POLL)
            _, status, counts = await asyncio.to_thread(_state, run_id)
            ended = sum(n for s, n in counts.items() if s in FINAL)
            bar.update(task, completed=ended, description=f"run {run_id}: {status}")
    return await waiting


def progress_bar() -> Progress:
    """A progress bar on the terminal, gone when done."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console(), transient=True)


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}s"


def show(run: dict[str, Any], *, outputs: bool = True) -> None:
    """A run for people: its facts, its steps, then its output."""
    what = f"routine {run['routine']}" if run["kind"] == "routine" else (
        f"{run['kind']} {run['job']}" if run["job"] else "ad hoc")
    exit_part = f", exit {run['exit_code']}" if run["exit_code"] is not None else ""
    say(f"run {run['run_id']} ({what}): {run['status']}{exit_part}"
        f"{' in ' + _seconds(run['duration']) if run['duration'] is not None else ''}")
    inputs = " ".join(f"{k}={shlex.join(v) if isinstance(v, list) else shlex.quote(v or '')}"
                      for k, v in (run.get("inputs") or {}).items())
    facts = [("argv", shlex.join(run["argv"])), ("inputs", inputs), ("folder", run["workdir"]),
             ("task queue", run["task_queue"]),
             ("worker", run["worker"]), ("starts", run["starts"] if run["starts"] > 1 else None),
             ("trigger", run["trigger"]), ("rerun of", run.get("rerun_of")),
             ("timeout", None if run.get("timeout") is None else f"{run['timeout']:g}s"),
             ("created", run["created_at"]), ("started", run["started_at"]), ("finished", run["finished_at"]),
             ("error", run["error"]), ("waiting", run.get("waiting"))]
    for label, value in facts:
        if value not in (None, "", []) and not (label == "argv" and run["kind"] == "routine"):
            say(f"  {label}: {value}")
    if run.get("artifacts"):
        say(f"  artifacts: {', '.join(a['path'] for a in run['artifacts'])}")
        if run.get("artifacts_cut"):
            say(f"  ({len(run['artifacts'])} listed of {run['artifacts_total']} files: the rest are in the run folder)")
    attempts = run.get("attempts") or []
    if len(attempts) > 1:
        print_table("attempts", ["attempt", "status", "exit", "started", "duration", "error"],
                    [(a["attempt"], a["status"], a["exit_code"], (a["started_at"] or "")[:19], _seconds(a["duration"]),
                      a["error"] or "") for a in attempts])
    if "steps" in run:
        print_table("steps", ["step", "job", "status", "attempts", "exit", "duration", "error"],
                    [(s["step"], s["job"], "carried over" if s.get("carried_over") else s["status"],
                      len(s.get("attempts") or []), s["exit_code"], _seconds(s["duration"]),
                      s["error"] or s.get("waiting") or "")
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


@app.command("rerun")
def rerun(
    run_id: str,
    wait: WaitOption = False,
    failed_only: Annotated[bool, typer.Option(
        "--failed-only", help="A routine run that ended: run again only its steps that did not succeed and the "
        "steps after them, in its folder (the files its good steps made are there); the others are carried "
        "over.")] = False,
    json: JsonOption = False,
) -> None:
    """Run a job or routine run's target again, as a new run whose record names the run it repeats."""
    start(lambda app: app.runs.rerun(run_id, failed_only=failed_only), wait=wait, json=json)


@app.command("cancel")
def cancel(run_id: str, json: JsonOption = False) -> None:
    """Cancel a queued or running run: its processes get SIGTERM, then SIGKILL after the grace period."""
    run_id = run(get_app().runs.cancel(run_id))
    if json:
        print_json({"run_id": run_id, "cancel_requested": True})
    else:
        say(f"cancellation requested for run {run_id}")


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


@app.command("prune")
def prune(
    older_than: Annotated[str | None, typer.Option("--older-than", help="Runs that ended longer ago than this "
                                                   "(30d, 12h, 0s).")] = None,
    keep_last: Annotated[int | None, typer.Option("--keep-last", help="Keep the newest N finished runs of each "
                                                  "job and routine.")] = None,
    status: Annotated[list[str] | None, typer.Option("--status", help="Only runs that ended so (succeeded, failed, "
                                                     "timed_out, cancelled); repeatable.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would go; remove nothing.")] = False,
    json: JsonOption = False, wide: WideOption = False,
) -> None:
    """Delete finished runs (records, output, run folders, artifacts); a queued or running run never goes."""
    statuses = [s.strip() for given in status or [] for s in given.split(",") if s.strip()]
    oto = get_app()
    if json or not sys.stdout.isatty():
        pruned = oto.runs.prune(older_than=older_than, keep_last=keep_last, statuses=statuses, dry_run=dry_run)
    else:
        with progress_bar() as bar:
            task = bar.add_task("pruning runs", total=None)
            pruned = oto.runs.prune(older_than=older_than, keep_last=keep_last, statuses=statuses, dry_run=dry_run,
                                    progress=lambda done, total: bar.update(task, completed=done, total=total))
    if json:
        print_json(pruned.to_dict())
        return
    verb = "would remove" if dry_run else "removed"
    print_table("runs to prune" if dry_run else "pruned runs", ["run", "kind", "name", "status", "ended", "size"],
                [(c.run_id, c.kind, c.target, c.status, c.ended_at.isoformat(timespec="seconds"), _bytes(c.bytes))
                 for c in pruned.runs], wide=wide)
    say(f"{verb} {len(pruned.runs)} run{'s' if len(pruned.runs) != 1 else ''}, "
        f"{_bytes(pruned.bytes)} {'would be ' if dry_run else ''}freed")
