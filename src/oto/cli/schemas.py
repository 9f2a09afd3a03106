"""``oto schema``: the flag matching engine's view of one executable's rules."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from oto.cli.common import JsonOption
from oto.cli.output import print_json, say
from oto.services import schemas
from oto.services.database import get_database

app = typer.Typer(help="Check and draw the rules of an executable.", no_args_is_help=True)


class GraphFormat(StrEnum):
    dot = "dot"
    mermaid = "mermaid"


@app.command("check")
def check(tag: str, json: JsonOption = False) -> None:
    """List the schema's problems (cycles, self references, unsatisfiable flags); exit 1 if any."""
    with get_database().session() as db:
        problems = schemas.problems(db, tag)
    if json:
        print_json({"ok": not problems, "problems": problems})
    elif problems:
        for p in problems:
            say(f"{p['kind']}: {p['message']}")
    else:
        say(f"the rules of {tag} are consistent")
    if problems:
        raise typer.Exit(1)


@app.command("graph")
def graph(
    tag: str,
    format: Annotated[GraphFormat, typer.Option("--format", help="dot (Graphviz) or mermaid")] = GraphFormat.dot,
) -> None:
    """Print the rules as a graph: requires as arrows, conflicts dashed, scale groups as clusters."""
    with get_database().session() as db:
        text = schemas.graph(db, tag, format.value)
    typer.echo(text.rstrip("\n"))
