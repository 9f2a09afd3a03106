"""Bulk inserts for imports of large catalogs: many rows in one ``executemany``, nothing per row.

SQLAlchemy's insert of a list of rows still runs each row through its bind processing (a JSON dump
per list column, a lookup per value); for an import of 300,000 parameters that bookkeeping cost more
than the database. Here the statement is compiled once for the database's dialect, JSON columns are
dumped once per value with the standard library (as SQLAlchemy's JSON type does), and the driver's
``executemany`` gets plain tuples or dicts. Rows must already be checked: this is a write path only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session

BATCH = 5000


def insert(db: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys, columns of ``table``) in the session's transaction."""
    if not rows:
        return
    keys = list(rows[0])
    dumped = {key for key in keys if isinstance(table.c[key].type, JSON)}
    connection = db.connection()
    # inline(): no RETURNING of the new ids, which nothing here reads.
    compiled = table.insert().inline().compile(dialect=connection.dialect, column_keys=keys)
    # Every column but an autoincrement key must be given: one left out would be NULL (or, with a
    # default, a bind the driver gets no value for), not what the ORM would have written.
    missing = ({c.name for c in table.columns if not (c.primary_key and c.autoincrement)} | set(compiled.binds)) \
        - set(keys)
    if missing:
        raise ValueError(f"bulk insert into {table.name}: rows lack {', '.join(sorted(missing))}")
    order = list(compiled.positiontup or ()) if compiled.positional else keys
    columns = [(key, key in dumped) for key in order]
    statement = str(compiled)
    for start in range(0, len(rows), BATCH):
        values = [tuple(_dump(row[key]) if is_json else row[key] for key, is_json in columns)
                  for row in rows[start:start + BATCH]]
        params: list[Any] = values if compiled.positional else [dict(zip(order, row, strict=True)) for row in values]
        connection.exec_driver_sql(statement, params)


def _dump(value: Any) -> str:
    return "[]" if value == [] else json.dumps(value)  # most list columns are empty
