"""One call that adds a command together with its executable and new parameters.

The seed asked for a higher level than "add the executable, then each parameter, then the
command": a caller may send them all at once. Everything happens in the caller's transaction,
so a refused command leaves no half-registered executable behind.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from oto.domain.documents import CommandDoc, ExecutableDoc, ParameterDoc
from oto.errors import AlreadyExists, InvalidInput, NotFound
from oto.services import commands, executables, lookups, parameters
from oto.services.validation import invalid


def _executable(db: Session, data: ExecutableDoc | dict[str, Any]) -> str:
    """The tag of the given executable, registering it unless an identical one exists."""
    try:
        doc = data if isinstance(data, ExecutableDoc) else ExecutableDoc.model_validate(data)
    except ValidationError as error:
        raise invalid("executable", error) from None
    try:
        current = lookups.executable(db, doc.tag)
    except NotFound:
        current = None
    if current is None:
        return executables.add(db, doc).tag
    existing = executables.to_doc(current)
    differs = [
        key for key in ("path", "description", "task_queue")
        if getattr(doc, key) and getattr(doc, key) != getattr(existing, key)
    ]
    if differs:
        raise AlreadyExists(
            f"executable {doc.tag!r} already exists with a different {', '.join(differs)}; "
            "leave it out or change the executable itself"
        )
    return doc.tag


def _new_parameters(db: Session, tag: str, items: list[ParameterDoc | dict[str, Any]]) -> None:
    """Add parameters; a flag already stored is reused when it agrees with every field given."""
    exe = lookups.executable(db, tag)
    stored = {p.flag: parameters.to_doc(p, tag) for p in exe.parameters}
    fresh: list[tuple[str, ParameterDoc]] = []
    for i, item in enumerate(items):
        where = f"new_parameters[{i}]"
        data = item.model_dump() if isinstance(item, ParameterDoc) else dict(item)
        given = data.get("executable_tag") or tag
        if given != tag:
            raise InvalidInput(f"{where}: belongs to {given!r}, not to the command's executable {tag!r}")
        doc = parameters.parse(data | {"executable_tag": tag}, where)
        current = stored.get(doc.flag)
        if current is None:
            fresh.append((where, doc))
            continue
        differs = sorted(k for k in data if k != "executable_tag" and getattr(doc, k) != getattr(current, k))
        if differs:
            raise AlreadyExists(
                f"{where} ({parameters.label(doc)}): the parameter exists with another {', '.join(differs)}"
            )
    if fresh:
        parameters.save(db, exe, fresh, replace=False)


def add(
    db: Session,
    command: CommandDoc | dict[str, Any],
    *,
    executable: ExecutableDoc | dict[str, Any] | None = None,
    new_parameters: list[ParameterDoc | dict[str, Any]] | None = None,
) -> CommandDoc:
    """Add a command, first registering its executable and new parameters when given."""
    data = command.model_dump() if isinstance(command, CommandDoc) else dict(command)
    if executable is not None:
        tag = _executable(db, executable)
        if data.get("executable_tag") not in (None, "", tag):
            raise InvalidInput(
                f"command: executable_tag {data['executable_tag']!r} does not match the executable given ({tag!r})"
            )
        data["executable_tag"] = tag
    given = data.get("executable_tag")
    if not isinstance(given, str) or not given:
        raise InvalidInput("command: executable_tag is missing (give it, or the executable itself)")
    if new_parameters:
        _new_parameters(db, given, new_parameters)
    return commands.add(db, data)
