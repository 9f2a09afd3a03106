"""``oto schema``: the flag matching engine's view of one executable's rules."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from oto.cli.common import JsonOption, get_app
from oto.cli.output import print_json, say

app = typer.Typer(help="Check and draw the rules of an executable.", no_args_is_help=True)


class GraphFormat(StrEnum):
    dot = "dot"
    mermaid = "mermaid"


@app.command("check")
def check(tag: str, json: JsonOption = False) -> None:
    """List the schema's problems (cycles, self references, unsatisfiable flags); exit 1 if any."""
    problems = get_app().schemas.problems(tag)
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
    text = get_app().schemas.graph(tag, format.value)
    typer.echo(text.rstrip("\n"))
