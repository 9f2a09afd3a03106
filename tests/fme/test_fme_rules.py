"""Every rule, every violation and problem kind: exact shapes and messages."""

from __future__ import annotations

import pytest

from oto.fme import CheckResult, FMEError, Problem, Schema, Violation


def kinds(result: CheckResult) -> list[tuple[str, tuple[str, ...]]]:
    return [(v.kind, v.flags) for v in result.violations]


def only(result: CheckResult) -> Violation:
    assert not result.ok
    assert len(result.violations) == 1, result.violations
    return result.violations[0]


# -- requires -------------------------------------------------------------


def test_requires_direct_message_and_shape() -> None:
    s = Schema()
    s.require("--version-intensity", "-sV")
    v = only(s.check(["--version-intensity"]))
    assert v == Violation(
        "missing_requirement",
        ("--version-intensity", "-sV"),
        "--version-intensity requires -sV, which is missing",
    )
    assert s.check(["--version-intensity", "-sV"]).ok
    assert s.check(["-sV", "--version-intensity"]).ok


def test_requires_is_transitive_with_one_violation_per_missing_flag() -> None:
    s = Schema()
    s.require("a", "b")
    s.require("b", "c")
    result = s.check(["a"])
    assert kinds(result) == [
        ("missing_requirement", ("a", "b")),
        ("missing_requirement", ("a", "b", "c")),
    ]
    assert result.violations[1].message == "a requires b, which requires c, which is missing"
    # b present: c is reached from b directly, the chain is the shortest one
    assert kinds(s.check(["a", "b"])) == [("missing_requirement", ("b", "c"))]
    assert s.check(["a", "b", "c"]).ok


def test_missing_chain_is_shortest_over_all_present_flags() -> None:
    s = Schema()
    for a, b in [("a", "b"), ("b", "c"), ("c", "d"), ("x", "d")]:
        s.require(a, b)
    result = s.check(["a", "b", "c", "x"])
    assert kinds(result) == [("missing_requirement", ("c", "d"))]
    # x comes first in C, both x and c are one step away: ties go to C order
    result = s.check(["x", "a", "b", "c"])
    assert kinds(result) == [("missing_requirement", ("x", "d"))]


def test_missing_requirements_in_a_cycle() -> None:
    s = Schema()
    s.require("a", "b")
    s.require("b", "a")
    assert kinds(s.check(["a"])) == [("missing_requirement", ("a", "b"))]
    assert s.check(["b", "a"]).ok
    assert s.closure(["a"]) == {"a", "b"}


# -- conflicts ------------------------------------------------------------


def test_conflict_shape_message_and_symmetry() -> None:
    s = Schema()
    s.conflict("-n", "-R")
    assert only(s.check(["-n", "-R"])) == Violation("conflict", ("-n", "-R"), "-n conflicts with -R")
    # symmetric: the pair is given in the order of the combination
    assert only(s.check(["-R", "-n"])) == Violation("conflict", ("-R", "-n"), "-R conflicts with -n")
    assert s.check(["-n"]).ok


def test_one_violation_per_conflicting_pair() -> None:
    s = Schema()
    s.conflict("a", "b")
    s.conflict("b", "a")  # same pair declared twice
    s.conflict("a", "c")
    result = s.check(["c", "b", "a"])
    assert kinds(result) == [("conflict", ("c", "a")), ("conflict", ("b", "a"))]


def test_conflict_only_counts_flags_present_not_their_closure() -> None:
    s = Schema()
    s.require("a", "b")
    s.conflict("b", "c")
    assert kinds(s.check(["a", "c"])) == [("missing_requirement", ("a", "b"))]


# -- position -------------------------------------------------------------


def test_position_message_counts_every_item() -> None:
    s = Schema()
    s.position("-x", 0)
    s.add_flag("-y")
    assert s.check(["-x", "-y"]).ok
    s.add_flag("-y", repeatable=True)
    v = only(s.check(["-y", "-y", "-x"]))
    assert v == Violation("position", ("-x",), "-x must be at position 0 but is at 2")
    # unknown items count too
    result = s.check(["zz", "-x"])
    assert kinds(result) == [("unknown_flag", ("zz",)), ("position", ("-x",))]
    assert result.violations[1].message == "-x must be at position 0 but is at 1"


def test_position_beyond_the_combination() -> None:
    s = Schema()
    s.position("last", 3)
    s.add_flag("a")
    assert only(s.check(["last", "a"])).message == "last must be at position 3 but is at 0"


