"""Options and helpers every group of the CLI shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from oto.services.deletions import Kind

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="Follow the run to its end; exit 0 only if it succeeded.")
]
CascadeOption = Annotated[
    bool, typer.Option("--cascade", help="Also delete what uses it (commands, jobs, routines, schedules, "
                       "and those schedules' Temporal Schedules).")
]


def delete(kind: Kind, *key: str, cascade: bool) -> str:
    """Delete a catalog item (with ``cascade``, what uses it too, schedules also on Temporal).

    Returns what to add to "deleted ...": the schedules that went, if any.
    """
    from oto.engine.client import run_sync  # Temporal's client loads slowly: only deletes pay for it
    from oto.engine.schedules import delete_with_schedules

    removed: list[str] = run_sync(delete_with_schedules(kind, *key, cascade=cascade))
    if not removed:
        return ""
    if len(removed) == 1:
        return f" with schedule {removed[0]} (and its Temporal schedule)"
    return f" with schedules {', '.join(removed)} (and their Temporal schedules)"


# Lets flag lists such as `-algorithm -out` through as arguments instead of options.
FLAGS_CONTEXT = {"ignore_unknown_options": True, "help_option_names": ["--help"]}
