"""How the CLI talks: tables and colour on a terminal, JSON with ``--json``, errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
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
    cells = [["" if c is None else str(c) for c in row] for row in rows]
    if not cells:
        console.print(f"no {title or 'items'}" if title else "nothing to show", markup=False)
        return
    if not console.is_terminal:
        lines = ["\t".join(columns), *("\t".join(c.replace("\t", " ").replace("\n", " ") for c in row)
                                       for row in cells)]
        sys.stdout.write("\n".join(lines) + "\n")
        return
    table = Table(*columns, title=title, title_justify="left", show_lines=False)
    for row in cells:
        table.add_row(*row)
    console.print(table, width=10_000 if wide else None, crop=not wide)


def print_fields(title: str, fields: Iterable[tuple[str, Any]]) -> None:
    """One item as "field  value" lines under its title (``show`` verbs); empty values are left out."""
    shown = [(name, value) for name, value in fields if value not in (None, "", [], {})]
    table = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for name, value in shown:
        text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        table.add_row(name, text)
    console.print(table)


def say(message: str) -> None:
    console.print(message, markup=False)


def warn(message: str) -> None:
    errors.print(message, markup=False)
