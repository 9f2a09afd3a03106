"""The CLI loads only what a verb needs: `oto --help` loads no database code, `oto job list` no web server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer

from oto.cli.app import GROUPS, VERBS, build


def loaded_by(*args: str, home: Path | None = None) -> set[str]:
    """The modules a fresh ``oto ARGS`` process has imported by the time it ends (its output piped)."""
    code = ("import sys, json, oto.cli.app as cli\n"
            "try:\n    cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted(sys.modules)), file=sys.stderr)")
    env = None if home is None else {k: v for k, v in os.environ.items() if not k.startswith("OTO_")} | {
        "OTO_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                          check=False, env=env)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_loads_no_database_code_nor_any_group() -> None:
    modules = loaded_by("--help")
    assert not {"sqlalchemy", "oto.app", "pydantic", "rich"} & modules
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


def test_a_piped_catalog_listing_loads_neither_rich_nor_the_cipher_nor_the_run_domain(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "oto", "init"], env={**os.environ, "OTO_HOME": str(tmp_path)},
                   check=True, capture_output=True, timeout=60)
    modules = loaded_by("executable", "list", home=tmp_path)
    assert "oto.services.executables" in modules
    assert not {"rich", "cryptography", "croniter", "oto.domain.runs", "oto.services.jobs", "pydantic_settings",
                "sqlalchemy.dialects.postgresql"} & modules


def test_the_oto_process_collects_garbage_again_once_the_verb_is_loaded(tmp_path: Path) -> None:
    """The collector is held off while modules load (oto.cli.main), never for the verb itself."""
    code = ("import gc, sys\nfrom oto.cli import main\nimport oto.cli.executables as verbs\n"
            "verbs.get_app = lambda: sys.exit(print(gc.isenabled(), gc.get_freeze_count() > 0))\n"
            "sys.argv = ['oto', 'executable', 'list']\nmain()")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "OTO_HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.split() == ["True", "True"], done.stderr
