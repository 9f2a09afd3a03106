"""Checking a combination against a compiled schema.

The fast path (a valid combination) does one dict lookup and one bitset OR
per flag, then a popcount: the closure covers exactly the present flags iff
nothing is missing.  Explanations (shortest chains, messages) are computed
only for what is actually wrong.
"""

from __future__ import annotations

import heapq

from .compiled import Compiled, iter_bits
from .results import CheckResult, FMEError, Violation


def unknown_message(flag: str, schema_name: str | None) -> str:
    if schema_name is None:
        return f"{flag} is not a parameter of this executable"
    return f"{flag} is not a flag of {schema_name}"


def chain_message(chain: tuple[str, ...]) -> str:
    text = f"{chain[0]} requires {chain[1]}"
    for flag in chain[2:]:
        text += f", which requires {flag}"
    return text + ", which is missing"


def scale_message(members: tuple[str, ...], scale: str) -> str:
    return f"only one of {', '.join(members)} (scale {scale}) may be used"


def _missing(c: Compiled, first: dict[int, int], closure: int) -> list[Violation]:
    """One violation per missing flag, each with a shortest chain.

    A single BFS seeded with every present flag (in combination order) gives
    shortest chains from the nearest present flag; it stops as soon as every
    missing flag has been reached, so it never leaves the closure.
    """
    present = 0
    for i in first:
        present |= 1 << i
    remaining = (closure & ~present).bit_count()
    parent: dict[int, int] = dict.fromkeys(first, -1)
    queue = list(first)
    found: list[int] = []
    adj = c.adj
    head = 0
    while remaining and head < len(queue):
        v = queue[head]
        head += 1
        for w in adj[v]:
            if w not in parent:
                parent[w] = v
                queue.append(w)
                found.append(w)
                remaining -= 1
    names = c.names
    out: list[Violation] = []
    for m in found:
        path = [m]
        v = parent[m]
        while v != -1:
            path.append(v)
            v = parent[v]
        chain = tuple(names[i] for i in reversed(path))
        out.append(Violation("missing_requirement", chain, chain_message(chain)))
    return out


def _conflicts(c: Compiled, first: dict[int, int]) -> list[Violation]:
    hits: list[tuple[int, int, int, int]] = []
    for i in c.conflicts.keys() & first.keys():
        fi = first[i]
        for j in c.conflicts[i]:
            fj = first.get(j)
            if fj is not None and fj > fi:
                hits.append((fi, fj, i, j))
    hits.sort()
    names = c.names
    return [
        Violation(
            "conflict",
            (names[i], names[j]),
            f"{names[i]} conflicts with {names[j]}",
        )
        for _, _, i, j in hits
    ]


def _scales(c: Compiled, first: dict[int, int], flags: list[int]) -> list[Violation]:
    present: dict[int, list[int]] = {}
    for i in flags:
        for g in c.scale_of.get(i, ()):
            present.setdefault(g, []).append(i)
    found: list[tuple[int, int, tuple[str, ...]]] = []
    for g, members in present.items():
        if len(members) > 1:
            members.sort(key=first.__getitem__)
            found.append(
                (first[members[0]], g, tuple(c.names[i] for i in members))
            )
    found.sort()
    return [
        Violation("scale", members, scale_message(members, c.scale_names[g]))
        for _, g, members in found
    ]


def check(c: Compiled, seq: list[str], schema_name: str | None) -> CheckResult:
    index = c.index
    closure = c.closure
    first: dict[int, int] = {}
    unknown: dict[str, None] = {}
    repeats: list[tuple[int, int]] = []
    cl = 0
    for pos, flag in enumerate(seq):
        i = index.get(flag)
        if i is None:
            unknown[flag] = None
        elif i in first:
            repeats.append((i, pos))
        else:
            first[i] = pos
            cl |= closure[i]

    out: list[Violation] = [
        Violation("unknown_flag", (f,), unknown_message(f, schema_name)) for f in unknown
    ]
    if cl.bit_count() != len(first):
        out.extend(_missing(c, first, cl))
    if c.conflicts:
        out.extend(_conflicts(c, first))
    if c.special or repeats:
        out.extend(_rest(c, first, repeats))
    return CheckResult(out)


