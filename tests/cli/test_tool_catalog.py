"""``oto catalog``: search the shipped tool specs, show one, add it — as a user types them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from oto.services import tool_catalog
from tests.support.cli import Oto

TAR = shutil.which("tar")


def test_search_finds_a_tool_by_name_and_by_description(oto: Oto) -> None:
    found = oto("catalog", "search", "tar", "--json")
    assert found.code == 0, found.err
    names = [t["name"] for t in json.loads(found.out)]
    assert names[0] == "tar"  # an exact name comes first
    by_word = json.loads(oto("catalog", "search", "archive", "--json").out)
    assert "tar" in [t["name"] for t in by_word]
    table = oto("catalog", "search", "rsync")
    assert table.code == 0 and "rsync" in table.out


def test_search_of_nothing_says_so_and_hostile_words_stay_text(oto: Oto) -> None:
    none = oto("catalog", "search", "zzzz-no-such-tool-zzzz")
    assert none.code == 0 and "no tools matching" in none.out
    for word in ("[/oops]", "[link=https://evil.example]x", "\x1b]0;owned\x07"):
        answer = oto("catalog", "search", word)
        assert answer.code == 0, answer.err
        assert "\x1b" not in answer.out


def test_show_lists_a_tools_flags_and_rules_before_anything_is_added(oto: Oto) -> None:
    shown = oto("catalog", "show", "tar", "--json")
    assert shown.code == 0, shown.err
    data = json.loads(shown.out)
    assert data["name"] == "tar" and data["parameters"]
    assert all(p["executable_tag"] == data["executable"]["name"] + " - fig" for p in data["parameters"])
    text = oto("catalog", "show", "tar")
    assert text.code == 0 and "--create" in text.out and "--directory\tpath" in text.out


def test_show_of_a_subcommand_has_its_own_flags(oto: Oto) -> None:
    commit = json.loads(oto("catalog", "show", "git", "commit", "--json").out)
    assert commit["executable"]["name"] == "git commit"
    flags = {p["flag"] for p in commit["parameters"]}
    assert "commit" in flags  # the subcommand's word, at its fixed place
    tool = json.loads(oto("catalog", "show", "git", "--json").out)
    assert {p["flag"] for p in tool["parameters"]} != flags


def test_show_of_an_unknown_tool_or_subcommand_is_one_sentence(oto: Oto) -> None:
    unknown = oto("catalog", "show", "tarr")
    assert unknown.code == 2 and unknown.err.startswith("Error: ") and "tar" in unknown.err
    assert "Traceback" not in unknown.err
    sub = oto("catalog", "show", "git", "no-such-subcommand")
    assert sub.code == 2 and "no subcommand" in sub.err


@pytest.mark.skipif(TAR is None, reason="tar is not installed")
def test_add_finds_the_program_on_path_and_reads_its_version(initialized: Oto) -> None:
    oto = initialized
    added = oto("catalog", "add", "tar", "--json")
    assert added.code == 0, added.err
    [report] = json.loads(added.out)
    assert report["path"] == TAR
    printed = subprocess.run([TAR, "--version"], capture_output=True, text=True, check=False).stdout
    assert report["version"] != "fig" and report["version"] in printed
    tag = f"tar - {report['version']}"
    shown = json.loads(oto("executable", "show", tag, "--json").out)
    assert shown["path"] == TAR and shown["parameters"] > 10
    again = oto("catalog", "add", "tar", "--json")  # adding again changes nothing
    assert again.code == 0 and json.loads(again.out)[0]["created"]["executables"]["created"] == 0


def test_add_with_a_path_and_version_takes_them(initialized: Oto) -> None:
    oto = initialized
    added = oto("catalog", "add", "tar", "--path", "/bin/true", "--version", "9.9")
    assert added.code == 0, added.err
    assert "added tar 9.9 (/bin/true)" in added.out
    assert json.loads(oto("executable", "show", "tar - 9.9", "--json").out)["path"] == "/bin/true"


def test_a_given_path_is_never_run_for_its_version(initialized: Oto, tmp_path: Path) -> None:
    oto = initialized
    witness = tmp_path / "ran"
    program = tmp_path / "fake-tar"
    program.write_text(f"#!/bin/sh\ntouch {witness}\necho 'tar 1.2.3'\n")
    program.chmod(0o755)
    added = oto("catalog", "add", "tar", "--path", str(program), "--json")
    assert added.code == 0, added.err
    assert json.loads(added.out)[0]["version"] == "fig" and not witness.exists()


def test_add_refuses_what_it_cannot_do_and_writes_nothing(initialized: Oto) -> None:
    oto = initialized
    cases = [
        (("catalog", "add", "tar", "--path", "bin/tar"), "must be absolute"),
        (("catalog", "add", "tar", "--path", "/no/such/program"), "not an executable file"),
        (("catalog", "add", "tar", "ls", "--path", "/bin/true"), "one tool"),
        (("catalog", "add", "tar", "tar"), "named twice"),
        (("catalog", "add", "tar", "no-such-tool-xyz"), "no-such-tool-xyz"),
        (("catalog", "add", "tar", "--path", "/bin/true", "--version", "1 - 2"), "' - '"),
        (("catalog", "add", "tar", "--path", "/bin/true", "--version", "a/b"), "/"),
    ]
    for args, words in cases:
        refused = oto(*args)
        assert refused.code == 2, (args, refused.out, refused.err)
        assert words in refused.err and "Traceback" not in refused.err, (args, refused.err)
    assert json.loads(oto("executable", "list", "--json").out) == []


def test_a_tool_not_installed_needs_a_path(initialized: Oto) -> None:
    oto = initialized
    missing = next(t.name for t in tool_catalog.tools() if not t.problems and shutil.which(t.program) is None)
    refused = oto("catalog", "add", missing)
    assert refused.code == 2 and "not installed on this machine" in refused.err and "--path" in refused.err
    assert json.loads(oto("executable", "list", "--json").out) == []


def test_an_added_tools_rules_refuse_commands(initialized: Oto) -> None:
    oto = initialized
    assert oto("catalog", "add", "tar", "--path", "/bin/true", "--version", "1").code == 0
    tag = "tar --create - 1"
    clash = oto("command", "check", "--executable", tag, "--create", "--gzip", "--xz", "--file")
    assert clash.code == 1 and "--gzip conflicts with --xz" in clash.out, clash.out
    missing = oto("command", "check", "--executable", tag, "--create", "--gzip")
    assert missing.code == 1 and "--file" in missing.out, missing.out
    fine = oto("command", "check", "--executable", tag, "--create", "--gzip", "--file", "FILE")
    assert fine.code == 0, fine.out
