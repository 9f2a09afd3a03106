"""FME v2 by example: the messages and shapes docs/fme.md promises, and the refusals of bad calls."""

from __future__ import annotations

import pytest

from oto.fme import FMEError, Schema


def kinds(schema: Schema, combo: list[str]) -> list[tuple[str, tuple[str, ...], str]]:
    return [(v.kind, v.flags, v.message) for v in schema.check(combo).violations]


def tar() -> Schema:
    s = Schema("tar - 1.35")
    s.group("mode", ["-c", "-x", "-t"], min=1, max=1)
    s.group("compression", ["-z", "-j", "-J"], min=1)
    s.required("-f")
    return s


def test_the_issue_messages() -> None:
    s = tar()
    s.group("timing", ["-T0", "-T3"], max=1)
    s.require_any("-a", ["-b", "-c"])
    assert kinds(s, ["-f", "-c", "-z", "-T0", "-T3"]) == [
        ("group", ("-T0", "-T3"), "at most 1 of timing: -T0 -T3")
    ]
    assert kinds(s, ["-f", "-c"]) == [("group", ("-z", "-j", "-J"), "one of compression (-z -j -J) is required")]
    assert kinds(s, ["-f", "-c", "-x", "-z"]) == [
        ("group", ("-c", "-x"), "exactly one of mode (-c -x -t) is required, 2 given: -c -x")
    ]
    assert kinds(s, ["-f", "-z"]) == [
        ("group", ("-c", "-x", "-t"), "exactly one of mode (-c -x -t) is required, none given")
    ]
    assert kinds(s, ["-a", "-x", "-z"]) == [
        ("missing_requirement", ("-f",), "-f is required, which is missing"),
        ("missing_any", ("-a", "-b", "-c"), "-a requires one of -b, -c, which are all missing"),
    ]


def test_scale_keeps_its_v1_kind_and_message() -> None:
    s = Schema()
    s.scale("timing", ["-T0", "-T5"])
    assert kinds(s, ["-T5", "-T0"]) == [("scale", ("-T5", "-T0"), "only one of -T5, -T0 (scale timing) may be used")]


def test_bounds_of_two_and_more() -> None:
    s = Schema()
    s.group("g", ["a", "b", "c"], min=2)
    s.group("h", ["x", "y", "z"], min=2, max=2)
    assert kinds(s, ["a", "x", "y"]) == [("group", ("a", "b", "c"), "at least 2 of g (a b c) are required, 1 given: a")]
    assert kinds(s, ["a", "b", "x"])[0][2] == "exactly 2 of h (x y z) are required, 1 given: x"


def test_a_required_flag_that_something_also_requires_is_reported_once() -> None:
    s = Schema()
    s.require("a", "b")
    s.required("b")
    assert kinds(s, ["a"]) == [("missing_requirement", ("b",), "b is required, which is missing")]


def test_complete_satisfies_require_any_and_groups_with_the_first_alternative_that_fits() -> None:
    s = tar()
    s.conflict("-c", "-k")
    s.require_any("-v", ["-q", "-r"])
    s.require("-r", "-s")
    s.conflict("-q", "-k")
    assert s.complete(["-k", "-v"]) == ["-k", "-v", "-f", "-r", "-s", "-x", "-z"]


def test_complete_names_the_clash_when_no_alternative_fits() -> None:
    s = Schema()
    s.require_any("-a", ["-b", "-c"])
    s.require("-c", "-d")
    s.conflict("-b", "-x")
    s.conflict("-d", "-x")
    with pytest.raises(FMEError) as caught:
        s.complete(["-a", "-x"])
    assert caught.value.message == (
        "cannot complete the combination: -a requires one of -b, -c, which are all missing; "
        "none can be added: -x conflicts with -b; -x conflicts with -d"
    )
    assert [v.kind for v in caught.value.violations] == ["missing_any", "conflict", "conflict"]


def test_validate_finds_the_new_impossible_schemas() -> None:
    s = Schema()
    s.group("few", ["a", "b"], min=3)
    s.conflict("c", "d")
    s.group("pair", ["c", "d"], min=2)
    s.required("c")
    s.required("d")
    s.require_any("e", ["c", "f"])
    s.conflict("e", "c")
    s.require("e", "g")
    s.conflict("g", "f")
    got = [(p.kind, p.flags, p.message) for p in s.validate()]
    assert got == [
        ("required_conflict", ("c", "d"), "c and d are both required but cannot be used together"),
        ("impossible_any", ("e", "c", "f"), "e requires one of c, f, but each clashes with e or what it requires"),
        ("impossible_group", ("a", "b"), "group few needs at least 3 of a b but has only 2 members"),
        ("impossible_group", ("c", "d"), "group pair can never have 2 of its members (c d) together"),
    ]


def test_a_group_of_at_most_one_makes_a_flag_unsatisfiable_like_a_scale() -> None:
    s = Schema()
    s.group("level", ["-1", "-9"], max=1)
    s.require("--both", "-1")
    s.require("--both", "-9")
    [problem] = s.validate()
    assert problem.message == (
        "--both can never be used: it requires -1 and -9, which are both in group level (at most 1)"
    )


