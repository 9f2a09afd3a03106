"""Checking a combination against a compiled schema.

The fast path (a valid combination) does one dict lookup and one bitset OR
per flag, then a popcount: the closure covers exactly the present flags iff
nothing is missing.  Explanations (shortest chains, messages) are computed
only for what is actually wrong.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from .compiled import Compiled, iter_bits
from .results import CheckResult, FMEError, Violation
from .rules import check_flag


def unknown_message(flag: str, schema_name: str | None) -> str:
    if schema_name is None:
        return f"{flag} is not a parameter of this executable"
    return f"{flag} is not a flag of {schema_name}"


def scale_message(members: tuple[str, ...], scale: str) -> str:
    return f"only one of {', '.join(members)} (scale {scale}) may be used"


def count_word(k: int) -> str:
    return "one" if k == 1 else str(k)


def group_message(c: Compiled, g: int, present: list[str]) -> str:
    """The ``group`` violation's sentence for group ``g`` with ``present`` members in C."""
    name = c.group_names[g]
    low, high = c.group_min[g], c.group_max[g]
    members = " ".join(c.names[i] for i in c.group_members[g])
    given = f"{len(present)} given: {' '.join(present)}" if present else "none given"
    if low == high:
        verb = "is" if low == 1 else "are"
        return f"exactly {count_word(low)} of {name} ({members}) {verb} required, {given}"
    if len(present) < low:
        if low == 1:
            return f"one of {name} ({members}) is required"
        return f"at least {low} of {name} ({members}) are required, {given}"
    return f"at most {high} of {name}: {' '.join(present)}"


def any_message(names: tuple[str, ...]) -> str:
    return f"{names[0]} requires one of {', '.join(names[1:])}, which are all missing"


def _any(c: Compiled, first: dict[int, int]) -> list[Violation]:
    """Broken ``require_any`` rules of present flags, in combination order then rule order.

    The common case (every rule satisfied) costs one C-level ``isdisjoint`` per rule.
    """
    hit = c.any_flags.intersection(first)
    if not hit:
        return []
    keys = first.keys()
    any_of = c.any_of
    for a in hit:
        for alts in any_of[a]:
            if keys.isdisjoint(alts):
                break
        else:
            continue
        break
    else:
        return []
    out: list[Violation] = []
    names = c.names
    for a in sorted(hit, key=first.__getitem__):
        for alts in c.any_of[a]:
            if not any(b in first for b in alts):
                flags = (names[a], *(names[b] for b in alts))
                out.append(Violation("missing_any", flags, any_message(flags)))
    return out


def _groups(c: Compiled, first: dict[int, int], flags: list[int], few: bool = True) -> list[Violation]:
    """Groups with too few (unless not ``few``) or too many present members.

    Groups with a member present come first, by their first member in C; then the groups no
    member of which is present, in declaration order.
    """
    present: dict[int, list[int]] = {}
    for i in flags:
        for g in c.group_of.get(i, ()):
            present.setdefault(g, []).append(i)
    found: list[tuple[int, int, Violation]] = []
    names = c.names
    for g, members in present.items():
        high = c.group_max[g]
        if (few and len(members) < c.group_min[g]) or (high is not None and len(members) > high):
            members.sort(key=first.__getitem__)
            shown = [names[i] for i in members]
            flags_of = tuple(shown) if len(members) >= c.group_min[g] else tuple(names[i] for i in c.group_members[g])
            found.append((first[members[0]], g, Violation("group", flags_of, group_message(c, g, shown))))
    found.sort(key=lambda item: item[:2])
    out = [v for _, _, v in found]
    for g in c.min_groups if few else ():
        if g not in present:
            out.append(Violation("group", tuple(names[i] for i in c.group_members[g]), group_message(c, g, [])))
    return out


def _group_check(c: Compiled, first: dict[int, int]) -> list[Violation]:
    """Group violations; the common case (all within bounds) only counts present members."""
    counts: dict[int, int] = {}
    group_of = c.group_of
    for i in c.grouped.intersection(first):
        for g in group_of[i]:
            counts[g] = counts.get(g, 0) + 1
    low, cap = c.group_min, c.group_cap
    for g, n in counts.items():
        if n > cap[g] or n < low[g]:
            break
    else:
        for g in c.min_groups:
            if g not in counts:
                break
        else:
            return []
    return _groups(c, first, sorted(c.grouped.intersection(first), key=first.__getitem__))


