"""``oto parameter``: the flags of an executable, their value types and rules."""

from __future__ import annotations

from typing import Annotated

import typer

from oto.cli.common import FLAGS_CONTEXT, CascadeOption, JsonOption, get_app
from oto.cli.common import delete as delete_item
from oto.cli.output import print_json, print_table, say

app = typer.Typer(help="The flags of an executable and their rules.", no_args_is_help=True)

Flags = Annotated[list[str] | None, typer.Option(metavar="FLAG")]


@app.command("add", context_settings=FLAGS_CONTEXT)
def add(
    tag: Annotated[str, typer.Argument(help='The executable, e.g. "nmap - 7.98".')],
    flag: str,
    description: str = "",
    value_type: Annotated[
        str, typer.Option(help="string, int, float, path, ip, port, tuple, bool, duration, enum")
    ] = "",
    requires_value: bool = False,
    requires_root: bool = False,
    require: Annotated[
        list[str] | None, typer.Option("--require", metavar="FLAG", help="A flag this one needs.")
    ] = None,
    conflict: Annotated[
        list[str] | None, typer.Option("--conflict", metavar="FLAG", help="A flag it excludes.")
    ] = None,
    before: Annotated[
        list[str] | None, typer.Option("--before", metavar="FLAG", help="A flag it must precede.")
    ] = None,
    position: Annotated[int | None, typer.Option(help="The index it must stand at.")] = None,
    scale: Annotated[str | None, typer.Option(help="A group of which at most one flag is used.")] = None,
    choice: Annotated[list[str] | None, typer.Option("--choice", help="An allowed value (enum).")] = None,
    style: Annotated[
        str, typer.Option(help="separate (-o v), equals (--o=v), attached (-ov), positional")
    ] = "separate",
    repeatable: bool = False,
    secret: Annotated[bool, typer.Option(help="Seal its values at rest and mask them everywhere.")] = False,
    delivery: Annotated[str, typer.Option(help="How a secret value reaches the program: argv, env, file, stdin")
                        ] = "argv",
    template: Annotated[str, typer.Option(help="What its argv item becomes ({env}: the variable, {path}: the file)")
                        ] = "",
    json: JsonOption = False,
) -> None:
    """Add a parameter; refused when its rules would make the executable's schema inconsistent."""
    vt = value_type or ("string" if requires_value else "bool")
    data = {
        "flag": flag,
        "executable_tag": tag,
        "description": description,
        "value_type": vt,
        "requires_value": requires_value or vt != "bool",
        "requires_root": requires_root,
        "require_ids": require or [],
        "interfer_ids": conflict or [],
        "before": before or [],
        "position": position,
        "scale": scale,
        "choices": choice or [],
        "style": style,
        "repeatable": repeatable,
        "secret": secret,
        "delivery": delivery,
        "template": template,
    }
    doc = get_app().parameters.add(data)
    if json:
        print_json(doc.to_document())
    else:
        say(f"added {doc.flag} to {doc.executable_tag} ({doc.value_type})")


@app.command("list")
def list_(tag: str, json: JsonOption = False) -> None:
    """List the parameters of an executable with their rules."""
    docs = get_app().parameters.list_all(tag)
    if json:
        print_json([d.to_document() for d in docs])
        return
    rows = []
    for d in docs:
        rules = [f"requires {' '.join(d.require_ids)}"] if d.require_ids else []
        rules += [f"conflicts {' '.join(d.interfer_ids)}"] if d.interfer_ids else []
        rules += [f"before {' '.join(d.before)}"] if d.before else []
        rules += [f"position {d.position}"] if d.position is not None else []
        rules += [f"scale {d.scale}"] if d.scale else []
        rows.append((d.flag, d.value_type, "yes" if d.requires_root else "", "; ".join(rules), d.description))
    print_table(f"parameters of {tag}", ["flag", "type", "root", "rules", "description"], rows)


@app.command("delete", context_settings=FLAGS_CONTEXT)
def delete(tag: str, flag: str, cascade: CascadeOption = False) -> None:
    """Delete a parameter (with --cascade, the commands using it and what uses them too)."""
    say(f"deleted {flag} from {tag}{delete_item(lambda: get_app().parameters.delete(tag, flag, cascade=cascade))}")
