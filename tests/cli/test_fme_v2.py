"""FME v2 rules from the CLI: --require-any, --group, --required, --when; refusals in one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oto.settings import get_settings
from tests.support.cli import Oto

TAR = "tar - 1.35"


def tar(oto: Oto) -> None:
    assert oto("executable", "add", "tar", "1.35", "/usr/bin/tar").code == 0
    for flag in ("-c", "-x", "-t"):
        assert oto("parameter", "add", TAR, flag, "--group", "mode:1:1").code == 0
    assert oto("parameter", "add", TAR, "-z", "--group", "compression::1").code == 0
    assert oto("parameter", "add", TAR, "-f", "--value-type", "path", "--required").code == 0
    assert oto("parameter", "add", TAR, "-v", "--require-any", "-c,-t").code == 0
    rule = '{"equals": "ustar", "forbid": ["-z"], "values": {"-f": ["*.tar"]}}'
    added = oto("parameter", "add", TAR, "--format", "--value-type", "string", "--when", rule)
    assert added.code == 0, added.err


def test_the_tar_tour(initialized: Oto, tmp_path: Path) -> None:
    oto = initialized
    tar(oto)
    listed = oto("parameter", "list", TAR).out
    assert "group mode:1:1" in listed and "group compression:0:1" in listed
    assert "requires one of -c -t" in listed and "required" in listed
    assert "when = ustar: forbids -z, -f only *.tar" in listed

    check = oto("command", "check", "--executable", TAR, "-c", "-x", "-v")
    assert check.code == 1
    assert "-f is required, which is missing" in check.out
    assert "exactly one of mode (-c -x -t) is required, 2 given: -c -x" in check.out
    none = oto("command", "check", "--executable", TAR, "-f", "-v")
    assert "-v requires one of -c, -t, which are all missing" in none.out
    assert "exactly one of mode (-c -x -t) is required, none given" in none.out

    assert oto("command", "add", "mk", "--executable", TAR, "-c", "-f", "--format", "-z").code == 0
    job = oto("job", "add", "j1", "--command", "mk", "--set", "-f=a.tgz", "--set", "--format=ustar")
    assert job.code == 2
    assert job.err.strip() == (
        "Error: job (j1): -z is not allowed when --format is ustar; -f a.tgz is not allowed when --format is ustar"
    )
    assert oto("job", "add", "j1", "--command", "mk", "--set", "-f=a.tar", "--set", "--format=gnu").code == 0

    first = tmp_path / "first.json"
    assert oto("export", "--output", str(first)).code == 0
    doc = json.loads(first.read_text())
    fmt = next(p for p in doc["parameters"] if p["flag"] == "--format")
    assert fmt["when"] == [{"equals": "ustar", "forbid": ["-z"], "values": {"-f": ["*.tar"]}}]


def test_export_import_export_is_byte_identical(initialized: Oto, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    oto = initialized
    tar(oto)
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    assert oto("export", "--output", str(first)).code == 0
    monkeypatch.setenv("OTO_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    get_settings.cache_clear()
    assert oto("init").code == 0
    assert oto("import", str(first)).code == 0
    assert oto("export", "--output", str(second)).code == 0
    assert first.read_bytes() == second.read_bytes()


def test_edit_replaces_and_drops_the_v2_rules(initialized: Oto) -> None:
    oto = initialized
    tar(oto)
    assert oto("parameter", "edit", TAR, "-v", "--require-any", "-c", "--require-any", "-x,-t").code == 0
    shown = json.loads(oto("parameter", "show", TAR, "-v", "--json").out)
    assert shown["require_any"] == [["-c"], ["-x", "-t"]]
    assert oto("parameter", "edit", TAR, "-v", "--no-require-any").code == 0
    assert "require_any" not in json.loads(oto("parameter", "show", TAR, "-v", "--json").out)
    assert oto("parameter", "edit", TAR, "-f", "--optional").code == 0
    assert oto("parameter", "edit", TAR, "--format", "--no-when").code == 0
    assert oto("parameter", "edit", TAR, "-z", "--no-groups").code == 0


def test_bad_rules_are_refused_with_exit_status_2_and_one_sentence(initialized: Oto) -> None:
    oto = initialized
    tar(oto)
    cases = [
        (["-q", "--group", "a:b:c:d"], "a group is NAME[:min[:max]], not 'a:b:c:d'"),
        (["-q", "--group", "g:x"], "group g: min must be a whole number, not 'x'"),
        (["-q", "--group", "g:١"], "group g: min must be a whole number"),
        (["-q", "--group", "mode:0:1"], "group mode is mode:0:1 here but mode:1:1 at -c"),
        (["-q", "--require-any", "-c,,-t"], "a require-any set is flags separated by commas"),
        (["-q", "--require-any", "-ghost"], "it requires one of -ghost, which is not a parameter of tar - 1.35"),
        (["-q", "--value-type", "string", "--when", "{not json"], "--when takes a JSON object"),
        (["-q", "--value-type", "string", "--when", '{"equals": "x"}'], "needs at least one of require, forbid"),
        (["-q", "--when", '{"equals": "x", "forbid": ["-c"]}'], "need a parameter that takes a value"),
        (["-q", "--value-type", "string", "--when", '{"equals": "' + "x" * 600 + '", "forbid": ["-c"]}'],
         "at most 500 characters"),
    ]
    for args, message in cases:
        result = oto("parameter", "add", TAR, *args)
        assert result.code == 2, (args, result.err)
        assert message in result.err, (args, result.err)
        assert "Traceback" not in result.err
    assert oto("parameter", "show", TAR, "-q").code == 2  # nothing was written


def test_a_required_flag_that_breaks_a_command_is_refused(initialized: Oto) -> None:
    oto = initialized
    tar(oto)
    assert oto("command", "add", "mk", "--executable", TAR, "-c", "-f").code == 0
    assert oto("parameter", "add", TAR, "-k").code == 0
    refused = oto("parameter", "edit", TAR, "-k", "--required")
    assert refused.code == 1
    assert "the change would break command 'mk': -k is required, which is missing" in refused.err


def test_text_that_is_not_utf8_is_refused(initialized: Oto) -> None:
    oto = initialized
    tar(oto)
    bad = b"\xff".decode("utf-8", "surrogateescape")  # what a terminal passes for a non-UTF-8 byte
    for args, message in (
        (["--group", bad], "a group name is not valid UTF-8 text"),
        (["--value-type", "string", "--when", '{"equals": "' + bad + '", "forbid": ["-c"]}'],
         "a value rule's text is not valid UTF-8 text"),
        (["--require-any", f"-c,{bad}"], "a require_any flag is not valid UTF-8 text"),
    ):
        result = oto("parameter", "add", TAR, "-q", *args)
        assert result.code == 2, (args, result.err)
        assert message in result.err and "Traceback" not in result.err


def test_check_offers_a_completion_that_picks_alternatives(initialized: Oto) -> None:
    oto = initialized
    tar(oto)
    check = oto("command", "check", "--executable", TAR, "-v")
    assert check.code == 1
    assert "with what is missing added: -v -f -c" in check.out
    too_many = oto("command", "check", "--executable", TAR, "-f", "-c", "-x")
    assert "with what is missing added" not in too_many.out
