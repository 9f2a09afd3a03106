"""The catalog services: every bad input refused with its exact error, and nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from oto.errors import AlreadyExists, InUse, InvalidInput, NotFound, OtoError, Refused
from oto.services import commands, executables, jobs, parameters, routines, schedules
from oto.services.database import Database
from tests.support.catalog import OPENSSL, TAG, genrsa_document, load, param, snapshot


@pytest.fixture
def catalog(database: Database) -> Database:
    load(database, genrsa_document())
    return database


def refused(database: Database, action: Callable[[Session], Any], error: type[OtoError], message: str) -> OtoError:
    """Run a service call that must fail; check the message and that nothing was written."""
    before = snapshot(database)
    with pytest.raises(error) as raised, database.session() as db:
        action(db)
    assert str(raised.value) == message
    assert snapshot(database) == before
    return raised.value


def test_executables_crud(database: Database) -> None:
    with database.session() as db:
        added = executables.add(db, OPENSSL)
        assert added.tag == TAG
        assert executables.update(db, TAG, {"description": "crypto"}).description == "crypto"
        assert [e.tag for e in executables.list_all(db)] == [TAG]
    refused(
        database, lambda db: executables.add(db, OPENSSL), AlreadyExists, "executable 'openssl - 3.5.3' already exists"
    )
    refused(
        database,
        lambda db: executables.update(db, TAG, {"version": "4"}),
        InvalidInput,
        "executable: version cannot change (they form the tag)",
    )
    refused(
        database,
        lambda db: executables.get(db, "nope"),
        NotFound,
        "no executable 'nope' (tags look like 'openssl - 3.5.3'; see `oto executable list`)",
    )
    refused(
        database,
        lambda db: executables.add(db, OPENSSL | {"name": "open - ssl"}),
        InvalidInput,
        "executable: name: cannot contain ' - ' (it separates name and version in a tag)",
    )
    with database.session() as db:
        executables.delete(db, TAG)
        assert executables.list_all(db) == []


SLASH = "cannot contain '/' (names go in URL paths, where '/' separates parts)"


@pytest.mark.parametrize(("add", "message"), [
    (lambda db: executables.add(db, OPENSSL | {"name": "tools/openssl"}),
     f"executable: name: a name {SLASH}: 'tools/openssl'"),
    (lambda db: executables.add(db, OPENSSL | {"version": "3.5/3"}),
     f"executable: version: a version {SLASH}: '3.5/3'"),
    (lambda db: commands.add(db, {"name": "gen/rsa", "executable_tag": TAG, "parameters": ["genpkey"]}),
     f"command: name: a name {SLASH}: 'gen/rsa'"),
    (lambda db: jobs.add(db, {"name": "keys/rsa", "command": "GenRSA", "values": {}}),
     f"job: name: a name {SLASH}: 'keys/rsa'"),
    (lambda db: routines.add(db, {"name": "r/1", "steps": [{"id": "a", "job": "GenRSA-2048"}]}),
     f"routine: name: a name {SLASH}: 'r/1'"),
    (lambda db: routines.add(db, {"name": "r", "steps": [{"id": "a/b", "job": "GenRSA-2048"}]}),
     f"routine: steps.0.id: a step id {SLASH}: 'a/b'"),
], ids=["executable-name", "executable-version", "command", "job", "routine", "step-id"])
def test_a_slash_in_a_name_is_refused(catalog: Database, add: Callable[[Session], Any], message: str) -> None:
    # GET /api/v1/jobs/a%2Fb is routed as /jobs/a/b: such a name could be saved but never reached
    refused(catalog, add, InvalidInput, message)


LONG = "n" * 201


@pytest.mark.parametrize(("add", "message"), [
    (lambda db: executables.add(db, OPENSSL | {"name": LONG}),
     "executable: name: a name can be at most 200 characters long, not 201"),
    (lambda db: executables.add(db, OPENSSL | {"version": "9" * 101}),
     "executable: version: a version can be at most 100 characters long, not 101"),
    (lambda db: executables.add(db, OPENSSL | {"path": "/" + "p" * 4096}),
     "executable: path: the path can be at most 4096 characters long, not 4097"),
    (lambda db: executables.add(db, OPENSSL | {"name": "q", "task_queue": LONG}),
     "executable: task_queue: a task queue can be at most 200 characters long, not 201"),
    (lambda db: parameters.add(db, param("-" + "f" * 500)),
     "parameter: flag: a flag can be at most 500 characters long, not 501"),
    (lambda db: commands.add(db, {"name": LONG, "executable_tag": TAG, "parameters": ["genpkey"]}),
     "command: name: a name can be at most 200 characters long, not 201"),
    (lambda db: jobs.add(db, {"name": LONG, "command": "GenRSA", "values": {}}),
     "job: name: a name can be at most 200 characters long, not 201"),
    (lambda db: routines.add(db, {"name": LONG, "steps": [{"id": "a", "job": "GenRSA-2048"}]}),
     "routine: name: a name can be at most 200 characters long, not 201"),
    (lambda db: routines.add(db, {"name": "r", "steps": [{"id": LONG, "job": "GenRSA-2048"}]}),
     "routine: steps.0.id: a step id can be at most 200 characters long, not 201"),
    (lambda db: schedules.add(db, {"name": LONG, "job": "GenRSA-2048", "cron": "0 3 * * *"}),
     f"schedule {LONG!r}: name: a name can be at most 200 characters long, not 201"),
    (lambda db: schedules.add(db, {"name": "s", "job": "GenRSA-2048", "every": "0" * 50 + "1s"}),
     "schedule 's': every: every can be at most 50 characters long, not 52"),
    (lambda db: jobs.add(db, {"name": ".", "command": "GenRSA", "values": {}}),
     "job: name: a name cannot be '.' (names go in URL paths, where '.' means a folder)"),
    (lambda db: commands.add(db, {"name": "..", "executable_tag": TAG, "parameters": ["genpkey"]}),
     "command: name: a name cannot be '..' (names go in URL paths, where '..' means a folder)"),
    (lambda db: schedules.add(db, {"name": "..", "job": "GenRSA-2048", "cron": "0 3 * * *"}),
     "schedule '..': name: a name cannot be '..' (names go in URL paths, where '..' means a folder)"),
], ids=["executable-name", "version", "path", "task-queue", "flag", "command", "job", "routine", "step-id",
        "schedule", "duration", "dot", "dot-dot", "schedule-dot-dot"])
def test_a_name_too_long_for_its_column_or_a_dot_name_is_refused_alike_on_both_databases(
        catalog: Database, add: Callable[[Session], Any], message: str) -> None:
    # SQLite stored any length; PostgreSQL answered with a DataError and its SQL
    refused(catalog, add, InvalidInput, message)


def test_a_name_of_exactly_the_limit_is_kept(catalog: Database) -> None:
    name = "n" * 200
    with catalog.session() as db:
        jobs.add(db, {"name": name, "command": "GenRSA", "values": genrsa_document()["jobs"][0]["values"]})
        schedules.add(db, {"name": name, "job": name, "cron": "0 3 * * *"})
    with catalog.session() as db:
        assert jobs.get(db, name).name == name and schedules.get(db, name).name == name


def test_names_may_still_hold_spaces_dots_and_dashes(catalog: Database) -> None:
    with catalog.session() as db:
        added = executables.add(db, OPENSSL | {"name": "open ssl", "version": "3.5.3-rc.1 (lts)"})
        assert added.tag == "open ssl - 3.5.3-rc.1 (lts)"
        assert executables.get(db, added.tag).name == "open ssl"


def test_executable_in_use_needs_cascade(catalog: Database) -> None:
    refused(
        catalog,
        lambda db: executables.delete(db, TAG),
        InUse,
        "executable 'openssl - 3.5.3' is used by commands GenRSA; delete them first, or "
        "delete with cascade (--cascade; in the API ?cascade=true)",
    )
    with catalog.session() as db:
        executables.delete(db, TAG, cascade=True)
        assert jobs.list_all(db) == [] and commands.list_all(db) == []


def test_parameter_errors(catalog: Database) -> None:
    refused(
        catalog,
        lambda db: parameters.add(db, param("-out")),
        AlreadyExists,
        "parameter (-out of openssl - 3.5.3): the parameter already exists",
    )
    refused(
        catalog,
        lambda db: parameters.add(db, param("-x", require_ids=["-y"])),
        InvalidInput,
        "parameter (-x of openssl - 3.5.3): it requires -y, which is not a parameter of openssl - 3.5.3",
    )
    refused(
        catalog,
        lambda db: parameters.add(db, param("-x", tag="nope - 1")),
        NotFound,
        "no executable 'nope - 1' (tags look like 'openssl - 3.5.3'; see `oto executable list`)",
    )
    refused(
        catalog,
        lambda db: parameters.add(db, param("-x", value_type="bool", requires_value=True)),
        InvalidInput,
        "parameter: value type bool takes no value, but requires_value is true",
    )
    refused(
        catalog,
        lambda db: parameters.add(db, param("-x", style="glued", value_type="int")),
        InvalidInput,
        "parameter: style: unknown style 'glued' (known: separate, equals, attached, positional)",
    )
    refused(
        catalog,
        lambda db: parameters.add(db, param("", value_type="int")),
        InvalidInput,
        "parameter: flag: a flag cannot be empty",
    )
    error = refused(
        catalog,
        lambda db: parameters.add(db, param("-x", require_ids=["-algorithm"], interfer_ids=["-algorithm"])),
        Refused,
        "parameter: the rules of openssl - 3.5.3 would be inconsistent: "
        "-x can never be used: it requires -algorithm, which conflicts with -x",
    )
    assert error.details[0]["kind"] == "unsatisfiable"


def test_a_rule_change_that_breaks_a_command_is_refused(catalog: Database) -> None:
    refused(
        catalog,
        lambda db: parameters.update(db, TAG, "-out", {"require_ids": ["-pass"]}),
        Refused,
        "the change would break command 'GenRSA': -out requires -pass, which is missing",
    )


def test_a_type_change_that_breaks_a_job_is_refused(catalog: Database) -> None:
    refused(
        catalog,
        lambda db: parameters.update(db, TAG, "-out", {"value_type": "int"}),
        InvalidInput,
        "the change would break job 'GenRSA-2048': -out (int) 'key.pem' is not a whole number",
    )


def test_parameter_delete_in_use(catalog: Database) -> None:
    refused(
        catalog,
        lambda db: parameters.delete(db, TAG, "-algorithm"),
        InUse,
        "-algorithm of openssl - 3.5.3 is used by commands GenRSA and the rules of -pkeyopt; "
        "remove those first, or delete with cascade (--cascade; in the API ?cascade=true)",
    )
    with catalog.session() as db:
        parameters.delete(db, TAG, "-algorithm", cascade=True)
        assert parameters.get(db, TAG, "-pkeyopt").require_ids == []
        assert commands.list_all(db) == []
        parameters.delete(db, TAG, "-bits")


def test_command_errors(catalog: Database) -> None:
    def add(flags: list[str], name: str = "c") -> Callable[[Session], Any]:
        return lambda db: commands.add(db, {"name": name, "executable_tag": TAG, "parameters": flags})

    error = refused(
        catalog,
        add(["genpkey", "-pkeyopt", "-zz"]),
        Refused,
        "command (c): -zz is not a flag of openssl - 3.5.3; -pkeyopt requires -algorithm, which is missing",
    )
    assert sorted(v["kind"] for v in error.details) == ["missing_requirement", "unknown_flag"]
    refused(catalog, add(["-out", "genpkey"]), Refused, "command (c): genpkey must be at position 0 but is at 1")
    refused(
        catalog,
        add(["genpkey", "-pkeyopt"]),
        Refused,
        "command (c): -pkeyopt requires -algorithm, which is missing (complete: genpkey -pkeyopt -algorithm)",
    )
    refused(catalog, add(["genpkey"], name="GenRSA"), AlreadyExists, "command 'GenRSA' already exists")
    refused(
        catalog,
        lambda db: commands.add(db, {"name": "c", "executable_tag": TAG}),
        InvalidInput,
        "command: parameters: is missing",
    )


def test_command_check_gives_completion(catalog: Database) -> None:
    with catalog.session() as db:
        verdict = commands.check(db, TAG, ["genpkey", "-pkeyopt"])
    assert not verdict.ok
    assert verdict.completion == ["genpkey", "-pkeyopt", "-algorithm"]
    assert verdict.violations == [
        {
            "kind": "missing_requirement",
            "flags": ["-pkeyopt", "-algorithm"],
            "message": "-pkeyopt requires -algorithm, which is missing",
        }
    ]


def test_job_errors(catalog: Database) -> None:
    def add(values: dict[str, Any]) -> Callable[[Session], Any]:
        return lambda db: jobs.add(db, {"name": "j", "command": "GenRSA", "values": values})

    full = {"genpkey": "", "-algorithm": "RSA", "-pkeyopt": "x", "-out": "k.pem"}
    refused(catalog, add(full | {"-bits": "1"}), InvalidInput, "job (j): -bits is not a flag of command 'GenRSA'")
    refused(
        catalog,
        add({k: v for k, v in full.items() if k != "-out"}),
        InvalidInput,
        "job (j): -out (path) needs a value (a file or folder path)",
    )
    refused(
        catalog,
        add(full | {"genpkey": "yes"}),
        InvalidInput,
        "job (j): genpkey (bool) takes no value, but 'yes' was given",
    )
    refused(catalog, lambda db: jobs.add(db, {"name": "j", "command": "nope"}), NotFound, "no command 'nope'")
    refused(
        catalog,
        lambda db: jobs.add(db, {"name": "GenRSA-2048", "command": "GenRSA", "values": full}),
        AlreadyExists,
        "job 'GenRSA-2048' already exists",
    )


def test_job_argv_and_hostile_values(catalog: Database) -> None:
    hostile = "; rm -rf / $(reboot)"
    with catalog.session() as db:
        jobs.add(
            db,
            {
                "name": "j",
                "command": "GenRSA",
                "values": {"genpkey": None, "-algorithm": hostile, "-pkeyopt": "a b", "-out": "k"},
            },
        )
        assert jobs.argv(db, "j") == [
            "/usr/bin/openssl",
            "genpkey",
            "-algorithm",
            hostile,
            "-pkeyopt",
            "a b",
            "-out",
            "k",
        ]


def test_delete_command_with_jobs_needs_cascade(catalog: Database) -> None:
    refused(
        catalog,
        lambda db: commands.delete(db, "GenRSA"),
        InUse,
        "command 'GenRSA' is used by jobs GenRSA-2048; delete them first, or "
        "delete with cascade (--cascade; in the API ?cascade=true)",
    )


def test_routines(catalog: Database) -> None:
    def add(steps: list[dict[str, Any]]) -> Callable[[Session], Any]:
        return lambda db: routines.add(db, {"name": "r", "steps": steps})

    step = {"id": "a", "job": "GenRSA-2048"}
    refused(catalog, add([]), InvalidInput, "routine (r): a routine needs at least one step")
    refused(catalog, add([step | {"job": "nope"}]), InvalidInput, "routine (r): steps[0] (a) runs unknown job 'nope'")
    refused(catalog, add([step, step]), InvalidInput, "routine (r): steps[1] repeats the step id 'a'")
    refused(
        catalog, add([step | {"after": ["z"]}]), InvalidInput, "routine (r): steps[0] (a) runs after unknown step 'z'"
    )
    refused(
        catalog,
        add(
            [
                step | {"after": ["b"]},
                {"id": "b", "job": "GenRSA-2048", "after": ["c"]},
                {"id": "c", "job": "GenRSA-2048", "after": ["a"]},
            ]
        ),
        InvalidInput,
        "routine (r): the steps form a cycle (each runs after the next): a -> b -> c -> a",
    )
    diamond = [
        step,
        {"id": "b", "job": "GenRSA-2048", "after": ["a"]},
        {"id": "c", "job": "GenRSA-2048", "after": ["a"]},
        {"id": "d", "job": "GenRSA-2048", "after": ["b", "c"]},
    ]
    with catalog.session() as db:
        assert [s.id for s in routines.add(db, {"name": "r", "steps": diamond}).steps] == ["a", "b", "c", "d"]
    refused(
        catalog,
        lambda db: jobs.delete(db, "GenRSA-2048"),
        InUse,
        "job 'GenRSA-2048' is used by routines r; delete them first, or "
        "delete with cascade (--cascade; in the API ?cascade=true)",
    )
    with catalog.session() as db:
        jobs.delete(db, "GenRSA-2048", cascade=True)
        assert routines.list_all(db) == []


def test_a_routine_whose_plan_cannot_fit_temporals_payloads_is_refused(catalog: Database) -> None:
    steps = [{"id": f"{i:05d}" + "s" * 185, "job": "GenRSA-2048"} for i in range(3000)]
    refused(catalog, lambda db: routines.add(db, {"name": "huge", "steps": steps}), InvalidInput,
            "routine: its 3000 steps would make a run's plan of about 697 KiB, more than the 512 KiB Temporal "
            "takes safely: use fewer steps, fewer 'after' links or shorter step ids")
    with catalog.session() as db:  # as many short ids fit
        routines.add(db, {"name": "many", "steps": [{"id": f"s{i}", "job": "GenRSA-2048"} for i in range(3000)]})
