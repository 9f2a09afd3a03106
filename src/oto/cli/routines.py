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


@app.command("add")
def add(
    name: str,
    step: Annotated[list[str], typer.Option("--step", metavar="ID=JOB[@DEP,DEP...]",
                                            help="A step running JOB after the steps DEP (repeat per step).")],
    description: str = "",
    json: JsonOption = False,
) -> None:
    """Add a routine; refused if its steps form a cycle or name an unknown job or step."""
    doc = get_app().routines.add({"name": name, "description": description, "steps": [parse_step(s) for s in step]})
    if json:
        print_json(doc)
    else:
        say(f"added routine {doc.name!r} with {len(doc.steps)} steps")


@app.command("run")
def run(
    name: str,
    wait: WaitOption = False,
    timeout: Annotated[
        float | None, typer.Option(help="Stop the whole run after SECONDS: its running steps are cancelled, "
                                   "the rest never start, and it ends timed_out.", metavar="SECONDS")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Start the routine on Temporal and print its run id."""
    from oto.cli import runs as run_views
    run_views.start(lambda app: app.runs.submit_routine(name, timeout=timeout), wait=wait, json=json)


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
    print_fields(f"routine {doc.name}", [("description", doc.description), ("steps", len(doc.steps))])
    print_table(None, ["step", "job", "after"], [(s.id, s.job, ", ".join(s.after)) for s in doc.steps])


@app.command("edit")
def edit(
    name: str,
    step: Annotated[list[str] | None, typer.Option(
        "--step", metavar="ID=JOB[@DEP,DEP...]",
        help="The routine's steps (replace them all; repeat per step).")] = None,
    description: Annotated[str | None, typer.Option(help="A new description.")] = None,
    json: JsonOption = False,
) -> None:
    """Change a routine; refused if its steps form a cycle or name an unknown job or step."""
    changes: dict[str, Any] = {}
    if step is not None:
        changes["steps"] = [parse_step(s) for s in step]
    if description is not None:
        changes["description"] = description
    if not changes:
        raise InvalidInput("nothing to change: give --step or --description")
    doc = get_app().routines.update(name, changes)
    if json:
        print_json(doc)
    else:
        say(f"changed routine {doc.name!r}: {len(doc.steps)} steps")


@app.command("delete")
def delete(name: str, cascade: CascadeOption = False) -> None:
    """Delete a routine (with --cascade, its schedules too, on Temporal as well)."""
    say(f"deleted routine {name!r}{delete_item(lambda: get_app().routines.delete(name, cascade=cascade))}")
