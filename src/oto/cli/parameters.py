"""``oto parameter``: the flags of an executable, their value types and rules."""

from __future__ import annotations

import json as jsonlib
from typing import Annotated, Any

import typer

from oto.cli.common import FLAGS_CONTEXT, CascadeOption, JsonOption, WideOption, get_app
from oto.cli.common import delete as delete_item
from oto.cli.output import print_fields, print_json, print_table, say
from oto.domain.documents import parse_any_set, parse_group_label
from oto.errors import InvalidInput

app = typer.Typer(help="The flags of an executable and their rules.", no_args_is_help=True)

Flags = Annotated[list[str] | None, typer.Option(metavar="FLAG")]
RequireAny = Annotated[list[str] | None, typer.Option(
    "--require-any", metavar="B,C", help="It needs at least one of these flags (repeat for another set).")]
GroupOption = Annotated[list[str] | None, typer.Option(
    "--group", metavar="NAME[:min[:max]]",
    help="A group it is in: between min (default 0) and max (default any) of its members are used.")]
WhenOption = Annotated[list[str] | None, typer.Option(
    "--when", metavar="JSON",
    help='A value rule on its value, as in the document, e.g. \'{"equals": "EC", "forbid": ["-x"]}\'.')]


def _v2_options(require_any: list[str] | None, group: list[str] | None, when: list[str] | None) -> dict[str, Any]:
    """The v2 rule options as document keys (only those given)."""
    out: dict[str, Any] = {}
    try:
        if require_any is not None:
            out["require_any"] = [parse_any_set(text) for text in require_any]
        if group is not None:
            out["groups"] = [parse_group_label(text) for text in group]
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    if when is not None:
        rules = []
        for text in when:
            try:
                rules.append(jsonlib.loads(text))
            except ValueError:
                raise InvalidInput(f"--when takes a JSON object such as "
                                   f'{{"equals": "EC", "forbid": ["-x"]}}, not {text[:80]!r}') from None
        out["when"] = rules
    return out


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
    allow_leading_dash: Annotated[bool, typer.Option(
        "--allow-leading-dash", help='A positional whose values may start with "-".')] = False,
    confine: Annotated[bool, typer.Option(
        "--confine", help="A path that must stay inside the run folder (relative, no leaving it by '..').")] = False,
    secret: Annotated[bool, typer.Option(help="Seal its values at rest and mask them everywhere.")] = False,
    delivery: Annotated[str, typer.Option(
        help="How a secret value reaches the program: argv, env, file, stdin")] = "argv",
    template: Annotated[str, typer.Option(
        help="What its argv item becomes ({env}: the variable, {path}: the file)")] = "",
    require_any: RequireAny = None,
    group: GroupOption = None,
    required: Annotated[bool, typer.Option("--required", help="Every command of the executable uses it.")] = False,
    when: WhenOption = None,
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
        "allow_leading_dash": allow_leading_dash,
        "confine": confine,
        "delivery": delivery,
        "template": template,
        "required": required,
    } | _v2_options(require_any, group, when)
    doc = get_app().parameters.add(data)
    if json:
        print_json(doc.to_document())
    else:
        say(f"added {doc.flag} to {doc.executable_tag} ({doc.value_type})")


@app.command("list")
def list_(tag: str, json: JsonOption = False, wide: WideOption = False) -> None:
    """List the parameters of an executable with their rules."""
    docs = get_app().parameters.list_all(tag)
    if json:
        print_json([d.to_document() for d in docs])
        return
    rows = [(d.flag, d.value_type, "yes" if d.requires_root else "", "; ".join(d.rule_texts()), d.description)
            for d in docs]
    print_table(f"parameters of {tag}", ["flag", "type", "root", "rules", "description"], rows, wide=wide)


@app.command("show", context_settings=FLAGS_CONTEXT)
def show(tag: Annotated[str, typer.Argument(help='The executable, e.g. "nmap - 7.98".')], flag: str,
         json: JsonOption = False) -> None:
    """One parameter: its value type, style, rules and flags."""
    doc = get_app().parameters.get(tag, flag)
    if json:
        print_json(doc.to_document())
        return
    print_fields(f"parameter {doc.flag} of {doc.executable_tag}", [
        ("value type", doc.value_type), ("takes a value", "yes" if doc.requires_value else "no"),
        ("style", doc.style), ("choices", doc.choices), ("rules", "; ".join(doc.rule_texts())),
        ("repeatable", "yes" if doc.repeatable else ""), ("needs root", "yes" if doc.requires_root else ""),
        ("secret", "yes" if doc.secret else ""), ("description", doc.description),
    ])


