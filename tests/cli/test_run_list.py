"""``oto run list --after``: the next page's cursor on stderr, pages to the end, a garbled cursor exits 2."""

from __future__ import annotations

import json

from oto.services import runs
from oto.services.database import get_database
from tests.support import DATA
from tests.support.cli import Oto


def test_run_list_pages_by_cursor(initialized: Oto) -> None:
    oto = initialized
    assert oto("import", str(DATA / "openssl.json")).code == 0
    with get_database().session() as db:
        made = {runs.create_job_run(db, "GenRSA-2048", trigger="cli").id for _ in range(5)}
    seen: list[str] = []
    args = ["run", "list", "--json", "--limit", "2"]
    while True:
        result = oto(*args)
        assert result.code == 0, result.err
        seen += [r["run_id"] for r in json.loads(result.out)]
        if not result.err:
            break
        assert result.err.startswith("next page: --after ")
        args = ["run", "list", "--json", "--limit", "2", "--after", result.err.split()[-1]]
    assert len(seen) == 5 and set(seen) == made


def test_a_garbled_cursor_exits_2_in_one_sentence(initialized: Oto) -> None:
    for after in ("garbled!", "\x1b[31mred", "A" * 10_000, "MXxub3R8YQ"):
        result = initialized("run", "list", "--after", after)
        assert result.code == 2 and result.out == ""
        assert result.err.startswith("Error: cursor ") and result.err.count("\n") == 1, result.err
        assert "\x1b" not in result.err
    both = initialized("run", "list", "--after", "MXwyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwfHJ1bi0x", "--offset", "2")
    assert both.code == 2 and "not both" in both.err