def _missing(c: Compiled, first: dict[int, int], closure: int, absent: list[int]) -> list[Violation]:
    """One violation per missing flag, each with a shortest chain.

    A single BFS seeded with every present flag (in combination order) gives
    shortest chains from the nearest present flag.  Every flag it reaches
    outside the combination is missing, so it stops once it has reached as
    many as the closure says are missing: it never leaves the closure.
    Chains and messages extend their parent's, so each costs one step.
    """
    names = c.names
    adj = c.adj
    remaining = closure.bit_count() - len(first)
    chains: dict[int, tuple[str, ...]] = {i: (names[i],) for i in first}
    texts: dict[int, str] = {}
    out: list[Violation] = [
        Violation("missing_requirement", (names[i],), f"{names[i]} is required, which is missing") for i in absent
    ]
    reported = frozenset(absent)
    queue = list(first)
    head = 0
    while remaining and head < len(queue):
        v = queue[head]
        head += 1
        for w in adj[v]:
            if w not in chains:
                name = names[w]
                chain = chains[w] = chains[v] + (name,)
                up = texts.get(v)
                text = texts[w] = f"{names[v]} requires {name}" if up is None else f"{up}, which requires {name}"
                queue.append(w)
                if w not in reported:
                    out.append(Violation("missing_requirement", chain, text + ", which is missing"))
                remaining -= 1
    return out


def _conflicts(c: Compiled, first: dict[int, int]) -> list[Violation]:
    """Conflicting pairs of present flags, each once, in combination order.

    Most flags of a large schema have some conflict, so the common case is
    "none of them present": one C-level ``isdisjoint`` per flag decides it.
    """
    present = set(first)
    conflicts = c.conflicts
    hits: list[tuple[int, int, int, int]] = []
    for i in c.conflicted.intersection(present):
        others = conflicts[i]
        if not others.isdisjoint(present):
            fi = first[i]
            for j in others.intersection(present):
                fj = first[j]
                if fj > fi:
                    hits.append((fi, fj, i, j))
    if not hits:
        return []
    hits.sort()
    names = c.names
    return [Violation("conflict", (names[i], names[j]), f"{names[i]} conflicts with {names[j]}") for _, _, i, j in hits]


def _scales(c: Compiled, first: dict[int, int], flags: list[int]) -> list[Violation]:
    present: dict[int, list[int]] = {}
    for i in flags:
        for g in c.scale_of.get(i, ()):
            present.setdefault(g, []).append(i)
    found: list[tuple[int, int, tuple[str, ...]]] = []
    for g, members in present.items():
        if len(members) > 1:
            members.sort(key=first.__getitem__)
            found.append((first[members[0]], g, tuple(c.names[i] for i in members)))
    found.sort()
    return [Violation("scale", members, scale_message(members, c.scale_names[g])) for _, g, members in found]


def check(c: Compiled, flags: Iterable[str], schema_name: str | None) -> CheckResult:
    """The hot path: one dict lookup and one bitset OR per flag, then a popcount.

    Types are checked only for flags the schema does not know (a known flag
    is a str by construction), so a valid combination pays for nothing else.
    """
    if isinstance(flags, str):
        raise TypeError("a combination is a sequence of flags, not a single str")
    index = c.index
    closure = c.closure
    first: dict[int, int] = {}
    unknown: dict[str, None] = {}
    repeats: list[tuple[int, int]] = []
    cl = 0
    for pos, flag in enumerate(flags):
        i = index.get(flag)
        if i is None:
            unknown[check_flag(flag)] = None
        elif i in first:
            repeats.append((i, pos))
        else:
            first[i] = pos
            cl |= closure[i]

    out: list[Violation] = (
        [Violation("unknown_flag", (f,), unknown_message(f, schema_name)) for f in unknown] if unknown else []
    )
    absent = [i for i in c.required if i not in first] if c.required and not first.keys() >= c.required_set else []
    if absent or cl.bit_count() != len(first):
        out.extend(_missing(c, first, cl, absent))
    if c.any_flags:
        out.extend(_any(c, first))
    if c.conflicted:
        out.extend(_conflicts(c, first))
    groups = _group_check(c, first) if c.group_members else []
    if c.special or repeats:
        out.extend(_rest(c, first, repeats, groups))
    elif groups:
        out.extend(groups)
    return CheckResult(out)


