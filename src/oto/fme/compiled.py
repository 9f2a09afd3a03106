"""The precomputed form of a schema that ``check`` runs against.

Built once per schema change (lazily) so that a check costs about the size
of the combination:

* every flag gets an integer index (dependency order, see ``Compiled``);
* every flag's transitive requires-closure is one Python int bitset, computed
  on the SCC condensation so cycles cost nothing extra;
* conflicts, positions, befores and scale groups become small per-index maps
  holding only the flags that have such rules, so a check touches nothing
  for a flag without them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .rules import Rules, ValueRule


def iter_bits(mask: int) -> Iterator[int]:
    """Indices of set bits, ascending.

    Scans the binary string in C instead of peeling bits off a 10,000-bit
    int, which would cost a bigint operation per bit.
    """
    if mask <= 0:
        return
    text = bin(mask)[:1:-1]
    i = text.find("1")
    while i >= 0:
        yield i
        i = text.find("1", i + 1)


def tarjan(adj: tuple[tuple[int, ...], ...]) -> tuple[list[int], list[tuple[int, ...]]]:
    """Strongly connected components, iterative (no recursion limit).

    SCCs come out in reverse topological order: a component is emitted only
    after every component it requires, which is the order closures need.
    """
    n = len(adj)
    order = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    comp = [-1] * n
    stack: list[int] = []
    sccs: list[tuple[int, ...]] = []
    counter = 0
    for root in range(n):
        if order[root] != -1:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work: list[tuple[int, int]] = [(root, 0)]
        while work:
            v, pos = work[-1]
            succ = adj[v]
            if pos < len(succ):
                work[-1] = (v, pos + 1)
                w = succ[pos]
                if order[w] == -1:
                    order[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w] and order[w] < low[v]:
                    low[v] = order[w]
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == order[v]:
                cid = len(sccs)
                members: list[int] = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = cid
                    members.append(w)
                    if w == v:
                        break
                members.sort()
                sccs.append(tuple(members))
    return comp, sccs


@dataclass(frozen=True, slots=True)
class Compiled:
    """Immutable snapshot; a schema copy may share it until either side changes.

    Flags are numbered in dependency order (Tarjan's emission order: a flag
    after everything it requires, one SCC's members together, by declaration
    inside it).  A closure then only sets bits at or below its own flag's
    number, so flags with few dependencies get short ints and a check ORs
    short ints.  ``rank`` gives back declaration order wherever output order
    must follow it.
    """

    names: tuple[str, ...]
    index: dict[str, int]
    rank: tuple[int, ...]
    by_rank: tuple[int, ...]
    adj: tuple[tuple[int, ...], ...]
    comp: tuple[int, ...]
    sccs: tuple[tuple[int, ...], ...]
    closure: tuple[int, ...]
    conflicts: dict[int, frozenset[int]]
    conflicted: frozenset[int]
    positions: dict[int, tuple[int, ...]]
    before: dict[int, tuple[int, ...]]
    scale_of: dict[int, tuple[int, ...]]
    scale_names: tuple[str, ...]
    scale_members: tuple[tuple[int, ...], ...]
    special: frozenset[int]
    repeatable: frozenset[int]
    # v2: per flag its require_any alternatives (rule order); groups; required flags.
    any_of: dict[int, tuple[tuple[int, ...], ...]]
    any_flags: frozenset[int]
    group_of: dict[int, tuple[int, ...]]
    group_names: tuple[str, ...]
    group_members: tuple[tuple[int, ...], ...]
    group_min: tuple[int, ...]
    group_max: tuple[int | None, ...]
    min_groups: tuple[int, ...]
    group_cap: tuple[int, ...]
    grouped: frozenset[int]
    required: tuple[int, ...]
    required_set: frozenset[int]
    value_rules: tuple[tuple[ValueRule, re.Pattern[str] | None], ...]

    def decode(self, mask: int) -> list[str]:
        names = self.names
        return [names[i] for i in iter_bits(mask)]


def compile_rules(rules: Rules) -> Compiled:
    declared = tuple(rules.flags)
    decl = {f: i for i, f in enumerate(declared)}
    decl_adj = tuple(tuple(decl[b] for b in rules.requires.get(f, ())) for f in declared)
    decl_comp, decl_sccs = tarjan(decl_adj)

    by_rank_list = [0] * len(declared)
    order = [d for members in decl_sccs for d in members]
    for pos, d in enumerate(order):
        by_rank_list[d] = pos
    names = tuple(declared[d] for d in order)
    index = {f: i for i, f in enumerate(names)}
    adj = tuple(tuple(by_rank_list[w] for w in decl_adj[d]) for d in order)
    comp = tuple(decl_comp[d] for d in order)
    sccs = tuple(tuple(by_rank_list[d] for d in members) for members in decl_sccs)

    comp_closure = [0] * len(sccs)
    for cid, members in enumerate(sccs):
        mask = 0
        for v in members:
            mask |= 1 << v
        seen = {cid}
        for v in members:
            for w in adj[v]:
                c = comp[w]
                if c not in seen:
                    seen.add(c)
                    mask |= comp_closure[c]
        comp_closure[cid] = mask
    closure = tuple(comp_closure[c] for c in comp)

    conflicts = {index[a]: frozenset(index[b] for b in others) for a, others in rules.conflicts.items() if others}
    positions = {index[f]: tuple(sorted(idx)) for f, idx in rules.positions.items() if idx}
    before = {index[a]: tuple(index[b] for b in bs) for a, bs in rules.before.items() if bs}
    scale_names = tuple(rules.scales)
    scale_members = tuple(tuple(index[f] for f in members) for members in rules.scales.values())
    groups: dict[int, list[int]] = {}
    for gid, members_idx in enumerate(scale_members):
        for v in members_idx:
            groups.setdefault(v, []).append(gid)
    scale_of = {v: tuple(gids) for v, gids in groups.items()}

    any_lists: dict[int, list[tuple[int, ...]]] = {}
    for a, alternatives in rules.require_any:
        any_lists.setdefault(index[a], []).append(tuple(index[b] for b in alternatives))
    any_of = {a: tuple(alts) for a, alts in any_lists.items()}
    group_names = tuple(rules.groups)
    group_members = tuple(tuple(index[f] for f in members) for members in rules.groups.values())
    group_min = tuple(rules.bounds[name][0] for name in group_names)
    group_max = tuple(rules.bounds[name][1] for name in group_names)
    member_of: dict[int, list[int]] = {}
    for gid, members_idx in enumerate(group_members):
        for v in members_idx:
            member_of.setdefault(v, []).append(gid)
    group_of = {v: tuple(gids) for v, gids in member_of.items()}
    special = frozenset(positions) | frozenset(before) | frozenset(scale_of)

    value_rules = tuple((rule, pattern(rule.patterns) if rule.action == "values" else None)
                        for rule in rules.value_rules)

    return Compiled(
        names=names,
        index=index,
        rank=tuple(order),
        by_rank=tuple(by_rank_list),
        adj=adj,
        comp=comp,
        sccs=sccs,
        closure=closure,
        conflicts=conflicts,
        conflicted=frozenset(conflicts),
        positions=positions,
        before=before,
        scale_of=scale_of,
        scale_names=scale_names,
        scale_members=scale_members,
        special=special,
        repeatable=frozenset(index[f] for f in rules.repeatable),
        any_of=any_of,
        any_flags=frozenset(any_of),
        group_of=group_of,
        group_names=group_names,
        group_members=group_members,
        group_min=group_min,
        group_max=group_max,
        min_groups=tuple(g for g, low in enumerate(group_min) if low > 0),
        group_cap=tuple(len(m) if high is None else high for m, high in zip(group_members, group_max, strict=True)),
        grouped=frozenset(group_of),
        required=tuple(index[f] for f in rules.required),
        required_set=frozenset(index[f] for f in rules.required),
        value_rules=value_rules,
    )


def pattern(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regular expression for a list of value patterns: ``*`` is any run, the rest literal."""
    parts = ["".join(".*" if ch == "*" else re.escape(ch) for ch in p) for p in patterns]
    return re.compile("|".join(f"(?:{part})" for part in parts) if parts else "(?!)", re.DOTALL)
