"""Turning a command's ordered parameters and a job's values into the exact argv that runs.

Values are always single argv items: nothing here ever goes through a shell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ArgvItem:
    flag: str
    style: str  # separate | equals | attached | positional
    takes_value: bool
    value: str | None


def render(path: str, items: Iterable[ArgvItem]) -> list[str]:
    """``[path, ...]`` with each parameter rendered in order by its style."""
    argv = [path]
    for item in items:
        if not item.takes_value:
            argv.append(item.flag)
            continue
        value = item.value or ""
        if item.style == "equals":
            argv.append(f"{item.flag}={value}")
        elif item.style == "attached":
            argv.append(f"{item.flag}{value}")
        elif item.style == "positional":
            argv.append(value)
        else:
            argv.extend((item.flag, value))
    return argv


def mask(argv: list[str], secrets: Iterable[str], placeholder: str = "***") -> list[str]:
    """A copy of argv with every secret value hidden, for logs, the API and exports."""
    hidden = [s for s in secrets if s]
    out = []
    for arg in argv:
        for secret in hidden:
            arg = arg.replace(secret, placeholder)
        out.append(arg)
    return out
