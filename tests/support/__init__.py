"""What the tests share besides fixtures: where things are, waiting for a condition, live processes.

Fixtures live in the conftest files; everything else a test needs from elsewhere is here, or in
a module of this package (``tests.support.engine``, ``.cli``, ``.catalog``, ``.deploy``).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"  # the catalogs the project ships (OTO documents)
SEED = ROOT / "tests" / "data" / "seed"  # the seed parameter lists of real programs
POSTGRES_URL = os.environ.get("OTO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def seed_path(name: str) -> Path:
    """One of the seed catalogs (nmap.json, masscan.json, openssl.json), kept with the tests."""
    return SEED / name


async def until(check: Callable[[], object], timeout: float = 15.0, *, what: str = "the condition",
                every: float = 0.05) -> None:
    """Wait until ``check()`` (or what it returns, when that is awaitable) is true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(every)


def processes_in(folder: str | Path) -> list[int]:
    """Live processes whose working folder is ``folder`` (a run's processes all start there)."""
    found = []
    target = os.path.realpath(folder)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/cwd") == target:
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry))
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its parent to reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
