"""Run ``oto`` in-process as a user would, with its own SQLite database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from oto.cli.app import main
from oto.settings import get_settings


@dataclass
class Result:
    code: int
    out: str
    err: str


Oto = Callable[..., Result]


@pytest.fixture
def oto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Oto:
    """``oto(*args)`` runs the CLI and returns its exit code, stdout and stderr."""
    monkeypatch.setenv("OTO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    return runner(capsys)


def runner(capsys: pytest.CaptureFixture[str]) -> Oto:
    """``oto(*args)`` in-process, with what it printed captured apart from earlier output."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def initialized(oto: Oto) -> Oto:
    assert oto("init").code == 0
    return oto
