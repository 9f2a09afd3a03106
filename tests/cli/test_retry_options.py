"""``oto job add/edit`` retry options, as a user types them: each bad one refused in one sentence, nothing written."""

from __future__ import annotations

import json

import pytest

from tests.support import DATA
from tests.support.cli import Oto

VALUES = ["--set", "genpkey", "--set", "-algorithm=RSA", "--set", "-pkeyopt=rsa_keygen_bits:2048",
          "--set", "-out=k.pem"]


@pytest.fixture
def catalog(initialized: Oto) -> Oto:
    assert initialized("import", str(DATA / "openssl.json")).code == 0
    return initialized


def job(oto: Oto, name: str) -> dict[str, object]:
    shown = oto("job", "show", name, "--json")
    assert shown.code == 0, shown.err
    return dict(json.loads(shown.out))


def test_add_with_retries_then_edit_and_drop_them(catalog: Oto) -> None:
    oto = catalog
    added = oto("job", "add", "Flaky", "--command", "GenRSA", *VALUES, "--retries", "3", "--retry-delay", "10s",
                "--backoff", "2", "--max-retry-delay", "5m", "--retry-on", "failed,timed_out")
    assert added.code == 0, added.err
    assert job(oto, "Flaky")["retry"] == {"attempts": 4, "delay": "10s", "backoff": 2.0, "max_delay": "5m",
                                          "on": ["failed", "timed_out"]}
    assert oto("job", "edit", "Flaky", "--attempts", "2").code == 0  # the rest of the policy stays
    assert job(oto, "Flaky")["retry"] == {"attempts": 2, "delay": "10s", "backoff": 2.0, "max_delay": "5m",
                                          "on": ["failed", "timed_out"]}
    assert oto("job", "edit", "Flaky", "--no-retry").code == 0
    assert job(oto, "Flaky")["retry"] is None
    exported = oto("export")
    assert '"retry"' not in exported.out


@pytest.mark.parametrize(("options", "words"), [
    (["--retries", "-1"], "--retries must be 0 or more"),
    (["--attempts", "0"], "greater than or equal to 1"),
    (["--attempts", "1000000000000"], "less than or equal to 100"),
    (["--attempts", "2", "--retries", "1"], "not both"),
    (["--retry-delay", "10s"], "needs --attempts N"),
    (["--attempts", "2", "--retry-delay", "soon"], "is not a duration"),
    (["--attempts", "2", "--retry-delay", "3d"], "at most a day"),
    (["--attempts", "2", "--max-retry-delay", "-5m"], "is not a duration"),
    (["--attempts", "2", "--backoff", "nan"], "finite number"),
    (["--attempts", "2", "--backoff", "100"], "less than or equal to 10"),
    (["--attempts", "2", "--retry-on", "failed,cancelled"], "'cancelled' is not a status a retry may follow"),
    (["--attempts", "2", "--retry-on", "\x1b[31mred"], "is not a status a retry may follow"),
    (["--attempts", "2", "--retry-on", ""], "is not a status a retry may follow"),
])
def test_bad_retry_options_are_refused_with_exit_2_and_nothing_written(
        catalog: Oto, options: list[str], words: str) -> None:
    oto = catalog
    before = oto("export").out
    added = oto("job", "add", "Bad", "--command", "GenRSA", *VALUES, *options)
    assert added.code == 2, added
    assert words in added.err and added.err.count("\n") == 1 and "Traceback" not in added.err
    edited = oto("job", "edit", "GenRSA-2048", *options)
    assert edited.code == 2 and words in edited.err
    assert oto("export").out == before


def test_a_routine_step_gets_its_own_policy_and_keeps_it_while_its_id_stays(catalog: Oto) -> None:
    oto = catalog

    def steps() -> dict[str, object]:
        shown = json.loads(oto("routine", "show", "keypair-and-pub", "--json").out)
        return {s["id"]: s["retry"] for s in shown["steps"]}

    assert oto("routine", "edit", "keypair-and-pub", "--step-retry", "key=3,10s,2").code == 0
    assert steps()["key"] == {"attempts": 3, "delay": "10s", "backoff": 2.0, "max_delay": None,
                              "on": ["failed", "timed_out"]}
    assert "3 attempts, waiting 10s x2" in oto("routine", "show", "keypair-and-pub").out
    kept = oto("routine", "edit", "keypair-and-pub", "--step", "key=GenRSA-2048", "--step", "pub=ExtractPub-key@key")
    assert kept.code == 0, kept.err
    assert steps() == {"key": steps()["key"], "pub": None} and steps()["key"] is not None
    assert oto("routine", "edit", "keypair-and-pub", "--step-retry", "key=job").code == 0
    assert steps()["key"] is None
    added = oto("routine", "add", "solo", "--step", "a=GenRSA-2048", "--step-retry", "a=2")
    assert added.code == 0, added.err


@pytest.mark.parametrize(("given", "words"), [
    ("ghost=3", "the routine has no step 'ghost'"),
    ("key", "give ID=ATTEMPTS"),
    ("key=three", "ATTEMPTS is a whole number"),
    ("key=99999999999999999999", "ATTEMPTS is a whole number"),
    ("key=0", "greater than or equal to 1"),
    ("key=3,10s,fast", "BACKOFF 'fast' is not a number"),
    ("key=3,forever", "is not a duration"),
    ("key=3,1s,2,5m,x", "ATTEMPTS is a whole number"),
])
def test_bad_step_retries_are_refused_with_exit_2(catalog: Oto, given: str, words: str) -> None:
    before = catalog("export").out
    refused = catalog("routine", "edit", "keypair-and-pub", "--step-retry", given)
    assert refused.code == 2 and words in refused.err and refused.err.count("\n") == 1, refused
    assert catalog("export").out == before
