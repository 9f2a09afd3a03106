"""FME v2 rules through the services: stored, exported byte-identically, checked on commands and jobs."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from oto.errors import InvalidInput, OtoError, Refused
from oto.services import documents, jobs, parameters
from oto.services.database import Database
from tests.support.catalog import TAG, genrsa_document, load, param, snapshot


def v2_document() -> dict[str, Any]:
    doc = genrsa_document()
    params = {p["flag"]: p for p in doc["parameters"]}
    params["-algorithm"]["when"] = [
        {"equals": "EC", "values": {"-pkeyopt": ["ec_paramgen_curve:*"]}, "forbid": ["-bits"]},
        {"in": ["RSA", "RSA-PSS"], "values": {"-pkeyopt": ["rsa_keygen_bits:*", "rsa_keygen_pubexp:*"]}},
    ]
    params["-out"]["required"] = True
    params["-pkeyopt"]["require_any"] = [["-out", "-bits"]]
    doc["parameters"] += [
        param("-text", groups=[{"name": "form", "min": 0, "max": 1}]),
        param("-noout", groups=[{"name": "form", "min": 0, "max": 1}]),
    ]
    return doc


def test_the_rules_round_trip_byte_identically(database: Database, sqlite_database: Database) -> None:
    load(database, v2_document())
    first = snapshot(database)
    with database.session() as db:
        exported = documents.export_document(db)
    load(sqlite_database, exported)
    assert snapshot(sqlite_database) == first
    algorithm = next(p for p in exported["parameters"] if p["flag"] == "-algorithm")
    assert algorithm["when"][1] == {
        "in": ["RSA", "RSA-PSS"], "values": {"-pkeyopt": ["rsa_keygen_bits:*", "rsa_keygen_pubexp:*"]}
    }
    text = next(p for p in exported["parameters"] if p["flag"] == "-text")
    assert text["groups"] == [{"name": "form", "min": 0, "max": 1}]


def test_a_job_is_checked_against_the_value_rules(database: Database) -> None:
    load(database, v2_document())
    before = snapshot(database)
    with pytest.raises(InvalidInput) as caught, database.session() as db:
        jobs.add(db, {"name": "EC", "command": "GenRSA", "values": {
            "genpkey": "", "-algorithm": "EC", "-pkeyopt": "rsa_keygen_bits:512", "-out": "k.pem"}})
    assert "-pkeyopt rsa_keygen_bits:512 is not allowed when -algorithm is EC" in str(caught.value)
    assert snapshot(database) == before
    with database.session() as db:
        jobs.add(db, {"name": "EC", "command": "GenRSA", "values": {
            "genpkey": "", "-algorithm": "EC", "-pkeyopt": "ec_paramgen_curve:P-256", "-out": "k.pem"}})


def test_a_rule_that_would_break_a_saved_job_or_command_is_refused(database: Database) -> None:
    load(database, genrsa_document())
    before = snapshot(database)
    with pytest.raises(InvalidInput, match="would break job 'GenRSA-2048'"), database.session() as db:
        parameters.update(db, TAG, "-algorithm", {"when": [{"equals": "RSA", "values": {"-pkeyopt": ["x:*"]}}]})
    with pytest.raises(Refused, match="-bits is required, which is missing"), database.session() as db:
        parameters.update(db, TAG, "-bits", {"required": True})
    assert snapshot(database) == before


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([param("-a", groups=[{"name": "g", "min": 1}]), param("-b", groups=[{"name": "g", "min": 2}])],
         "group g is g:2 here but g:1 at -a"),
        ([param("-a", scale="g"), param("-b", groups=[{"name": "g"}])], "group g has the name of the scale of -a"),
        ([param("-a", require_any=[["-ghost"]])], "it requires one of -ghost, which is not a parameter"),
        ([param("-a", value_type="string", when=[{"equals": "x", "forbid": ["-ghost"]}])],
         "it names in a value rule -ghost, which is not a parameter"),
        ([param("-a", value_type="string", when=[{"equals": "x", "values": {"genpkey": ["*"]}}])],
         "limits the values of genpkey, which takes no value"),
        ([param("-a", value_type="string", when=[{"equals": "x", "values": {"-pass": ["*"]}}])],
         "limits the values of -pass, a secret"),
        ([param("-a", when=[{"equals": "x", "forbid": ["-out"]}])], "value rules (when) need a parameter that takes"),
        ([param("-a", value_type="string", when=[{"equals": "x"}])], "needs at least one of require, forbid"),
        ([param("-a", value_type="string", when=[{"equals": "x", "in": ["y"], "forbid": ["-out"]}])],
         "exactly one of equals and in"),
        ([param("-a", groups=[{"name": "g", "min": 2, "max": 1}])], "min (2) cannot exceed max (1)"),
        ([param("-a", value_type="string", when=[{"in": ["x", ""], "forbid": ["-out"]}])],
         "cannot be an empty value"),
        ([param("-a", groups=[{"name": "g", "max": 0}])], "max must be at least 1"),
        ([param("-a", require_any=[[]])], "a require_any set needs at least one flag"),
        ([param("-a", required=True), param("-b", required=True, interfer_ids=["-a"])],
         "-a and -b are both required but cannot be used together"),
        ([param("-a", groups=[{"name": "g", "min": 2}])], "group g needs at least 2 of -a but has only 1 member"),
    ],
)
def test_bad_v2_rules_are_refused_with_one_sentence(database: Database, extra: list[dict[str, Any]],
                                                    message: str) -> None:
    doc = genrsa_document()
    doc["jobs"] = []
    doc["commands"] = []
    load(database, doc)
    before = snapshot(database)
    bad = copy.deepcopy(doc)
    bad["parameters"] = extra
    bad["executables"] = []
    with pytest.raises(OtoError) as caught:
        load(database, bad)
    assert message in caught.value.message
    assert "Traceback" not in caught.value.message
    assert snapshot(database) == before


def test_deleting_a_flag_with_cascade_drops_it_from_the_v2_rules(database: Database) -> None:
    load(database, v2_document())
    with database.session() as db:
        parameters.delete(db, TAG, "-bits", cascade=True)
        pkeyopt = parameters.get(db, TAG, "-pkeyopt")
        algorithm = parameters.get(db, TAG, "-algorithm")
    assert pkeyopt.require_any == [["-out"]]
    assert [w.forbid for w in algorithm.when] == [[], []]
    assert algorithm.when[0].values == {"-pkeyopt": ["ec_paramgen_curve:*"]}


def test_a_flag_named_by_v2_rules_is_in_use(database: Database) -> None:
    load(database, v2_document())
    with database.session() as db:
        _, named_by = parameters.users(db, parameters.lookups.parameter(db, TAG, "-bits"))
    assert named_by == ["-algorithm", "-pkeyopt"]


def test_huge_and_hostile_rules_are_refused(database: Database) -> None:
    load(database, genrsa_document())
    with pytest.raises(InvalidInput, match="at most 200 require_any sets"), database.session() as db:
        parameters.add(db, param("-a", require_any=[["-out"]] * 201))
    with pytest.raises(InvalidInput, match="NUL"), database.session() as db:
        parameters.add(db, param("-a", value_type="string", when=[{"equals": "a\x00", "forbid": ["-out"]}]))
    with pytest.raises(InvalidInput, match="at most 500 characters"), database.session() as db:
        parameters.add(db, param("-a", value_type="string", when=[{"equals": "x" * 501, "forbid": ["-out"]}]))
    with database.session() as db:  # markup is only text
        parameters.add(db, param("-a", value_type="string", when=[{"equals": "<b>&", "forbid": ["-out"]}]))


def test_a_flag_whose_values_a_rule_limits_cannot_become_secret_or_valueless(database: Database) -> None:
    load(database, v2_document())
    before = snapshot(database)
    expected = re.escape("-algorithm of openssl - 3.5.3: its value rule limits the values of -pkeyopt, a secret")
    with pytest.raises(InvalidInput, match=expected), database.session() as db:
        parameters.update(db, TAG, "-pkeyopt", {"secret": True})
    assert snapshot(database) == before
