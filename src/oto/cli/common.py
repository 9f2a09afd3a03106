"""Options and helpers every group of the CLI shares."""

from __future__ import annotations

from typing import Annotated

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
CascadeOption = Annotated[
    bool, typer.Option("--cascade", help="Also delete what uses it (commands, jobs, routines, schedules).")
]

# Lets flag lists such as `-algorithm -out` through as arguments instead of options.
FLAGS_CONTEXT = {"ignore_unknown_options": True, "help_option_names": ["--help"]}
