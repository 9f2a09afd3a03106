"""``show`` and ``edit`` for every kind of the catalog, as a user types them."""

from __future__ import annotations

import json

import pytest

from tests.support import DATA
from tests.support.cli import Oto

TAG = "openssl - 3.5.3"


@pytest.fixture
def catalog(initialized: Oto) -> Oto:
    assert initialized("import", str(DATA / "openssl.json")).code == 0
    return initialized


def test_show_prints_each_kind(catalog: Oto) -> None:
    oto = catalog
    exe = oto("executable", "show", TAG)
    assert exe.code == 0, exe.err
    assert "/usr/bin/openssl" in exe.out and "GenRSA" in exe.out
    param = oto("parameter", "show", TAG, "-pkeyopt")
    assert param.code == 0, param.err
    assert "requires -algorithm" in param.out
    command = oto("command", "show", "GenRSA")
    assert command.code == 0 and "genpkey" in command.out
    job = json.loads(oto("job", "show", "GenRSA-2048", "--json").out)
    assert job["argv"][0] == "/usr/bin/openssl" and job["command"] == "GenRSA"
    routine = oto("routine", "show", "keypair-and-pub")
    assert routine.code == 0 and "key" in routine.out


def test_show_of_an_unknown_item_is_one_sentence(catalog: Oto) -> None:
    missing = catalog("job", "show", "nope")
    assert missing.code == 2 and missing.err == "Error: no job 'nope'\n"


def test_edit_changes_only_what_is_given(catalog: Oto) -> None:
    oto = catalog
    before = json.loads(oto("executable", "show", TAG, "--json").out)
    edited = oto("executable", "edit", TAG, "--description", "the toolkit")
    assert edited.code == 0, edited.err
    after = json.loads(oto("executable", "show", TAG, "--json").out)
    assert after["description"] == "the toolkit" and after["path"] == before["path"]

    assert oto("parameter", "edit", TAG, "-out", "--description", "where the key goes").code == 0
    assert json.loads(oto("parameter", "show", TAG, "-out", "--json").out)["description"] == "where the key goes"

    assert oto("job", "edit", "GenRSA-2048", "--description", "a key").code == 0
    job = json.loads(oto("job", "show", "GenRSA-2048", "--json").out)
    assert job["description"] == "a key" and job["values"]["-pkeyopt"] == "rsa_keygen_bits:2048"

    assert oto("routine", "edit", "keypair-and-pub", "--description", "key and pub").code == 0
    assert json.loads(oto("routine", "show", "keypair-and-pub", "--json").out)["description"] == "key and pub"


def test_an_edit_the_engine_refuses_writes_nothing(catalog: Oto) -> None:
    oto = catalog
    before = oto("command", "show", "GenRSA", "--json").out
    refused = oto("command", "edit", "GenRSA", "genpkey", "-pkeyopt")
    assert refused.code == 1
    assert "-pkeyopt requires -algorithm, which is missing" in refused.err
    assert oto("command", "show", "GenRSA", "--json").out == before
    nothing = oto("job", "edit", "GenRSA-2048")
    assert nothing.code == 2 and "nothing to change" in nothing.err


def test_a_missing_program_is_warned_about_not_refused(initialized: Oto) -> None:
    added = initialized("executable", "add", "ping", "1.0", "/usr/bin/pingzz")
    assert added.code == 0
    assert "/usr/bin/pingzz is not an executable file on this machine" in added.err


def test_a_listing_piped_is_tab_separated_and_never_cut(catalog: Oto) -> None:
    listed = catalog("job", "list")
    lines = listed.out.splitlines()
    assert lines[0] == "name\tcommand\tvalues\tinputs"
    row = next(line.split("\t") for line in lines if line.startswith("GenRSA-2048\t"))
    assert row == ["GenRSA-2048", "GenRSA", "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem", ""]
    assert "│" not in listed.out and "…" not in listed.out


def test_a_show_piped_is_one_line_per_field_never_wrapped(catalog: Oto, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")  # narrower than the argv: a terminal would wrap it
    shown = catalog("job", "show", "GenRSA-2048")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == "job GenRSA-2048"
    assert "argv            /usr/bin/openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem" in lines
    assert "command         GenRSA" in lines and all(line == line.rstrip() for line in lines)
