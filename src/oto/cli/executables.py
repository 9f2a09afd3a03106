"""``oto executable``: register the programs OTO may run."""

from __future__ import annotations

from typing import Annotated

import typer

from oto.cli.common import CascadeOption, JsonOption, get_app
from oto.cli.common import delete as delete_item
from oto.cli.output import print_json, print_table, say

app = typer.Typer(help="Register the programs OTO may run.", no_args_is_help=True)


@app.command("add")
def add(
    name: str,
    version: str,
    path: Annotated[str, typer.Argument(help="Absolute path of the program.")],
    description: Annotated[str, typer.Option(help="What the program is for.")] = "",
    task_queue: Annotated[str, typer.Option(help="Workers of this queue run its jobs (default OTO_TASK_QUEUE).")] = "",
    end_of_options: Annotated[bool, typer.Option(
        "--end-of-options", help='The program reads "--" as the end of its options: put it before positionals.',
    )] = False,
    json: JsonOption = False,
) -> None:
    """Register an executable; its tag is "NAME - VERSION"."""
    doc = get_app().executables.add(
        {"name": name, "version": version, "path": path, "description": description, "task_queue": task_queue,
         "end_of_options": end_of_options})
    if json:
        print_json(doc.model_dump() | {"tag": doc.tag})
    else:
        say(f"added executable {doc.tag!r} ({doc.path}, task queue {doc.task_queue})")


@app.command("list")
def list_(json: JsonOption = False) -> None:
    """List registered executables."""
    docs = get_app().executables.list_all()
    if json:
        print_json([d.model_dump() | {"tag": d.tag} for d in docs])
    else:
        print_table(
            "executables",
            ["tag", "path", "task queue", "description"],
            [(d.tag, d.path, d.task_queue, d.description) for d in docs],
        )


@app.command("delete")
def delete(tag: str, cascade: CascadeOption = False) -> None:
    """Delete an executable and its parameters (with --cascade, its commands and what uses them too)."""
    say(f"deleted executable {tag!r}{delete_item(lambda: get_app().executables.delete(tag, cascade=cascade))}")
