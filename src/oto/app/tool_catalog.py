"""The tool catalog: search the tools OTO ships specs for, look at one, add it to this catalog.

Adding finds the program on this machine (``PATH``, unless a path is given), reads the version of
a program found on ``PATH`` from ``PROGRAM --version`` when it prints one (else, and for a given
path, ``fig``), and imports the tool's document: every tool named, all or nothing
(docs/catalog.md). A given path is never run: an API key may name any file of the API's host.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from oto.errors import InvalidInput, NotFound, Refused
from oto.services import tool_catalog
from oto.services.documents import ImportReport
from oto.services.tool_catalog import Tool

if TYPE_CHECKING:
    from oto.app.application import App

__all__ = ["Added", "Tool", "ToolCatalog"]

UNKNOWN_VERSION = "fig"
VERSION_TIMEOUT = 5.0
# The first dotted number of ``--version``'s output, with what sticks to it ("3.5.3", "1.35", "8.5.0-DEV").
_VERSION = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+)+(?:[-+~][0-9A-Za-z.]+)?)")
MAX_VERSION_OUTPUT = 64 * 1024


@dataclass(frozen=True)
class Added:
    """One tool added: where its program is, the version it was tagged with, and what was written."""

    tool: Tool
    tag: str  # the tool's own executable (its subcommands' tags start with its name)
    path: str
    version: str
    report: ImportReport


class ToolCatalog:
    """The shipped tool specs (``oto catalog``), and adding them to this catalog."""

    def __init__(self, app: App) -> None:
        self.app = app

    @staticmethod
    def source() -> tuple[str, str]:
        return tool_catalog.source()

    @staticmethod
    def search(word: str, *, limit: int = 50) -> list[Tool]:
        """Tools matching ``word``, best first; an empty word lists them all by name."""
        if not word.strip():
            return tool_catalog.tools()[:limit]
        return tool_catalog.search(word, limit=limit)

    @staticmethod
    def get(name: str) -> Tool:
        return tool_catalog.get(name)

    @staticmethod
    def locate(tool: Tool) -> str | None:
        """Where ``PATH`` finds the tool's program on this machine, if it does."""
        found = shutil.which(tool.program)
        return None if found is None else os.path.abspath(found)

    def document(self, name: str, *, path: str | None = None, version: str = UNKNOWN_VERSION) -> dict[str, Any]:
        """The tool's document as it would be imported (at ``path``, else where ``PATH`` finds its
        program, else ``/usr/bin/PROGRAM``), to look at before adding it."""
        tool = tool_catalog.get(name)
        where = path or self.locate(tool) or f"/usr/bin/{tool.program}"
        return tool_catalog.document(name, path=where, version=version)

    async def add(self, names: Sequence[str], *, path: str | None = None, version: str | None = None,
                  task_queue: str = "") -> list[Added]:
        """Import the tools named, all or nothing; each at ``path`` (only with one tool) or where
        ``PATH`` finds it, tagged ``version``, else what a program found on ``PATH`` prints for
        ``--version``, else ``fig``."""
        if not names:
            raise InvalidInput("name at least one tool to add (`oto catalog search WORD` finds them)")
        if len(set(names)) != len(names):
            raise InvalidInput(f"a tool is named twice: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
        if path is not None and len(names) > 1:
            raise InvalidInput("--path is the program of one tool: add tools with their own paths one at a time")
        tools = [tool_catalog.get(name) for name in names]
        for tool in tools:
            if tool.problems:
                raise Refused(f"{tool.name} cannot be added: its spec's rules are inconsistent: "
                              f"{'; '.join(tool.problems)}")
        planned = []
        for tool in tools:
            where = _checked_path(path) if path is not None else _located(tool)
            if version is not None:
                tagged = version
            elif path is not None:
                tagged = UNKNOWN_VERSION
            else:
                tagged = await asyncio.to_thread(probe_version, where)
            planned.append((tool, where, tagged))
        documents = [tool_catalog.document(tool.name, path=where, version=tagged, task_queue=task_queue)
                     for tool, where, tagged in planned]
        imported = await self.app.documents.import_many([
            (f"tool {tool.name}", document) for (tool, _, _), document in zip(planned, documents, strict=True)])
        return [Added(tool, f"{document['executables'][0]['name']} - {tagged}", where, tagged, report)
                for (tool, where, tagged), document, (_, report)
                in zip(planned, documents, imported.reports, strict=True)]


def _checked_path(path: str) -> str:
    if not PurePosixPath(path).is_absolute():
        raise InvalidInput(f"--path must be absolute, not {path!r}")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise InvalidInput(f"--path {path} is not an executable file on this machine")
    return path


def _located(tool: Tool) -> str:
    found = ToolCatalog.locate(tool)
    if found is None:
        raise NotFound(f"{tool.program} is not installed on this machine (not found on PATH): install it, or give "
                       f"its program with --path")
    return found


def probe_version(path: str) -> str:
    """The version ``PATH --version`` prints (its first dotted number), or ``fig`` when it prints none,
    fails to start or takes longer than a few seconds. The program gets no shell and no input."""
    try:
        done = subprocess.run([path, "--version"], stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=VERSION_TIMEOUT, cwd="/", check=False)
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN_VERSION
    output = (done.stdout[:MAX_VERSION_OUTPUT] + b"\n" + done.stderr[:MAX_VERSION_OUTPUT]).decode("utf-8", "replace")
    return version_in(output)


def version_in(output: str) -> str:
    """The first dotted version number in a program's ``--version`` output, else ``fig``."""
    for line in output.splitlines()[:5]:
        match = _VERSION.search(line)
        if match:
            return match.group(1)[:100]
    return UNKNOWN_VERSION
