"""Rendering a schema as Graphviz DOT or Mermaid text.

Nodes get synthetic ids (``n0``, ``n1``...) and the flag goes only into an
escaped label, so no flag (spaces, quotes, unicode, empty) can break the
syntax.  A flag in several scale groups is drawn inside the first one only
(both formats refuse a node in two clusters); the later groups name it in
their title instead.
"""

from __future__ import annotations

from .rules import Rules


def _dot_text(text: str) -> str:
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


_MERMAID_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    "%": "#37;",
    "\n": "#10;",
    "\r": "#13;",
}


def _mermaid_text(text: str) -> str:
    escaped = "".join(_MERMAID_ENTITIES.get(ch, ch) for ch in text)
    return escaped or " "


def _layout(rules: Rules) -> tuple[dict[str, str], list[tuple[str, list[str], list[str]]]]:
    """Node ids, and per scale group: title, members drawn inside, members drawn elsewhere."""
    ids = {f: f"n{i}" for i, f in enumerate(rules.flags)}
    placed: set[str] = set()
    groups: list[tuple[str, list[str], list[str]]] = []
    for name, members in rules.scales.items():
        inside = [f for f in members if f not in placed]
        elsewhere = [f for f in members if f in placed]
        placed.update(inside)
        groups.append((name, inside, elsewhere))
    return ids, groups


def _edges(rules: Rules) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    order = {f: i for i, f in enumerate(rules.flags)}
    requires = [(a, b) for a, bs in rules.requires.items() for b in bs]
    requires += [(a, a) for a in rules.self_requires]
    conflicts = [(a, b) for a, bs in rules.conflicts.items() for b in bs if order[a] < order[b]]
    conflicts += [(a, a) for a in rules.self_conflicts]
    before = [(a, b) for a, bs in rules.before.items() for b in bs]
    return requires, conflicts, before


def _title(name: str, elsewhere: list[str]) -> str:
    title = f"scale {name}"
    if elsewhere:
        title += f" (also {', '.join(elsewhere)})"
    return title


def to_dot(rules: Rules, name: str | None) -> str:
    ids, groups = _layout(rules)
    grouped = {f for _, inside, _ in groups for f in inside}
    lines = [f'digraph "{_dot_text(name or "fme")}" {{', "  rankdir=LR;", "  node [shape=box];"]
    lines += [f'  {ids[f]} [label="{_dot_text(f)}"];' for f in rules.flags if f not in grouped]
    for gid, (gname, inside, elsewhere) in enumerate(groups):
        lines.append(f"  subgraph cluster_{gid} {{")
        lines.append(f'    label="{_dot_text(_title(gname, elsewhere))}";')
        lines.append("    style=rounded;")
        lines += [f'    {ids[f]} [label="{_dot_text(f)}"];' for f in inside]
        lines.append("  }")
    requires, conflicts, before = _edges(rules)
    lines += [f"  {ids[a]} -> {ids[b]};" for a, b in requires]
    lines += [f"  {ids[a]} -> {ids[b]} [style=dashed, dir=none, color=red, constraint=false];" for a, b in conflicts]
    lines += [f'  {ids[a]} -> {ids[b]} [style=dotted, label="before", constraint=false];' for a, b in before]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(rules: Rules) -> str:
    ids, groups = _layout(rules)
    grouped = {f for _, inside, _ in groups for f in inside}
    lines = ["flowchart LR"]
    lines += [f'  {ids[f]}["{_mermaid_text(f)}"]' for f in rules.flags if f not in grouped]
    for gid, (gname, inside, elsewhere) in enumerate(groups):
        lines.append(f'  subgraph s{gid} ["{_mermaid_text(_title(gname, elsewhere))}"]')
        lines += [f'    {ids[f]}["{_mermaid_text(f)}"]' for f in inside]
        lines.append("  end")
    requires, conflicts, before = _edges(rules)
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in requires]
    lines += [f"  {ids[a]} -.- {ids[b]}" for a, b in conflicts]
    lines += [f"  {ids[a]} -. before .-> {ids[b]}" for a, b in before]
    return "\n".join(lines) + "\n"
