"""Values that would change what a program does beyond their parameter: options smuggled in as positional
values (``sort -o/tmp/victim``), and paths that leave the run folder of a confined parameter."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from oto.errors import InvalidInput
from oto.services import adhoc, commands, documents, executables, jobs, parameters
from oto.services.database import Database

SORT = "sort - 9"


def sort_catalog(db: Session, *, end_of_options: bool = False, allow_leading_dash: bool = False) -> None:
    executables.add(db, {"name": "sort", "version": "9", "path": "/usr/bin/sort", "end_of_options": end_of_options})
    parameters.add(db, {"flag": "-r", "executable_tag": SORT})
    parameters.add(db, {"flag": "<file>", "executable_tag": SORT, "value_type": "path", "style": "positional",
                        "allow_leading_dash": allow_leading_dash})
    commands.add(db, {"name": "sort-file", "executable_tag": SORT, "parameters": ["-r", "<file>"]})
    commands.add(db, {"name": "file-then-flag", "executable_tag": SORT, "parameters": ["<file>", "-r"]})


def test_a_positional_value_starting_with_a_dash_is_refused(database: Database) -> None:
    with database.session() as db:
        sort_catalog(db)
        with pytest.raises(InvalidInput, match=r"<file> value '-o/tmp/victim' starts with '-'.*allow_leading_dash"):
            jobs.add(db, {"name": "victim", "command": "sort-file", "values": {"<file>": "-o/tmp/victim", "-r": ""}})
        with pytest.raises(InvalidInput, match="end_of_options"):
            jobs.preview_argv(db, "sort-file", {"<file>": "-o/tmp/victim", "-r": ""})
        with pytest.raises(InvalidInput, match="starts with '-'"):
            adhoc.resolve(db, adhoc.AdHoc(SORT, ["<file>"], {"<file>": "--files0-from=/etc/shadow"}))
        assert jobs.preview_argv(db, "sort-file", {"<file>": "in-put.txt", "-r": ""}) == [
            "/usr/bin/sort", "-r", "in-put.txt"]


def test_end_of_options_puts_a_double_dash_before_the_trailing_positionals(database: Database) -> None:
    with database.session() as db:
        sort_catalog(db, end_of_options=True)
        assert jobs.preview_argv(db, "sort-file", {"<file>": "-o/tmp/victim", "-r": ""}) == [
            "/usr/bin/sort", "-r", "--", "-o/tmp/victim"]
        assert adhoc.resolve(db, adhoc.AdHoc(SORT, ["<file>"], {"<file>": "-x"})).argv == ["/usr/bin/sort", "--", "-x"]
        with pytest.raises(InvalidInput, match="an option follows <file>"):
            jobs.preview_argv(db, "file-then-flag", {"<file>": "-o/tmp/victim", "-r": ""})
        assert jobs.preview_argv(db, "file-then-flag", {"<file>": "a.txt", "-r": ""}) == [
            "/usr/bin/sort", "a.txt", "-r"]


def test_end_of_options_cannot_be_dropped_while_a_job_relies_on_it(database: Database) -> None:
    with database.session() as db:
        sort_catalog(db, end_of_options=True)
        jobs.add(db, {"name": "dash", "command": "sort-file", "values": {"<file>": "-", "-r": ""}})
    with pytest.raises(InvalidInput, match="the change would break job 'dash'"), database.session() as db:
        executables.update(db, SORT, {"end_of_options": False})
    with database.session() as db:
        assert executables.get(db, SORT).end_of_options


def test_a_parameter_may_allow_a_leading_dash(database: Database) -> None:
    with database.session() as db:
        sort_catalog(db, allow_leading_dash=True)
        assert jobs.preview_argv(db, "sort-file", {"<file>": "-", "-r": ""}) == ["/usr/bin/sort", "-r", "-"]
        with pytest.raises(InvalidInput, match="allow_leading_dash only applies to positional"):
            parameters.add(db, {"flag": "-k", "executable_tag": SORT, "value_type": "string",
                                "allow_leading_dash": True})


def test_the_new_fields_survive_export_and_import_unchanged(database: Database) -> None:
    with database.session() as db:
        sort_catalog(db, end_of_options=True, allow_leading_dash=True)
        parameters.add(db, {"flag": "-o", "executable_tag": SORT, "value_type": "path", "confine": True})
        exported = documents.dumps(documents.export_document(db))
    assert '"end_of_options": true' in exported and '"confine": true' in exported
    assert '"allow_leading_dash": true' in exported
    with database.session() as db:
        report = documents.import_document(db, documents.loads(exported))
        assert report.created == 0 and report.updated == 0
        assert documents.dumps(documents.export_document(db)) == exported


@pytest.mark.parametrize("value", ["/etc/passwd", "../escaped.txt", "a/../../escaped.txt", ".."])
def test_a_confined_path_stays_in_the_run_folder(database: Database, value: str) -> None:
    with database.session() as db:
        sort_catalog(db)
        parameters.add(db, {"flag": "-o", "executable_tag": SORT, "value_type": "path", "confine": True})
        commands.add(db, {"name": "sort-out", "executable_tag": SORT, "parameters": ["-o", "<file>"]})
        with pytest.raises(InvalidInput, match="must be a path inside the run folder"):
            jobs.preview_argv(db, "sort-out", {"-o": value, "<file>": "in.txt"})
        assert jobs.preview_argv(db, "sort-out", {"-o": "out/./a/../sorted.txt", "<file>": "in.txt"})[1:3] == [
            "-o", "out/./a/../sorted.txt"]
        with pytest.raises(InvalidInput, match="confine only applies to value type path"):
            parameters.add(db, {"flag": "-S", "executable_tag": SORT, "value_type": "string", "confine": True})
