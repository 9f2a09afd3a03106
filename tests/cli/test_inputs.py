"""Inputs through the CLI, without Temporal: jobs, routines and schedules that take values at run time,
and every refusal (exit 2, one sentence, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import Oto

SECRET = "input-secret-93f1"


def _scan(oto: Oto) -> None:
    """Executable ``ping`` (really /bin/echo) with -c (int), HOST (positional ip) and -k (secret string)."""
    assert oto("executable", "add", "ping", "1", "/bin/echo").code == 0
    for args in (("--value-type", "int", "ping - 1", "--", "-c"),
                 ("--value-type", "ip", "--style", "positional", "ping - 1", "--", "HOST"),
                 ("--value-type", "ip", "--style", "positional", "ping - 1", "--", "HOST2"),
                 ("--value-type", "string", "--secret", "ping - 1", "--", "-k")):
        added = oto("parameter", "add", *args)
        assert added.code == 0, added.err
    made = oto("command", "add", "--executable", "ping - 1", "Ping", "--", "-c", "-k", "HOST", "HOST2")
    assert made.code == 0, made.err


def _export(oto: Oto) -> str:
    result = oto("export")
    assert result.code == 0, result.err
    return result.out


def test_a_job_with_inputs_shows_them_and_its_argv(initialized: Oto) -> None:
    oto = initialized
    _scan(oto)
    added = oto("job", "add", "Scan", "--command", "Ping", "--set", "-c=3", "--set", "-k=fixed",
                "--input", "HOST", "--input", "HOST2=127.0.0.1", "--json")
    assert added.code == 0, added.err
    assert json.loads(added.out)["inputs"] == {"HOST": None, "HOST2": "127.0.0.1"}
    shown = oto("job", "show", "Scan", "--json")
    assert json.loads(shown.out)["argv"] == ["/bin/echo", "-c", "3", "-k", "***", "<HOST>", "127.0.0.1"]
    assert "HOST HOST2=127.0.0.1" in oto("job", "show", "Scan").out


def test_job_inputs_refused_at_save(initialized: Oto) -> None:
    oto = initialized
    _scan(oto)
    before = _export(oto)
    cases = {
        ("--set", "-c=3", "--input", "-c"): "-c is both a value and an input",
        ("--input", "NOPE"): "input NOPE is not a flag of command 'Ping'",
        ("--set", "-c=3", "--set", "-k=x", "--input", "HOST=not-an-ip", "--input", "HOST2"): "HOST (ip)",
        ("--input", "-c=x", "--input", "HOST"): "-c (int)",
    }
    for args, message in cases.items():
        refused = oto("job", "add", "Scan", "--command", "Ping", *args)
        assert refused.code == 2, (args, refused.out)
        assert message in refused.err and refused.err.strip().count("\n") == 0, refused.err
    assert _export(oto) == before


def test_a_secret_input_default_is_sealed_and_masked(initialized: Oto, tmp_path: Path) -> None:
    oto = initialized
    _scan(oto)
    added = oto("job", "add", "Scan", "--command", "Ping", "--set", "-c=1", "--input", f"-k={SECRET}",
                "--input", "HOST", "--input", "HOST2=::1")
    assert added.code == 0, added.err
    exported = _export(oto)
    assert SECRET not in exported and '"-k": "***"' in exported
    assert SECRET not in oto("job", "show", "Scan", "--json").out
    # importing the export (its secret masked) keeps the stored secret, and changes nothing
    path = tmp_path / "export.json"
    path.write_text(exported)
    imported = oto("import", str(path), "--json")
    assert imported.code == 0, imported.err
    assert "updated" not in imported.out or json.loads(imported.out).get("updated", 0) == 0, imported.out
    assert _export(oto) == exported


def test_run_values_are_refused_before_anything_is_written(initialized: Oto) -> None:
    oto = initialized
    _scan(oto)
    assert oto("job", "add", "Scan", "--command", "Ping", "--set", "-c=3", "--set", "-k=x",
               "--input", "HOST", "--input", "HOST2=127.0.0.1").code == 0
    cases = {
        ("--set", "HOST=10.0.0.5", "--set", "NOPE=1"): "NOPE is not an input of job Scan (its inputs: HOST, HOST2)",
        ("--set", "HOST2=10.0.0.5"): "HOST is an input of job Scan with no default: give it a value",
        ("--set", "HOST=not-an-ip"): "HOST (ip)",
        ("--set", "HOST"): "give NAME=VALUE",
        ("--set", "HOST=1.2.3.4", "--set", "HOST=1.2.3.5"): "HOST stands once in command 'Ping'",
        ("--set", "HOST=\x1b[31mred"): "HOST (ip)",
        ("--set", "HOST=" + "9" * 100_000): "HOST (ip)",
        ("--set", "HOST=1.2.3.4", "--set", "HOST2=\udcff"): "the value of HOST2 is not UTF-8 text",
    }
    for args, message in cases.items():
        refused = oto("job", "run", "Scan", *args)
        assert refused.code == 2, (args, refused.out, refused.err)
        assert message in refused.err, refused.err
        assert "\x1b" not in refused.err and refused.err.strip().count("\n") == 0
    listed = oto("run", "list", "--json")
    assert json.loads(listed.out) == []


def test_routine_inputs_and_step_bindings(initialized: Oto) -> None:
    oto = initialized
    _scan(oto)
    assert oto("job", "add", "Scan", "--command", "Ping", "--set", "-c=3", "--set", "-k=x",
               "--input", "HOST", "--input", "HOST2=127.0.0.1").code == 0
    left = oto("routine", "add", "R", "--step", "a=Scan")
    assert left.code == 2
    assert "steps[0] (a): input HOST of job Scan has no default and the step gives it no value" in left.err
    unknown = oto("routine", "add", "R", "--step", "a=Scan", "--with", "a:HOST={host}")
    assert unknown.code == 2 and "names {host}, which is not an input of routine R (its inputs: none)" in unknown.err
    not_input = oto("routine", "add", "R", "--step", "a=Scan", "--with", "a:HOST=1.2.3.4", "--with", "a:-c=4")
    assert not_input.code == 2 and "-c is not an input of job Scan (its inputs: HOST, HOST2)" in not_input.err
    bad = oto("routine", "add", "R", "--step", "a=Scan", "--with", "a:HOST=nope")
    assert bad.code == 2 and "HOST (ip)" in bad.err
    added = oto("routine", "add", "R", "--input", "host", "--step", "a=Scan", "--with", "a:HOST={host}",
                "--step", "b=Scan@a", "--with", "b:HOST=10.0.0.9", "--json")
    assert added.code == 0, added.err
    doc = json.loads(added.out)
    assert doc["inputs"] == {"host": None}
    assert doc["steps"][0]["with"] == {"HOST": "{host}"} and doc["steps"][1]["with"] == {"HOST": "10.0.0.9"}
    for args, message in {(): "host is an input of routine R with no default: give it a value",
                          ("--set", "HOST=1.2.3.4"): "HOST is not an input of routine R (its inputs: host)",
                          ("--set", "host=nope"): "step 'a': HOST (ip) 'nope' is not an IPv4 or IPv6 address"}.items():
        refused = oto("routine", "run", "R", *args)
        assert refused.code == 2 and message in refused.err, refused.err
    assert json.loads(oto("run", "list", "--json").out) == []


def test_schedule_values_are_checked_when_saved(initialized: Oto) -> None:
    oto = initialized
    _scan(oto)
    assert oto("job", "add", "Scan", "--command", "Ping", "--set", "-c=3", "--set", "-k=x",
               "--input", "HOST", "--input", "HOST2=::1").code == 0
    before = _export(oto)
    for args, message in {(): "HOST is an input of job Scan with no default: give it a value",
                          ("--set", "HOST=1.1.1.1", "--set", "-c=2"):
                              "-c is not an input of job Scan (its inputs: HOST, HOST2)",
                          ("--set", "HOST=x"): "HOST (ip)"}.items():
        refused = oto("schedule", "add", "nightly", "--job", "Scan", "--cron", "0 3 * * *", *args)
        assert refused.code == 2 and message in refused.err, refused.err
    assert _export(oto) == before


def test_rotating_the_key_reseals_secret_defaults_and_schedule_values(initialized: Oto) -> None:
    oto = initialized
    _scan(oto)
    assert oto("job", "add", "Scan", "--command", "Ping", "--set", "-c=3", "--input", f"-k={SECRET}",
               "--input", "HOST", "--input", "HOST2=::1").code == 0
    added = oto("schedule", "add", "nightly", "--job", "Scan", "--cron", "0 3 * * *", "--set", "HOST=10.0.0.1",
                "--set", "-k=other-secret", "--json")
    # Temporal is not there: the schedule is refused as a whole, or stands in OTO to sync later
    from sqlalchemy import select

    from oto.domain.models import Job, Schedule
    from oto.services import secrets
    from oto.services.database import get_database

    with get_database().session() as db:
        before = db.scalars(select(Job)).one().inputs["-k"]
        schedule = db.scalars(select(Schedule)).one_or_none()
        if schedule is not None:
            assert schedule.input_values["-k"].startswith("enc:")
    assert before.startswith("enc:") and secrets.unseal(before) == SECRET
    rotated = oto("secret", "rotate-key", "--json")
    assert rotated.code == 0, rotated.err
    with get_database().session() as db:
        after = db.scalars(select(Job)).one().inputs["-k"]
    assert after != before and secrets.unseal(after) == SECRET
    assert "other-secret" not in added.out + oto("export").out


def test_a_job_edit_that_leaves_a_routine_step_without_a_value_is_refused(initialized: Oto) -> None:
    oto = initialized
    _scan(oto)
    assert oto("job", "add", "Scan", "--command", "Ping", "--set", "-c=3", "--set", "-k=x", "--set", "HOST2=::1",
               "--input", "HOST=127.0.0.1").code == 0
    assert oto("routine", "add", "R", "--step", "a=Scan").code == 0
    before = _export(oto)
    refused = oto("job", "edit", "Scan", "--input", "HOST")
    assert refused.code == 2
    assert "job (Scan): routine (R): steps[0] (a): input HOST of job Scan has no default" in refused.err, refused.err
    assert _export(oto) == before
    assert oto("job", "edit", "Scan", "--input", "HOST=10.0.0.1").code == 0


def test_a_routine_never_stores_a_secret_input_in_clear(initialized: Oto) -> None:
    oto = initialized
    _scan(oto)
    assert oto("job", "add", "Scan", "--command", "Ping", "--set", "-c=3", "--set", "HOST2=::1",
               "--input", "HOST=127.0.0.1", "--input", "-k").code == 0
    before = _export(oto)
    constant = oto("routine", "add", "R", "--step", "a=Scan", "--with", f"a:-k={SECRET}")
    assert constant.code == 2 and "gives the secret input -k of job Scan a constant" in constant.err
    default = oto("routine", "add", "R", "--input", f"key={SECRET}", "--step", "a=Scan", "--with", "a:-k={key}")
    assert default.code == 2 and "cannot have a default in clear" in default.err
    assert SECRET not in constant.err + default.err and _export(oto) == before
    referenced = oto("routine", "add", "R", "--input", "key=env:SCAN_KEY", "--step", "a=Scan", "--with", "a:-k={key}")
    assert referenced.code == 0, referenced.err
    assert oto("routine", "add", "R2", "--step", "a=Scan", "--with", "a:-k=file:/etc/scan.key").code == 0
    assert oto("schedule", "add", "s", "--routine", "R", "--cron", "0 3 * * *", "--set", f"key={SECRET}").code in (0, 1)
    assert SECRET not in _export(oto)
