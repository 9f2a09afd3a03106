"""How the CLI talks: tables and colour on a terminal, JSON with ``--json``, errors on stderr.

rich draws for a terminal only: output to a pipe or a file is written plainly, and rich is not even
loaded for it (a verb whose output goes to a script starts sooner).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


@cache
def console() -> Console:
    """rich's console on stdout."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


@cache
def errors() -> Console:
    """rich's console on stderr."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def is_terminal(*, stderr: bool = False) -> bool:
    """Whether rich would draw for a terminal on stdout (or stderr); it is asked only when it might
    say yes: the stream is a TTY, or TTY_COMPATIBLE or FORCE_COLOR is set."""
    stream = sys.stderr if stderr else sys.stdout
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        tty = False
    if not (tty or "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ):
        return False
    return (errors() if stderr else console()).is_terminal


# Control characters (C0 but newline and tab, DEL, C1) and the marks that reorder text on screen:
# a name or description holding them could clear the terminal, set its title or disguise itself.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """``text`` safe to show on a terminal: each control character written out as an escape (``\\x1b``)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def plain_text(value: Any) -> Text:
    """A value as rich text that is shown as it is: never read as markup, links or control codes."""
    from rich.text import Text

    return Text("" if value is None else clean(str(value)))


def print_json(data: Any) -> None:
    from pydantic import BaseModel

    def plain(value: Any) -> Any:
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json", by_alias=True)
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    sys.stdout.write(json.dumps(plain(data), indent=2, ensure_ascii=False, default=str) + "\n")


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
                wide: bool = False) -> None:
    """A table on a terminal; elsewhere (a pipe, a file) a header line and tab-separated rows, never cut.

    On a terminal a column too long for the width is wrapped, or with ``wide`` the table is as wide
    as its content.
    """
    cells = [["" if c is None else clean(str(c)) for c in row] for row in rows]
    if not cells:
        say(f"no {title or 'items'}" if title else "nothing to show")
        return
    if not is_terminal():
        lines = ["\t".join(columns), *("\t".join(c.replace("\t", " ").replace("\n", " ") for c in row)
                                       for row in cells)]
        sys.stdout.write("\n".join(lines) + "\n")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(*columns, title=plain_text(title) if title else None, title_justify="left", show_lines=False)
    for row in cells:
        table.add_row(*(Text(c) for c in row))
    console().print(table, width=10_000 if wide else None, crop=not wide)


def print_fields(title: str, fields: Iterable[tuple[str, Any]]) -> None:
    """One item as "field  value" lines under its title (``show`` verbs); empty values are left out.

    On a terminal a long value wraps in its column; elsewhere (a pipe, a file) it is never cut.
    """
    shown = [(name, ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value))
             for name, value in fields if value not in (None, "", [], {})]
    if not is_terminal():
        width = max((len(name) for name, _ in shown), default=0)
        lines = [clean(title)]
        for name, text in shown:
            first, *more = clean(text).expandtabs(8).split("\n")
            lines += [f"{name:<{width}}  {first}", *(f"{'':<{width}}  {line}" for line in more)]
        sys.stdout.write("\n".join(line.rstrip() for line in lines) + "\n")
        return
    from rich.table import Table

    table = Table(title=plain_text(title), title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for name, text in shown:
        table.add_row(name, plain_text(text))
    console().print(table)


def say(message: str) -> None:
    _line(message, stderr=False)


def warn(message: str) -> None:
    _line(message, stderr=True)


def _line(message: str, *, stderr: bool) -> None:
    """One message as it is, on a terminal through rich; elsewhere the same characters rich would write
    (control characters escaped, tabs expanded), without loading it."""
    if is_terminal(stderr=stderr):
        (errors() if stderr else console()).print(plain_text(message))
    else:
        (sys.stderr if stderr else sys.stdout).write(clean(message).expandtabs(8) + "\n")
