"""The tool catalog: OTO documents for hundreds of real command-line tools, shipped with OTO.

They are converted from the Fig autocomplete specs (``make catalog``, docs/catalog.md) and read
here from package data, so searching and adding a tool works offline. Nothing here touches the
database: adding a tool is an import of :func:`document`'s result (the application layer's job).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
    raise NotImplementedError


def tools() -> list[Tool]:
    """Every tool, sorted by name."""
    raise NotImplementedError


def search(word: str, *, limit: int = 50) -> list[Tool]:
    """Tools whose name or description holds ``word`` (case-insensitive), best matches first:
    an exact name, then names starting with it, then other names, then descriptions."""
    raise NotImplementedError


def get(name: str) -> Tool:
    """The tool called ``name``; :class:`oto.errors.NotFound` naming close matches otherwise."""
    raise NotImplementedError


def document(name: str, *, path: str, version: str, task_queue: str = "") -> dict[str, Any]:
    """The tool as an OTO document (``{"oto": 1, "executables": [...], "parameters": [...]}``), its
    executables at ``path`` and ``version`` (every subcommand's too: they are the same program)."""
    raise NotImplementedError
