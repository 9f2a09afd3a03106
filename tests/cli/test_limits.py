"""``--max-concurrent`` on ``executable add/edit`` and ``job add/edit``, as a user types it."""

from __future__ import annotations

import json

import pytest

from tests.support import DATA
from tests.support.cli import Oto

TAG = "openssl - 3.5.3"
WANTED = "max_concurrent must be a whole number from 1 to 1000, or null for no limit"


@pytest.fixture
def catalog(initialized: Oto) -> Oto:
    assert initialized("import", str(DATA / "openssl.json")).code == 0
    return initialized


def test_a_limit_is_set_shown_and_removed(catalog: Oto) -> None:
    oto = catalog
    added = oto("executable", "add", "sleeper", "1", "/bin/sleep", "--max-concurrent", "2", "--json")
    assert added.code == 0, added.err
    assert json.loads(added.out)["max_concurrent"] == 2
    assert "2 runs at once" in oto("executable", "show", "sleeper - 1").out
    assert oto("executable", "edit", TAG, "--max-concurrent", "1").code == 0
    assert json.loads(oto("executable", "show", TAG, "--json").out)["max_concurrent"] == 1
    assert oto("executable", "edit", TAG, "--no-max-concurrent").code == 0
    assert "no limit" in oto("executable", "show", TAG).out
    assert oto("job", "edit", "GenRSA-2048", "--max-concurrent", "1").code == 0
    assert "1 run at once" in oto("job", "show", "GenRSA-2048").out
    assert json.loads(oto("job", "show", "GenRSA-2048", "--json").out)["max_concurrent"] == 1
    assert oto("job", "edit", "GenRSA-2048", "--no-max-concurrent").code == 0
    assert json.loads(oto("job", "show", "GenRSA-2048", "--json").out)["max_concurrent"] is None
    job = oto("job", "add", "limited", "--command", "GenRSA", "--set", "genpkey", "--set", "-algorithm=RSA",
              "--set", "-pkeyopt=rsa_keygen_bits:2048", "--set", "-out=k.pem", "--max-concurrent", "3", "--json")
    assert job.code == 0, job.err
    assert json.loads(job.out)["max_concurrent"] == 3


@pytest.mark.parametrize(("value", "shown"), [("0", "0"), ("-3", "-3"), ("1001", "1001"),
                                              ("99999999999999999999999", "a number that large")])
def test_a_bad_limit_is_one_sentence_with_exit_2_and_nothing_changes(catalog: Oto, value: str, shown: str) -> None:
    oto = catalog
    before = oto("export").out
    for args in (("executable", "edit", TAG), ("job", "edit", "GenRSA-2048"),
                 ("executable", "add", "x", "1", "/bin/true")):
        result = oto(*args, "--max-concurrent", value)
        assert result.code == 2, result
        assert result.err.count("\n") == 1 and WANTED in result.err and f"not {shown}" in result.err, result.err
        assert "Traceback" not in result.err
    assert oto("export").out == before


@pytest.mark.parametrize("value", ["two", "1.5", "<b>", "\udcff"])
def test_a_limit_that_is_not_a_number_is_refused_by_the_parser(catalog: Oto, value: str) -> None:
    result = catalog("job", "edit", "GenRSA-2048", "--max-concurrent", value)
    assert result.code == 2 and "Traceback" not in result.err


def test_both_a_limit_and_no_limit_is_refused(catalog: Oto) -> None:
    result = catalog("job", "edit", "GenRSA-2048", "--max-concurrent", "2", "--no-max-concurrent")
    assert result.code == 2
    assert result.err == "Error: give --max-concurrent or --no-max-concurrent, not both\n"