# -- before ---------------------------------------------------------------


def test_before() -> None:
    s = Schema()
    s.before("a", "b")
    assert s.check(["a", "b"]).ok
    assert s.check(["a"]).ok
    assert s.check(["b"]).ok
    assert only(s.check(["b", "a"])) == Violation("order", ("a", "b"), "a must come before b")


def test_before_with_repeated_flags_means_every_a_before_every_b() -> None:
    s = Schema()
    s.add_flag("a", repeatable=True)
    s.before("a", "b")
    assert kinds(s.check(["a", "b", "a"])) == [("order", ("a", "b"))]
    assert s.check(["a", "a", "b"]).ok


def test_before_self_is_ignored() -> None:
    s = Schema()
    s.add_flag("a", repeatable=True)
    s.before("a", "a")
    assert s.check(["a", "a"]).ok
    assert s.validate() == []


# -- scale ----------------------------------------------------------------


def test_scale_message_and_shape() -> None:
    s = Schema()
    s.scale("timing", [f"-T{i}" for i in range(6)])
    assert s.check(["-T4"]).ok
    v = only(s.check(["-T0", "-T4"]))
    assert v == Violation("scale", ("-T0", "-T4"), "only one of -T0, -T4 (scale timing) may be used")
    # present members in order of appearance, all of them
    assert only(s.check(["-T5", "-T1", "-T3"])).flags == ("-T5", "-T1", "-T3")


def test_scale_extends_on_second_call_and_repeats_are_not_scale_violations() -> None:
    s = Schema()
    s.scale("t", ["a"])
    s.scale("t", ["b", "a"])
    assert s.scales == {"t": ("a", "b")}
    assert kinds(s.check(["a", "b"])) == [("scale", ("a", "b"))]
    assert kinds(s.check(["a", "a"])) == [("duplicate", ("a",))]


# -- duplicate / repeatable -----------------------------------------------


def test_duplicate_and_repeatable() -> None:
    s = Schema()
    s.add_flag("-v")
    s.add_flag("-d", repeatable=True)
    assert only(s.check(["-v", "-v"])) == Violation("duplicate", ("-v",), "-v is given 2 times but is not repeatable")
    assert only(s.check(["-v", "-d", "-v", "-v"])).message == "-v is given 3 times but is not repeatable"
    assert s.check(["-d", "-d", "-d"]).ok


def test_repeatable_is_sticky() -> None:
    s = Schema()
    s.add_flag("-d", repeatable=True)
    s.add_flag("-d")
    assert s.is_repeatable("-d")
    assert s.check(["-d", "-d"]).ok


# -- unknown ----------------------------------------------------------------


def test_unknown_flag_messages() -> None:
    s = Schema()
    s.add_flag("a")
    assert only(s.check(["-zz"])) == Violation("unknown_flag", ("-zz",), "-zz is not a parameter of this executable")
    named = Schema(name="nmap - 7.98")
    assert only(named.check(["-zz"])).message == "-zz is not a flag of nmap - 7.98"


def test_unknown_flag_reported_once_and_never_as_duplicate() -> None:
    s = Schema()
    assert kinds(s.check(["zz", "zz"])) == [("unknown_flag", ("zz",))]


# -- check() as a whole ---------------------------------------------------


def test_violations_come_in_contract_order() -> None:
    s = Schema(name="x")
    s.require("r", "q")
    s.conflict("c1", "c2")
    s.position("p", 0)
    s.before("a", "b")
    s.scale("s", ["s1", "s2"])
    s.add_flag("d")
    result = s.check(["b", "a", "p", "d", "d", "s2", "s1", "c2", "c1", "r", "zz"])
    assert [v.kind for v in result.violations] == [
        "unknown_flag",
        "missing_requirement",
        "conflict",
        "position",
        "order",
        "scale",
        "duplicate",
    ]


def test_to_dict_shapes() -> None:
    s = Schema()
    s.conflict("-n", "-R")
    assert s.check(["-n", "-R"]).to_dict() == {
        "ok": False,
        "violations": [{"kind": "conflict", "flags": ["-n", "-R"], "message": "-n conflicts with -R"}],
    }
    assert s.check([]).to_dict() == {"ok": True, "violations": []}
    assert Problem("cycle", ("a", "b", "a"), "m").to_dict() == {
        "kind": "cycle",
        "flags": ["a", "b", "a"],
        "message": "m",
    }