def test_value_rules_name_their_condition() -> None:
    s = Schema()
    s.when("-algorithm", equals="EC").values("-pkeyopt", ["ec_paramgen_curve:*"]).forbid("-x").require("-out")
    s.when("-algorithm", in_=["RSA", "RSA-PSS"]).values("-pkeyopt", ["rsa_keygen_bits:*"])
    got = s.check_values({"-algorithm": "EC", "-pkeyopt": ["rsa_keygen_bits:512", "ec_paramgen_curve:P-256"], "-x": ""})
    assert [(v.kind, v.flags, v.message) for v in got.violations] == [
        ("when_value", ("-algorithm", "-pkeyopt"), "-pkeyopt rsa_keygen_bits:512 is not allowed when -algorithm is EC"),
        ("when_forbidden", ("-algorithm", "-x"), "-x is not allowed when -algorithm is EC"),
        ("when_missing", ("-algorithm", "-out"), "-out is required when -algorithm is EC"),
    ]
    rsa = s.check_values({"-algorithm": "RSA-PSS", "-pkeyopt": "ec:1"})
    assert [v.message for v in rsa.violations] == [
        "-pkeyopt ec:1 is not allowed when -algorithm is one of RSA, RSA-PSS"
    ]
    assert s.check_values({"-algorithm": "RSA", "-pkeyopt": "rsa_keygen_bits:4096"}).ok
    assert s.check_values({"-pkeyopt": "anything"}).ok  # no condition, no rule
    assert s.check(["-algorithm", "-x"]).ok  # check() sees flags only


def test_patterns_are_literal_but_for_the_star() -> None:
    s = Schema()
    s.when("-m", equals="v").values("-p", ["a.c", "[x]*", "(?!)"])
    assert s.check_values({"-m": "v", "-p": ["a.c", "[x]yz", "(?!)"]}).ok
    assert not s.check_values({"-m": "v", "-p": "abc"}).ok
    assert not s.check_values({"-m": "v", "-p": "xyz"}).ok


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.group("g", ["a"], min=-1),
        lambda s: s.group("g", ["a"], max=0),
        lambda s: s.group("g", ["a"], min=3, max=2),
        lambda s: s.require_any("a", []),
        lambda s: s.when("a"),
        lambda s: s.when("a", equals="x", in_=["y"]),
        lambda s: s.when("a", in_=[]),
    ],
)
def test_bad_calls_raise_value_error(call: object) -> None:
    with pytest.raises(ValueError):
        call(Schema())  # type: ignore[operator]


def test_group_and_scale_names_do_not_mix_and_bounds_do_not_change() -> None:
    s = Schema()
    s.scale("t", ["a"])
    with pytest.raises(ValueError, match="t is a scale"):
        s.group("t", ["b"])
    s.group("g", ["c"], min=1)
    with pytest.raises(ValueError, match="g is a group"):
        s.scale("g", ["d"])
    with pytest.raises(ValueError, match="other bounds"):
        s.group("g", ["d"], min=2)
    s.group("g", ["d"], min=1)
    assert s.groups["g"].members == ("c", "d")


def test_bad_types_raise_type_error() -> None:
    s = Schema()
    with pytest.raises(TypeError):
        s.group("g", "ab")
    with pytest.raises(TypeError):
        s.group("g", ["a"], min=True)
    with pytest.raises(TypeError):
        s.check_values({"a": 3})
    with pytest.raises(TypeError):
        s.check_values(["a"])  # type: ignore[arg-type]


def test_rules_of_reports_the_new_rules() -> None:
    s = tar()
    s.require_any("-v", ["-c", "-t"])
    rules = s.rules_of("-v")
    assert rules.require_any == (("-c", "-t"),)
    assert s.rules_of("-f").required and s.rules_of("-c").groups == ("mode",)


def test_graphs_draw_the_v2_rules_with_hostile_text_escaped() -> None:
    s = Schema('t"ool')
    s.group('m"o}de', ["-c", "-x"], min=1, max=1)
    s.required('-f"')
    s.require_any("-v", ["-c"])
    s.when("--format", equals='"];\n<b>').forbid("-c")
    dot = s.graph("dot")
    assert 'label="group m\\"o}de (exactly 1)";' in dot
    assert 'label="-f\\"\\n(required)"' in dot
    assert '[style=dashed, color=blue, label="one of"];' in dot
    assert 'label="when = \\"];\\n<b>: forbid"' in dot
    mermaid = s.graph("mermaid")
    assert 'subgraph s0 ["group m#quot;o}de (exactly 1)"]' in mermaid
    assert '-. "when = #quot;];#10;#lt;b#gt;: forbid" .->' in mermaid
    assert "<br>(required)" in mermaid


def test_a_schema_without_v2_rules_draws_as_in_v1() -> None:
    s = Schema("t")
    s.scale("timing", ["-T0", "-T1"])
    s.require("-a", "-b")
    assert 'label="scale timing";' in s.graph("dot")
    assert "one of" not in s.graph("dot") and "required" not in s.graph("mermaid")
