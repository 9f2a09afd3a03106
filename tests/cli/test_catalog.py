"""The catalog verbs of the CLI, from a user's side: output, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oto.services.database import head_revision
from oto.settings import get_settings
from tests.support import DATA, seed_path
from tests.support.cli import Oto

TAG = "openssl - 3.5.3"


def test_a_fresh_database_must_be_initialized_first(oto: Oto) -> None:
    result = oto("executable", "list")
    assert result.code == 2
    assert result.err.startswith("Error: the database sqlite:///")
    assert result.err.rstrip().endswith("has no OTO schema: run `oto init`")
    assert "Traceback" not in result.err


def test_init_is_repeatable(oto: Oto) -> None:
    assert oto("init").code == 0
    again = oto("init", "--json")
    assert again.code == 0
    assert json.loads(again.out)["revision"] == head_revision()


def test_five_minute_tour(initialized: Oto) -> None:
    oto = initialized
    assert oto("import", str(DATA / "openssl.json")).code == 0
    check = oto("command", "check", "--executable", TAG, "genpkey", "-pkeyopt")
    assert check.code == 1
    assert "-pkeyopt requires -algorithm, which is missing" in check.out
    assert "with what is missing added: genpkey -pkeyopt -algorithm" in check.out
    assert oto("command", "check", "--executable", TAG, "genpkey", "-algorithm", "-pkeyopt").code == 0
    added = oto("command", "add", "Gen", "--executable", TAG, "genpkey", "-algorithm", "-pkeyopt", "-out")
    assert added.code == 0, added.err
    job = oto(
        "job",
        "add",
        "Gen-4096",
        "--command",
        "Gen",
        "--set",
        "genpkey",
        "--set",
        "-algorithm=RSA",
        "--set",
        "-pkeyopt=rsa_keygen_bits:4096",
        "--set",
        "-out=my key.pem",
    )
    assert job.code == 0, job.err
    argv = oto("job", "argv", "Gen-4096", "--json")
    assert json.loads(argv.out) == [
        "/usr/bin/openssl",
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:4096",
        "-out",
        "my key.pem",
    ]
    assert oto("job", "argv", "Gen-4096").out.strip().endswith("-out 'my key.pem'")
    listed = json.loads(oto("job", "list", "--json").out)
    assert [j["name"] for j in listed] == ["CheckKey-enc", "CheckKey-key", "ExtractPub-key", "Gen-4096", "GenRSA-2048",
                                          "GenRSA-enc"]


def test_command_check_json(initialized: Oto) -> None:
    oto = initialized
    oto("import", str(DATA / "nmap.json"))
    result = oto("command", "check", "--executable", "nmap - 7.98", "--json", "-n", "-R", "--version-intensity")
    assert result.code == 1
    verdict = json.loads(result.out)
    kinds = sorted((v["kind"], tuple(v["flags"])) for v in verdict["violations"])
    assert kinds == [("conflict", ("-n", "-R")), ("missing_requirement", ("--version-intensity", "-sV"))]
    assert verdict["completion"] is None


def test_refused_command_exits_1_and_writes_nothing(initialized: Oto) -> None:
    oto = initialized
    oto("import", str(DATA / "nmap.json"))
    result = oto("command", "add", "bad", "--executable", "nmap - 7.98", "-n", "-R")
    assert result.code == 1
    assert result.err == "Error: command (bad): -n conflicts with -R\n"
    assert json.loads(oto("command", "list", "--json").out) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("executable", "add", "ls", "1", "bin/ls"),
            "Error: executable: path: the path must be absolute, not 'bin/ls'\n",
        ),
        (("parameter", "add", "nope - 1", "-x"), "Error: no executable 'nope - 1'"),
        (
            ("parameter", "add", TAG, "-zz", "--value-type", "colour"),
            "Error: parameter: value_type: unknown value type",
        ),
        (
            ("job", "add", "j", "--command", "GenRSA", "--set", "-bogus=1"),
            "Error: job (j): -bogus is not a flag of command 'GenRSA'\n",
        ),
        (
            ("job", "add", "j", "--command", "GenRSA", "--set", "genpkey=x"),
            "Error: job (j): genpkey (bool) takes no value, but 'x' was given\n",
        ),
        (
            ("job", "add", "j", "--command", "GenRSA", "--set", "genpkey", "--set", "-algorithm=RSA"),
            "Error: job (j): -pkeyopt (string) needs a value",
        ),
        (
            ("job", "add", "keys/rsa", "--command", "GenRSA", "--set", "genpkey"),
            "Error: job: name: a name cannot contain '/' (names go in URL paths, where '/' separates parts): "
            "'keys/rsa'\n",
        ),
        (
            ("executable", "add", "ls", "9/1", "/bin/ls"),
            "Error: executable: version: a version cannot contain '/' (names go in URL paths, where '/' separates "
            "parts): '9/1'\n",
        ),
        (
            ("command", "add", "gen/rsa", "--executable", TAG, "genpkey"),
            "Error: command: name: a name cannot contain '/'",
        ),
        (("job", "argv", "nope"), "Error: no job 'nope'\n"),
        (("import", "/nonexistent.json"), "Error: cannot read /nonexistent.json"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(initialized: Oto, args: tuple[str, ...], message: str) -> None:
    oto = initialized
    oto("import", str(DATA / "openssl.json"))
    before = oto("export").out
    result = oto(*args)
    assert result.code == 2, result
    assert result.err.startswith(message)
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err
    assert oto("export").out == before


def test_import_of_a_bad_file_names_the_file_and_item(initialized: Oto, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"oto": 1, "executables": [{"name": "x", "version": "1"}]}')
    result = initialized("import", str(bad))
    assert result.code == 2
    assert result.err == f"Error: {bad}: executables[0] (x): path: is missing\n"
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert initialized("import", str(broken)).err.startswith(f"Error: {broken}: not valid JSON")


EMPTY = {"oto": 1, "executables": [], "parameters": [], "commands": [], "jobs": [], "routines": [], "schedules": [],
         "notifications": []}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply to be an OTO document"),
        (b'{"oto": 1, "executables": [{"name": "caf\xe9"}]}', "not UTF-8 text (byte 40 cannot be read)"),
        (b'{"oto": 1}' + b" " * 2048, "larger than 1024 bytes, the most OTO_MAX_IMPORT lets an import read"),
    ],
    ids=["deep", "latin-1", "too-large"],
)
def test_import_of_a_hostile_file_is_one_sentence_and_writes_nothing(
        initialized: Oto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, message: str) -> None:
    monkeypatch.setenv("OTO_MAX_IMPORT", "1024" if "larger" in message else "1000000")
    get_settings.cache_clear()
    hostile = tmp_path / "hostile.json"
    hostile.write_bytes(content)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"oto": 1, "executables": [{"name": "x", "version": "1", "path": "/bin/true"}]}))
    result = initialized("import", str(good), str(hostile))
    assert (result.code, result.err) == (2, f"Error: {hostile}: {message}\n")
    assert json.loads(initialized("export").out) == EMPTY


def test_import_of_an_endless_file_stops_at_the_limit(initialized: Oto, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTO_MAX_IMPORT", "4096")
    get_settings.cache_clear()
    result = initialized("import", "/dev/zero")
    assert (result.code, result.err) == (
        2, "Error: /dev/zero: larger than 4096 bytes, the most OTO_MAX_IMPORT lets an import read\n")


def test_import_refuses_a_slash_in_a_name_and_names_the_item(initialized: Oto, tmp_path: Path) -> None:
    document = json.loads((DATA / "openssl.json").read_text())
    document["routines"][0]["name"] = "keys/pair"
    bad = tmp_path / "slash.json"
    bad.write_text(json.dumps(document))
    result = initialized("import", str(bad))
    assert result.code == 2
    assert result.err == (f"Error: {bad}: routines[0] (keys/pair): name: a name cannot contain '/' (names go in URL "
                          "paths, where '/' separates parts): 'keys/pair'\n")
    assert json.loads(initialized("export").out) == {
        "oto": 1, "executables": [], "parameters": [], "commands": [], "jobs": [], "routines": [], "schedules": [],
        "notifications": []}


def test_seed_lists_import_after_their_executables(initialized: Oto) -> None:
    oto = initialized
    assert oto("executable", "add", "nmap", "7.98", "/usr/bin/nmap").code == 0
    result = oto("import", "--json", str(seed_path("nmap.json")))
    assert result.code == 0, result.err
    assert json.loads(result.out)[str(seed_path("nmap.json"))]["created"] == 60
    params = json.loads(oto("parameter", "list", "nmap - 7.98", "--json").out)
    assert len(params) == 60


def test_export_import_round_trip_through_files(initialized: Oto, tmp_path: Path) -> None:
    oto = initialized
    for name in ("openssl", "nmap", "masscan"):
        assert oto("import", str(DATA / f"{name}.json")).code == 0
    out = tmp_path / "all.json"
    assert oto("export", "--output", str(out)).code == 0
    assert out.read_text() == oto("export").out


def test_parameter_rules_and_schema_views(initialized: Oto) -> None:
    oto = initialized
    oto("executable", "add", "tool", "1", "/bin/echo")
    assert oto("parameter", "add", "tool - 1", "-a").code == 0
    assert oto("parameter", "add", "tool - 1", "-b", "--require", "-a").code == 0
    refused = oto("parameter", "add", "tool - 1", "-c", "--require", "-b", "--conflict", "-a")
    assert refused.code == 1
    assert refused.err.startswith("Error: parameter: the rules of tool - 1 would be inconsistent: ")
    assert oto("schema", "check", "tool - 1").code == 0
    graph = oto("schema", "graph", "tool - 1", "--format", "mermaid")
    assert graph.code == 0
    assert "-b" in graph.out and "-a" in graph.out
    dot = oto("schema", "graph", "tool - 1")
    assert dot.out.startswith("digraph")


def test_delete_in_use_is_refused_unless_cascade(initialized: Oto) -> None:
    oto = initialized
    oto("import", str(DATA / "openssl.json"))
    refused = oto("command", "delete", "GenRSA")
    assert refused.code == 2
    assert refused.err == ("Error: command 'GenRSA' is used by jobs GenRSA-2048; delete them first, or "
                           "delete with cascade (--cascade; in the API ?cascade=true)\n")
    param = oto("parameter", "delete", TAG, "-out")
    assert param.err.startswith("Error: -out of openssl - 3.5.3 is used by commands ExtractPub, GenRSA")
    assert oto("command", "delete", "GenRSA", "--cascade").code == 0
    jobs = [j["name"] for j in json.loads(oto("job", "list", "--json").out)]
    assert "GenRSA-2048" not in jobs


def test_version_and_debug_keep_the_exit_status(initialized: Oto) -> None:
    version = initialized("--version")
    assert version.code == 0 and version.out.startswith("oto ")
    bad = initialized("--debug", "job", "show", "nope")
    assert bad.code == 2  # bad input stays exit 2 with the traceback shown
    assert "Traceback" in bad.err and bad.err.rstrip().endswith("Error: no job 'nope'")


def test_a_job_added_twice_is_refused_in_plain_words(initialized: Oto) -> None:
    oto = initialized
    assert oto("import", str(DATA / "openssl.json")).code == 0
    again = oto("job", "add", "GenRSA-2048", "--command", "GenRSA", "--set", "genpkey")
    assert again.code == 2 and again.err == "Error: job 'GenRSA-2048' already exists\n"


@pytest.mark.parametrize(("argv", "message"), [
    (["executable", "add", "t\udcff", "1", "/bin/true"], "executable: name: not valid UTF-8 text"),
    (["parameter", "add", "openssl - 3.5.3", "--f\udcff"], "parameter: flag: not valid UTF-8 text"),
    (["parameter", "add", "openssl - 3.5.3", "--g", "--description", "x\udcff"],
     "parameter: description: not valid UTF-8 text"),
    (["command", "add", "c\udcff", "--executable", "openssl - 3.5.3", "genpkey"], "name: not valid UTF-8 text"),
])
def test_text_that_is_not_utf8_is_one_sentence_and_writes_nothing(initialized: Oto, argv: list[str],
                                                                 message: str) -> None:
    """Bytes that are not UTF-8 (a terminal passes them as lone surrogates) never reach the database."""
    assert initialized("import", str(DATA / "openssl.json")).code == 0
    before = initialized("export").out
    result = initialized(*argv)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err, result.err
    assert initialized("export").out == before
