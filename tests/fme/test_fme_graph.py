"""DOT and Mermaid rendering: structure, and flags that could break the syntax."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from oto.fme import Schema

NASTY = ["with space", 'q"uote', "back\\slash", "é€😀", "", "new\nline", "#35;", "<b>", "`x`", "%%"]


def sample() -> Schema:
    s = Schema(name='nmap "7.98"')
    s.require("--version-intensity", "-sV")
    s.conflict("-n", "-R")
    s.scale("timing", ["-T0", "-T4"])
    s.before("-a", "-b")
    s.add_flag("lonely")
    return s


def test_dot_structure() -> None:
    out = sample().graph()
    assert out.startswith('digraph "nmap \\"7.98\\"" {')
    assert out.rstrip().endswith("}")
    ids = dict(re.findall(r'(n\d+) \[label="([^"]*)"\]', out))
    by_flag = {v: k for k, v in ids.items()}
    assert set(by_flag) == {"--version-intensity", "-sV", "-n", "-R", "-T0", "-T4", "-a", "-b", "lonely"}
    assert f"{by_flag['--version-intensity']} -> {by_flag['-sV']};" in out
    assert f"{by_flag['-n']} -> {by_flag['-R']} [style=dashed, dir=none" in out
    assert "subgraph cluster_0 {" in out
    assert 'label="scale timing";' in out
    assert out == sample().graph(fmt="dot")


def test_mermaid_structure() -> None:
    out = sample().graph(fmt="mermaid")
    lines = out.splitlines()
    assert lines[0] == "flowchart LR"
    ids = dict(re.findall(r'(n\d+)\["([^"]*)"\]', out))
    by_flag = {v: k for k, v in ids.items()}
    assert f"  {by_flag['--version-intensity']} --> {by_flag['-sV']}" in lines
    assert f"  {by_flag['-n']} -.- {by_flag['-R']}" in lines
    assert '  subgraph s0 ["scale timing"]' in lines
    assert "  end" in lines


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_nasty_flags_stay_inside_their_quotes(fmt: str) -> None:
    s = Schema()
    for a, b in pairwise(NASTY):
        s.require(a, b)
    s.conflict(NASTY[0], NASTY[-1])
    s.scale('sc"ale', NASTY[:3])
    out = s.graph(fmt)
    # every line holds balanced, unescaped quotes and no raw newline leaked in
    for line in out.splitlines():
        unescaped = re.sub(r"\\.", "", line) if fmt == "dot" else line
        assert unescaped.count('"') % 2 == 0, line
    assert len(out.splitlines()) == len(s.graph(fmt).splitlines())
    if fmt == "dot":
        labels = re.findall(r'label="((?:[^"\\]|\\.)*)"', out)
        decoded = {re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), x) for x in labels}
        assert set(NASTY) <= decoded
    else:
        assert "#quot;" in out and "#35;35;" in out and "#lt;b#gt;" in out


def test_flag_in_two_scales_is_drawn_once() -> None:
    s = Schema()
    s.scale("one", ["a", "b"])
    s.scale("two", ["b", "c"])
    dot = s.graph()
    assert dot.count('[label="b"]') == 1
    assert 'label="scale two (also b)";' in dot
    mermaid = s.graph("mermaid")
    assert mermaid.count('["b"]') == 1


def test_empty_schema() -> None:
    assert Schema().graph() == 'digraph "fme" {\n  rankdir=LR;\n  node [shape=box];\n}\n'
    assert Schema().graph("mermaid") == "flowchart LR\n"
