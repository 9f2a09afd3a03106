"""The CLI loads only what a verb needs: `oto --help` loads no database code, `oto job list` no web server."""

from __future__ import annotations

import json
import subprocess
import sys

import typer

from oto.cli.app import GROUPS, VERBS, build


def loaded_by(*args: str) -> set[str]:
    """The modules a fresh ``oto ARGS`` process has imported by the time it ends."""
    code = ("import sys, json, oto.cli.app as cli\n"
            "try:\n    cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted(sys.modules)), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                          check=False)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_loads_no_database_code_nor_any_group() -> None:
    modules = loaded_by("--help")
    assert "sqlalchemy" not in modules and "oto.app" not in modules
    assert not {module for module, _ in GROUPS.values()} & modules


def test_a_catalog_verb_loads_neither_temporal_nor_the_web_server_nor_alembic() -> None:
    modules = loaded_by("executable", "list", "--help")
    assert "oto.cli.executables" in modules
    assert not {"temporalio", "fastapi", "uvicorn", "alembic", "oto.cli.jobs"} & modules


def test_the_placeholders_say_what_the_real_verbs_say() -> None:
    full = typer.main.get_command(build())
    light = typer.main.get_command(build(""))
    assert set(full.commands) == set(light.commands) == set(GROUPS) | set(VERBS)  # type: ignore[attr-defined]
    for name in full.commands:  # type: ignore[attr-defined]
        real = full.commands[name].get_short_help_str(limit=300)  # type: ignore[attr-defined]
        shown = light.commands[name].get_short_help_str(limit=300)  # type: ignore[attr-defined]
        assert shown == real, name
