"""A routine whose step ids hold spaces, commas and quotes goes through the edit form unchanged."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy.orm import Session

from oto.dashboard.pages_jobs import _join, _split
from oto.services import commands, executables, jobs, parameters, routines
from oto.services.database import Database
from tests.dashboard.conftest import Browser

STEPS = [
    {"id": "make key", "job": "j", "after": []},
    {"id": "a, b", "job": "j", "after": ["make key"]},
    {"id": 'say "hi"', "job": "j", "after": ["make key", "a, b"]},
    {"id": "last", "job": "j", "after": ['say "hi"', "a, b", "make key"]},
]


def catalog(db: Session) -> None:
    executables.add(db, {"name": "true", "version": "1", "path": "/bin/true"})
    parameters.add(db, {"flag": "-x", "executable_tag": "true - 1"})
    commands.add(db, {"name": "c", "executable_tag": "true - 1", "parameters": ["-x"]})
    jobs.add(db, {"name": "j", "command": "c", "values": {"-x": ""}})
    routines.add(db, {"name": "odd ids", "steps": STEPS})


def test_the_edit_form_saves_odd_step_ids_back_unchanged(admin: Browser, sqlite_database: Database) -> None:
    with sqlite_database.session() as db:
        catalog(db)
        before = routines.get(db, "odd ids").model_dump()
    form = admin.client.get("/routines/odd%20ids/edit").text
    fields = {unescape(name): unescape(value)
              for name, value in re.findall(r'<input id="[^"]*" name="([^"]+)" value="([^"]*)"', form)}
    data = {"steps": str(len(STEPS) + 1), "description": "", "action": "save"}
    for i in range(len(STEPS) + 1):
        data[f"step-{i}-id"] = fields[f"step-{i}-id"]
        data[f"step-{i}-after"] = fields[f"step-{i}-after"]
        data[f"step-{i}-job"] = "j" if fields[f"step-{i}-id"] else ""
    saved = admin.post("/routines/odd%20ids/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with sqlite_database.session() as db:
        assert routines.get(db, "odd ids").model_dump() == before


@pytest.mark.parametrize("ids", [[], ["a"], ["a b", "c"], ["x, y", 'q"uote', '"lead', " pad "]])
def test_a_runs_after_field_reads_back_what_was_written(ids: list[str]) -> None:
    assert _split(_join(ids)) == ids


def test_a_hand_written_field_is_read_as_people_write_it() -> None:
    assert _split("a, b ,c,,") == ["a", "b", "c"]
    assert _split('"a, b", make key') == ["a, b", "make key"]


def test_the_routine_form_edits_inputs_and_what_each_step_gives(admin: Browser, sqlite_database: Database) -> None:
    with sqlite_database.session() as db:
        executables.add(db, {"name": "echo", "version": "1", "path": "/bin/echo"})
        parameters.add(db, {"flag": "HOST", "executable_tag": "echo - 1", "value_type": "string",
                            "style": "positional"})
        commands.add(db, {"name": "e", "executable_tag": "echo - 1", "parameters": ["HOST"]})
        jobs.add(db, {"name": "scan", "command": "e", "inputs": {"HOST": None}})
    data = {"name": "sweep", "steps": "2", "description": "", "inputs": "host, port=22", "action": "save",
            "step-0-id": "a", "step-0-job": "scan", "step-0-after": "", "step-0-with": "HOST={host}",
            "step-1-id": "b", "step-1-job": "scan", "step-1-after": "a", "step-1-with": ""}
    refused = admin.post("/routines/new", data=data)
    assert refused.status_code == 422
    assert "steps[1] (b): input HOST of job scan has no default" in unescape(refused.text)
    assert 'value="host, port=22"' in refused.text  # what was typed stays in the form
    saved = admin.post("/routines/new", data=data | {"step-1-with": "HOST=10.0.0.1, HOST=10.0.0.2"},
                       follow_redirects=False)
    assert saved.status_code == 422 and "HOST stands once" in unescape(saved.text)
    saved = admin.post("/routines/new", data=data | {"step-1-with": "HOST=10.0.0.1"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with sqlite_database.session() as db:
        doc = routines.get(db, "sweep")
    assert doc.inputs == {"host": None, "port": "22"}
    assert [s.with_ for s in doc.steps] == [{"HOST": "{host}"}, {"HOST": "10.0.0.1"}]
    form = unescape(admin.client.get("/routines/sweep/edit").text)
    assert 'name="inputs" value="host, port=22"' in form and 'name="step-0-with" value="HOST={host}"' in form
    page = admin.client.get("/routines/sweep").text
    assert 'name="r:host"' in page and 'name="r:port" type="text" value="22"' in page