def _rest(
    c: Compiled, first: dict[int, int], repeats: list[tuple[int, int]], groups: list[Violation]
) -> list[Violation]:
    """Position, order, scale, group and duplicate violations, in that order."""
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
        bad = next(((r, at) for at in occurrences for r in rule if r != at), None)
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
        Violation("order", (names[a], names[b]), f"{names[a]} must come before {names[b]}") for _, _, a, b in broken
    )

    if c.scale_of:
        out.extend(_scales(c, first, special))
    out.extend(groups)

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
    rank = c.rank
    ready = [(rank[group[0]], cid) for cid, group in members.items() if not indegree[cid]]
    heapq.heapify(ready)
    out: list[int] = []
    while ready:
        _, cid = heapq.heappop(ready)
        out.extend(members[cid])
        for d in succ[cid]:
            indegree[d] -= 1
            if not indegree[d]:
                heapq.heappush(ready, (rank[members[d][0]], d))
    return out


def _firsts(c: Compiled, result: list[str]) -> dict[int, int]:
    index = c.index
    first: dict[int, int] = {}
    for pos, flag in enumerate(result):
        i = index.get(flag)
        if i is not None and i not in first:
            first[i] = pos
    return first


def _clashes(c: Compiled, first: dict[int, int]) -> list[Violation]:
    """Conflicts, scale clashes and groups over their maximum: what completing may never create."""
    clashes = _conflicts(c, first)
    order = sorted(first, key=first.__getitem__)
    if c.scale_of:
        clashes.extend(_scales(c, first, order))
    if c.group_members:
        clashes.extend(_groups(c, first, order, few=False))
    return clashes


def _broken(c: Compiled, first: dict[int, int]) -> tuple[Violation, list[int]] | None:
    """The first rule completing must satisfy, with the alternatives it may add, or None."""
    found = _any(c, first)
    if found:
        v = found[0]
        return v, [c.index[f] for f in v.flags[1:]]
    for g in c.min_groups:
        present = [i for i in c.group_members[g] if i in first]
        if len(present) < c.group_min[g]:
            shown = [c.names[i] for i in sorted(present, key=first.__getitem__)]
            v = Violation("group", tuple(c.names[i] for i in c.group_members[g]), group_message(c, g, shown))
            return v, [i for i in c.group_members[g] if i not in first]
    return None


def _extend(c: Compiled, result: list[str], first: dict[int, int], mask: int) -> list[str]:
    present = 0
    for i in first:
        present |= 1 << i
    return result + [c.names[v] for v in _requirers_first(c, list(iter_bits(mask & ~present)))]


def complete(c: Compiled, seq: list[str]) -> list[str]:
    """See ``Schema.complete``: requirers first, then what they require, then chosen alternatives."""
    index = c.index
    mask = 0
    for flag in seq:
        i = index.get(flag)
        if i is not None:
            mask |= c.closure[i]
    for i in c.required:
        mask |= c.closure[i]
    result = _extend(c, seq, _firsts(c, seq), mask)
    first = _firsts(c, result)
    clashes = _clashes(c, first)
    if clashes:
        detail = "; ".join(v.message for v in clashes)
        raise FMEError(f"cannot complete the combination: {detail}", tuple(clashes))
    if not (c.any_flags or c.min_groups):
        return result
    while True:
        broken = _broken(c, first)
        if broken is None:
            return result
        rule, alternatives = broken
        tried: list[Violation] = []
        for b in alternatives:
            candidate = _extend(c, [*result, c.names[b]], {**first, b: len(result)}, c.closure[b])
            cand_first = _firsts(c, candidate)
            cand_clashes = _clashes(c, cand_first)
            if not cand_clashes:
                result, first = candidate, cand_first
                break
            tried.extend(cand_clashes)
        else:
            why = "; ".join(v.message for v in tried) if tried else "no member is left to add"
            raise FMEError(
                f"cannot complete the combination: {rule.message}; none can be added: {why}",
                (rule, *tried),
            )
