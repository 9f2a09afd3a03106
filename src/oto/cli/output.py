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
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(_plain(data), indent=2, ensure_ascii=False, default=str) + "\n")


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = list(rows)
    if not rows:
        say(f"no {title or 'items'}" if title else "nothing to show")
        return
    table = Table(*columns, title=plain_text(title) if title else None,
                  title_justify="left", show_lines=False)
    for row in rows:
        table.add_row(*(plain_text(c) for c in row))
    console.print(table)


def say(message: str) -> None:
    console.print(plain_text(message))


def warn(message: str) -> None:
    errors.print(plain_text(message))
