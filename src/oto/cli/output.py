"""How the CLI talks: tables and colour on a terminal, JSON with ``--json``, errors on stderr."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


# Control characters (C0 but newline and tab, DEL, C1) and the marks that reorder text on screen:
# a name or description holding them could clear the terminal, set its title or disguise itself.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """``text`` safe to show on a terminal: each control character written out as an escape (``\\x1b``)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def plain_text(value: Any) -> Text:
    """A value as rich text that is shown as it is: never read as markup, links or control codes."""
    return Text("" if value is None else clean(str(value)))


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(_plain(data), indent=2, ensure_ascii=False, default=str) + "\n")


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
    if not console.is_terminal:
        lines = ["\t".join(columns), *("\t".join(c.replace("\t", " ").replace("\n", " ") for c in row)
                                       for row in cells)]
        sys.stdout.write("\n".join(lines) + "\n")
        return
    table = Table(*columns, title=plain_text(title) if title else None, title_justify="left", show_lines=False)
    for row in cells:
        table.add_row(*(Text(c) for c in row))
    console.print(table, width=10_000 if wide else None, crop=not wide)


def print_fields(title: str, fields: Iterable[tuple[str, Any]]) -> None:
    """One item as "field  value" lines under its title (``show`` verbs); empty values are left out."""
    shown = [(name, value) for name, value in fields if value not in (None, "", [], {})]
    table = Table(title=plain_text(title), title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for name, value in shown:
        text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        table.add_row(name, plain_text(text))
    console.print(table)


def say(message: str) -> None:
    console.print(plain_text(message))


def warn(message: str) -> None:
    errors.print(plain_text(message))