def _rest(
    c: Compiled, first: dict[int, int], repeats: list[tuple[int, int]]
) -> list[Violation]:
    """Position, order, scale and duplicate violations, in that order."""
    names = c.names
    more: dict[int, list[int]] = {}
    for i, pos in repeats:
        more.setdefault(i, []).append(pos)
    special = sorted(c.special.intersection(first), key=first.__getitem__)

    out: list[Violation] = []
    for i in special:
        rule = c.positions.get(i)
        if rule is None:
            continue
        occurrences = [first[i], *more.get(i, ())]
        bad = next(
            ((r, at) for at in occurrences for r in rule if r != at), None
        )
        if bad is not None:
            out.append(
                Violation(
                    "position",
                    (names[i],),
                    f"{names[i]} must be at position {bad[0]} but is at {bad[1]}",
                )
            )

    broken: list[tuple[int, int, int, int]] = []
    for a in special:
        targets = c.before.get(a)
        if targets is None:
            continue
        last_a = more[a][-1] if a in more else first[a]
        for b in targets:
            fb = first.get(b)
            if fb is not None and fb < last_a:
                broken.append((first[a], fb, a, b))
    broken.sort()
    out.extend(
        Violation("order", (names[a], names[b]), f"{names[a]} must come before {names[b]}")
        for _, _, a, b in broken
    )

    if c.scale_of:
        out.extend(_scales(c, first, special))

    for i in sorted(more, key=first.__getitem__):
        if i not in c.repeatable:
            count = 1 + len(more[i])
            out.append(
                Violation(
                    "duplicate",
                    (names[i],),
                    f"{names[i]} is given {count} times but is not repeatable",
                )
            )
    return out


def closure(c: Compiled, seq: list[str]) -> set[str]:
    index = c.index
    mask = 0
    out: set[str] = set()
    for flag in seq:
        i = index.get(flag)
        if i is None:
            out.add(flag)
        else:
            mask |= c.closure[i]
    out.update(c.decode(mask))
    return out


def _requirers_first(c: Compiled, added: list[int]) -> list[int]:
    """Kahn's algorithm on the SCC condensation of ``added``; ties by declaration order."""
    comp = c.comp
    members: dict[int, list[int]] = {}
    for v in added:  # ascending, so each member list is sorted
        members.setdefault(comp[v], []).append(v)
    succ: dict[int, set[int]] = {cid: set() for cid in members}
    indegree = dict.fromkeys(members, 0)
    for v in added:
        for w in c.adj[v]:
            d = comp[w]
            if d != comp[v] and d in members and d not in succ[comp[v]]:
                succ[comp[v]].add(d)
                indegree[d] += 1
    ready = [(group[0], cid) for cid, group in members.items() if not indegree[cid]]
    heapq.heapify(ready)
    out: list[int] = []
    while ready:
        _, cid = heapq.heappop(ready)
        out.extend(members[cid])
        for d in succ[cid]:
            indegree[d] -= 1
            if not indegree[d]:
                heapq.heappush(ready, (members[d][0], d))
    return out


def complete(c: Compiled, seq: list[str]) -> list[str]:
    """See ``Schema.complete``: requirers first, then what they require."""
    index = c.index
    present = 0
    mask = 0
    for flag in seq:
        i = index.get(flag)
        if i is not None:
            present |= 1 << i
            mask |= c.closure[i]
    result = seq + [c.names[v] for v in _requirers_first(c, list(iter_bits(mask & ~present)))]

    first: dict[int, int] = {}
    for pos, flag in enumerate(result):
        i = index.get(flag)
        if i is not None and i not in first:
            first[i] = pos
    clashes = _conflicts(c, first)
    if c.scale_of:
        clashes.extend(_scales(c, first, sorted(first, key=first.__getitem__)))
    if clashes:
        detail = "; ".join(v.message for v in clashes)
        raise FMEError(f"cannot complete the combination: {detail}", tuple(clashes))
    return result
