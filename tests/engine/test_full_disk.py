"""A run on a full disk: its record says so, whatever the program managed to say (often nothing)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import Engine


@pytest.fixture
def tiny_home(oto_home: Path) -> Iterator[Path]:
    """OTO_HOME on a 64 KiB file system (a tmpfs: the tests run as root)."""
    oto_home.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(oto_home)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield oto_home
    finally:
        subprocess.run(["umount", "-l", str(oto_home)], check=False)


async def test_a_run_that_fills_the_disk_says_no_space_left(tiny_home: Path, engine: Engine) -> None:
    engine.python("filler", "import sys\nfor _ in range(64): sys.stdout.write('x' * 4096)", "x")
    run = await engine.run_job("filler")
    assert run["status"] == "failed" and run["stderr"] == ""
    assert run["error"].startswith(f"exited with status {run['exit_code']}: no space left on device")
    assert str(tiny_home) in run["error"]


async def test_a_failure_with_room_left_says_only_its_status(engine: Engine) -> None:
    engine.sh("broken", "exit 3")
    run = await engine.run_job("broken")
    assert run["error"] == "exited with status 3"
