"""``oto command``: sets of an executable's flags that the flag matching engine accepts."""

from __future__ import annotations

from typing import Annotated

import typer

from oto.cli.common import FLAGS_CONTEXT, CascadeOption, JsonOption, WideOption, get_app
from oto.cli.common import delete as delete_item
from oto.cli.output import print_fields, print_json, print_table, say
from oto.errors import InvalidInput, Refused

app = typer.Typer(help="Sets of an executable's flags the flag matching engine accepts.", no_args_is_help=True)

Executable = Annotated[str, typer.Option("--executable", help='The executable tag, e.g. "nmap - 7.98".')]
Flags = Annotated[list[str] | None, typer.Argument(help="The flags, in order (use -- before them if one clashes).")]


def _show_refusal(messages: list[str], completion: list[str] | None) -> None:
    for message in messages:
        say(message)
    if completion:
        say("with what is missing added: " + " ".join(completion))


@app.command("add", context_settings=FLAGS_CONTEXT)
def add(
    name: str,
    executable: Executable,
    flags: Flags = None,
    description: str = "",
    root: Annotated[bool, typer.Option("--root", help="The command must run as root.")] = False,
    json: JsonOption = False,
) -> None:
    """Save a command; refused (exit 1) with the engine's violations when the flags don't match."""
    data = {
        "name": name,
        "executable_tag": executable,
        "parameters": flags or [],
        "description": description,
        "requires_root": root,
    }
    try:
        doc = get_app().commands.add(data)
    except Refused as refusal:
        if json:
            print_json({"ok": False, "error": refusal.message, "violations": refusal.details})
            raise typer.Exit(1) from None
        raise
    if json:
        print_json(doc)
    else:
        say(f"added command {doc.name!r}: {' '.join(doc.parameters)}")


@app.command("check", context_settings=FLAGS_CONTEXT)
def check(executable: Executable, flags: Flags = None, json: JsonOption = False) -> None:
    """Check flags against the engine: exit 0 valid, 1 invalid, each violation on a line."""
    verdict = get_app().commands.check(executable, flags or [])
    if json:
        print_json(verdict.to_dict())
    elif verdict.ok:
        say("valid")
    else:
        _show_refusal(verdict.messages, verdict.completion)
    if not verdict.ok:
        raise typer.Exit(1)


@app.command("list")
def list_(
    executable: Annotated[str | None, typer.Option("--executable", help="Only this executable's.")] = None,
    json: JsonOption = False, wide: WideOption = False,
) -> None:
    """List commands."""
    docs = get_app().commands.list_all(executable)
    if json:
        print_json(docs)
    else:
        print_table(
            "commands",
            ["name", "executable", "flags", "root", "description"],
            [
                (d.name, d.executable_tag, " ".join(d.parameters), "yes" if d.requires_root else "", d.description)
                for d in docs
            ],
            wide=wide,
        )


@app.command("show")
def show(name: str, json: JsonOption = False) -> None:
    """A command: its executable, its flags in order, and the jobs that use it."""
    app_ = get_app()
    doc = app_.commands.get(name)
    jobs = [j.name for j in app_.jobs.list_all(name)]
    if json:
        print_json(doc.model_dump() | {"jobs": jobs})
        return
    print_fields(f"command {doc.name}", [
        ("executable", doc.executable_tag), ("flags", " ".join(doc.parameters)),
        ("needs root", "yes" if doc.requires_root else ""), ("description", doc.description), ("jobs", jobs),
    ])


@app.command("edit", context_settings=FLAGS_CONTEXT)
def edit(
    name: str,
    flags: Annotated[list[str] | None, typer.Argument(
        help="The new flags, in order (replace them all; use -- before them if one clashes).")] = None,
    executable: Annotated[str | None, typer.Option("--executable", help="Move it to another executable.")] = None,
    description: Annotated[str | None, typer.Option(help="A new description.")] = None,
    root: Annotated[bool | None, typer.Option("--root/--no-root", help="Whether it must run as root.")] = None,
    json: JsonOption = False,
) -> None:
    """Change a command; refused (exit 1) with the engine's violations when the flags don't match."""
    changes: dict[str, object] = {k: v for k, v in (
        ("executable_tag", executable), ("description", description), ("requires_root", root)) if v is not None}
    if flags:
        changes["parameters"] = flags
    if not changes:
        raise InvalidInput("nothing to change: give new flags, --executable, --description or --root/--no-root")
    doc = get_app().commands.update(name, changes)
    if json:
        print_json(doc)
    else:
        say(f"changed command {doc.name!r}: {' '.join(doc.parameters)}")


@app.command("delete")
def delete(name: str, cascade: CascadeOption = False) -> None:
    """Delete a command (with --cascade, its jobs and what uses them too)."""
    say(f"deleted command {name!r}{delete_item(lambda: get_app().commands.delete(name, cascade=cascade))}")
