"""Options and helpers every group of the CLI shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer

from oto.app import App
from oto.errors import InvalidInput

T = TypeVar("T")

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
WideOption = Annotated[
    bool, typer.Option("--wide", help="On a terminal, never wrap or cut a column (the table is as wide as it needs).")
]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="Follow the run to its end; exit 0 only if it succeeded.")
]
CascadeOption = Annotated[
    bool, typer.Option("--cascade", help="Also delete what uses it (commands, jobs, routines, schedules, "
                       "and those schedules' Temporal Schedules).")
]


def get_app() -> App:
    """The application over the configured database and Temporal (Temporal connected on first use)."""
    return App()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one of the app's coroutines to its end, for a command that needs Temporal."""
    from oto.app import run_sync

    return run_sync(coroutine)


def delete(remove: Callable[[], Awaitable[list[str]]]) -> str:
    """Run a catalog delete (``lambda: app.jobs.delete(...)``); returns what to add to "deleted ...":
    the schedules that went along, if any (their Temporal schedules went too)."""

    async def go() -> list[str]:
        return await remove()

    removed = run(go())
    if not removed:
        return ""
    if len(removed) == 1:
        return f" with schedule {removed[0]} (and its Temporal schedule)"
    return f" with schedules {', '.join(removed)} (and their Temporal schedules)"


# Lets flag lists such as `-algorithm -out` through as arguments instead of options.
FLAGS_CONTEXT = {"ignore_unknown_options": True, "help_option_names": ["--help"]}

MaxConcurrentOption = Annotated[int | None, typer.Option(
    "--max-concurrent", metavar="N",
    help="At most N runs of it at once, across every worker and queue; the others wait queued, in order.")]
NoMaxConcurrentOption = Annotated[bool, typer.Option(
    "--no-max-concurrent", help="Remove the concurrency limit.")]


def limit_changes(max_concurrent: int | None, no_max_concurrent: bool) -> dict[str, object]:
    """The ``max_concurrent`` change an edit's options ask for (none, a new limit, or None: no limit)."""
    if max_concurrent is not None and no_max_concurrent:
        raise InvalidInput("give --max-concurrent or --no-max-concurrent, not both")
    if no_max_concurrent:
        return {"max_concurrent": None}
    return {} if max_concurrent is None else {"max_concurrent": max_concurrent}


def limit_text(max_concurrent: int | None) -> str:
    """A concurrency limit as ``show`` prints it."""
    return "no limit" if max_concurrent is None else f"{max_concurrent} run{'s' if max_concurrent != 1 else ''} at once"
