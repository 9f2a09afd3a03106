"""``oto routine run --timeout``: a bad value is bad input (exit 2), refused before Temporal is asked."""

from __future__ import annotations

import json

import pytest

from tests.support import DATA
from tests.support.cli import Oto


@pytest.mark.parametrize("timeout", ["0", "-5", "1e12", "nan", "inf"])
def test_a_bad_routine_timeout_is_refused_and_records_nothing(initialized: Oto, timeout: str) -> None:
    oto = initialized
    assert oto("import", str(DATA / "openssl.json")).code == 0
    result = oto("routine", "run", "keypair-and-pub", "--timeout", timeout)
    assert result.code == 2, result.out + result.err
    assert result.err.startswith("Error: the timeout must be a positive number of seconds")
    assert json.loads(oto("run", "list", "--json").out) == []


def test_routine_run_documents_its_timeout(initialized: Oto) -> None:
    result = initialized("routine", "run", "--help")
    assert result.code == 0 and "--timeout" in result.out and "timed_out" in result.out
