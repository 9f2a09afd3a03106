"""The seed's nmap catalog, loaded straight from its JSON."""

from __future__ import annotations

import json

import pytest

from oto.fme import Schema
from tests.support import seed_path


@pytest.fixture(scope="module")
def nmap() -> Schema:
    params = json.loads(seed_path("nmap.json").read_text(encoding="utf-8"))
    schema = Schema(name=params[0]["executable_tag"])
    for p in params:
        schema.add_flag(p["flag"])
    for p in params:
        for other in p.get("require_ids") or ():
            schema.require(p["flag"], other)
        for other in p.get("interfer_ids") or ():
            schema.conflict(p["flag"], other)
    return schema


def test_catalog_is_consistent(nmap: Schema) -> None:
    assert len(nmap.flags) == 60
    assert nmap.validate() == []


def test_version_intensity_without_sv_is_refused(nmap: Schema) -> None:
    result = nmap.check(["--version-intensity"])
    assert not result.ok
    [v] = result.violations
    assert v.kind == "missing_requirement"
    assert v.flags == ("--version-intensity", "-sV")
    assert v.message == "--version-intensity requires -sV, which is missing"


def test_n_with_r_is_a_conflict(nmap: Schema) -> None:
    result = nmap.check(["-n", "-R"])
    assert [(v.kind, v.flags, v.message) for v in result.violations] == [
        ("conflict", ("-n", "-R"), "-n conflicts with -R")
    ]


def test_sv_with_version_intensity_is_accepted(nmap: Schema) -> None:
    assert nmap.check(["-sV", "--version-intensity"]).ok
    assert nmap.check(["--version-intensity", "-sV"]).ok


def test_unknown_flag_names_the_executable(nmap: Schema) -> None:
    [v] = nmap.check(["-zz"]).violations
    assert v.message == "-zz is not a flag of nmap - 7.98"


def test_complete_adds_sv(nmap: Schema) -> None:
    assert nmap.complete(["--version-all", "--script-trace"]) == ["--version-all", "--script-trace", "-sV", "--script"]
