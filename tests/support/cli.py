"""Running ``oto`` in-process as a user would, with what it printed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from oto.cli.app import main


@dataclass
class Result:
    code: int
    out: str
    err: str


Oto = Callable[..., Result]


def runner(capsys: pytest.CaptureFixture[str]) -> Oto:
    """``oto(*args)`` in-process, with what it printed captured apart from earlier output."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
