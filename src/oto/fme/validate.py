"""Consistency of a schema: cycles, self references, unusable flags.

Unsatisfiability reuses the closure bitsets: each flag gets a *clash mask*
(the flags it may not be combined with), the clash masks are OR-ed up the
SCC condensation exactly like closures, and a flag is unusable iff its
closure meets the union of its closure's clash masks.  That is one bigint
OR per requires edge instead of a pair search per flag.
"""

from __future__ import annotations

from itertools import combinations, islice

from .compiled import Compiled, iter_bits
from .results import Problem
from .rules import Rules


def _self_references(rules: Rules) -> list[Problem]:
    out = [Problem("self_reference", (f,), f"{f} requires itself") for f in rules.self_requires]
    out.extend(Problem("self_reference", (f,), f"{f} conflicts with itself") for f in rules.self_conflicts)
    return out


def _cycles(c: Compiled) -> list[Problem]:
    """One concrete cycle per non-trivial SCC, the shortest through its first flag."""
    out: list[Problem] = []
    for cid, members in sorted(enumerate(c.sccs), key=lambda item: c.rank[item[1][0]]):
        if len(members) < 2:
            continue
        start = members[0]
        parent = {start: -1}
        queue = [start]
        path: list[int] = []
        for v in queue:
            for w in c.adj[v]:
                if w == start:
                    path = [start]
                    u = v
                    while u != -1:
                        path.append(u)
                        u = parent[u]
                    break
                if c.comp[w] == cid and w not in parent:
                    parent[w] = v
                    queue.append(w)
            if path:
                break
        cycle = tuple(c.names[i] for i in reversed(path))
        text = f"{cycle[0]} requires {cycle[1]}" + "".join(f", which requires {f}" for f in cycle[2:])
        out.append(Problem("cycle", cycle, f"requirements form a cycle: {text}"))
    return out


def _clash_masks(c: Compiled) -> dict[int, int]:
    """Per flag, the flags it can never stand next to (itself if it has two positions)."""
    clash: dict[int, int] = {}

    def add(v: int, mask: int) -> None:
        if mask:
            clash[v] = clash.get(v, 0) | mask

    for a, others in c.conflicts.items():
        mask = 0
        for b in others:
            mask |= 1 << b
        add(a, mask)
    pair_groups = [m for g, m in enumerate(c.group_members) if c.group_max[g] == 1]
    for members in (*c.scale_members, *pair_groups):
        group = 0
        for v in members:
            group |= 1 << v
        for v in members:
            add(v, group & ~(1 << v))
    at: dict[int, int] = {}
    for v, indices in c.positions.items():
        for r in indices:
            at[r] = at.get(r, 0) | (1 << v)
        if len(indices) > 1:
            add(v, 1 << v)
    for v, indices in c.positions.items():
        for r in indices:
            add(v, at[r] & ~(1 << v))
    return clash


def _clash_text(c: Compiled, f: int, x: int, y: int) -> str:
    names = c.names
    nf, nx, ny = names[f], names[x], names[y]
    if x == y:
        where = " and at position ".join(str(r) for r in c.positions[x][:2])
        if x == f:
            return f"{nf} can never be used: it must be at position {where}"
        return f"{nf} can never be used: it requires {nx}, which must be at position {where}"
    own = f in (x, y)
    if own:
        lead = f"{nf} can never be used: it requires {ny if x == f else nx}, which"
    else:
        lead = f"{nf} can never be used: it requires {nx} and {ny}, which"
    if y in c.conflicts.get(x, ()):
        return f"{lead} conflicts with {nf}" if own else f"{lead} conflict"
    shared = set(c.scale_of.get(x, ())) & set(c.scale_of.get(y, ()))
    if shared:
        scale = c.scale_names[min(shared)]
        if own:
            return f"{lead} is in scale {scale} with {nf}"
        return f"{lead} are both in scale {scale}"
    pairs = {g for g in set(c.group_of.get(x, ())) & set(c.group_of.get(y, ())) if c.group_max[g] == 1}
    if pairs:
        group = c.group_names[min(pairs)]
        if own:
            return f"{lead} is in group {group} (at most 1) with {nf}"
        return f"{lead} are both in group {group} (at most 1)"
    r = min(set(c.positions[x]) & set(c.positions[y]))
    if own:
        return f"{lead} must be at position {r} like {nf}"
    return f"{lead} must both be at position {r}"


