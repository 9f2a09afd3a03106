"""The flag matching schema of a stored executable, for ``oto schema`` and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from oto.errors import InvalidInput
from oto.services import lookups, schemas

GRAPH_FORMATS = ("dot", "mermaid")


def problems(db: Session, tag: str) -> list[dict[str, Any]]:
    exe = lookups.executable(db, tag)
    return [p.to_dict() for p in schemas.for_executable(exe).validate()]


def graph(db: Session, tag: str, fmt: str = "dot") -> str:
    if fmt not in GRAPH_FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(GRAPH_FORMATS)}, not {fmt!r}")
    exe = lookups.executable(db, tag)
    return schemas.for_executable(exe).graph(fmt)
