"""The ``oto`` entry point: wires the command groups and turns every OtoError into one sentence."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from oto.cli import (
    apikeys,
    commands,
    documents,
    executables,
    jobs,
    parameters,
    processes,
    routines,
    runs,
    schedules,
    schemas,
    secrets,
    serve,
)
from oto.errors import OtoError

app = typer.Typer(
    name="oto",
    help="Run command-line programs as safe, scheduled, durable workflows on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
documents.register(app)
app.add_typer(executables.app, name="executable")
app.add_typer(parameters.app, name="parameter")
app.add_typer(schemas.app, name="schema")
app.add_typer(commands.app, name="command")
app.add_typer(jobs.app, name="job")
app.add_typer(routines.app, name="routine")
app.add_typer(runs.app, name="run")
app.add_typer(schedules.app, name="schedule")
app.add_typer(apikeys.app, name="apikey")
app.add_typer(secrets.app, name="secret")
processes.register(app)
serve.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI: exit 0 ok, 1 refused or failed, 2 bad usage or bad input; errors in one sentence."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args.remove("--debug")
    try:
        app(args=args, prog_name="oto", standalone_mode=True)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except OtoError as error:
        if debug:
            raise
        sys.stderr.write(f"Error: {error.message}\n")
        code = error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted\n")
        code = 130
    if argv is None:
        raise SystemExit(code)
    return code
