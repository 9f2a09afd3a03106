"""Turning a command's ordered parameters and a job's values into the exact argv that runs.

Values are always single argv items: nothing here ever goes through a shell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

END_OF_OPTIONS = "--"


@dataclass(frozen=True)
class ArgvItem:
    flag: str
    style: str  # separate | equals | attached | positional
    takes_value: bool
    value: str | None


def trailing_positionals(items: Sequence[ArgvItem]) -> int:
    """The index where the command's last run of positional items begins (``len(items)`` when none).

    Only these can stand after ``--``: an option placed after ``--`` would be read as an operand.
    """
    start = len(items)
    while start > 0 and items[start - 1].style == "positional":
        start -= 1
    return start


def render(path: str, items: Iterable[ArgvItem], *, end_of_options: bool = False) -> list[str]:
    """``[path, ...]`` with each parameter rendered in order by its style.

    With ``end_of_options`` (a program that honours ``--``), ``--`` stands before the trailing
    positional items, so a value there starting with ``-`` is never read as an option.
    """
    items = list(items)
    marker = trailing_positionals(items) if end_of_options else -1
    argv = [path]
    for index, item in enumerate(items):
        if index == marker:
            argv.append(END_OF_OPTIONS)
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
