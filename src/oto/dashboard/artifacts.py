"""The files a run made, served from its run folder: never outside it.

A file the run listed is found by the name the list shows (a name that is not UTF-8 by its
exact bytes). When the run made more files than its list holds, any other regular file of its
folder can be asked for by its path, so none is out of reach.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from oto.domain import artifacts as artifact_names
from oto.errors import NotFound


def artifact_file(workdir: str | None, listed: list[dict[str, Any]], wanted: str, *,
                  cut: bool = False) -> tuple[Path, str]:
    """The file of an artifact inside its run folder, and the name to download it as; NotFound for anything else.

    ``cut``: the run made more files than ``listed`` holds, so an unlisted path of its folder is served too.
    """
    found = next((a for a in listed if str(a.get("path")) == wanted), None)
    if not workdir or (found is None and not cut):
        raise NotFound(f"the run made no artifact {wanted!r}")
    folder = Path(workdir).resolve()
    path = (folder / (artifact_names.file_name(found) if found else wanted)).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise NotFound(f"the artifact {wanted!r} is not in the run folder {folder} on this machine")
    return path, PurePosixPath(wanted).name
