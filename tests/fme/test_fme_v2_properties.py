"""FME v2 (require_any, groups, required, value rules) against a brute-force model.

Random small schemas mix every rule kind, v1's included; the model answers each question the
slow, obvious way (closures by BFS, clashes by looking at every pair, group searches by trying
every set), so agreement is evidence the precomputed engine is right.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oto.fme import FMEError, Schema

POOL = ["a", "-b", "--c d", "é", "-T0", "x*", "q"]
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALUES = ["RSA", "EC", "k:1", "k:2", "x*y", ""]


class Model:
    def __init__(self) -> None:
        self.declared: list[str] = []
        self.req: dict[str, set[str]] = {}
        self.conf: set[frozenset[str]] = set()
        self.pos: dict[str, set[int]] = {}
        self.scales: dict[str, list[str]] = {}
        self.groups: dict[str, list[str]] = {}
        self.bounds: dict[str, tuple[int, int | None]] = {}
        self.any: list[tuple[str, tuple[str, ...]]] = []
        self.required: list[str] = []
        self.when: list[tuple[str, tuple[str, ...], bool, str, str, tuple[str, ...]]] = []

    def declare(self, *flags: str) -> None:
        for f in flags:
            if f not in self.declared:
                self.declared.append(f)

    def closure(self, flags: list[str] | set[str] | tuple[str, ...]) -> set[str]:
        out = set(flags)
        todo = list(out)
        while todo:
            for w in self.req.get(todo.pop(), ()):
                if w not in out:
                    out.add(w)
                    todo.append(w)
        return out

    def pair(self, x: str, y: str) -> bool:
        """v1's pairwise clash, with groups of at most one member counting as scales."""
        if x == y:
            return len(self.pos.get(x, ())) > 1
        if frozenset((x, y)) in self.conf:
            return True
        ones = [*self.scales.values(), *(m for g, m in self.groups.items() if self.bounds[g][1] == 1)]
        if any(x in g and y in g for g in ones):
            return True
        return bool(self.pos.get(x, set()) & self.pos.get(y, set()))

    def clashes(self, flags: tuple[str, ...]) -> bool:
        cl = self.closure(flags)
        if any(self.pair(x, y) for x in cl for y in cl):
            return True
        return any(hi is not None and len(cl & set(self.groups[g])) > hi for g, (_, hi) in self.bounds.items())

    def usable(self, f: str) -> bool:
        cl = self.closure([f])
        return not any(self.pair(x, y) for x in cl for y in cl)

    def over(self, present: set[str]) -> bool:
        """What completing may never create: a conflict, a scale clash, a group over its max."""
        if any(frozenset((x, y)) in self.conf for x in present for y in present):
            return True
        if any(len(present & set(m)) > 1 for m in self.scales.values()):
            return True
        return any(hi is not None and len(present & set(self.groups[g])) > hi for g, (_, hi) in self.bounds.items())


