"""The dashboard's rules picture and builder hints carry the FME v2 rules."""

from __future__ import annotations

from oto.dashboard import builder, graphs
from oto.domain.documents import ParameterDoc


def param(flag: str, **fields: object) -> ParameterDoc:
    return ParameterDoc.model_validate({"flag": flag, "executable_tag": "t - 1", **fields})


def tar() -> list[ParameterDoc]:
    mode = [{"name": "mode", "min": 1, "max": 1}]
    return [
        param("-c", groups=mode), param("-x", groups=mode),
        param("-z", groups=[{"name": "comp<ression>", "min": 1}]),
        param("-f", value_type="path", required=True),
        param("-v", require_any=[["-c", "-x"]]),
        param("--format", value_type="string", when=[{"in": ["ustar", "v7"], "forbid": ["-z"],
                                                      "values": {"-f": ["*.tar"]}}]),
        param("-lonely"),
    ]


def test_the_picture_draws_groups_with_bounds_any_arrows_value_rules_and_required_flags() -> None:
    diagram = graphs.rules_diagram("tar - 1", tar())
    assert diagram is not None
    svg = graphs.to_svg(diagram, label="rules")
    assert "exactly one of mode" in svg
    assert "at least 1 of comp&lt;ression&gt;" in svg and "<ression>" not in svg
    assert 'class="edge any" data-from="-v" data-to="-c"' in svg
    assert 'class="edge when" data-from="--format" data-to="-z"' in svg
    assert ">required</text>" in svg and ">when in ustar, v7</text>" in svg
    assert "-lonely" not in svg
    for group in diagram.groups:
        assert group.w >= len(graphs.group_label(group)) * graphs.LABEL_CHAR_W + 2 * graphs.GROUP_PAD


def test_a_required_flag_alone_is_drawn() -> None:
    diagram = graphs.rules_diagram("t - 1", [param("-f", required=True), param("-g")])
    assert diagram is not None and [n.id for n in diagram.nodes] == ["-f"]


def test_the_builder_hints_name_the_v2_rules() -> None:
    hints = {c.flag: c.hints for c in builder.choices(tar())}
    assert "in group mode (exactly one)" in hints["-c"]
    assert "required in every command" in hints["-f"]
    assert "needs one of -c, -x" in hints["-v"]
    assert "when in ustar, v7: forbids -z; allows -f *.tar only" in hints["--format"]
