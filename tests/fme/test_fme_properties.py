"""check(), closure(), complete() and validate() against a brute-force model.

The model is written the slow, obvious way (a BFS per flag per question), so
agreement on small random schemas — cycles, self references, unknown and
repeated flags included — is evidence the precomputed engine is right.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oto.fme import FMEError, Schema

POOL = ["a", "-b", "--c d", "", "é", 'q"', "x\\y", "-T0"]
UNKNOWN = ["zz", "-zz"]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass
class Model:
    declared: list[str] = field(default_factory=list)
    req: dict[str, set[str]] = field(default_factory=dict)
    conf: set[frozenset[str]] = field(default_factory=set)
    pos: dict[str, set[int]] = field(default_factory=dict)
    before: set[tuple[str, str]] = field(default_factory=set)
    scales: dict[str, set[str]] = field(default_factory=dict)
    repeatable: set[str] = field(default_factory=set)
    self_req: set[str] = field(default_factory=set)
    self_conf: set[str] = field(default_factory=set)

    def declare(self, *flags: str) -> None:
        for f in flags:
            if f not in self.declared:
                self.declared.append(f)

    def dist(self, f: str) -> dict[str, int]:
        seen = {f: 0}
        queue = deque([f])
        while queue:
            v = queue.popleft()
            for w in self.req.get(v, ()):
                if w not in seen:
                    seen[w] = seen[v] + 1
                    queue.append(w)
        return seen

    def closure(self, combo: list[str]) -> set[str]:
        out = set(combo)
        for f in combo:
            if f in self.declared:
                out |= set(self.dist(f))
        return out

    def clash(self, x: str, y: str) -> bool:
        if x == y:
            return len(self.pos.get(x, ())) > 1
        if frozenset((x, y)) in self.conf:
            return True
        if any(x in g and y in g for g in self.scales.values()):
            return True
        return bool(self.pos.get(x, set()) & self.pos.get(y, set()))


@st.composite
def schemas(draw: st.DrawFn) -> tuple[Schema, Model, list[str]]:
    n = draw(st.integers(1, len(POOL)))
    names = draw(st.permutations(POOL))[:n]
    flag = st.sampled_from(names)
    # half the schemas keep requires acyclic, so long chains survive instead of collapsing into SCCs
    acyclic = draw(st.booleans())

    def some(count: int, item: st.SearchStrategy[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [draw(item) for _ in range(draw(st.integers(0, count)))]

    ops = (
        some(n, st.tuples(st.just("add"), flag, st.booleans()))
        + some(14, st.tuples(st.just("require"), flag, flag))
        + some(4, st.tuples(st.just("conflict"), flag, flag))
        + some(3, st.tuples(st.just("position"), flag, st.integers(0, 4)))
        + some(3, st.tuples(st.just("before"), flag, flag))
        + some(2, st.tuples(st.just("scale"), st.sampled_from(["s1", "s2"]), st.lists(flag, max_size=4)))
        + some(2, st.tuples(st.just("probe")))
    )
    ops = draw(st.permutations(ops))
    schema = Schema(name=draw(st.sampled_from([None, "tool - 1.0"])))
    m = Model()
    for op in ops:
        kind = op[0]
        if kind == "add":
            schema.add_flag(op[1], repeatable=op[2])
            m.declare(op[1])
            if op[2]:
                m.repeatable.add(op[1])
        elif kind == "require":
            if acyclic and names.index(op[1]) > names.index(op[2]):
                op = (kind, op[2], op[1])
            schema.require(op[1], op[2])
            m.declare(op[1], op[2])
            if op[1] == op[2]:
                m.self_req.add(op[1])
            else:
                m.req.setdefault(op[1], set()).add(op[2])
        elif kind == "conflict":
            schema.conflict(op[1], op[2])
            m.declare(op[1], op[2])
            if op[1] == op[2]:
                m.self_conf.add(op[1])
            else:
                m.conf.add(frozenset((op[1], op[2])))
        elif kind == "position":
            schema.position(op[1], op[2])
            m.declare(op[1])
            m.pos.setdefault(op[1], set()).add(op[2])
        elif kind == "before":
            schema.before(op[1], op[2])
            m.declare(op[1], op[2])
            if op[1] != op[2]:
                m.before.add((op[1], op[2]))
        elif kind == "scale":
            schema.scale(op[1], op[2])
            m.declare(*op[2])
            m.scales.setdefault(op[1], set()).update(op[2])
        else:  # compile mid-way: later rules must still be seen
            schema.check([])
    return schema, m, names


def combos(names: list[str]) -> st.SearchStrategy[list[str]]:
    """Mostly declared flags (so rules fire), some unknown ones, repeats allowed."""
    return st.lists(st.sampled_from(names * 4 + UNKNOWN), min_size=1, max_size=8)


def first_index(combo: list[str], f: str) -> int:
    return combo.index(f)


@SETTINGS
@given(schemas(), st.data())
def test_check_matches_model(built: tuple[Schema, Model, list[str]], data: st.DataObject) -> None:
    schema, m, names = built
    assert schema.flags == tuple(m.declared)
    for combo in data.draw(st.lists(combos(names), min_size=1, max_size=3)):
        result = schema.check(combo)
        got: dict[str, list[tuple[str, ...]]] = {}
        for v in result.violations:
            got.setdefault(v.kind, []).append(v.flags)
        assert result.ok == (not result.violations)

        present = [f for f in dict.fromkeys(combo) if f in m.declared]
        unknown = [f for f in dict.fromkeys(combo) if f not in m.declared]
        assert got.get("unknown_flag", []) == [(f,) for f in unknown]

        # missing: exactly closure - C, one shortest valid chain each
        dists = [m.dist(p) for p in present]
        missing = m.closure(combo) - set(combo)
        chains = got.get("missing_requirement", [])
        assert sorted(c[-1] for c in chains) == sorted(missing)
        for chain in chains:
            assert chain[0] in present
            assert all(b in m.req.get(a, ()) for a, b in pairwise(chain))
            assert len(chain) - 1 == min(d[chain[-1]] for d in dists if chain[-1] in d)

        conflicts = got.get("conflict", [])
        assert {frozenset(c) for c in conflicts} == {p for p in m.conf if p <= set(present)}
        assert len(conflicts) == len({frozenset(c) for c in conflicts})
        assert all(first_index(combo, a) < first_index(combo, b) for a, b in conflicts)

        bad_pos = {f for f in present for j, g in enumerate(combo) if g == f for i in m.pos.get(f, ()) if i != j}
        assert Counter(got.get("position", [])) == Counter((f,) for f in bad_pos)

        broken = {
            (a, b)
            for a, b in m.before
            if a in present
            and b in present
            and min(j for j, g in enumerate(combo) if g == b) < max(j for j, g in enumerate(combo) if g == a)
        }
        assert Counter(got.get("order", [])) == Counter(broken)

        scales = [tuple(sorted((f for f in group if f in present), key=combo.index)) for group in m.scales.values()]
        assert Counter(got.get("scale", [])) == Counter(s for s in scales if len(s) > 1)

        dups = {f for f in present if combo.count(f) > 1 and f not in m.repeatable}
        assert Counter(got.get("duplicate", [])) == Counter((f,) for f in dups)

        assert schema.closure(combo) == m.closure(combo)


@SETTINGS
@given(schemas(), st.data())
def test_complete_matches_model(built: tuple[Schema, Model, list[str]], data: st.DataObject) -> None:
    schema, m, names = built
    combo = data.draw(combos(names))
    full = m.closure(combo)
    known = [f for f in full if f in m.declared]
    clash = any(frozenset((x, y)) in m.conf for x in known for y in known if x != y) or any(
        len(g & set(known)) > 1 for g in m.scales.values()
    )
    try:
        result = schema.complete(combo)
    except FMEError as error:
        assert clash
        assert error.violations and {v.kind for v in error.violations} <= {"conflict", "scale"}
        return
    assert not clash
    added = result[len(combo) :]
    assert result[: len(combo)] == combo
    assert sorted(added) == sorted(full - set(combo))
    where: dict[str, int] = {}
    for i, f in enumerate(result):
        where.setdefault(f, i)
    for v in added:
        for u in full:
            if u in m.declared and v in m.req.get(u, ()) and u not in m.dist(v):
                assert where[u] < where[v], (u, v, result)


def sccs(m: Model) -> list[frozenset[str]]:
    reach = {f: set(m.dist(f)) for f in m.declared}
    out: set[frozenset[str]] = set()
    for f in m.declared:
        comp = frozenset(g for g in m.declared if g in reach[f] and f in reach[g])
        if len(comp) > 1:
            out.add(comp)
    return list(out)


@SETTINGS
@given(schemas())
def test_validate_matches_model(built: tuple[Schema, Model, list[str]]) -> None:
    schema, m, _ = built
    problems = schema.validate()
    by_kind: dict[str, list[tuple[str, ...]]] = {}
    for p in problems:
        by_kind.setdefault(p.kind, []).append(p.flags)
        assert p.message

    assert Counter(by_kind.get("self_reference", [])) == Counter(
        [(f,) for f in m.self_req] + [(f,) for f in m.self_conf]
    )

    components = sccs(m)
    cycles = by_kind.get("cycle", [])
    assert len(cycles) == len(components)
    seen: set[frozenset[str]] = set()
    for cycle in cycles:
        assert cycle[0] == cycle[-1] and len(cycle) >= 3
        assert len(set(cycle[:-1])) == len(cycle) - 1
        assert all(b in m.req.get(a, ()) for a, b in pairwise(cycle))
        [comp] = [c for c in components if set(cycle) <= c]
        assert comp not in seen
        seen.add(comp)

    unsat = by_kind.get("unsatisfiable", [])
    expected = set()
    for f in m.declared:
        cl = set(m.dist(f))
        if any(m.clash(x, y) for x in cl for y in cl):
            expected.add(f)
    assert [u[0] for u in unsat] == [f for f in m.declared if f in expected]
    for f, x, y in unsat:
        cl = set(m.dist(f))
        assert x in cl and y in cl and m.clash(x, y)
