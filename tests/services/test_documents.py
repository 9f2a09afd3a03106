"""Import and export of OTO documents (docs/document.md), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from oto.domain.models import Job
from oto.errors import InvalidInput, NotFound, OtoError, Refused
from oto.services import documents
from oto.services.database import Database
from tests.support import DATA, seed_path
from tests.support.catalog import OPENSSL, TAG, genrsa_document, load, param, snapshot

NMAP = {"name": "nmap", "version": "7.98", "path": "/usr/bin/nmap"}
MASSCAN = {"name": "masscan", "version": "1.3.9", "path": "/usr/bin/masscan"}


def seeds() -> list[Any]:
    return [json.loads(seed_path(f"{n}.json").read_text()) for n in ("openssl", "nmap", "masscan")]


def test_seed_catalogs_import_once_their_executables_exist(database: Database) -> None:
    load(database, {"oto": 1, "executables": [OPENSSL, NMAP, MASSCAN]})
    reports = [load(database, seed) for seed in seeds()]
    assert [r.counts["parameters"]["created"] for r in reports] == [35, 60, 35]


def test_seed_round_trip_is_byte_identical(database: Database, sqlite_database: Database) -> None:
    load(database, {"oto": 1, "executables": [OPENSSL, NMAP, MASSCAN]})
    for seed in seeds():
        load(database, seed)
    load(database, genrsa_document() | {"executables": [], "parameters": [param("-pass", value_type="string")]})
    load(database, inputs_document())
    first = snapshot(database)
    load(sqlite_database, json.loads(first))
    second = snapshot(sqlite_database)
    assert first == second
    exported = json.loads(first)
    scan = next(j for j in exported["jobs"] if j["name"] == "Scan")
    assert scan["inputs"] == {"-bits": None, "-out": "key.pem"} and "inputs" not in exported["jobs"][0]
    sweep = next(r for r in exported["routines"] if r["name"] == "sweep")
    assert sweep["inputs"] == {"bits": "2048"} and sweep["steps"][0]["with"] == {"-bits": "{bits}"}
    assert "with" not in sweep["steps"][1]
    assert exported["schedules"][0]["values"] == {"-bits": "4096"}
    # and back again into the parametrized backend's own kind of database
    assert json.loads(first)["parameters"][0]["executable_tag"] == "masscan - 1.3.9"


def inputs_document() -> dict[str, Any]:
    """A job with inputs, a routine binding them (a routine input and a constant), a schedule with values."""
    return {
        "oto": 1,
        "parameters": [param("-bits", value_type="int")],
        "commands": [{"name": "Bits", "executable_tag": TAG, "parameters": ["genpkey", "-bits", "-out"]}],
        "jobs": [{"name": "Scan", "command": "Bits", "values": {"genpkey": ""},
                  "inputs": {"-bits": None, "-out": "key.pem"}}],
        "routines": [{"name": "sweep", "inputs": {"bits": "2048"}, "steps": [
            {"id": "a", "job": "Scan", "with": {"-bits": "{bits}"}},
            {"id": "b", "job": "GenRSA-2048", "after": ["a"]},
            {"id": "c", "job": "Scan", "after": ["a"], "with": {"-bits": "1024", "-out": "c.pem"}}]}],
        "schedules": [{"name": "nightly-scan", "job": "Scan", "cron": "0 4 * * *", "values": {"-bits": "4096"}}],
    }


def test_a_seed_list_without_its_executable_names_the_missing_tag(database: Database) -> None:
    with pytest.raises(InvalidInput) as raised:
        load(database, seeds()[1])
    assert str(raised.value).startswith("parameters[0] (-iL of nmap - 7.98): no executable 'nmap - 7.98'")
    assert snapshot(database) == snapshot(database)
    with database.session() as db:
        assert documents.export_document(db)["executables"] == []


def test_import_is_idempotent(database: Database) -> None:
    first = load(database, genrsa_document())
    assert first.created == 1 + 6 + 1 + 1
    before = snapshot(database)
    second = load(database, genrsa_document())
    assert second.created == 0 and second.updated == 0
    assert second.counts["parameters"]["unchanged"] == 6
    assert snapshot(database) == before


def test_rules_may_name_flags_listed_later(database: Database) -> None:
    doc = {
        "oto": 1,
        "executables": [OPENSSL],
        "parameters": [param("a", require_ids=["b"]), param("b", interfer_ids=["c"]), param("c")],
    }
    assert load(database, doc).counts["parameters"]["created"] == 3


@pytest.mark.parametrize(
    ("parameters", "kind"),
    [
        ([param("a", require_ids=["b"]), param("b", interfer_ids=["a"])], "unsatisfiable"),
        ([param("a", require_ids=["b"]), param("b", require_ids=["a"])], "cycle"),
    ],
)
def test_inconsistent_rules_are_refused_with_the_engines_problems(
    database: Database, parameters: list[dict[str, Any]], kind: str
) -> None:
    load(database, {"oto": 1, "executables": [OPENSSL]})
    before = snapshot(database)
    with pytest.raises(Refused) as raised:
        load(database, {"oto": 1, "parameters": parameters})
    assert kind in {p["kind"] for p in raised.value.details}
    assert "the rules of openssl - 3.5.3 would be inconsistent" in str(raised.value)
    assert snapshot(database) == before


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"executables": []}, 'oto: this is not an OTO document of version 1 (expected "oto": 1)'),
        ({"oto": 1, "tasks": []}, "tasks: is not a part of an OTO document"),
        (
            {"oto": 1, "executables": [OPENSSL | {"path": "openssl"}]},
            "executables[0] (openssl): path: the path must be absolute, not 'openssl'",
        ),
        (
            {"oto": 1, "executables": [OPENSSL], "parameters": [param("-n", value_type="colour")]},
            "parameters[0] (-n of openssl - 3.5.3): value_type: unknown value type 'colour'",
        ),
        (
            {"oto": 1, "executables": [OPENSSL], "parameters": [param("-n", require_ids=["-zz"])]},
            "parameters[0] (-n of openssl - 3.5.3): it requires -zz, which is not a parameter of openssl - 3.5.3",
        ),
        (
            {"oto": 1, "executables": [OPENSSL], "parameters": [param("-n"), param("-n")]},
            "parameters[1] (-n of openssl - 3.5.3): the flag is given twice (also at parameters[0])",
        ),
        (
            {"oto": 1, "executables": [OPENSSL], "parameters": [param("-n", colour="red")]},
            "parameters[0] (-n of openssl - 3.5.3): colour: is not a known field",
        ),
        (
            {"oto": 1, "executables": [OPENSSL], "parameters": [param("-e", value_type="enum")]},
            "parameters[0] (-e of openssl - 3.5.3): value type enum needs a non-empty list of choices",
        ),
        (
            {"oto": 1, "executables": [OPENSSL | {"name": "bin/openssl"}]},
            "executables[0] (bin/openssl): name: a name cannot contain '/' (names go in URL paths, where '/' "
            "separates parts): 'bin/openssl'",
        ),
        (
            genrsa_document() | {"jobs": [{"name": "GenRSA/2048", "command": "GenRSA"}]},
            "jobs[0] (GenRSA/2048): name: a name cannot contain '/'",
        ),
        # a version is the JSON number 1, not something Python finds equal to it
        (genrsa_document() | {"oto": True}, 'oto: this is not an OTO document of version 1'),
        (genrsa_document() | {"oto": 1.0}, 'oto: this is not an OTO document of version 1'),
        # a name given twice is refused like a flag given twice, in every kind
        (
            genrsa_document() | {"jobs": genrsa_document()["jobs"] * 2},
            "jobs[1] (GenRSA-2048): the name is given twice (also at jobs[0])",
        ),
        (
            {"oto": 1, "executables": [OPENSSL, OPENSSL | {"path": "/bin/other"}]},
            "executables[1] (openssl): the name is given twice (also at executables[0])",
        ),
        (
            genrsa_document() | {"commands": [{"name": "C", "executable_tag": TAG, "parameters": []}] * 2},
            "commands[1] (C): the name is given twice (also at commands[0])",
        ),
        (
            genrsa_document() | {"routines": [{"name": "R", "steps": [{"id": "a", "job": "GenRSA-2048"}]}] * 2},
            "routines[1] (R): the name is given twice (also at routines[0])",
        ),
        (
            genrsa_document() | {"schedules": [{"name": "S", "job": "GenRSA-2048", "every": "1h"}] * 2},
            "schedules[1] (S): the name is given twice (also at schedules[0])",
        ),
        # a NUL character: SQLite would keep it, PostgreSQL refuses it; one sentence on both
        (
            {"oto": 1, "executables": [OPENSSL | {"description": "key\x00tool"}]},
            "executables[0] (openssl): description: cannot contain a NUL character",
        ),
        (
            genrsa_document() | {"jobs": [{"name": "J", "command": "GenRSA", "description": "a\x00b"}]},
            "jobs[0] (J): description: cannot contain a NUL character",
        ),
    ],
)
def test_bad_documents_are_refused_and_write_nothing(
    database: Database, document: dict[str, Any], message: str
) -> None:
    before = snapshot(database)
    with pytest.raises(InvalidInput) as raised:
        load(database, document)
    assert str(raised.value).startswith(message)
    assert snapshot(database) == before


def test_a_bad_job_late_in_the_document_rolls_everything_back(database: Database) -> None:
    doc = genrsa_document()
    doc["jobs"][0]["values"]["-out"] = ""
    with pytest.raises(InvalidInput) as raised:
        load(database, doc)
    assert str(raised.value) == "jobs[0] (GenRSA-2048): -out (path) a path cannot be empty"
    with database.session() as db:
        assert documents.export_document(db)["executables"] == []


def test_a_command_with_an_unknown_executable_says_where(database: Database) -> None:
    doc = {"oto": 1, "commands": [{"name": "x", "executable_tag": "nope - 1", "parameters": []}]}
    with pytest.raises(NotFound) as raised:
        load(database, doc)
    assert str(raised.value).startswith("commands[0] (x): no executable 'nope - 1'")


def test_secret_values_are_masked_in_exports(database: Database) -> None:
    doc = genrsa_document()
    doc["commands"].append({"name": "Enc", "executable_tag": TAG, "parameters": ["genpkey", "-pass"]})
    doc["jobs"].append({"name": "Enc-1", "command": "Enc", "values": {"genpkey": "", "-pass": "hunter2"}})
    load(database, doc)
    text = snapshot(database)
    assert "hunter2" not in text
    assert '"-pass": "***"' in text
    # re-importing the export keeps the real secret
    load(database, json.loads(text))
    from oto.services import secrets

    with database.session() as db:
        stored = db.scalars(select(Job).where(Job.name == "Enc-1")).one().values["-pass"]
    assert stored.startswith("enc:") and secrets.unseal(stored) == "hunter2"


def test_the_projects_own_catalogs_import_and_are_canonical(database: Database) -> None:
    for name in ("openssl", "nmap", "masscan"):
        load(database, json.loads((DATA / f"{name}.json").read_text()))
    with database.session() as db:
        exported = documents.export_document(db)
    assert {e["name"] for e in exported["executables"]} == {"openssl", "nmap", "masscan"}
    assert [j["name"] for j in exported["jobs"]][:2] == ["CheckKey-enc", "CheckKey-key"]
    from oto.services import jobs

    with database.session() as db:
        assert jobs.argv(db, "GenRSA-2048") == [
            "/usr/bin/openssl",
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "key.pem",
        ]


@pytest.mark.parametrize("name", ["openssl", "nmap", "masscan"])
def test_the_shipped_catalogs_are_in_export_form(sqlite_database: Database, name: str) -> None:
    text = (DATA / f"{name}.json").read_text()
    load(sqlite_database, json.loads(text))
    exported = json.loads(snapshot(sqlite_database))
    assert documents.dumps({k: v for k, v in exported.items() if v or k == "oto"}) == text


def _catalog(tools: int, flags: int) -> dict[str, Any]:
    """A catalog of many executables, each with flags and a few rules (imports add them in bulk)."""
    doc: dict[str, Any] = {"oto": 1, "executables": [], "parameters": []}
    for t in range(tools):
        doc["executables"].append({"name": f"tool{t}", "version": "1.0", "path": "/bin/true"})
        for f in range(flags):
            p: dict[str, Any] = {"executable_tag": f"tool{t} - 1.0", "flag": f"--f{f}", "value_type": "string",
                                 "requires_value": True, "choices": [], "description": f"flag {f} of tool {t}"}
            if f == 1:
                p["interfer_ids"] = ["--f2"]
            if f == 3:
                p["require_ids"] = ["--f0"]
                p["choices"] = ["a", "b"]
                p["value_type"] = "enum"
            doc["parameters"].append(p)
    return doc


def test_a_large_catalog_imports_in_bulk_checked_and_round_trips(database: Database) -> None:
    doc = _catalog(300, 12)
    report = load(database, doc)
    assert report.counts["executables"]["created"] == 300 and report.counts["parameters"]["created"] == 3600
    with database.session() as db:
        exported = documents.export_document(db)
        assert documents.import_document(db, exported).created == 0  # the same again: nothing new
    assert len(exported["parameters"]) == 3600
    first = [p for p in exported["parameters"] if p["executable_tag"] == "tool7 - 1.0"]
    assert [p["flag"] for p in first] == [f"--f{f}" for f in range(12)]  # in the document's order
    assert first[1]["interfer_ids"] == ["--f2"] and first[3]["choices"] == ["a", "b"]
    assert documents.dumps(exported) == documents.dumps(load_and_export(database, exported))


def load_and_export(database: Database, doc: dict[str, Any]) -> dict[str, Any]:
    load(database, doc)
    with database.session() as db:
        return documents.export_document(db)


def test_rules_of_a_new_executable_are_checked_before_its_bulk_insert(database: Database) -> None:
    doc = _catalog(50, 5)
    doc["parameters"][-3]["require_ids"] = ["--f1"]  # tool49's --f2 requires --f1, which conflicts with it
    before = snapshot(database)
    with pytest.raises(Refused) as raised:
        load(database, doc)
    assert "the rules of tool49 - 1.0 would be inconsistent" in str(raised.value)
    assert snapshot(database) == before


def test_a_large_import_failing_at_its_last_item_writes_nothing(database: Database) -> None:
    doc = _catalog(200, 10)
    doc["jobs"] = [{"name": "bad", "command": "missing", "values": {}}]
    before = snapshot(database)
    with pytest.raises(OtoError):
        load(database, doc)
    assert snapshot(database) == before
    with database.session() as db:
        assert documents.export_document(db)["executables"] == []


def test_secret_input_defaults_and_schedule_values_are_masked_and_kept(database: Database) -> None:
    doc = genrsa_document()
    doc["commands"].append({"name": "Enc", "executable_tag": TAG, "parameters": ["genpkey", "-pass", "-out"]})
    doc["jobs"].append({"name": "Enc-1", "command": "Enc", "values": {"genpkey": ""},
                        "inputs": {"-pass": "hunter2", "-out": None}})
    doc["schedules"] = [{"name": "s", "job": "Enc-1", "cron": "0 3 * * *",
                         "values": {"-pass": "swordfish", "-out": "k.pem"}}]
    load(database, doc)
    text = snapshot(database)
    assert "hunter2" not in text and "swordfish" not in text
    exported = json.loads(text)
    assert exported["jobs"][0]["inputs"] == {"-out": None, "-pass": "***"}
    assert exported["schedules"][0]["values"] == {"-out": "k.pem", "-pass": "***"}
    report = load(database, exported)
    assert report.updated == 0 and snapshot(database) == text
    from oto.domain.models import Schedule
    from oto.services import secrets

    with database.session() as db:
        job = db.scalars(select(Job).where(Job.name == "Enc-1")).one()
        schedule = db.scalars(select(Schedule)).one()
        assert secrets.unseal(job.inputs["-pass"]) == "hunter2"
        assert secrets.unseal(schedule.input_values["-pass"]) == "swordfish"
