"""``oto job``: commands with values, ready to run."""

from __future__ import annotations

from typing import Annotated

import typer

from oto.cli.common import (
    CascadeOption,
    JsonOption,
    MaxConcurrentOption,
    NoMaxConcurrentOption,
    WaitOption,
    WideOption,
    get_app,
    limit_changes,
    limit_text,
)
from oto.cli.common import delete as delete_item
from oto.cli.output import print_fields, print_json, print_table, say, warn
from oto.domain.documents import Value
from oto.errors import InvalidInput

app = typer.Typer(help="Commands with values, ready to run.", no_args_is_help=True)


def parse_sets(sets: list[str]) -> dict[str, Value]:
    """``FLAG=VALUE`` or a bare ``FLAG`` (no value) into job values; a repeated flag gathers a list."""
    values: dict[str, Value] = {}
    for item in sets:
        flag, sep, value = item.partition("=")
        if not flag:
            raise InvalidInput(f"--set {item!r}: give FLAG=VALUE or FLAG")
        given: str = value if sep else ""
        if flag in values:
            previous = values[flag]
            values[flag] = [*previous, given] if isinstance(previous, list) else [previous or "", given]
        else:
            values[flag] = given
    return values


@app.command("add")
def add(
    name: str,
    command: Annotated[str, typer.Option("--command", help="The command this job runs.")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", metavar="FLAG=VALUE", help="A value (FLAG alone for a switch).")
    ] = None,
    description: str = "",
    max_concurrent: MaxConcurrentOption = None,
    json: JsonOption = False,
) -> None:
    """Add a job: a value for each flag of the command that takes one."""
    doc = get_app().jobs.add(
        {"name": name, "command": command, "values": parse_sets(set_ or []), "description": description,
         "max_concurrent": max_concurrent})
    if warning := get_app().jobs.argv_warning(doc.name):
        warn(warning)
    if json:
        print_json(doc)
    else:
        say(f"added job {doc.name!r} running command {doc.command!r}")


@app.command("argv")
def argv(name: str, json: JsonOption = False) -> None:
    """The exact argv the job would run (secret values masked)."""
    items = get_app().jobs.argv(name)
    if json:
        print_json(items)
    else:
        import shlex

        say(shlex.join(items))


@app.command("run")
def run(
    name: str,
    wait: WaitOption = False,
    timeout: Annotated[
        float | None, typer.Option(help="Stop this run after SECONDS (it ends timed_out).", metavar="SECONDS")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Start the job on Temporal and print its run id (a worker of its task queue runs it)."""
    from oto.cli import runs as run_views
    run_views.start(lambda app: app.runs.submit_job(name, timeout=timeout), wait=wait, json=json)


@app.command("list")
def list_(json: JsonOption = False, wide: WideOption = False) -> None:
    """List jobs."""
    docs = get_app().jobs.list_all()
    if json:
        print_json(docs)
    else:
        print_table(
            "jobs",
            ["name", "command", "values"],
            [(d.name, d.command, _values(d.values)) for d in docs],
            wide=wide,
        )


@app.command("show")
def show(name: str, json: JsonOption = False) -> None:
    """A job: its command, its values (secrets masked) and the exact argv it runs."""
    app_ = get_app()
    doc = app_.jobs.get(name)
    argv = app_.jobs.argv(name)
    if json:
        print_json(doc.model_dump() | {"argv": argv})
        return
    import shlex

    print_fields(f"job {doc.name}", [
        ("command", doc.command), ("values", _values(doc.values)), ("argv", shlex.join(argv)),
        ("description", doc.description), ("max concurrent", limit_text(doc.max_concurrent)),
    ])


@app.command("edit")
def edit(
    name: str,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="FLAG=VALUE", help="The job's values (replace them all; FLAG alone for a switch; "
        "repeat a repeatable flag once per value).")] = None,
    command: Annotated[str | None, typer.Option("--command", help="Run another command.")] = None,
    description: Annotated[str | None, typer.Option(help="A new description.")] = None,
    max_concurrent: MaxConcurrentOption = None,
    no_max_concurrent: NoMaxConcurrentOption = False,
    json: JsonOption = False,
) -> None:
    """Change a job; a secret value given as *** keeps the stored one."""
    changes: dict[str, object] = {k: v for k, v in (("command", command), ("description", description))
                                  if v is not None}
    if set_ is not None:
        changes["values"] = parse_sets(set_)
    changes |= limit_changes(max_concurrent, no_max_concurrent)
    if not changes:
        raise InvalidInput("nothing to change: give --set, --command, --description, --max-concurrent "
                           "or --no-max-concurrent")
    doc = get_app().jobs.update(name, changes)
    if json:
        print_json(doc)
    else:
        say(f"changed job {doc.name!r}: {', '.join(sorted(changes))}")


def _values(values: dict[str, Value]) -> str:
    """Values as a person types them: ``-n 1 -n 2 -v``."""
    words = []
    for flag, value in values.items():
        for one in value if isinstance(value, list) else [value]:
            words.append(f"{flag} {one}" if one else flag)
    return " ".join(words)


@app.command("delete")
def delete(name: str, cascade: CascadeOption = False) -> None:
    """Delete a job (with --cascade, the routines and schedules using it too, on Temporal as well)."""
    say(f"deleted job {name!r}{delete_item(lambda: get_app().jobs.delete(name, cascade=cascade))}")