def test_results_are_frozen() -> None:
    result = Schema().check([])
    with pytest.raises(AttributeError):
        result.ok = False  # type: ignore[misc]
    v = Violation("conflict", ("a", "b"), "a conflicts with b")
    with pytest.raises(AttributeError):
        v.kind = "order"  # type: ignore[misc]
    assert CheckResult([v]).ok is False
    assert CheckResult([]).ok is True


# -- closure / complete -----------------------------------------------------


def test_closure() -> None:
    s = Schema()
    s.require("a", "b")
    s.require("b", "c")
    s.add_flag("d")
    assert s.closure(["a"]) == {"a", "b", "c"}
    assert s.closure(["d", "zz"]) == {"d", "zz"}
    assert s.closure([]) == set()


def test_complete_puts_requirers_before_requirements() -> None:
    s = Schema()
    for a, b in [("a", "c"), ("a", "b"), ("b", "c"), ("c", "d")]:
        s.require(a, b)
    # b requires c, so c comes after b even though a requires c directly
    assert s.complete(["a"]) == ["a", "b", "c", "d"]
    assert s.complete(["a", "d"]) == ["a", "d", "b", "c"]
    assert s.complete([]) == []
    assert s.complete(["zz"]) == ["zz"]


def test_complete_ties_follow_declaration_order() -> None:
    s = Schema()
    for f in ["e", "y", "x"]:
        s.add_flag(f)
    s.require("e", "x")
    s.require("e", "y")
    assert s.complete(["e"]) == ["e", "y", "x"]


def test_complete_raises_naming_the_clash() -> None:
    s = Schema()
    s.require("a", "b")
    s.conflict("b", "c")
    with pytest.raises(FMEError) as info:
        s.complete(["a", "c"])
    assert str(info.value) == "cannot complete the combination: c conflicts with b"
    assert [(v.kind, v.flags) for v in info.value.violations] == [("conflict", ("c", "b"))]

    t = Schema()
    t.scale("timing", ["-T0", "-T4"])
    t.require("fast", "-T4")
    with pytest.raises(FMEError, match=r"only one of -T0, -T4 \(scale timing\) may be used"):
        t.complete(["-T0", "fast"])


# -- validate ---------------------------------------------------------------


def test_validate_clean() -> None:
    s = Schema()
    s.require("a", "b")
    s.conflict("a", "c")
    assert s.validate() == []


def test_validate_cycle() -> None:
    s = Schema()
    s.require("a", "b")
    s.require("b", "a")
    assert s.validate() == [
        Problem("cycle", ("a", "b", "a"), "requirements form a cycle: a requires b, which requires a")
    ]


def test_validate_one_cycle_per_component_shortest_through_first_flag() -> None:
    s = Schema()
    for a, b in [("a", "b"), ("b", "c"), ("c", "a"), ("b", "a"), ("x", "y"), ("y", "x")]:
        s.require(a, b)
    problems = s.validate()
    assert [(p.kind, p.flags) for p in problems] == [
        ("cycle", ("a", "b", "a")),
        ("cycle", ("x", "y", "x")),
    ]


def test_validate_self_reference_is_otherwise_ignored() -> None:
    s = Schema()
    s.require("a", "a")
    s.conflict("b", "b")
    assert s.validate() == [
        Problem("self_reference", ("a",), "a requires itself"),
        Problem("self_reference", ("b",), "b conflicts with itself"),
    ]
    assert s.check(["a"]).ok
    assert s.check(["b"]).ok
    assert s.closure(["a"]) == {"a"}


def test_validate_unsatisfiable_by_conflict() -> None:
    s = Schema()
    s.require("a", "b")
    s.require("a", "c")
    s.conflict("b", "c")
    assert s.validate() == [
        Problem("unsatisfiable", ("a", "b", "c"), "a can never be used: it requires b and c, which conflict")
    ]


def test_validate_unsatisfiable_by_conflict_with_itself() -> None:
    s = Schema()
    s.require("a", "b")
    s.require("b", "c")
    s.conflict("c", "a")
    problems = s.validate()
    assert problems == [
        Problem("unsatisfiable", ("a", "a", "c"), "a can never be used: it requires c, which conflicts with a")
    ]


def test_validate_unsatisfiable_by_scale() -> None:
    s = Schema()
    s.scale("timing", ["-T0", "-T4"])
    s.require("x", "-T0")
    s.require("x", "-T4")
    s.require("-T0", "-T4")
    assert [(p.kind, p.flags, p.message) for p in s.validate()] == [
        (
            "unsatisfiable",
            ("-T0", "-T0", "-T4"),
            "-T0 can never be used: it requires -T4, which is in scale timing with -T0",
        ),
        (
            "unsatisfiable",
            ("x", "-T0", "-T4"),
            "x can never be used: it requires -T0 and -T4, which are both in scale timing",
        ),
    ]