@st.composite
def schemas(draw: st.DrawFn) -> tuple[Schema, Model, list[str]]:
    n = draw(st.integers(2, len(POOL)))
    names = draw(st.permutations(POOL))[:n]
    flag = st.sampled_from(names)
    flags = st.lists(flag, min_size=1, max_size=4)

    def some(count: int, item: st.SearchStrategy[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [draw(item) for _ in range(draw(st.integers(0, count)))]

    bounds = {g: draw(st.sampled_from([(0, 1), (1, None), (1, 1), (2, None), (0, 2), (2, 3), (4, None)]))
              for g in ("g1", "g2")}
    ops = (
        some(8, st.tuples(st.just("require"), flag, flag))
        + some(3, st.tuples(st.just("conflict"), flag, flag))
        + some(2, st.tuples(st.just("position"), flag, st.integers(0, 3)))
        + some(1, st.tuples(st.just("scale"), st.just("s1"), flags))
        + some(3, st.tuples(st.just("group"), st.sampled_from(["g1", "g2"]), flags))
        + some(3, st.tuples(st.just("any"), flag, flags))
        + some(2, st.tuples(st.just("required"), flag))
        + some(4, st.tuples(st.just("when"), flag, st.lists(st.sampled_from(VALUES), min_size=1, max_size=2),
                            st.booleans(), st.sampled_from(["require", "forbid", "values"]), flag,
                            st.lists(st.sampled_from(["k:*", "RSA", "*y", "*"]), max_size=2)))
        + some(1, st.tuples(st.just("probe")))
    )
    ops = draw(st.permutations(ops))
    schema = Schema()
    m = Model()
    for op in ops:
        kind = op[0]
        if kind == "require":
            a, b = str(op[1]), str(op[2])
            if names.index(a) > names.index(b):  # acyclic, so chains survive
                a, b = b, a
            schema.require(a, b)
            m.declare(a, b)
            if a != b:
                m.req.setdefault(a, set()).add(b)
        elif kind == "conflict":
            a, b = str(op[1]), str(op[2])
            schema.conflict(a, b)
            m.declare(a, b)
            if a != b:
                m.conf.add(frozenset((a, b)))
        elif kind == "position":
            schema.position(str(op[1]), int(op[2]))  # type: ignore[call-overload]
            m.declare(str(op[1]))
            m.pos.setdefault(str(op[1]), set()).add(int(op[2]))  # type: ignore[call-overload]
        elif kind == "scale":
            members = [str(f) for f in op[2]]  # type: ignore[attr-defined]
            schema.scale("s1", members)
            m.declare(*members)
            group = m.scales.setdefault("s1", [])
            group.extend(f for f in dict.fromkeys(members) if f not in group)
        elif kind == "group":
            name = str(op[1])
            members = [str(f) for f in op[2]]  # type: ignore[attr-defined]
            low, high = bounds[name]
            schema.group(name, members, min=low, max=high)
            m.declare(*members)
            m.bounds[name] = (low, high)
            group = m.groups.setdefault(name, [])
            group.extend(f for f in dict.fromkeys(members) if f not in group)
        elif kind == "any":
            a = str(op[1])
            alts = tuple(dict.fromkeys(str(f) for f in op[2]))  # type: ignore[attr-defined]
            schema.require_any(a, alts)
            m.declare(a, *alts)
            if (a, alts) not in m.any:
                m.any.append((a, alts))
        elif kind == "required":
            schema.required(str(op[1]))
            m.declare(str(op[1]))
            if op[1] not in m.required:
                m.required.append(str(op[1]))
        elif kind == "when":
            _, f, vals, equals, action, target, patterns = op
            values = tuple(dict.fromkeys(vals))  # type: ignore[call-overload]
            if equals:
                values = values[:1]
            cond = schema.when(str(f), equals=values[0]) if equals else schema.when(str(f), in_=values)
            m.declare(str(f))
            pats = tuple(patterns) if action == "values" else ()  # type: ignore[call-overload]
            if action == "require":
                cond.require(str(target))
            elif action == "forbid":
                cond.forbid(str(target))
            else:
                cond.values(str(target), pats)
            m.declare(str(target))
            rule = (str(f), values, bool(equals), str(action), str(target), pats)
            if rule not in m.when:
                m.when.append(rule)
        else:
            schema.check([])
    return schema, m, names


def combos(names: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(names * 3 + ["zz"]), min_size=0, max_size=7)


@SETTINGS
@given(schemas(), st.data())
def test_check_matches_model(built: tuple[Schema, Model, list[str]], data: st.DataObject) -> None:
    schema, m, names = built
    assert schema.flags == tuple(m.declared)
    for combo in data.draw(st.lists(combos(names), min_size=1, max_size=3)):
        got: dict[str, list[tuple[str, ...]]] = {}
        for v in schema.check(combo).violations:
            got.setdefault(v.kind, []).append(v.flags)
        present = {f for f in combo if f in m.declared}
        missing = (m.closure(list(present)) | set(m.required)) - present
        chains = got.get("missing_requirement", [])
        assert sorted(c[-1] for c in chains) == sorted(missing)
        for chain in chains:
            assert (chain == (chain[0],) and chain[0] in m.required) or chain[0] in present

        broken = [(a, *alts) for a, alts in m.any if a in present and not present & set(alts)]
        assert Counter(got.get("missing_any", [])) == Counter(broken)

        expected = []
        for g, members in m.groups.items():
            low, high = m.bounds[g]
            here = [f for f in dict.fromkeys(combo) if f in members]
            if len(here) < low:
                expected.append(tuple(members))
            elif high is not None and len(here) > high:
                expected.append(tuple(here))
        assert Counter(got.get("group", [])) == Counter(expected)


@SETTINGS
@given(schemas(), st.data())
def test_complete_matches_greedy_model(built: tuple[Schema, Model, list[str]], data: st.DataObject) -> None:
    schema, m, names = built
    combo = data.draw(combos(names))

    def requirers_first(added: set[str]) -> list[str]:
        """The engine's order of added flags: Kahn's algorithm (requires are acyclic here), ties by declaration."""
        waiting = {v: sum(1 for u in added if v in m.req.get(u, ())) for v in added}
        ready = sorted((m.declared.index(v), v) for v in added if not waiting[v])
        out: list[str] = []
        while ready:
            _, v = ready.pop(0)
            out.append(v)
            for w in m.req.get(v, ()):
                if w in waiting:
                    waiting[w] -= 1
                    if not waiting[w]:
                        ready = sorted([*ready, (m.declared.index(w), w)])
        return out

    def greedy() -> list[str] | None:
        start = m.closure([f for f in combo if f in m.declared] + m.required)
        result = combo + requirers_first(start - set(combo))
        if m.over(set(result) & set(m.declared)):
            return None
        while True:
            have = set(result)
            todo: list[str] | None = None
            for f in dict.fromkeys(result):
                for a, alts in m.any:
                    if a == f and not have & set(alts):
                        todo = list(alts)
                        break
                if todo is not None:
                    break
            if todo is None:
                for g, members in m.groups.items():
                    if len(have & set(members)) < m.bounds[g][0]:
                        todo = [f for f in members if f not in have]
                        break
            if todo is None:
                return result
            for b in todo:
                grown = [*result, b, *requirers_first(m.closure([b]) - have - {b})]
                if not m.over(set(grown) & set(m.declared)):
                    result = grown
                    break
            else:
                return None

    expected = greedy()
    try:
        result = schema.complete(combo)
    except FMEError as error:
        assert error.violations
        assert expected is None
        return
    assert result[: len(combo)] == combo
    assert result == expected
    checked = {v.kind for v in schema.check(result).violations}
    assert not checked & {"missing_requirement", "missing_any", "conflict", "scale", "group"}


@SETTINGS
@given(schemas())
def test_validate_matches_model(built: tuple[Schema, Model, list[str]]) -> None:
    schema, m, _ = built
    by_kind: dict[str, list[tuple[str, ...]]] = {}
    for p in schema.validate():
        by_kind.setdefault(p.kind, []).append(p.flags)
    unusable = {f for f in m.declared if not m.usable(f)}
    assert {u[0] for u in by_kind.get("unsatisfiable", [])} == unusable

    pairs = [(x, y) for x, y in combinations([f for f in m.required if f not in unusable], 2) if m.clashes((x, y))]
    assert by_kind.get("required_conflict", []) == pairs

    impossible_any = [
        (a, *alts) for a, alts in m.any if a not in unusable and all(m.clashes((a, b)) for b in alts)
    ]
    assert Counter(by_kind.get("impossible_any", [])) == Counter(impossible_any)

    impossible_group = []
    for g, members in m.groups.items():
        low = m.bounds[g][0]
        if low and all(m.clashes(chosen) for chosen in combinations(members, low)):
            impossible_group.append(tuple(members))
    assert by_kind.get("impossible_group", []) == impossible_group


def matches(value: str, pattern: str) -> bool:
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), value, re.DOTALL) is not None


@SETTINGS
@given(schemas(), st.data())
def test_check_values_matches_model(built: tuple[Schema, Model, list[str]], data: st.DataObject) -> None:
    schema, m, names = built
    keys = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    values: dict[str, object] = {
        k: data.draw(st.one_of(st.sampled_from(VALUES), st.lists(st.sampled_from(VALUES), max_size=3), st.none()))
        for k in keys
    }

    def listed(v: object) -> list[str]:
        if v is None or v == "":
            return []
        return [v] if isinstance(v, str) else list(v)  # type: ignore[call-overload]

    expected = []
    for flag, vals, _equals, action, target, pats in m.when:
        if flag not in values or not set(listed(values[flag])) & set(vals):
            continue
        if action == "require" and target not in values:
            expected.append(("when_missing", (flag, target)))
        elif action == "forbid" and target in values:
            expected.append(("when_forbidden", (flag, target)))
        elif action == "values":
            expected += [("when_value", (flag, target)) for v in listed(values.get(target)) if not any(
                matches(v, p) for p in pats)]
    got = [(v.kind, v.flags) for v in schema.check_values(values).violations]
    assert got == expected