@app.command("edit", context_settings=FLAGS_CONTEXT)
def edit(
    tag: Annotated[str, typer.Argument(help='The executable, e.g. "nmap - 7.98".')],
    flag: str,
    description: Annotated[str | None, typer.Option(help="A new description.")] = None,
    value_type: Annotated[str | None, typer.Option(help="A new value type.")] = None,
    requires_value: Annotated[bool | None, typer.Option("--requires-value/--no-value")] = None,
    requires_root: Annotated[bool | None, typer.Option("--requires-root/--no-root")] = None,
    require: Annotated[list[str] | None, typer.Option(
        "--require", metavar="FLAG", help="The flags this one needs (replaces them all; repeat per flag).")] = None,
    conflict: Annotated[list[str] | None, typer.Option(
        "--conflict", metavar="FLAG", help="The flags it excludes (replaces them all).")] = None,
    before: Annotated[list[str] | None, typer.Option(
        "--before", metavar="FLAG", help="The flags it must precede (replaces them all).")] = None,
    no_rules: Annotated[bool, typer.Option(
        "--no-rules", help="Drop every requires, conflicts and before rule first.")] = False,
    position: Annotated[int | None, typer.Option(help="The index it must stand at.")] = None,
    no_position: Annotated[bool, typer.Option("--no-position", help="It may stand anywhere.")] = False,
    scale: Annotated[str | None, typer.Option(help="A group of which at most one flag is used.")] = None,
    no_scale: Annotated[bool, typer.Option("--no-scale", help="It belongs to no group.")] = False,
    choice: Annotated[list[str] | None, typer.Option(
        "--choice", help="The allowed values (replaces them all).")] = None,
    style: Annotated[str | None, typer.Option(help="separate, equals, attached or positional")] = None,
    repeatable: Annotated[bool | None, typer.Option("--repeatable/--once")] = None,
    secret: Annotated[bool | None, typer.Option("--secret/--no-secret")] = None,
    delivery: Annotated[str | None, typer.Option(help="argv, env, file or stdin (a secret's)")] = None,
    template: Annotated[str | None, typer.Option(help="What its argv item becomes ({env}, {path})")] = None,
    allow_leading_dash: Annotated[bool | None, typer.Option("--allow-leading-dash/--no-leading-dash")] = None,
    confine: Annotated[bool | None, typer.Option("--confine/--no-confine")] = None,
    require_any: RequireAny = None,
    no_require_any: Annotated[bool, typer.Option("--no-require-any", help="Drop every require-any set.")] = False,
    group: GroupOption = None,
    no_groups: Annotated[bool, typer.Option("--no-groups", help="It belongs to no group.")] = False,
    required: Annotated[bool | None, typer.Option("--required/--optional")] = None,
    when: WhenOption = None,
    no_when: Annotated[bool, typer.Option("--no-when", help="Drop every value rule.")] = False,
    json: JsonOption = False,
) -> None:
    """Change a parameter; refused when the rules would be inconsistent or a saved command or job would break.

    --require-any, --group and --when replace all of their kind (repeat them for several)."""
    changes: dict[str, object] = {}
    if no_require_any:
        changes["require_any"] = []
    if no_groups:
        changes["groups"] = []
    if no_when:
        changes["when"] = []
    if required is not None:
        changes["required"] = required
    changes |= _v2_options(require_any, group, when)
    if no_rules:
        changes |= {"require_ids": [], "interfer_ids": [], "before": []}
    for key, value in (("description", description), ("value_type", value_type),
                       ("requires_value", requires_value), ("requires_root", requires_root),
                       ("require_ids", require), ("interfer_ids", conflict), ("before", before),
                       ("position", position), ("scale", scale), ("choices", choice), ("style", style),
                       ("repeatable", repeatable), ("secret", secret), ("delivery", delivery),
                       ("template", template), ("allow_leading_dash", allow_leading_dash), ("confine", confine)):
        if value is not None:
            changes[key] = value
    if no_position:
        changes["position"] = None
    if no_scale:
        changes["scale"] = None
    if not changes:
        raise InvalidInput("nothing to change: give at least one option (see `oto parameter edit --help`)")
    doc = get_app().parameters.update(tag, flag, changes)
    if json:
        print_json(doc.to_document())
    else:
        say(f"changed {doc.flag} of {doc.executable_tag}: {', '.join(sorted(changes))}")


@app.command("delete", context_settings=FLAGS_CONTEXT)
def delete(tag: str, flag: str, cascade: CascadeOption = False) -> None:
    """Delete a parameter (with --cascade, the commands using it and what uses them too)."""
    say(f"deleted {flag} from {tag}{delete_item(lambda: get_app().parameters.delete(tag, flag, cascade=cascade))}")
