"""The files a run made, served from its run folder: only those the worker listed, never outside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oto.errors import NotFound


def artifact_file(workdir: str | None, listed: list[dict[str, Any]], wanted: str) -> Path:
    """The file of an artifact the run listed, inside its run folder; NotFound for anything else."""
    if not workdir or wanted not in {str(a.get("path")) for a in listed}:
        raise NotFound(f"the run made no artifact {wanted!r}")
    folder = Path(workdir).resolve()
    path = (folder / wanted).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise NotFound(f"the artifact {wanted!r} is not in the run folder {folder} on this machine")
    return path
