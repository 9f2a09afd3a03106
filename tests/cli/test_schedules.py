"""``oto schedule`` from a user's side, without Temporal: refusals, exit codes, and what works offline.

The verbs that reach Temporal are tested against the session's dev server in
tests/engine/test_schedules.py (that is where its fixture lives).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oto.engine.devserver import free_port
from oto.settings import get_settings
from tests.support.cli import Oto

CATALOG = {
    "oto": 1,
    "executables": [{"name": "sh", "version": "1", "path": "/bin/sh"}],
    "parameters": [{"flag": "-c", "executable_tag": "sh - 1", "value_type": "string"}],
    "commands": [{"name": "sh", "executable_tag": "sh - 1", "parameters": ["-c"]}],
    "jobs": [{"name": "renew", "command": "sh", "values": {"-c": "true"}}],
}


@pytest.fixture
def offline(initialized: Oto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Oto:
    """The CLI with a catalog, and Temporal's address pointing where nothing listens."""
    monkeypatch.setenv("OTO_TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    (tmp_path / "catalog.json").write_text(json.dumps(CATALOG))
    assert initialized("import", str(tmp_path / "catalog.json")).code == 0
    return initialized


def nothing_written(oto: Oto) -> bool:
    return json.loads(oto("schedule", "list", "--json").out) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--job", "renew", "--cron", "0 25 * * *"],
         "schedule 'nightly': '0 25 * * *' is not a valid cron expression: the hour field has 25, out of 0-23"),
        (["--job", "renew", "--cron", "@daily"],
         "schedule 'nightly': '@daily' is not a valid cron expression: it needs 5 fields "
         "(minute hour day-of-month month weekday)"),
        (["--job", "renew", "--every", "500ms"], "schedule 'nightly': every must be at least 1s, not 500ms"),
        (["--job", "ghost", "--every", "1h"], "schedule 'nightly': no job 'ghost'"),
        (["--routine", "ghost", "--every", "1h"], "schedule 'nightly': no routine 'ghost'"),
        (["--job", "renew", "--every", "1h", "--start", "2030-01-02", "--end", "2030-01-01"],
         "schedule 'nightly': the end (2030-01-01T00:00:00+00:00) is not after the start "
         "(2030-01-02T00:00:00+00:00)"),
        (["--job", "renew", "--every", "1h", "--overlap", "sometimes"],
         "schedule 'nightly': overlap must be one of skip, buffer_one, allow_all, cancel_other, not 'sometimes'"),
        (["--job", "renew", "--cron", "0 3 * * *", "--timezone", "Mars/Olympus"],
         "schedule 'nightly': 'Mars/Olympus' is not a known time zone (e.g. UTC, Europe/Paris)"),
        (["--job", "renew", "--routine", "r", "--every", "1h"], "give one of --job or --routine"),
        (["--job", "renew"], "give one of --cron or --every"),
        (["--job", "renew", "--every", "1h", "--start", "tomorrow"],
         "--start 'tomorrow' is not a date and time (ISO 8601: 2030-01-31T03:00, 2030-01-31T03:00:00Z)"),
    ],
)
def test_bad_input_is_refused_before_temporal_is_asked(offline: Oto, args: list[str], message: str) -> None:
    result = offline("schedule", "add", "nightly", *args)
    assert (result.code, result.err) == (2, f"Error: {message}\n")
    assert nothing_written(offline)


def test_an_unreachable_temporal_refuses_the_change_and_writes_nothing(offline: Oto) -> None:
    result = offline("schedule", "add", "nightly", "--job", "renew", "--cron", "0 3 * * *")
    assert result.code == 1
    assert result.err.startswith(f"Error: cannot reach Temporal at {get_settings().temporal_address}")
    assert "Traceback" not in result.err
    assert nothing_written(offline)


def test_unknown_schedules_are_named(offline: Oto) -> None:
    for verb in (["show"], ["pause"], ["resume"], ["trigger"], ["delete"],
                 ["backfill", "--from", "2030-01-01", "--to", "2030-01-02"], ["edit", "--cron", "0 4 * * *"],
                 ["edit", "--start", "2030-01-01"]):
        result = offline("schedule", verb[0], "ghost", *verb[1:])
        assert (result.code, result.err) == (2, "Error: no schedule 'ghost'\n"), verb


