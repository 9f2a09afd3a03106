"""Pictures as inline SVG, laid out here in Python: no script and nothing fetched to draw them.

A simple layered layout: each node stands in the column after everything that points at it
(requires arrows, or the steps a step runs after), a scale group is a box of its members in one
column, and columns are stacked top to bottom in declaration order. Good enough for the dozens of
flags of a real catalog and the handful of steps of a routine; the work grows linearly with nodes
and edges, and a picture past ``MAX_NODES`` or ``MAX_EDGES`` is not drawn at all (``too_large``):
nobody reads it, and the page would weigh megabytes.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from html import escape

from oto.domain.documents import ParameterDoc, StepDoc

CHAR_W = 7.8
LINE_H = 16.0
PAD_X = 10.0
PAD_Y = 6.0
COL_GAP = 64.0
ROW_GAP = 14.0
GROUP_PAD = 10.0
GROUP_LABEL = 18.0
LABEL_CHAR_W = 6.6  # a group label's character, at its 11 px
GROUP_ROWS = 8
MARGIN = 12.0
MAX_NODES = 400
MAX_EDGES = 2000

# kind -> (stroke, dash, arrow marker or "")
EDGE_STYLES: dict[str, tuple[str, str, str]] = {
    "requires": ("#1f2937", "", "arrow"),
    "after": ("#1f2937", "", "arrow"),
    "conflict": ("#dc2626", "6 4", ""),
    "before": ("#6b7280", "2 4", "arrow-muted"),
    "any": ("#2563eb", "3 3", "arrow"),
    "when": ("#7c3aed", "1 3", "arrow-muted"),
}


@dataclass
class Node:
    id: str
    lines: list[str]
    css: str = ""
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0

    def size(self) -> None:
        self.w = max(60.0, max(len(line) for line in self.lines) * CHAR_W + 2 * PAD_X)
        self.h = len(self.lines) * LINE_H + 2 * PAD_Y

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    kind: str


@dataclass
class Group:
    name: str
    members: list[str]
    label: str = ""  # what the box says; "at most one of NAME" (a scale) when empty
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0


@dataclass
class Diagram:
    title: str
    nodes: list[Node]
    edges: list[Edge]
    groups: list[Group] = field(default_factory=list)
    ranked: list[tuple[str, str]] = field(default_factory=list)  # (a, b): b stands right of a


def _ranks(diagram: Diagram) -> dict[str, int]:
    """Each node's column: one past the furthest node pointing at it (the longest path), in one pass.

    Nodes are taken in topological order (Kahn's algorithm), so the work grows with nodes plus
    edges. A node on a cycle never becomes free: those are then placed in declaration order, one
    past what points at them so far, which keeps the cycle visible and the cost linear.
    """
    rank = {n.id: 0 for n in diagram.nodes}
    incoming = dict.fromkeys(rank, 0)
    successors: dict[str, list[str]] = {node: [] for node in rank}
    for a, b in diagram.ranked:
        if a in rank and b in rank:
            successors[a].append(b)
            incoming[b] += 1
    free = deque(node for node in rank if incoming[node] == 0)
    done: set[str] = set()

    def settle(node: str) -> None:
        done.add(node)
        for after in successors[node]:
            if after in done:  # the edge that closes a cycle: its target keeps its column
                continue
            rank[after] = max(rank[after], rank[node] + 1)
            incoming[after] -= 1
            if incoming[after] == 0:
                free.append(after)

    def drain() -> None:
        while free:
            node = free.popleft()
            if node not in done:
                settle(node)

    drain()
    for node in rank:  # what is left stands on a cycle
        if node not in done:
            settle(node)
            drain()
    for group in diagram.groups:
        level = min(rank[m] for m in group.members)
        for m in group.members:
            rank[m] = level
    return rank


def group_label(group: Group) -> str:
    return group.label or f"at most one of {group.name}"


def bounds_label(name: str, low: int, high: int | None) -> str:
    """A v2 group's box title: how many of its members a command uses."""
    if high is None:
        return f"at least {low} of {name}" if low else f"any of {name}"
    if low == high:
        return f"exactly {'one' if low == 1 else low} of {name}"
    if low == 0:
        return f"at most {'one' if high == 1 else high} of {name}"
    return f"{low} to {high} of {name}"


def too_large(diagram: Diagram) -> bool:
    """Whether the picture would be too big to read (and to send): the page says so instead."""
    return len(diagram.nodes) > MAX_NODES or len(diagram.edges) > MAX_EDGES


def layout(diagram: Diagram) -> tuple[float, float]:
    """Place every node and group; returns the picture's width and height."""
    for node in diagram.nodes:
        node.size()
    by_id = {n.id: n for n in diagram.nodes}
    group_of: dict[str, Group] = {}
    for group in diagram.groups:
        for m in group.members:
            group_of.setdefault(m, group)
    diagram.groups = [g for g in diagram.groups if any(group_of.get(m) is g for m in g.members)]
    for group in diagram.groups:
        group.members = [m for m in group.members if group_of.get(m) is group]
    rank = _ranks(diagram)
    columns: dict[int, list[Node | Group]] = {}
    placed: set[int] = set()
    for node in diagram.nodes:
        owner = group_of.get(node.id)
        if owner is None:
            columns.setdefault(rank[node.id], []).append(node)
        elif id(owner) not in placed:
            placed.add(id(owner))
            columns.setdefault(rank[node.id], []).append(owner)
    x = MARGIN
    height = 0.0
    for level in sorted(columns):
        y = MARGIN
        width = 0.0
        for block in columns[level]:
            if isinstance(block, Node):
                block.x, block.y = x, y
                y += block.h + ROW_GAP
                width = max(width, block.w)
                continue
            members = [by_id[m] for m in block.members]
            cols = math.ceil(len(members) / GROUP_ROWS)
            rows = math.ceil(len(members) / cols)
            cell_w = max(m.w for m in members)
            cell_h = max(m.h for m in members)
            for i, member in enumerate(members):
                member.w = cell_w
                member.x = x + GROUP_PAD + (i // rows) * (cell_w + ROW_GAP)
                member.y = y + GROUP_LABEL + GROUP_PAD + (i % rows) * (cell_h + ROW_GAP)
            block.x, block.y = x, y
            # as wide as its label too ("at most one of NAME", in the label's smaller type)
            label_w = len(group_label(block)) * LABEL_CHAR_W
            block.w = max(cols * cell_w + (cols - 1) * ROW_GAP, label_w) + 2 * GROUP_PAD
            block.h = GROUP_LABEL + rows * cell_h + (rows - 1) * ROW_GAP + 2 * GROUP_PAD
            y += block.h + ROW_GAP
            width = max(width, block.w)
        x += width + COL_GAP
        height = max(height, y)
    return max(x - COL_GAP + MARGIN, 2 * MARGIN), max(height - ROW_GAP + MARGIN, 2 * MARGIN)


def _clip(node: Node, tx: float, ty: float) -> tuple[float, float]:
    """Where the line from the node's centre towards (tx, ty) leaves its box."""
    dx, dy = tx - node.cx, ty - node.cy
    if dx == 0 and dy == 0:
        return node.cx, node.cy
    scale = min(
        (node.w / 2) / abs(dx) if dx else math.inf,
        (node.h / 2) / abs(dy) if dy else math.inf,
    )
    return node.cx + dx * scale, node.cy + dy * scale


def _arc(a: Node, b: Node, bend: float = 26.0) -> str:
    """A gentle arc between two boxes, so a before rule never hides under a requires arrow."""
    x1, y1 = _clip(a, b.cx, b.cy)
    x2, y2 = _clip(b, a.cx, a.cy)
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    mx, my = (x1 + x2) / 2 - (y2 - y1) / length * bend, (y1 + y2) / 2 + (x2 - x1) / length * bend
    return f"M{x1:.1f},{y1:.1f} Q{mx:.1f},{my:.1f} {x2:.1f},{y2:.1f}"


def _path(a: Node, b: Node, kind: str) -> str:
    if kind == "before":
        return _arc(a, b)
    if b.x > a.x + a.w:  # a later column: out of a's right side, into b's left side
        x1, y1, x2, y2 = a.x + a.w, a.cy, b.x, b.cy
        bend = (x2 - x1) / 2
        return f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    if abs(a.x - b.x) < 1:  # the same column: a loop out to the right
        x1, y1, x2, y2 = a.x + a.w, a.cy, b.x + b.w, b.cy
        out = 30 + abs(y2 - y1) / 6
        return f"M{x1:.1f},{y1:.1f} C{x1 + out:.1f},{y1:.1f} {x2 + out:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    x1, y1 = _clip(a, b.cx, b.cy)
    x2, y2 = _clip(b, a.cx, a.cy)
    return f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"


def to_svg(diagram: Diagram, *, label: str) -> str:
    """The diagram as one ``<svg>`` element with a title and description for screen readers."""
    width, height = layout(diagram)
    by_id = {n.id: n for n in diagram.nodes}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}">',
        f"<title>{escape(diagram.title)}</title>",
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f2937"/></marker>',
        '<marker id="arrow-muted" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#6b7280"/></marker>',
        "</defs>",
    ]
    for group in diagram.groups:
        out.append(
            f'<g class="group"><rect x="{group.x:.1f}" y="{group.y:.1f}" width="{group.w:.1f}" '
            f'height="{group.h:.1f}" rx="8" fill="#eef2ff" stroke="#6366f1" stroke-dasharray="4 3"/>'
            f'<text x="{group.x + GROUP_PAD:.1f}" y="{group.y + 14:.1f}" class="group-label">'
            f"{escape(group_label(group))}</text></g>"
        )
    seen: set[tuple[str, str, str]] = set()
    for edge in diagram.edges:
        a, b = by_id.get(edge.src), by_id.get(edge.dst)
        key = (min(edge.src, edge.dst), max(edge.src, edge.dst), edge.kind) if edge.kind == "conflict" else (
            edge.src, edge.dst, edge.kind)
        if a is None or b is None or key in seen:
            continue
        seen.add(key)
        stroke, dash, marker = EDGE_STYLES[edge.kind]
        attrs = f' stroke-dasharray="{dash}"' if dash else ""
        attrs += f' marker-end="url(#{marker})"' if marker else ""
        out.append(
            f'<path class="edge {edge.kind}" data-from="{escape(edge.src)}" data-to="{escape(edge.dst)}" '
            f'd="{_path(a, b, edge.kind)}" fill="none" stroke="{stroke}" stroke-width="1.5"{attrs}/>'
        )
    for node in diagram.nodes:
        out.append(
            f'<g class="node {escape(node.css)}" data-id="{escape(node.id)}"><rect x="{node.x:.1f}" '
            f'y="{node.y:.1f}" width="{node.w:.1f}" height="{node.h:.1f}" rx="5"/>'
        )
        for i, line in enumerate(node.lines):
            y = node.y + PAD_Y + LINE_H * (i + 0.75)
            css = "main" if i == 0 else "sub"
            out.append(f'<text x="{node.cx:.1f}" y="{y:.1f}" text-anchor="middle" class="{css}">{escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def rules_diagram(tag: str, params: list[ParameterDoc]) -> Diagram | None:
    """The flags that take part in a rule: requires arrows, conflicts, before rules, require-one-of
    arrows, value rules, scale groups and groups with their bounds; required flags say so.

    None when no flag has a rule (there is nothing to draw).
    """
    edges = [Edge(p.flag, r, "requires") for p in params for r in p.require_ids]
    edges += [Edge(p.flag, c, "conflict") for p in params for c in p.interfer_ids]
    edges += [Edge(p.flag, b, "before") for p in params for b in p.before]
    edges += [Edge(p.flag, b, "any") for p in params for alternatives in p.require_any for b in alternatives]
    edges += [Edge(p.flag, t, "when") for p in params for w in p.when for t in (*w.require, *w.forbid, *w.values)]
    scales: dict[str, list[str]] = {}
    bounded: dict[str, tuple[str, list[str]]] = {}
    for p in params:
        if p.scale:
            scales.setdefault(p.scale, []).append(p.flag)
        for g in p.groups:
            bounded.setdefault(g.name, (bounds_label(g.name, g.min, g.max), []))[1].append(p.flag)
    grouped = {f for members in scales.values() for f in members}
    grouped |= {f for _, members in bounded.values() for f in members}
    involved = {e.src for e in edges} | {e.dst for e in edges} | grouped
    involved |= {p.flag for p in params if p.required}
    if not involved:
        return None
    nodes = []
    for p in params:
        if p.flag in involved:
            lines = [p.flag]
            lines += [f"position {p.position}"] if p.position is not None else []
            lines += ["required"] if p.required else []
            lines += [f"when {w.condition()}" for w in p.when]
            nodes.append(Node(p.flag, lines))
    groups = [Group(name, members) for name, members in scales.items()]
    groups += [Group(name, members, label) for name, (label, members) in bounded.items()]
    return Diagram(
        title=f"The rules of {tag}",
        nodes=nodes,
        edges=edges,
        groups=groups,
        ranked=[(e.src, e.dst) for e in edges if e.kind == "requires"],
    )


def routine_diagram(name: str, steps: list[StepDoc], statuses: dict[str, str] | None = None) -> Diagram:
    """A routine's steps, each in the column after the steps it runs after; status colours when given."""
    statuses = statuses or {}
    nodes = [Node(s.id, [s.id, s.job], css=f"status-{statuses[s.id]}" if s.id in statuses else "") for s in steps]
    edges = [Edge(dep, s.id, "after") for s in steps for dep in s.after]
    return Diagram(title=f"The steps of routine {name}", nodes=nodes, edges=edges,
                   ranked=[(e.src, e.dst) for e in edges])
