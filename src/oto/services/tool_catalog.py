"""The tool catalog: OTO documents for hundreds of real command-line tools, shipped with OTO.

They are converted from the Fig autocomplete specs (``make catalog``, docs/catalog.md) and read
here from package data, so searching and adding a tool works offline. Nothing here touches the
database: adding a tool is an import of :func:`document`'s result (the application layer's job).
"""

from __future__ import annotations

import difflib
import json
import zipfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from oto.errors import NotFound


@dataclass(frozen=True)
class Tool:
    """One tool of the catalog, as search and show list it."""

    name: str  # what ``oto catalog add NAME`` takes, e.g. "tar" or "git"
    description: str
    program: str  # the program looked up on PATH when no path is given, e.g. "tar"
    executables: int  # executables it becomes: the tool and each subcommand ("git commit")
    parameters: int  # parameters over all of them
    problems: tuple[str, ...] = ()  # why the flag matching engine refuses it; empty when it can be added


def source() -> tuple[str, str]:
    """The package and version the catalog was converted from: ``("@withfig/autocomplete", "2.692.3")``."""
    found = _index()["source"]
    return found["package"], found["version"]


def tools() -> list[Tool]:
    """Every tool, sorted by name."""
    return list(_tools().values())


def search(word: str, *, limit: int = 50) -> list[Tool]:
    """Tools whose name or description holds ``word`` (case-insensitive), best matches first:
    an exact name, then names starting with it, then other names, then descriptions."""
    needle = word.strip().lower()
    if not needle or limit <= 0:
        return []
    ranked: list[tuple[int, str, Tool]] = []
    for tool in _tools().values():
        name = tool.name.lower()
        if name == needle:
            rank = 0
        elif name.startswith(needle):
            rank = 1
        elif needle in name:
            rank = 2
        elif needle in tool.description.lower():
            rank = 3
        else:
            continue
        ranked.append((rank, name, tool))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [tool for _, _, tool in ranked[:limit]]


def get(name: str) -> Tool:
    """The tool called ``name``; :class:`oto.errors.NotFound` naming close matches otherwise."""
    found = _tools()
    tool = found.get(name) or found.get(_aliases().get(name, ""))
    if tool is not None:
        return tool
    close = difflib.get_close_matches(name, list(found), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else " (`oto catalog search WORD` lists them)"
    raise NotFound(f"no tool {name!r} in the catalog{hint}")


def document(name: str, *, path: str, version: str, task_queue: str = "") -> dict[str, Any]:
    """The tool as an OTO document (``{"oto": 1, "executables": [...], "parameters": [...]}``), its
    executables at ``path`` and ``version`` (every subcommand's too: they are the same program)."""
    tool = get(name)
    with _open() as z:
        stored = json.loads(z.read(f"tools/{tool.name}.json"))
    return as_document(stored, path=path, version=version, task_queue=task_queue)


def as_document(stored: dict[str, Any], *, path: str, version: str, task_queue: str = "") -> dict[str, Any]:
    """A tool as the catalog stores it (its executables, each with its parameters but no tags) as
    an OTO document at this path and version."""
    executables: list[dict[str, Any]] = []
    parameters: list[dict[str, Any]] = []
    for exe in stored["executables"]:
        executables.append({"name": exe["name"], "version": version, "path": path,
                            "description": exe["description"], "task_queue": task_queue})
        tag = f"{exe['name']} - {version}"
        parameters += [{**p, "executable_tag": tag} for p in exe["parameters"]]
    return {"oto": 1, "executables": executables, "parameters": parameters}


# The catalog's data: a zip of index.json (the source and every tool's summary) and one
# tools/NAME.json per tool, written by ``make catalog`` (oto.services.fig_convert).
DATA = "tool_catalog/catalog.zip"


def _open() -> zipfile.ZipFile:
    return zipfile.ZipFile(resources.files("oto").joinpath(DATA).open("rb"))


@cache
def _index() -> dict[str, Any]:
    with _open() as z:
        index: dict[str, Any] = json.loads(z.read("index.json"))
    return index


@cache
def _tools() -> dict[str, Tool]:
    return {
        t["name"]: Tool(name=t["name"], description=t["description"], program=t["program"],
                        executables=t["executables"], parameters=t["parameters"], problems=tuple(t["problems"]))
        for t in sorted(_index()["tools"], key=lambda t: t["name"])
    }


@cache
def _aliases() -> dict[str, str]:
    """The Fig spec names of tools whose catalog name differs ("@capgo/cli" for "@capgo-cli")."""
    return {t["fig"]: t["name"] for t in _index()["tools"] if t["fig"] != t["name"]}
