"""The flag matching schema of each stored executable: compiled, cached, and shown.

One compiled schema per executable, rebuilt only when its parameters change: the cache is keyed
by the executable's ``rules_revision``, a random token every parameter change renews, so a
process never checks against rules another process (or database) has since changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from threading import Lock
from typing import Any

from sqlalchemy.orm import Session

from oto.domain.documents import ParameterDoc
from oto.domain.models import Executable, Parameter
from oto.errors import InvalidInput, Refused
from oto.fme import Problem, Schema
from oto.services import lookups

GRAPH_FORMATS = ("dot", "mermaid")

_CACHE_SIZE = 256
_cache: dict[str, Schema] = {}
_lock = Lock()


def new_revision() -> str:
    return uuid.uuid4().hex


def build(tag: str, parameters: Iterable[Parameter | ParameterDoc]) -> Schema:
    """A schema holding the flags and rules of these parameters (all of one executable): stored
    ones, or documents not yet written (a save checks the schema before it writes)."""
    schema = Schema(name=tag)
    params = list(parameters)
    for p in params:
        schema.add_flag(p.flag, repeatable=p.repeatable)
    scales: dict[str, list[str]] = {}
    for p in params:
        requires, conflicts = (p.require_ids, p.interfer_ids) if isinstance(p, ParameterDoc) else (
            p.requires, p.conflicts)
        for other in requires:
            schema.require(p.flag, other)
        for other in conflicts:
            schema.conflict(p.flag, other)
        for other in p.before:
            schema.before(p.flag, other)
        if p.position is not None:
            schema.position(p.flag, p.position)
        if p.scale:
            scales.setdefault(p.scale, []).append(p.flag)
    for name, members in scales.items():
        schema.scale(name, members)
    groups: dict[str, tuple[tuple[int, int | None], list[str]]] = {}
    for p in params:
        for alternatives in p.require_any:
            schema.require_any(p.flag, alternatives)
        if p.required:
            schema.required(p.flag)
        stored_groups, stored_when = (([g.model_dump() for g in p.groups], [w.to_document() for w in p.when])
                                      if isinstance(p, ParameterDoc) else (p.groups, p.when))
        for g in stored_groups:
            groups.setdefault(g["name"], ((g.get("min", 0), g.get("max")), []))[1].append(p.flag)
        for rule in stored_when:
            cond = (
                schema.when(p.flag, equals=rule["equals"]) if "equals" in rule else schema.when(p.flag, in_=rule["in"])
            )
            for other in rule.get("require", ()):
                cond.require(other)
            for other in rule.get("forbid", ()):
                cond.forbid(other)
            for other, patterns in rule.get("values", {}).items():
                cond.values(other, patterns)
    for name, ((low, high), members) in groups.items():
        schema.group(name, members, min=low, max=high)
    return schema


def for_executable(executable: Executable) -> Schema:
    """The cached schema of an executable; compiled again only after its rules changed."""
    key = executable.rules_revision
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    schema = build(executable.tag, executable.parameters)
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = schema
    return schema


def forget(revision: str) -> None:
    with _lock:
        _cache.pop(revision, None)


def refuse_if_inconsistent(tag: str, problems: list[Problem], where: str = "") -> None:
    if problems:
        lines = "; ".join(p.message for p in problems)
        prefix = f"{where}: " if where else ""
        raise Refused(
            f"{prefix}the rules of {tag} would be inconsistent: {lines}",
            details=[p.to_dict() for p in problems],
        )


def problems(db: Session, tag: str) -> list[dict[str, Any]]:
    """What is wrong with the rules of a stored executable (``oto schema check``, the API)."""
    return [p.to_dict() for p in for_executable(lookups.executable(db, tag)).validate()]


def graph(db: Session, tag: str, fmt: str = "dot") -> str:
    """The rules of a stored executable as a DOT or Mermaid graph."""
    if fmt not in GRAPH_FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(GRAPH_FORMATS)}, not {fmt!r}")
    return for_executable(lookups.executable(db, tag)).graph(fmt)
