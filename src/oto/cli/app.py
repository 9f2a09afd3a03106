"""The ``oto`` entry point: wires the command groups and turns every OtoError into one sentence."""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Sequence

import typer

import oto
from oto.cli.output import clean
from oto.errors import OtoError

HELP = "Run command-line programs as safe, scheduled, durable workflows on Temporal."
# Groups of verbs, each in its own module, loaded only when named: `oto job list` imports the jobs
# module and what it needs, not the web server, Temporal's SDK or the rest (like pip's commands).
# The help lines are the modules' own (a test keeps them equal), so `oto --help` imports nothing.
GROUPS: dict[str, tuple[str, str]] = {
    "executable": ("oto.cli.executables", "Register the programs OTO may run."),
    "parameter": ("oto.cli.parameters", "The flags of an executable and their rules."),
    "schema": ("oto.cli.schemas", "Check and draw the rules of an executable."),
    "command": ("oto.cli.commands", "Sets of an executable's flags the flag matching engine accepts."),
    "job": ("oto.cli.jobs", "Commands with values, ready to run."),
    "routine": ("oto.cli.routines", "Named DAGs of job steps, and running them."),
    "run": ("oto.cli.runs", "The history of runs; show, rerun or cancel one."),
    "schedule": ("oto.cli.schedules", "Jobs and routines that run by themselves, on Temporal Schedules."),
    "catalog": ("oto.cli.catalog", "Specs of hundreds of real tools, shipped with OTO: search, show, add."),
    "apikey": ("oto.cli.apikeys", "Keys for the REST API (scopes: read, run, admin)."),
    "notify": ("oto.cli.notify", "Webhooks told when runs end (failed, timed out...)."),
    "secret": ("oto.cli.secrets", "The key that seals secret values at rest (docs/secrets.md)."),
}
# Verbs of their own, by the module that registers them, with the first line of their help.
VERBS: dict[str, tuple[str, str]] = {
    "init": ("oto.cli.documents", "Create or upgrade the database schema (runs the migrations)."),
    "import": ("oto.cli.documents", "Import OTO documents, all or nothing: on any error nothing is written."),
    "export": ("oto.cli.documents", "Export everything as one OTO document (secret values masked, references as "
               "they are)."),
    "doctor": ("oto.cli.documents", "Check that everything a run needs is in place: the database, Temporal, "
               "workers, programs, the API."),
    "worker": ("oto.cli.processes", "Run a worker until interrupted: it runs the jobs of its task queues and "
               "records their runs."),
    "dev": ("oto.cli.processes", "Everything on one machine: a Temporal dev server (unless one answers), a "
            "worker and the API."),
    "demo": ("oto.cli.processes", "The OpenSSL RSA keypair demo: generate a key through Temporal, extract and "
             "check it."),
    "serve": ("oto.cli.serve", "Serve the REST API on OTO_API_HOST:OTO_API_PORT (127.0.0.1:1515); "
              "/openapi.json describes it."),
}


def build(chosen: str | None = None) -> typer.Typer:
    """The ``oto`` command with every group and verb; only ``chosen``'s module is loaded (all when None)."""
    app = typer.Typer(name="oto", help=HELP, no_args_is_help=True, pretty_exceptions_enable=False,
                      add_completion=False, rich_markup_mode=None)
    everything = chosen is None
    registered: set[str] = set()
    for name, (module, summary) in VERBS.items():
        if everything or chosen == name:
            if module not in registered:
                importlib.import_module(module).register(app)
                registered.add(module)
        elif name not in _verbs_of(registered):
            app.command(name, help=summary, add_help_option=False,
                        context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(_unloaded)
    for name, (module, summary) in GROUPS.items():
        if everything or chosen == name:
            app.add_typer(importlib.import_module(module).app, name=name)
        else:
            app.add_typer(typer.Typer(help=summary), name=name)
    return app


def _verbs_of(modules: set[str]) -> set[str]:
    return {name for name, (module, _) in VERBS.items() if module in modules}


def _unloaded() -> None:
    """Never runs: a verb named on the command line is loaded for real."""


def __getattr__(name: str) -> typer.Typer:
    """``oto.cli.app.app``: the whole command, every module loaded (for tools that inspect it)."""
    if name == "app":
        return build()
    raise AttributeError(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI: exit 0 ok, 1 refused or failed, 2 bad usage or bad input; errors in one sentence."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args.remove("--debug")
    if args in (["--version"], ["-V"]):
        sys.stdout.write(f"oto {oto.__version__}\n")
        return _done(0, argv)
    chosen = next((a for a in args if not a.startswith("-")), None)
    known = chosen in GROUPS or chosen in VERBS
    try:
        command = build(chosen if known else "")
        if argv is None:
            _loaded()
        command(args=args, prog_name="oto", standalone_mode=True)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except OtoError as error:
        if debug:  # the traceback too, and still the exit status that says what went wrong
            import traceback

            traceback.print_exc()
        sys.stderr.write(f"Error: {clean(error.message)}\n")
        code = error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted\n")
        code = 130
    return _done(code, argv)


def _loaded() -> None:
    """The verb's modules are loaded: they stay for good, frozen (never scanned again), and Python's
    cyclic garbage collector, held off while they loaded (see ``oto.cli.main``), runs again."""
    gc.freeze()
    gc.enable()


def _done(code: int, argv: Sequence[str] | None) -> int:
    """The exit status: the process's when run as ``oto``, returned when called in-process."""
    if argv is None:
        raise SystemExit(code)
    return code