def test_validate_unsatisfiable_by_positions() -> None:
    s = Schema()
    s.position("p", 0)
    s.position("p", 1)
    s.position("q", 3)
    s.position("r", 3)
    s.require("u", "p")
    s.require("v", "q")
    s.require("v", "r")
    s.require("w", "q")
    assert [(p.kind, p.flags, p.message) for p in s.validate()] == [
        ("unsatisfiable", ("p", "p", "p"), "p can never be used: it must be at position 0 and at position 1"),
        (
            "unsatisfiable",
            ("u", "p", "p"),
            "u can never be used: it requires p, which must be at position 0 and at position 1",
        ),
        (
            "unsatisfiable",
            ("v", "q", "r"),
            "v can never be used: it requires q and r, which must both be at position 3",
        ),
    ]
    # q and r are each usable: the clash needs both in one closure
    assert s.check(["q"]).violations[0].message == "q must be at position 3 but is at 0"


def test_validate_position_clash_with_itself_message() -> None:
    s = Schema()
    s.position("q", 0)
    s.position("r", 0)
    s.require("q", "r")
    assert s.validate() == [
        Problem(
            "unsatisfiable",
            ("q", "q", "r"),
            "q can never be used: it requires r, which must be at position 0 like q",
        )
    ]


def test_validate_unsatisfiable_through_a_cycle() -> None:
    s = Schema()
    s.require("a", "b")
    s.require("b", "a")
    s.conflict("a", "b")
    assert [(p.kind, p.flags) for p in s.validate()] == [
        ("cycle", ("a", "b", "a")),
        ("unsatisfiable", ("a", "a", "b")),
        ("unsatisfiable", ("b", "a", "b")),
    ]


def test_validate_before_never_makes_unsatisfiable() -> None:
    s = Schema()
    s.before("a", "b")
    s.before("b", "a")
    s.require("x", "a")
    s.require("x", "b")
    assert s.validate() == []


# -- schema life cycle ------------------------------------------------------


def test_rules_added_after_a_check_are_seen() -> None:
    s = Schema()
    s.add_flag("a")
    assert s.check(["a"]).ok
    assert s.validate() == []
    s.require("a", "b")
    assert not s.check(["a"]).ok
    s.conflict("a", "c")
    s.require("b", "c")
    assert [p.kind for p in s.validate()] == ["unsatisfiable"]


def test_copy_is_independent() -> None:
    s = Schema(name="n")
    s.require("a", "b")
    assert not s.check(["a"]).ok
    t = s.copy()
    assert t.name == "n"
    t.add_flag("b", repeatable=True)
    t.require("b", "a")
    assert s.check(["a", "b"]).ok
    assert s.validate() == []
    assert [p.kind for p in t.validate()] == ["cycle"]
    assert not s.is_repeatable("b")


def test_accessors() -> None:
    s = Schema()
    s.add_flag("z")
    s.require("a", "b")
    s.conflict("a", "c")
    s.position("a", 2)
    s.before("a", "d")
    s.before("e", "a")
    s.scale("lvl", ["a", "f"])
    s.require("g", "a")
    assert s.flags == ("z", "a", "b", "c", "d", "e", "f", "g")
    assert s.has_flag("a")
    assert not s.has_flag("y")
    rules = s.rules_of("a")
    assert rules.requires == ("b",)
    assert rules.required_by == ("g",)
    assert rules.conflicts == ("c",)
    assert rules.positions == (2,)
    assert rules.before == ("d",)
    assert rules.after == ("e",)
    assert rules.scales == ("lvl",)
    assert rules.repeatable is False
    assert s.rules_of("c").conflicts == ("a",)
    with pytest.raises(KeyError):
        s.rules_of("nope")


def test_type_errors() -> None:
    s = Schema()
    with pytest.raises(TypeError):
        s.add_flag(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        s.require("a", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        s.check(["a", 2])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        s.check("-sV")
    with pytest.raises(TypeError):
        s.position("a", "0")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        s.position("a", True)
    with pytest.raises(ValueError):
        s.position("a", -1)
    with pytest.raises(TypeError):
        s.scale("t", "ab")
    with pytest.raises(TypeError):
        Schema(name=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        s.graph("svg")
