"""``oto executable``: register the programs OTO may run."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from oto.cli.common import (
    CascadeOption,
    JsonOption,
    MaxConcurrentOption,
    NoMaxConcurrentOption,
    WideOption,
    get_app,
    limit_changes,
    limit_text,
)
from oto.cli.common import delete as delete_item
from oto.cli.output import print_fields, print_json, print_table, say, warn
from oto.errors import InvalidInput

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
    max_concurrent: MaxConcurrentOption = None,
    json: JsonOption = False,
) -> None:
    """Register an executable; its tag is "NAME - VERSION"."""
    doc = get_app().executables.add(
        {"name": name, "version": version, "path": path, "description": description, "task_queue": task_queue,
         "end_of_options": end_of_options, "max_concurrent": max_concurrent})
    if json:
        print_json(doc.model_dump() | {"tag": doc.tag})
    else:
        say(f"added executable {doc.tag!r} ({doc.path}, task queue {doc.task_queue})")
    _warn_if_missing(doc.path)


@app.command("list")
def list_(json: JsonOption = False, wide: WideOption = False) -> None:
    """List registered executables."""
    docs = get_app().executables.list_all()
    if json:
        print_json([d.model_dump() | {"tag": d.tag} for d in docs])
    else:
        print_table(
            "executables",
            ["tag", "path", "task queue", "description"],
            [(d.tag, d.path, d.task_queue, d.description) for d in docs],
            wide=wide,
        )


@app.command("show")
def show(tag: Annotated[str, typer.Argument(help='The executable, e.g. "openssl - 3.5.3".')],
         json: JsonOption = False) -> None:
    """An executable: its path, task queue and description, and how many parameters and commands it has."""
    app_ = get_app()
    doc = app_.executables.get(tag)
    parameters = app_.parameters.list_all(tag)
    commands = app_.commands.list_all(tag)
    if json:
        print_json(doc.model_dump() | {"tag": doc.tag, "parameters": len(parameters),
                                       "commands": [c.name for c in commands]})
        return
    print_fields(f"executable {doc.tag}", [
        ("path", doc.path), ("task queue", doc.task_queue), ("description", doc.description),
        ("max concurrent", limit_text(doc.max_concurrent)),
        ("parameters", f"{len(parameters)} (`oto parameter list {tag!r}`)"),
        ("commands", [c.name for c in commands]),
    ])


@app.command("edit")
def edit(
    tag: Annotated[str, typer.Argument(help='The executable, e.g. "openssl - 3.5.3".')],
    path: Annotated[str | None, typer.Option(help="A new absolute path of the program.")] = None,
    description: Annotated[str | None, typer.Option(help="A new description.")] = None,
    task_queue: Annotated[str | None, typer.Option(help="A new task queue for its jobs.")] = None,
    max_concurrent: MaxConcurrentOption = None,
    no_max_concurrent: NoMaxConcurrentOption = False,
    json: JsonOption = False,
) -> None:
    """Change an executable's path, description, task queue or concurrency limit (its name and version make
    its tag and stay)."""
    changes: dict[str, object] = {k: v for k, v in (("path", path), ("description", description),
                                                    ("task_queue", task_queue)) if v is not None}
    changes |= limit_changes(max_concurrent, no_max_concurrent)
    if not changes:
        raise InvalidInput("nothing to change: give --path, --description, --task-queue, --max-concurrent "
                           "or --no-max-concurrent")
    doc = get_app().executables.update(tag, changes)
    if json:
        print_json(doc.model_dump() | {"tag": doc.tag})
    else:
        say(f"changed executable {doc.tag!r}: {', '.join(k.replace('_', ' ') for k in changes)}")
    if path is not None:
        _warn_if_missing(doc.path)


def _warn_if_missing(path: str) -> None:
    """Say so when the program is not on this machine: its jobs would fail on a worker here (a worker
    on another host may have it, so this is a warning, not a refusal)."""
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        warn(f"Warning: {path} is not an executable file on this machine; its jobs will fail on a worker here")


@app.command("delete")
def delete(tag: str, cascade: CascadeOption = False) -> None:
    """Delete an executable and its parameters (with --cascade, its commands and what uses them too)."""
    say(f"deleted executable {tag!r}{delete_item(lambda: get_app().executables.delete(tag, cascade=cascade))}")
