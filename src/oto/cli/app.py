"""The ``oto`` entry point: wires the command groups and turns every OtoError into one sentence."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from oto.cli import commands, documents, executables, jobs, parameters, schemas
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


def _extend() -> None:
    """Groups owned by the engine and interface layers, registered when present."""
    import importlib

    for module, name in (
        ("oto.cli.routines", "routine"),
        ("oto.cli.runs", "run"),
        ("oto.cli.schedules", "schedule"),
        ("oto.cli.apikeys", "apikey"),
    ):
        try:
            group = importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise
            continue
        app.add_typer(group.app, name=name)
    for module in ("oto.cli.services", "oto.cli.serve"):
        try:
            importlib.import_module(module).register(app)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise


_extend()


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
