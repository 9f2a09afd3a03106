"""Pages of runs by keyset cursor: every run once while runs arrive, totals that say when they stop
counting, cursors no listing gave refused, and an index for each filter (on SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from oto.domain.models import Run
from oto.errors import InvalidInput
from oto.services import run_pages, runs
from oto.services.database import Database
from oto.services.run_pages import COUNT_CAP, Filters
from tests.support.catalog import genrsa_document, load

START = datetime(2026, 1, 1, tzinfo=UTC)


def _template(database: Database) -> dict[str, Any]:
    """The columns of one real job run, to copy into many (its spec is one the services wrote)."""
    load(database, genrsa_document())
    with database.session() as db:
        run = runs.create_job_run(db, "GenRSA-2048", trigger="cli")
        row = {c.name: getattr(run, c.name) for c in Run.__table__.columns}
        db.delete(run)
    return row


def _add(database: Database, template: dict[str, Any], ids: list[str], at: list[datetime], **changes: Any) -> None:
    with database.session() as db:
        db.execute(sa.insert(Run), [template | changes | {"id": i, "created_at": t, "workdir": f"runs/{i}"}
                                    for i, t in zip(ids, at, strict=True)])


def _all_pages(database: Database, filters: Filters, limit: int, between: Any = None) -> list[str]:
    seen: list[str] = []
    after: str | None = None
    while True:
        with database.session() as db:
            page = run_pages.page(db, filters, after=after, limit=limit)
        seen += [r["run_id"] for r in page.items]
        if page.next_after is None:
            return seen
        assert len(page.items) == limit
        after = page.next_after
        if between is not None:
            between()


def test_cursor_pages_list_every_run_once_while_new_runs_arrive(database: Database) -> None:
    template = _template(database)
    # 40 runs, ten of them created at the very same moment: the id breaks the tie
    ids = [f"run-{n:04d}" for n in range(40)]
    at = [START + timedelta(seconds=n if n < 30 else 29) for n in range(40)]
    _add(database, template, ids, at)
    _add(database, template, [f"run-f{n:03d}" for n in range(12)], at[:12], status="failed")
    arrived: list[str] = []

    def a_new_run_arrives() -> None:
        new = f"run-new{len(arrived):03d}"
        arrived.append(new)
        _add(database, template, [new], [datetime.now(UTC)])

    seen = _all_pages(database, Filters(status="queued"), 7, a_new_run_arrives)
    assert len(seen) == len(set(seen)) == 40 and set(seen) == set(ids)  # each once, none of those that came later
    assert seen == sorted(ids, key=lambda i: (at[ids.index(i)], i), reverse=True)  # newest first, id breaks ties
    assert len(arrived) == 5
    # offset pages, by contrast, show a run again when new ones push it down a page
    with database.session() as db:
        first = run_pages.page(db, Filters(), limit=7)
        a_new_run_arrives()
        second = run_pages.page(db, Filters(), offset=7, limit=7)
    assert first.items[-1]["run_id"] == second.items[0]["run_id"]
    # every filter pages the same way; a cursor carries on under the filters it is given with
    assert _all_pages(database, Filters(status="failed"), 5) == sorted(
        [f"run-f{n:03d}" for n in range(12)], key=lambda i: (at[int(i[5:])], i), reverse=True)
    assert len(_all_pages(database, Filters(job="GenRSA-2048", kind="job"), 9)) == 58
    assert len(_all_pages(database, Filters(trigger="cli"), 1000)) == 58


def test_totals_are_exact_up_to_the_cap_and_say_so_beyond(database: Database) -> None:
    template = _template(database)
    _add(database, template, [f"run-a{n:06d}" for n in range(COUNT_CAP)],
         [START + timedelta(seconds=n) for n in range(COUNT_CAP)])
    with database.session() as db:
        page = run_pages.page(db, Filters(), limit=50)
        assert (page.total, page.total_exact, page.total_text) == (COUNT_CAP, True, "10,000")
        assert run_pages.page(db, Filters(status="failed")).total_exact  # an empty listing: exactly 0
        last = run_pages.page(db, Filters(), offset=COUNT_CAP - 3, limit=50)
        assert (len(last.items), last.total, last.total_exact, last.next_after) == (3, COUNT_CAP, True, None)
    _add(database, template, ["run-b000001"], [START - timedelta(days=1)])
    with database.session() as db:
        page = run_pages.page(db, Filters(), limit=50)
        assert (page.total, page.total_exact, page.total_text) == (COUNT_CAP, False, "more than 10,000")
        deep = run_pages.page(db, Filters(), after=page.next_after, limit=50)
        assert page.items[-1]["run_id"] == f"run-a{COUNT_CAP - 50:06d}"
        assert not deep.total_exact and deep.items[0]["run_id"] == f"run-a{COUNT_CAP - 51:06d}"
        uncounted = run_pages.page(db, Filters(), limit=50, count=False)
        assert not uncounted.total_exact and len(uncounted.items) == 50
        assert run_pages.page(db, Filters(kind="job"), limit=1).total_exact is False  # the cap holds for filters
        small = run_pages.page(db, Filters(status="failed"), limit=1)
        assert (small.total, small.total_exact) == (0, True)


def _cursor(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "", "garbled!", "not base64 at all", "a" * 5000, "AAAA", "\x00", "<script>alert(1)</script>",
    "%2F..%2F", "é", "run-0001",
    _cursor("1|2026-01-01T00:00:00+00:00"),  # no id
    _cursor("2|2026-01-01T00:00:00+00:00|run-1"),  # a version no listing gives
    _cursor("1|yesterday|run-1"),
    _cursor("1|2026-01-01T00:00:00|run-1"),  # no zone
    _cursor("1|2026-01-01T00:00:00+02:00|run-1"),  # not UTC
    _cursor("1|2026-01-01T00:00:00+00:00|run-\x1b[31m"),  # an escape in the id
    _cursor("1|2026-01-01T00:00:00+00:00|" + "r" * 101),
    _cursor(b"1|2026-01-01T00:00:00+00:00|run-\xff\xfe"),  # not UTF-8
    _cursor("1|2026-01-01T00:00:00+00:00|run-1|more"),
])
def test_a_cursor_no_listing_gave_is_refused_in_one_sentence(sqlite_database: Database, cursor: str) -> None:
    with sqlite_database.session() as db, pytest.raises(InvalidInput) as refused:
        run_pages.page(db, Filters(), after=cursor)
    message = refused.value.message
    assert message.startswith("cursor ") and "is not one a listing of runs gave" in message
    assert len(message) < 300 and "\x1b" not in message and "\x00" not in message


def test_a_cursor_with_an_offset_is_refused(sqlite_database: Database) -> None:
    good = run_pages.cursor_of({"created_at": START.isoformat(), "run_id": "run-1"})
    assert run_pages.read_cursor(good) == (START, "run-1")
    with sqlite_database.session() as db, pytest.raises(InvalidInput, match=r"a cursor \(after\) or an offset"):
        run_pages.page(db, Filters(), after=good, offset=5)


def test_runs_per_hour_are_counted_in_the_database(database: Database) -> None:
    template = _template(database)
    now = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    at = [now, now - timedelta(minutes=31), now - timedelta(hours=1), now - timedelta(hours=23, minutes=30),
          now - timedelta(hours=24, minutes=31), now + timedelta(hours=2)]
    _add(database, template, [f"run-{n}" for n in range(len(at))], at)
    _add(database, template, ["run-step"], [now], kind="step", parent_id="run-0")
    with database.session() as db:
        counts = run_pages.per_hour(db, now)
    assert len(counts) == 24 and counts[-1] == 1 and counts[-2] == 2 and counts[0] == 1 and sum(counts) == 4


# each listing, and the indexes that serve it (either of two when it has two filters)
LISTINGS = [({}, "top|parent"), ({"status": "failed"}, "status"), ({"job": "j"}, "job"),
            ({"routine": "r"}, "routine"), ({"trigger": "cli"}, "trigger"), ({"kind": "step"}, "kind"),
            ({"kind": "job", "status": "failed"}, "kind|status")]


@pytest.mark.parametrize(("given", "index"), LISTINGS)
def test_each_listing_reads_its_index_in_its_order(sqlite_database: Database, given: dict[str, str],
                                                   index: str) -> None:
    """No listing scans the table or sorts it: it walks an index from where its page starts."""
    at = (START, "run-1")
    with sqlite_database.session() as db:
        for after in (None, at):
            query = runs.filtered(sa.select(Run.id), **given)
            if after is not None:
                query = runs.older_than(query, *after)
            query = query.order_by(Run.created_at.desc(), Run.id.desc()).limit(50)
            compiled = query.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
            plan = " / ".join(row[-1] for row in db.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert plan.startswith("SEARCH runs USING ") and re.search(f"INDEX ix_runs_({index})_created ", plan), plan
            assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan
            assert after is None or "(created_at,id)<(?,?)" in plan, plan  # the page starts in the index
        if len(given) == 1 or not given:  # the capped count reads the index alone, never the table
            count = run_pages.count_query(Filters(**given)).compile(
                db.get_bind(), compile_kwargs={"literal_binds": True})
            plan = " / ".join(row[-1] for row in db.execute(sa.text(f"EXPLAIN QUERY PLAN {count}")))
            assert re.search(f"COVERING INDEX ix_runs_({index})_created ", plan), plan


@pytest.mark.parametrize(("given", "index"), LISTINGS)
def test_each_listing_reads_an_index_on_postgresql_too(database: Database, given: dict[str, str],
                                                        index: str) -> None:
    """PostgreSQL plans by table statistics: an empty table is best scanned and sorted, and which
    index serves best is a matter of numbers. With scans and sorts ruled out, each listing still
    reads an index in its order, from where its page starts (bench/history_load.py shows the plans
    chosen at a million runs)."""
    if database.url.startswith("sqlite"):
        pytest.skip("SQLite's plans are checked above")
    with database.session() as db:
        db.execute(sa.text("SET LOCAL enable_seqscan = off"))
        db.execute(sa.text("SET LOCAL enable_sort = off"))
        for after in (None, (START, "run-1")):
            query = runs.filtered(sa.select(Run), **given)
            if after is not None:
                query = runs.older_than(query, *after)
            query = query.order_by(Run.created_at.desc(), Run.id.desc()).limit(50)
            compiled = query.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
            plan = " / ".join(row[0] for row in db.execute(sa.text(f"EXPLAIN {compiled}")))
            assert "Index Scan Backward using ix_runs_" in plan and "Sort" not in plan, plan
            condition = plan[plan.index("Index Cond: "):].split(" / ")[0] if "Index Cond: " in plan else ""
            assert after is None or "ROW(created_at, (id)::text) < " in condition, plan  # the page starts in it
