"""Options and helpers every group of the CLI shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer

from oto.app import App

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
