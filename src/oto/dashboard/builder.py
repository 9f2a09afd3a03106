"""The command builder's view of an executable: its flags in an order that keeps the rules.

The builder lists flags so that picking any of them, top to bottom, already satisfies position
and before rules: flags with a position first (by position), then everything else in an order
where each flag stands after the flags that must come before it. The picked flags are sent in
that order, so a person only ever decides *which* flags, and the engine's verdict is about
requirements, conflicts and groups. The verdict itself always comes from the engine.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from oto.dashboard.graphs import bounds_label
from oto.domain.documents import ParameterDoc


@dataclass(frozen=True)
class FlagChoice:
    flag: str
    description: str
    value_type: str
    hints: list[str]


def canonical_order(params: list[ParameterDoc]) -> list[ParameterDoc]:
    """Positioned flags first, then a topological order of the before rules; ties keep declaration order."""
    index = {p.flag: i for i, p in enumerate(params)}
    after: dict[str, list[str]] = {p.flag: [] for p in params}
    waiting = {p.flag: 0 for p in params}
    for p in params:
        for later in p.before:
            if later in after and later != p.flag:
                after[p.flag].append(later)
                waiting[later] += 1

    def rank(flag: str) -> tuple[int, int, int]:
        position = by_flag[flag].position
        return (0 if position is not None else 1, position or 0, index[flag])

    by_flag = {p.flag: p for p in params}
    ready = [rank(f) for f, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        flag = params[heapq.heappop(ready)[2]].flag
        order.append(flag)
        for later in after[flag]:
            waiting[later] -= 1
            if waiting[later] == 0:
                heapq.heappush(ready, rank(later))
    order += [p.flag for p in params if p.flag not in set(order)]  # a before cycle: declaration order
    return [by_flag[f] for f in order]


def hints(p: ParameterDoc) -> list[str]:
    found = []
    if p.position is not None:
        found.append(f"stands at position {p.position}")
    if p.require_ids:
        found.append(f"requires {', '.join(p.require_ids)}")
    if p.interfer_ids:
        found.append(f"conflicts with {', '.join(p.interfer_ids)}")
    if p.before:
        found.append(f"comes before {', '.join(p.before)}")
    if p.scale:
        found.append(f"at most one of group {p.scale}")
    if p.required:
        found.append("required in every command")
    found += [f"needs one of {', '.join(alternatives)}" for alternatives in p.require_any]
    found += [f"in group {g.name} ({bounds_label(g.name, g.min, g.max).removesuffix(' of ' + g.name)})"
              for g in p.groups]
    for w in p.when:
        parts = [f"requires {', '.join(w.require)}"] if w.require else []
        parts += [f"forbids {', '.join(w.forbid)}"] if w.forbid else []
        parts += [f"allows {flag} {' '.join(patterns)} only" for flag, patterns in w.values.items()]
        found.append(f"when {w.condition()}: {'; '.join(parts)}")
    if p.repeatable:
        found.append("may repeat")
    if p.requires_root:
        found.append("needs root")
    return found


def choices(params: list[ParameterDoc]) -> list[FlagChoice]:
    return [FlagChoice(p.flag, p.description, p.value_type, hints(p)) for p in canonical_order(params)]


def ordered(picked: list[str], params: list[ParameterDoc]) -> list[str]:
    """The picked flags in the builder's order; unknown flags keep their place at the end for the verdict."""
    known = [p.flag for p in canonical_order(params)]
    wanted = set(picked)
    return [f for f in known if f in wanted] + [f for f in dict.fromkeys(picked) if f not in set(known)]
