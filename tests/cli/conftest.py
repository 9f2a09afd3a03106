"""Run ``oto`` in-process as a user would, with its own SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest

from oto.settings import get_settings
from tests.support.cli import Oto, runner


@pytest.fixture
def oto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Oto:
    """``oto(*args)`` runs the CLI and returns its exit code, stdout and stderr."""
    monkeypatch.setenv("OTO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    return runner(capsys)


@pytest.fixture
def initialized(oto: Oto) -> Oto:
    assert oto("init").code == 0
    return oto
