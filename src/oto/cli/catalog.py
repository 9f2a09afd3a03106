"""``oto catalog``: find a real tool among the shipped specs, look at it, add it to this catalog."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from oto.cli.common import FLAGS_CONTEXT, JsonOption, WideOption, get_app, run
from oto.cli.output import print_fields, print_json, print_table, say
from oto.domain.documents import ParameterDoc
from oto.errors import NotFound

if TYPE_CHECKING:
    from oto.app.tool_catalog import Tool

app = typer.Typer(help="Specs of hundreds of real tools, shipped with OTO: search, show, add.", no_args_is_help=True)


@app.command("search")
def search(
    word: Annotated[str, typer.Argument(help="A word of the tool's name or description.")],
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many tools.")] = 50,
    json: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """Tools whose name or description holds WORD, best matches first."""
    found = get_app().tool_catalog.search(word, limit=limit)
    if json:
        print_json([_tool(t) for t in found])
        return
    print_table(f"tools matching {word!r}", ["tool", "subcommands", "flags", "description"],
                [(t.name + (" (refused)" if t.problems else ""), t.executables - 1, t.parameters, t.description)
                 for t in found], wide=wide)


@app.command("show", context_settings=FLAGS_CONTEXT)
def show(
    tool: Annotated[str, typer.Argument(help="The tool, e.g. tar or git.")],
    subcommand: Annotated[list[str] | None, typer.Argument(
        help="A subcommand's words (git remote add): show its flags.", show_default=False)] = None,
    json: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """A tool's flags and their rules, or a subcommand's, before anything is added."""
    catalog = get_app().tool_catalog
    found = catalog.get(tool)
    document = catalog.document(found.name)
    executables = document.get("executables", [])
    root = executables[0]["name"] if executables else found.name
    wanted = " ".join([root, *(subcommand or [])])
    names = [e["name"] for e in executables]
    if wanted not in names:
        raise NotFound(f"{found.name} has no subcommand {' '.join(subcommand or [])!r}; its subcommands: "
                       f"{_some(n[len(root) + 1:] for n in names[1:])}")
    executable = next(e for e in executables if e["name"] == wanted)
    tag = f"{executable['name']} - {executable['version']}"
    parameters = [ParameterDoc.model_validate(p) for p in document.get("parameters", [])
                  if p["executable_tag"] == tag]
    if json:
        print_json(_tool(found) | {"executable": executable, "parameters": [p.to_document() for p in parameters]})
        return
    subcommands = [n[len(wanted) + 1:] for n in names if n.startswith(wanted + " ")]
    print_fields(f"tool {wanted}", [
        ("description", executable.get("description") or found.description),
        ("program", found.program),
        ("found at", catalog.locate(found) or "not on PATH here (give --path when adding it)"),
        ("subcommands", _some(subcommands)),
        ("problems", "; ".join(found.problems)),
        ("add it", "" if found.problems else f"oto catalog add {found.name}"),
    ])
    print_table(f"flags of {wanted}", ["flag", "type", "rules", "description"],
                [(p.flag, p.value_type, "; ".join(p.rule_texts()), p.description) for p in parameters], wide=wide)


@app.command("add")
def add(
    tools: Annotated[list[str], typer.Argument(help="The tools to add, e.g. tar rsync.", show_default=False)],
    path: Annotated[str | None, typer.Option(help="The program (one tool only); default: found on PATH.")] = None,
    version: Annotated[str | None, typer.Option(
        help='The version in its tag; default: what "PROGRAM --version" prints when found on PATH, '
             'else "fig".')] = None,
    task_queue: Annotated[str, typer.Option(help="Workers of this queue run its jobs (default OTO_TASK_QUEUE).")] = "",
    json: JsonOption = False,
) -> None:
    """Add tools to this catalog as executables (one per subcommand) with their flags and rules, all or
    nothing."""
    added = run(get_app().tool_catalog.add(tools, path=path, version=version, task_queue=task_queue))
    if json:
        print_json([{"tool": a.tool.name, "path": a.path, "version": a.version, "created": a.report.counts}
                    for a in added])
        return
    for a in added:
        executables = a.report.counts.get("executables", {})
        parameters = a.report.counts.get("parameters", {})
        say(f"added {a.tool.name} {a.version} ({a.path}): {_counted(executables, 'executable')}, "
            f"{_counted(parameters, 'parameter')}")


def _tool(tool: Tool) -> dict[str, Any]:
    return {"name": tool.name, "description": tool.description, "program": tool.program,
            "subcommands": tool.executables - 1, "parameters": tool.parameters, "problems": list(tool.problems)}


def _counted(counts: dict[str, int], noun: str) -> str:
    created, updated = counts.get("created", 0), counts.get("updated", 0)
    text = f"{created} {noun}{'' if created == 1 else 's'} created"
    return text + (f", {updated} updated" if updated else "")


def _some(names: Any, at_most: int = 30) -> str:
    names = list(names)
    shown = ", ".join(names[:at_most])
    return shown + (f" and {len(names) - at_most} more" if len(names) > at_most else "")
