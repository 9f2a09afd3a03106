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


def _bounds(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low}"
    return f"exactly {low}" if low == high else f"{low} to {high}"


def _layout(rules: Rules) -> tuple[dict[str, str], list[tuple[str, list[str], list[str]]]]:
    """Node ids, and per scale group then per group: title, members drawn inside, members drawn elsewhere."""
    ids = {f: f"n{i}" for i, f in enumerate(rules.flags)}
    placed: set[str] = set()
    groups: list[tuple[str, list[str], list[str]]] = []
    titled = [(f"scale {name}", members) for name, members in rules.scales.items()]
    titled += [(f"group {name} ({_bounds(*rules.bounds[name])})", members) for name, members in rules.groups.items()]
    for title, members in titled:
        inside = [f for f in members if f not in placed]
        elsewhere = [f for f in members if f in placed]
        placed.update(inside)
        groups.append((title, inside, elsewhere))
    return ids, groups


def _v2_edges(rules: Rules) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """require_any arrows (a -> each alternative) and value-rule arrows (flag -> target, with a label)."""
    any_edges = [(a, b) for a, alternatives in rules.require_any for b in alternatives]
    when_edges = []
    for rule in rules.value_rules:
        condition = f"= {rule.values[0]}" if rule.equals else f"in {', '.join(rule.values)}"
        when_edges.append((rule.flag, rule.target, f"when {condition}: {rule.action}"))
    return any_edges, when_edges


def _edges(rules: Rules) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    order = {f: i for i, f in enumerate(rules.flags)}
    requires = [(a, b) for a, bs in rules.requires.items() for b in bs]
    requires += [(a, a) for a in rules.self_requires]
    conflicts = [(a, b) for a, bs in rules.conflicts.items() for b in bs if order[a] < order[b]]
    conflicts += [(a, a) for a in rules.self_conflicts]
    before = [(a, b) for a, bs in rules.before.items() for b in bs]
    return requires, conflicts, before


def _title(name: str, elsewhere: list[str]) -> str:
    title = name
    if elsewhere:
        title += f" (also {', '.join(elsewhere)})"
    return title


def to_dot(rules: Rules, name: str | None) -> str:
    ids, groups = _layout(rules)
    grouped = {f for _, inside, _ in groups for f in inside}
    lines = [f'digraph "{_dot_text(name or "fme")}" {{', "  rankdir=LR;", "  node [shape=box];"]
    lines += [f'  {ids[f]} [label="{_dot_label(f, rules)}"];' for f in rules.flags if f not in grouped]
    for gid, (gname, inside, elsewhere) in enumerate(groups):
        lines.append(f"  subgraph cluster_{gid} {{")
        lines.append(f'    label="{_dot_text(_title(gname, elsewhere))}";')
        lines.append("    style=rounded;")
        lines += [f'    {ids[f]} [label="{_dot_label(f, rules)}"];' for f in inside]
        lines.append("  }")
    requires, conflicts, before = _edges(rules)
    lines += [f"  {ids[a]} -> {ids[b]};" for a, b in requires]
    lines += [f"  {ids[a]} -> {ids[b]} [style=dashed, dir=none, color=red, constraint=false];" for a, b in conflicts]
    lines += [f'  {ids[a]} -> {ids[b]} [style=dotted, label="before", constraint=false];' for a, b in before]
    any_edges, when_edges = _v2_edges(rules)
    lines += [f'  {ids[a]} -> {ids[b]} [style=dashed, color=blue, label="one of"];' for a, b in any_edges]
    lines += [f'  {ids[a]} -> {ids[b]} [style=dotted, color=purple, label="{_dot_text(text)}", constraint=false];'
              for a, b, text in when_edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(rules: Rules) -> str:
    ids, groups = _layout(rules)
    grouped = {f for _, inside, _ in groups for f in inside}
    lines = ["flowchart LR"]
    lines += [f'  {ids[f]}["{_mermaid_label(f, rules)}"]' for f in rules.flags if f not in grouped]
    for gid, (gname, inside, elsewhere) in enumerate(groups):
        lines.append(f'  subgraph s{gid} ["{_mermaid_text(_title(gname, elsewhere))}"]')
        lines += [f'    {ids[f]}["{_mermaid_label(f, rules)}"]' for f in inside]
        lines.append("  end")
    requires, conflicts, before = _edges(rules)
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in requires]
    lines += [f"  {ids[a]} -.- {ids[b]}" for a, b in conflicts]
    lines += [f"  {ids[a]} -. before .-> {ids[b]}" for a, b in before]
    any_edges, when_edges = _v2_edges(rules)
    lines += [f'  {ids[a]} -- "one of" --> {ids[b]}' for a, b in any_edges]
    lines += [f'  {ids[a]} -. "{_mermaid_text(text)}" .-> {ids[b]}' for a, b, text in when_edges]
    return "\n".join(lines) + "\n"


def _dot_label(flag: str, rules: Rules) -> str:
    text = _dot_text(flag)
    return f"{text}\\n(required)" if flag in rules.required else text


def _mermaid_label(flag: str, rules: Rules) -> str:
    text = _mermaid_text(flag)
    return f"{text}<br>(required)" if flag in rules.required else text
