"""``oto job``: commands with values, ready to run."""

from __future__ import annotations

from typing import Annotated

import typer

from oto.cli.common import CascadeOption, JsonOption, WaitOption, WideOption, get_app
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


def parse_inputs(items: list[str]) -> dict[str, Value]:
    """``FLAG`` (no default) or ``FLAG=DEFAULT`` into job inputs; a repeated flag gathers a list of defaults."""
    inputs: dict[str, Value] = {}
    for item in items:
        flag, sep, default = item.partition("=")
        if not flag:
            raise InvalidInput(f"--input {item!r}: give FLAG or FLAG=DEFAULT")
        if flag in inputs:
            previous = inputs[flag]
            if previous is None or not sep:
                raise InvalidInput(f"--input {flag}: a flag given more than once needs a default each time "
                                   "(FLAG=DEFAULT, one per place of the flag in the command)")
            inputs[flag] = [*previous, default] if isinstance(previous, list) else [previous, default]
        else:
            inputs[flag] = default if sep else None
    return inputs


def parse_run_values(sets: list[str]) -> dict[str, Value]:
    """``--set NAME=VALUE`` of a run into input values; a name given again gathers a list."""
    for item in sets:
        if "=" not in item:
            raise InvalidInput(f"--set {item!r}: give NAME=VALUE (a run sets the values of inputs)")
    return parse_sets(sets)


InputOption = Annotated[list[str] | None, typer.Option(
    "--input", metavar="FLAG[=DEFAULT]",
    help="A flag whose value is given when the job runs (`oto job run --set FLAG=VALUE`), with an optional "
    "default (repeat per input).")]
RunSetOption = Annotated[list[str] | None, typer.Option(
    "--set", metavar="NAME=VALUE", help="The value of an input for this run (repeat per input; a repeatable "
    "flag takes one --set per value).")]


@app.command("add")
def add(
    name: str,
    command: Annotated[str, typer.Option("--command", help="The command this job runs.")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", metavar="FLAG=VALUE", help="A value (FLAG alone for a switch).")
    ] = None,
    input_: InputOption = None,
    description: str = "",
    json: JsonOption = False,
) -> None:
    """Add a job: a value for each flag of the command that takes one, or an input given when it runs."""
    doc = get_app().jobs.add(
        {"name": name, "command": command, "values": parse_sets(set_ or []), "description": description,
         "inputs": parse_inputs(input_ or [])})
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
    set_: RunSetOption = None,
    wait: WaitOption = False,
    timeout: Annotated[
        float | None, typer.Option(help="Stop this run after SECONDS (it ends timed_out).", metavar="SECONDS")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Start the job on Temporal and print its run id (a worker of its task queue runs it)."""
    from oto.cli import runs as run_views
    values = parse_run_values(set_ or [])
    run_views.start(lambda app: app.runs.submit_job(name, timeout=timeout, values=values), wait=wait, json=json)


@app.command("list")
def list_(json: JsonOption = False, wide: WideOption = False) -> None:
    """List jobs."""
    docs = get_app().jobs.list_all()
    if json:
        print_json(docs)
    else:
        print_table(
            "jobs",
            ["name", "command", "values", "inputs"],
            [(d.name, d.command, _values(d.values), _inputs(d.inputs)) for d in docs],
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
        ("command", doc.command), ("values", _values(doc.values)), ("inputs", _inputs(doc.inputs)),
        ("argv", shlex.join(argv)),
        ("description", doc.description),
    ])


@app.command("edit")
def edit(
    name: str,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="FLAG=VALUE", help="The job's values (replace them all; FLAG alone for a switch; "
        "repeat a repeatable flag once per value).")] = None,
    input_: Annotated[list[str] | None, typer.Option(
        "--input", metavar="FLAG[=DEFAULT]", help="The job's inputs (replace them all; repeat per input).")] = None,
    no_inputs: Annotated[bool, typer.Option("--no-inputs", help="The job has no inputs any more.")] = False,
    command: Annotated[str | None, typer.Option("--command", help="Run another command.")] = None,
    description: Annotated[str | None, typer.Option(help="A new description.")] = None,
    json: JsonOption = False,
) -> None:
    """Change a job; a secret value given as *** keeps the stored one."""
    changes: dict[str, object] = {k: v for k, v in (("command", command), ("description", description))
                                  if v is not None}
    if set_ is not None:
        changes["values"] = parse_sets(set_)
    if input_ is not None and no_inputs:
        raise InvalidInput("give --input or --no-inputs, not both")
    if input_ is not None or no_inputs:
        changes["inputs"] = parse_inputs(input_ or [])
    if not changes:
        raise InvalidInput("nothing to change: give --set, --input, --no-inputs, --command or --description")
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


def _inputs(inputs: dict[str, Value]) -> str:
    """Inputs as a person reads them: ``HOST HOST2=127.0.0.1`` (a default after ``=``)."""
    words = []
    for flag, default in inputs.items():
        for one in default if isinstance(default, list) else [default]:
            words.append(flag if one is None else f"{flag}={one}")
    return " ".join(words)


@app.command("delete")
def delete(name: str, cascade: CascadeOption = False) -> None:
    """Delete a job (with --cascade, the routines and schedules using it too, on Temporal as well)."""
    say(f"deleted job {name!r}{delete_item(lambda: get_app().jobs.delete(name, cascade=cascade))}")
