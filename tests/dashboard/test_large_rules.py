"""The rule picture of a large executable: laid out in time that grows linearly, and not drawn past a size."""

from __future__ import annotations

import time
from urllib.parse import quote

from oto.dashboard import graphs
from oto.domain.documents import ParameterDoc
from oto.services import documents
from oto.services.database import Database
from tests.dashboard.conftest import Browser


def chain(n: int) -> list[ParameterDoc]:
    """``-f0`` requires ``-f1`` ... requires ``-f{n-1}``, declared last first: the worst order for the old
    round-by-round layout, which needed as many rounds as the chain is long."""
    params = [ParameterDoc(flag=f"-f{i}", executable_tag="big - 1", require_ids=[f"-f{i + 1}"] if i + 1 < n else [])
              for i in range(n)]
    return params[::-1]


def test_a_long_chain_is_ranked_in_linear_time() -> None:
    diagram = graphs.rules_diagram("big - 1", chain(6000))
    assert diagram is not None
    started = time.perf_counter()
    rank = graphs._ranks(diagram)
    assert time.perf_counter() - started < 3.0  # the quadratic layout took about 17 s here
    assert rank["-f0"] == 0 and rank["-f5999"] == 5999


def test_a_cycle_still_gets_a_column_for_every_flag() -> None:
    diagram = graphs.Diagram("c", [graphs.Node(n, [n]) for n in "abcd"], [], ranked=[("a", "b"), ("b", "c"),
                                                                                      ("c", "b"), ("c", "d")])
    rank = graphs._ranks(diagram)
    assert rank["a"] == 0 and rank["b"] >= 1 and rank["d"] > rank["c"] > rank["b"]


def test_the_page_of_a_large_executable_says_the_picture_is_too_large(
    admin: Browser, sqlite_database: Database
) -> None:
    n = graphs.MAX_NODES + 100
    document = {"oto": 1, "executables": [{"name": "big", "version": "1", "path": "/bin/true"}],
                "parameters": [p.to_document() for p in chain(n)]}
    with sqlite_database.session() as db:
        documents.import_document(db, document)
    started = time.perf_counter()
    page = admin.client.get(f"/executables/{quote('big - 1')}")
    assert page.status_code == 200
    assert time.perf_counter() - started < 30  # generous: only a runaway layout comes near it
    assert f"{n} flags take part in {n - 1} rules" in page.text and "<svg" not in page.text


def test_a_small_executable_is_still_drawn(admin: Browser, sqlite_database: Database) -> None:
    document = {"oto": 1, "executables": [{"name": "big", "version": "1", "path": "/bin/true"}],
                "parameters": [p.to_document() for p in chain(20)]}
    with sqlite_database.session() as db:
        documents.import_document(db, document)
    page = admin.client.get(f"/executables/{quote('big - 1')}").text
    assert "<svg" in page and 'data-from="-f0" data-to="-f1"' in page