def test_edit_needs_something_to_change(offline: Oto) -> None:
    for name in ("nightly", "ghost"):
        result = offline("schedule", "edit", name)
        assert (result.code, result.err) == (2, "Error: nothing to change: give at least one option\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cron", "0 25 * * *"],
         "schedule 'nightly': '0 25 * * *' is not a valid cron expression: the hour field has 25, out of 0-23"),
        (["--cron", "0 4 * * *", "--every", "1h"], "schedule 'nightly': a schedule has exactly one of cron or every"),
        (["--offset", "5m"], "schedule 'nightly': an offset goes with every, not with a cron expression"),
        (["--job", "ghost"], "schedule 'nightly': no job 'ghost'"),
        (["--overlap", "sometimes"],
         "schedule 'nightly': overlap must be one of skip, buffer_one, allow_all, cancel_other, not 'sometimes'"),
        (["--end", "2030-01-01", "--no-end"], "give --end or --no-end, not both"),
        (["--start", "tomorrow"],
         "--start 'tomorrow' is not a date and time (ISO 8601: 2030-01-31T03:00, 2030-01-31T03:00:00Z)"),
    ],
)
def test_bad_edits_are_refused_before_temporal_is_asked(offline: Oto, tmp_path: Path, args: list[str],
                                                         message: str) -> None:
    (tmp_path / "nightly.json").write_text(json.dumps(
        {"oto": 1, "schedules": [{"name": "nightly", "job": "renew", "cron": "0 3 * * *"}]}))
    assert offline("import", str(tmp_path / "nightly.json")).code == 0
    before = offline("schedule", "list", "--json").out
    result = offline("schedule", "edit", "nightly", *args)
    assert (result.code, result.err) == (2, f"Error: {message}\n")
    assert offline("schedule", "list", "--json").out == before


def test_an_edit_with_temporal_unreachable_changes_nothing(offline: Oto, tmp_path: Path) -> None:
    (tmp_path / "nightly.json").write_text(json.dumps(
        {"oto": 1, "schedules": [{"name": "nightly", "job": "renew", "cron": "0 3 * * *"}]}))
    assert offline("import", str(tmp_path / "nightly.json")).code == 0
    result = offline("schedule", "edit", "nightly", "--cron", "0 4 * * *")
    assert result.code == 1
    assert result.err.startswith(f"Error: cannot reach Temporal at {get_settings().temporal_address}")
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert json.loads(offline("schedule", "list", "--json").out)[0]["cron"] == "0 3 * * *"


def test_imported_schedules_list_and_show_without_temporal(offline: Oto, tmp_path: Path) -> None:
    document = {"oto": 1, "schedules": [
        {"name": "nightly", "job": "renew", "cron": "0 3 * * *", "timezone": "Europe/Paris",
         "start": "2035-03-22T12:00:00Z"},
        {"name": "often", "job": "renew", "every": "15m", "offset": "2m", "paused": True, "note": "later"}]}
    (tmp_path / "schedules.json").write_text(json.dumps(document))
    imported = offline("import", str(tmp_path / "schedules.json"))
    assert imported.code == 0  # the import stands; one line says how Temporal gets the schedules later
    assert imported.err.count("\n") == 1 and "`oto schedule sync` will finish it" in imported.err

    listed = offline("schedule", "list")
    assert listed.code == 0
    assert "nightly" in listed.out and "0 3 * * * (Europe/Paris)" in listed.out and "2035-03-23 03:00 CET" in listed.out
    assert "every 15m (offset 2m)" in listed.out and "paused (later)" in listed.out

    shown = offline("schedule", "show", "nightly")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == "schedule nightly: job renew, 0 3 * * * (Europe/Paris), active"
    assert "  Temporal (oto-schedule-nightly): unreachable: cannot reach Temporal" in shown.out
    start = lines.index("next fire times:")
    assert lines[start + 1:start + 6] == [
        "  2035-03-23 03:00 CET (2035-03-23 02:00 UTC)", "  2035-03-24 03:00 CET (2035-03-24 02:00 UTC)",
        "  2035-03-25 03:00 CEST (2035-03-25 01:00 UTC)", "  2035-03-26 03:00 CEST (2035-03-26 01:00 UTC)",
        "  2035-03-27 03:00 CEST (2035-03-27 01:00 UTC)"]
    assert "no recent runs" in shown.out

    data = json.loads(offline("schedule", "show", "often", "--json", "--count", "2").out)
    assert data["schedule"]["paused"] is True and data["trigger"] == "schedule:often"
    assert data["server"]["state"] == "unreachable" and len(data["next"]) == 2
    assert [t[14:19] for t in data["next"]] in (["02:00", "17:00"], ["17:00", "32:00"], ["32:00", "47:00"],
                                                 ["47:00", "02:00"])

    exported = json.loads(offline("export").out)
    assert exported["schedules"] == [
        {"name": "nightly", "job": "renew", "cron": "0 3 * * *", "timezone": "Europe/Paris",
         "start": "2035-03-22T12:00:00Z"},
        {"name": "often", "job": "renew", "every": "15m", "offset": "2m", "paused": True, "note": "later"}]


def test_the_group_lists_its_verbs(initialized: Oto) -> None:
    result = initialized("schedule", "--help")
    assert result.code == 0
    for verb in ("add", "edit", "list", "show", "pause", "resume", "trigger", "delete", "backfill", "sync"):
        assert verb in result.out
