"""Import and export of the OTO document (docs/document.md): all or nothing, idempotent, stable."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from oto.domain.documents import DOCUMENT_VERSION, ExecutableDoc, ParameterDoc
from oto.domain.models import Command, Executable, Job, Parameter, Routine, Schedule
from oto.errors import InvalidInput, OtoError
from oto.services import commands, executables, jobs, parameters, routines, schedules
from oto.services.validation import describe

KINDS = ("executables", "parameters", "commands", "jobs", "routines", "schedules")


@dataclass
class ImportReport:
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: {"created": 0, "updated": 0, "unchanged": 0} for k in KINDS}
    )

    def add(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[kind][outcome] += n

    @property
    def created(self) -> int:
        return sum(c["created"] for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c["updated"] for c in self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "kinds": self.counts}


def _items(doc: dict[str, Any], kind: str) -> list[Any]:
    items = doc.get(kind, [])
    if not isinstance(items, list):
        raise InvalidInput(f"{kind}: must be a list, not {type(items).__name__}")
    return items


def _label(item: Any, *keys: str) -> str:
    if isinstance(item, dict):
        for key in keys:
            if isinstance(item.get(key), str):
                return f" ({item[key]})"
    return ""


def normalize(data: Any) -> dict[str, Any]:
    """A document as a dict; a bare list is the seed's list of parameters."""
    if isinstance(data, list):
        return {"oto": DOCUMENT_VERSION, "parameters": data}
    if not isinstance(data, dict):
        raise InvalidInput("an OTO document is a JSON object (or a list of parameters)")
    version = data.get("oto")
    # type(): True == 1 and 1.0 == 1 in Python, but neither is the version number JSON says
    if type(version) is not int or version != DOCUMENT_VERSION:
        raise InvalidInput(f'oto: this is not an OTO document of version {DOCUMENT_VERSION} (expected "oto": 1)')
    unknown = sorted(set(data) - {"oto", *KINDS})
    if unknown:
        raise InvalidInput(f"{unknown[0]}: is not a part of an OTO document (known: {', '.join(KINDS)})")
    return data


def _once(seen: dict[str, str], name: str, label: str, where: str) -> None:
    """Refuse a name given twice in one document: the second would silently replace the first."""
    if name in seen:
        raise InvalidInput(f"{label}: the name is given twice (also at {seen[name]})")
    seen[name] = where


def import_document(db: Session, data: Any) -> ImportReport:
    """Apply a whole document in the caller's transaction; any error leaves the database as it was."""
    doc = normalize(data)
    report = ImportReport()

    seen_tags: dict[str, str] = {}
    for i, item in enumerate(_items(doc, "executables")):
        where = f"executables[{i}]{_label(item, 'name')}"
        try:
            exe_doc = ExecutableDoc.model_validate(item)
        except ValidationError as error:
            raise InvalidInput(f"{where}: {describe(error)}") from None
        _once(seen_tags, exe_doc.tag, where, f"executables[{i}]")
        current = db.scalar(select(Executable).where(Executable.tag == exe_doc.tag))
        if current is None:
            executables.add(db, exe_doc)
            report.add("executables", "created")
        else:
            merged = exe_doc.model_dump()
            if not exe_doc.task_queue:
                merged["task_queue"] = current.task_queue
            if executables.to_doc(current).model_dump() == merged:
                report.add("executables", "unchanged")
            else:
                executables.update(db, exe_doc.tag, merged)
                report.add("executables", "updated")

    by_tag: dict[str, list[tuple[str, ParameterDoc]]] = defaultdict(list)
    for i, item in enumerate(_items(doc, "parameters")):
        where = f"parameters[{i}]"
        label = ""
        if isinstance(item, dict) and isinstance(item.get("flag"), str):
            label = f" ({item['flag']} of {item.get('executable_tag')})"
        try:
            param = ParameterDoc.model_validate(item)
        except ValidationError as error:
            raise InvalidInput(f"{where}{label}: {describe(error)}") from None
        by_tag[param.executable_tag].append((where, param))
    for tag, docs in by_tag.items():
        exe = db.scalar(select(Executable).where(Executable.tag == tag))
        if exe is None:
            where, first = docs[0]
            raise InvalidInput(
                f"{where} ({parameters.label(first)}): no executable {tag!r}; add it first "
                "(`oto executable add`) or list it under executables in the document"
            )
        for outcome, n in parameters.save(db, exe, docs, replace=True).items():
            report.add("parameters", outcome, n)

    savers: list[tuple[str, Any, Any, tuple[str, ...]]] = [
        ("commands", commands.parse, commands.save, ("name",)),
        ("jobs", jobs.parse, jobs.save, ("name",)),
        ("routines", routines.parse, routines.save, ("name",)),
        ("schedules", schedules.parse, schedules.save, ("name",)),
    ]
    for kind, parse, save, keys in savers:
        seen: dict[str, str] = {}
        for i, item in enumerate(_items(doc, kind)):
            where = f"{kind}[{i}]"
            parsed = parse(item, f"{where}{_label(item, *keys)}")
            _once(seen, parsed.name, f"{where} ({parsed.name})", where)
            try:
                outcome = save(db, parsed, where, replace=True)
            except OtoError as error:
                if error.message.startswith(where):
                    raise
                raise error.within(f"{where} ({parsed.name})") from None
            report.add(kind, outcome)
    return report


def export_document(db: Session, *, seal_for: list[bytes] | None = None) -> dict[str, Any]:
    """Everything in the catalog, in a stable order: secret values masked, or sealed for the keys
    ``seal_for`` (another installation's, to move them there); references as they are."""
    exes = list(db.scalars(select(Executable).order_by(Executable.tag)))
    params = [
        parameters.to_doc(p, exe.tag).to_document()
        for exe in exes
        for p in db.scalars(select(Parameter).where(Parameter.executable_id == exe.id).order_by(Parameter.id))
    ]
    return {
        "oto": DOCUMENT_VERSION,
        "executables": [executables.to_doc(e).to_document() for e in exes],
        "parameters": params,
        "commands": [commands.to_doc(c).model_dump() for c in db.scalars(select(Command).order_by(Command.name))],
        "jobs": [(jobs.to_doc(j) if seal_for is None else jobs.sealed_doc(j, seal_for)).to_document()
                 for j in db.scalars(select(Job).order_by(Job.name))],
        "routines": [routines.to_doc(r).to_document() for r in db.scalars(select(Routine).order_by(Routine.name))],
        "schedules": [schedules.to_doc(s).to_document() for s in db.scalars(select(Schedule).order_by(Schedule.name))],
    }


def dumps(document: dict[str, Any]) -> str:
    """The one canonical text of a document: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def loads(text: str, source: str = "document") -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"{source}: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise InvalidInput(f"{source}: nested too deeply to be an OTO document") from None


def decode(data: bytes, source: str, limit: int) -> Any:
    """A document from the bytes of a file read up to ``limit`` + 1 bytes: refused past ``limit``,
    when it is not UTF-8, or not JSON."""
    if len(data) > limit:
        raise InvalidInput(f"{source}: larger than {limit} bytes, the most OTO_MAX_IMPORT lets an import read")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{source}: not UTF-8 text (byte {error.start} cannot be read)") from None
    return loads(text, source)