def _reach(c: Compiled, clash: dict[int, int]) -> list[int]:
    """Per SCC, the union of the clash masks over its closure."""
    reach = [0] * len(c.sccs)
    for cid, members in enumerate(c.sccs):
        mask = 0
        for v in members:
            mask |= clash.get(v, 0)
        seen = {cid}
        for v in members:
            for w in c.adj[v]:
                d = c.comp[w]
                if d not in seen:
                    seen.add(d)
                    mask |= reach[d]
        reach[cid] = mask
    return reach


def _unsatisfiable(c: Compiled, clash: dict[int, int], reach: list[int]) -> list[Problem]:
    if not clash:
        return []
    clashers = 0
    for v in clash:
        clashers |= 1 << v
    bad_scc = [bool(reach[cid] & c.closure[members[0]]) for cid, members in enumerate(c.sccs)]

    out: list[Problem] = []
    for f in c.by_rank:
        if not bad_scc[c.comp[f]]:
            continue
        cl = c.closure[f]
        for x in iter_bits(cl & clashers):
            hit = clash[x] & cl
            if hit:
                y = (hit & -hit).bit_length() - 1
                break
        else:  # pragma: no cover - bad_scc guarantees a hit
            continue
        if c.rank[x] > c.rank[y]:
            x, y = y, x
        out.append(
            Problem(
                "unsatisfiable",
                (c.names[f], c.names[x], c.names[y]),
                _clash_text(c, f, x, y),
            )
        )
    return out


#: How many sets of members ``impossible_group`` tries per group before it gives up.
GROUP_SEARCH_LIMIT = 10_000


class _Joint:
    """Whether a set of flags clashes: pairwise clashes of its closure, or a group over its max."""

    def __init__(self, c: Compiled, reach: list[int]) -> None:
        self.c = c
        self.reach = reach
        self.wide: list[tuple[int, int]] = []
        for g, members in enumerate(c.group_members):
            high = c.group_max[g]
            if high is not None and high > 1:
                mask = 0
                for v in members:
                    mask |= 1 << v
                self.wide.append((mask, high))

    def clashes(self, flags: tuple[int, ...]) -> bool:
        c = self.c
        union = 0
        risk = 0
        for f in flags:
            union |= c.closure[f]
            risk |= self.reach[c.comp[f]]
        if union & risk:
            return True
        return any((union & mask).bit_count() > high for mask, high in self.wide)


def _v2(c: Compiled, reach: list[int], unusable: set[int]) -> list[Problem]:
    if not (c.required or c.any_of or c.min_groups):
        return []
    joint = _Joint(c, reach)
    names = c.names
    out: list[Problem] = []
    usable_required = [f for f in c.required if f not in unusable]
    for x, y in combinations(usable_required, 2):
        if joint.clashes((x, y)):
            out.append(
                Problem(
                    "required_conflict",
                    (names[x], names[y]),
                    f"{names[x]} and {names[y]} are both required but cannot be used together",
                )
            )
    for a in sorted(c.any_of, key=c.rank.__getitem__):
        if a in unusable:
            continue
        for alts in c.any_of[a]:
            if all(joint.clashes((a, b)) for b in alts):
                shown = ", ".join(names[b] for b in alts)
                out.append(
                    Problem(
                        "impossible_any",
                        (names[a], *(names[b] for b in alts)),
                        f"{names[a]} requires one of {shown}, but each clashes with {names[a]} or what it requires",
                    )
                )
    for g in c.min_groups:
        members = c.group_members[g]
        low = c.group_min[g]
        shown = " ".join(names[v] for v in members)
        flags = tuple(names[v] for v in members)
        name = c.group_names[g]
        if low > len(members):
            count = "1 member" if len(members) == 1 else f"{len(members)} members"
            out.append(
                Problem("impossible_group", flags, f"group {name} needs at least {low} of {shown} but has only {count}")
            )
            continue
        tried = 0
        found = False
        for chosen in islice(combinations(members, low), GROUP_SEARCH_LIMIT):
            tried += 1
            if not joint.clashes(chosen):
                found = True
                break
        if found or tried == GROUP_SEARCH_LIMIT:
            continue
        if low == 1:
            text = f"no member of group {name} ({shown}) can ever be used"
        else:
            text = f"group {name} can never have {low} of its members ({shown}) together"
        out.append(Problem("impossible_group", flags, text))
    return out


def validate(rules: Rules, c: Compiled) -> list[Problem]:
    clash = _clash_masks(c)
    reach = _reach(c, clash) if clash else [0] * len(c.sccs)
    unsat = _unsatisfiable(c, clash, reach)
    unusable = {c.index[p.flags[0]] for p in unsat}
    return _self_references(rules) + _cycles(c) + unsat + _v2(c, reach, unusable)
