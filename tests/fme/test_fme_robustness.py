"""The engine never crashes: odd strings, tiny and huge schemas, deep cycles."""

from __future__ import annotations

import pytest

from oto.fme import Schema

ODD = ["", " ", "a b", "-", "--", "é", "日本", "😀", 'q"', "x\\y", "\n", "\x00", "-" * 1000]


@pytest.mark.parametrize("flag", ODD)
def test_odd_flags_work_everywhere(flag: str) -> None:
    s = Schema()
    s.require(flag, "base")
    s.conflict(flag, "other")
    s.position(flag, 0)
    s.before(flag, "base")
    s.scale(flag, [flag, "lvl"])
    assert s.has_flag(flag)
    assert s.check([flag, "base"]).ok
    result = s.check(["base", flag, flag, "other", "lvl", "nope"])
    assert {v.kind for v in result.violations} == {
        "unknown_flag",
        "conflict",
        "position",
        "order",
        "scale",
        "duplicate",
    }
    assert s.check([flag]).violations[0].message == f"{flag} requires base, which is missing"
    assert s.closure([flag]) == {flag, "base"}
    assert s.complete([flag]) == [flag, "base"]
    assert s.validate() == []
    assert s.graph() and s.graph("mermaid")


def test_empty_schema_and_empty_combination() -> None:
    s = Schema()
    assert s.check([]).ok
    assert s.flags == ()
    assert s.validate() == []
    assert s.closure([]) == set()
    assert s.complete([]) == []
    assert [v.kind for v in s.check(["a"]).violations] == ["unknown_flag"]


def test_one_flag_schema() -> None:
    s = Schema()
    s.add_flag("only")
    assert s.check(["only"]).ok
    assert s.check(()).ok
    assert s.validate() == []


def test_any_iterable_combination() -> None:
    s = Schema()
    s.require("a", "b")
    assert s.check(iter(["a", "b"])).ok
    assert s.check(("a", "b")).ok
    assert s.closure(x for x in ["a"]) == {"a", "b"}


def test_ten_thousand_flag_cycle_needs_no_recursion() -> None:
    n = 10_000
    s = Schema()
    for i in range(n):
        s.require(f"f{i}", f"f{(i + 1) % n}")
    problems = s.validate()
    assert [p.kind for p in problems] == ["cycle"]
    assert len(problems[0].flags) == n + 1
    assert problems[0].flags[0] == problems[0].flags[-1] == "f0"
    assert len(s.closure(["f5"])) == n
    # (checking f0 alone would be quadratic by contract: n-1 chains of up to n flags)
    missing = s.check([f"f{i}" for i in range(n) if i != 7]).violations
    assert [(v.kind, v.flags) for v in missing] == [("missing_requirement", ("f6", "f7"))]


def test_ten_thousand_flag_chain() -> None:
    n = 10_000
    s = Schema()
    for i in range(n - 1):
        s.require(f"f{i}", f"f{i + 1}")
    assert s.validate() == []
    assert s.complete(["f0"]) == [f"f{i}" for i in range(n)]
    assert s.check([f"f{i}" for i in range(n)]).ok
