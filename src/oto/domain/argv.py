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
    secret: bool = False


@dataclass(frozen=True)
class SecretPlace:
    """Where a secret value sits in a rendered argv: the item's index and what precedes the value in it.

    ``prefix`` is the flag for the ``equals`` (``--pass=``) and ``attached`` (``-p``) styles, and
    empty when the value is an item of its own.
    """

    index: int
    prefix: str


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


def secret_places(items: Iterable[ArgvItem], *, end_of_options: bool = False) -> list[SecretPlace]:
    """Where ``render`` (with the same ``end_of_options``) puts the value of each secret item (its argv
    index, counting the path as 0)."""
    items = list(items)
    marker = trailing_positionals(items) if end_of_options else -1
    places = []
    index = 1
    for position, item in enumerate(items):
        if position == marker:
            index += 1  # the "--" render puts there
        if not item.takes_value:
            index += 1
            continue
        if item.style == "separate":
            index += 1  # the flag, then the value
        if item.secret:
            prefix = f"{item.flag}=" if item.style == "equals" else item.flag if item.style == "attached" else ""
            places.append(SecretPlace(index, prefix))
        index += 1
    return places


def mask(argv: list[str], places: Iterable[SecretPlace], placeholder: str = "***") -> list[str]:
    """A copy of argv with the items that hold a secret replaced, for logs, the API and exports.

    By position, never by looking for the value: a short secret (``a``) would otherwise garble
    every item that happens to contain it, and reveal itself by the pattern.
    """
    out = list(argv)
    for place in places:
        out[place.index] = f"{place.prefix}{placeholder}"
    return out
