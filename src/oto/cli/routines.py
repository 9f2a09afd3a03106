"""``oto routine``: named DAGs of job steps, and running them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oto.cli.common import CascadeOption, JsonOption, WaitOption, WideOption, get_app
from oto.cli.common import delete as delete_item
from oto.cli.output import print_fields, print_json, print_table, say
from oto.errors import InvalidInput

app = typer.Typer(help="Named DAGs of job steps, and running them.", no_args_is_help=True)


def parse_step(text: str) -> dict[str, Any]:
    """``ID=JOB[@DEP,DEP...]`` into a step."""
    step_id, sep, rest = text.partition("=")
    job, _, deps = rest.partition("@")
    if not sep or not step_id or not job:
        raise InvalidInput(f"--step {text!r}: give ID=JOB or ID=JOB@DEP,DEP")
    return {"id": step_id, "job": job, "after": [d for d in deps.split(",") if d]}


StepRetryOption = Annotated[list[str] | None, typer.Option(
    "--step-retry", metavar="ID=ATTEMPTS[,DELAY[,BACKOFF]]",
    help="Step ID's own retry policy, in place of its job's: ATTEMPTS tries in all, waiting DELAY (default 0s) "
    "times BACKOFF (default 1) after each; ID=job goes back to the job's (repeat per step).")]


def apply_step_retries(steps: list[dict[str, Any]], given: list[str]) -> list[dict[str, Any]]:
    """``steps`` with the policies ``--step-retry`` gives (``ID=job``: the job's own again)."""
    by_id = {s["id"]: s for s in steps}
    for text in given:
        step_id, sep, rest = text.partition("=")
        if not sep or not step_id or not rest:
            raise InvalidInput(f"--step-retry {text!r}: give ID=ATTEMPTS[,DELAY[,BACKOFF]] or ID=job")
        if step_id not in by_id:
            raise InvalidInput(f"--step-retry {text!r}: the routine has no step {step_id!r} "
                               f"(its steps: {', '.join(by_id)})")
        if rest == "job":
            by_id[step_id]["retry"] = None
            continue
        parts = rest.split(",")
        if len(parts) > 3 or not parts[0].isdecimal() or len(parts[0]) > 3:
            raise InvalidInput(f"--step-retry {text!r}: ATTEMPTS is a whole number from 1 to 100, then "
                               "optionally ,DELAY and ,BACKOFF")
        policy: dict[str, Any] = {"attempts": int(parts[0])}
        if len(parts) > 1:
            policy["delay"] = parts[1]
        if len(parts) > 2:
            try:
                policy["backoff"] = float(parts[2])
            except ValueError:
                raise InvalidInput(f"--step-retry {text!r}: BACKOFF {parts[2]!r} is not a number") from None
        by_id[step_id]["retry"] = policy
    return steps


def parse_with(items: list[str], steps: list[dict[str, Any]]) -> None:
    """``STEP:FLAG=VALUE`` into the steps' ``with`` (VALUE ``{name}`` names an input of the routine)."""
    by_id = {s["id"]: s for s in steps}
    for item in items:
        head, sep, value = item.partition("=")
        step_id, colon, flag = head.rpartition(":")
        if not sep or not colon or not step_id or not flag:
            raise InvalidInput(f"--with {item!r}: give STEP:FLAG=VALUE (VALUE {{NAME}} names an input of the routine)")
        if step_id not in by_id:
            raise InvalidInput(f"--with {item!r}: no step {step_id!r} among the --step options")
        given = by_id[step_id].setdefault("with", {})
        previous = given.get(flag)
        given[flag] = value if previous is None else (
            [*previous, value] if isinstance(previous, list) else [previous, value])


WithOption = Annotated[list[str] | None, typer.Option(
    "--with", metavar="STEP:FLAG=VALUE",
    help="A value the step gives an input of its job: a constant, or {NAME} for an input of the routine.")]
RoutineInputOption = Annotated[list[str] | None, typer.Option(
    "--input", metavar="NAME[=DEFAULT]",
    help="An input of the routine, given when it runs (`oto routine run --set NAME=VALUE`), with an optional "
    "default.")]


@app.command("add")
def add(
    name: str,
    step: Annotated[list[str], typer.Option("--step", metavar="ID=JOB[@DEP,DEP...]",
                                            help="A step running JOB after the steps DEP (repeat per step).")],
    step_retry: StepRetryOption = None,
    with_: WithOption = None,
    input_: RoutineInputOption = None,
    description: str = "",
    json: JsonOption = False,
) -> None:
    """Add a routine; refused if its steps form a cycle, name an unknown job or step, or leave an input of a
    step's job without a value."""
    from oto.cli.jobs import parse_inputs

    steps = apply_step_retries([parse_step(s) for s in step], step_retry or [])
    parse_with(with_ or [], steps)
    doc = get_app().routines.add({"name": name, "description": description, "steps": steps,
                                  "inputs": parse_inputs(input_ or [])})
    if json:
        print_json(doc)
    else:
        say(f"added routine {doc.name!r} with {len(doc.steps)} steps")


@app.command("run")
def run(
    name: str,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="NAME=VALUE", help="The value of an input of the routine for this run (repeat per "
        "input).")] = None,
    wait: WaitOption = False,
    timeout: Annotated[
        float | None, typer.Option(help="Stop the whole run after SECONDS: its running steps are cancelled, "
                                   "the rest never start, and it ends timed_out.", metavar="SECONDS")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Start the routine on Temporal and print its run id."""
    from oto.cli import runs as run_views
    from oto.cli.jobs import parse_run_values

    values = parse_run_values(set_ or [])
    run_views.start(lambda app: app.runs.submit_routine(name, timeout=timeout, values=values), wait=wait,
                    json=json)


@app.command("list")
def list_(json: JsonOption = False, wide: WideOption = False) -> None:
    """List routines."""
    docs = get_app().routines.list_all()
    if json:
        print_json(docs)
        return
    print_table("routines", ["name", "steps", "description"],
                [(d.name, " ".join(f"{s.id}={s.job}" + (f"@{','.join(s.after)}" if s.after else "") for s in d.steps),
                  d.description) for d in docs], wide=wide)


@app.command("show")
def show(name: str, json: JsonOption = False) -> None:
    """A routine: its steps, what each runs after, and its description."""
    doc = get_app().routines.get(name)
    if json:
        print_json(doc)
        return
    from oto.cli.jobs import _inputs, describe_retry

    print_fields(f"routine {doc.name}", [("description", doc.description), ("inputs", _inputs(dict(doc.inputs))),
                                         ("steps", len(doc.steps))])
    print_table(None, ["step", "job", "after", "with", "retry"],
                [(s.id, s.job, ", ".join(s.after), _inputs(s.with_),
                  "its job's" if s.retry is None else describe_retry(s.retry)) for s in doc.steps])


@app.command("edit")
def edit(
    name: str,
    step: Annotated[list[str] | None, typer.Option(
        "--step", metavar="ID=JOB[@DEP,DEP...]",
        help="The routine's steps (replace them all; repeat per step; a step keeps its own retry policy "
        "while its id stays).")] = None,
    step_retry: StepRetryOption = None,
    with_: WithOption = None,
    input_: Annotated[list[str] | None, typer.Option(
        "--input", metavar="NAME[=DEFAULT]", help="The routine's inputs (replace them all).")] = None,
    description: Annotated[str | None, typer.Option(help="A new description.")] = None,
    json: JsonOption = False,
) -> None:
    """Change a routine; refused if its steps form a cycle, name an unknown job or step, or leave an input of a
    step's job without a value."""
    from oto.cli.jobs import parse_inputs

    changes: dict[str, Any] = {}
    if with_ is not None and step is None:
        raise InvalidInput("--with goes with --step: give the routine's steps again, with their values")
    if step is not None or step_retry:
        current = {s.id: s.model_dump(by_alias=True) for s in get_app().routines.get(name).steps}
        steps = [parse_step(s) for s in step] if step is not None else list(current.values())
        for new in steps:
            new.setdefault("retry", current.get(new["id"], {}).get("retry"))
        if step is not None:
            parse_with(with_ or [], steps)
        changes["steps"] = apply_step_retries(steps, step_retry or [])
    if input_ is not None:
        changes["inputs"] = parse_inputs(input_)
    if description is not None:
        changes["description"] = description
    if not changes:
        raise InvalidInput("nothing to change: give --step, --step-retry, --input or --description")
    doc = get_app().routines.update(name, changes)
    if json:
        print_json(doc)
    else:
        say(f"changed routine {doc.name!r}: {len(doc.steps)} steps")


@app.command("delete")
def delete(name: str, cascade: CascadeOption = False) -> None:
    """Delete a routine (with --cascade, its schedules too, on Temporal as well)."""
    say(f"deleted routine {name!r}{delete_item(lambda: get_app().routines.delete(name, cascade=cascade))}")
