"""Parameters of an executable and their flag matching rules.

Every change goes through :func:`save`, which checks that the rules name real flags and that
the executable's whole schema stays consistent before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from oto.domain.documents import GroupDoc, ParameterDoc, WhenDoc
from oto.domain.models import Command, CommandParameter, Executable, Parameter
from oto.errors import AlreadyExists, InUse, InvalidInput, Refused
from oto.services import bulk, lookups, schemas
from oto.services.schemas import new_revision
from oto.services.validation import invalid

_FIELDS = (
    "description",
    "requires_root",
    "requires_value",
    "value_type",
    "style",
    "choices",
    "repeatable",
    "secret",
    "delivery",
    "template",
    "before",
    "position",
    "scale",
    "allow_leading_dash",
    "confine",
)


def to_doc(p: Parameter, tag: str | None = None) -> ParameterDoc:
    return ParameterDoc.model_construct(
        flag=p.flag,
        executable_tag=tag or p.executable.tag,
        description=p.description,
        requires_root=p.requires_root,
        requires_value=p.requires_value,
        value_type=p.value_type,
        require_ids=list(p.requires),
        interfer_ids=list(p.conflicts),
        before=list(p.before),
        position=p.position,
        scale=p.scale,
        repeatable=p.repeatable,
        choices=list(p.choices),
        style=p.style,
        secret=p.secret,
        allow_leading_dash=p.allow_leading_dash,
        confine=p.confine,
        delivery=p.delivery,
        template=p.template,
        require_any=[list(alternatives) for alternatives in p.require_any],
        required=p.required,
        groups=[GroupDoc.model_validate(g) for g in p.groups],
        when=[WhenDoc.model_validate(w) for w in p.when],
    )


def parse(data: ParameterDoc | dict[str, Any], where: str = "parameter") -> ParameterDoc:
    if isinstance(data, ParameterDoc):
        return data
    try:
        return ParameterDoc.model_validate(data)
    except ValidationError as error:
        raise invalid(where, error) from None


def label(doc: ParameterDoc) -> str:
    return f"{doc.flag} of {doc.executable_tag}"


def _same(p: Parameter, doc: ParameterDoc) -> bool:
    return to_doc(p, doc.executable_tag).to_document() == doc.to_document()


def save(db: Session, exe: Executable, docs: Sequence[tuple[str, ParameterDoc]], *, replace: bool) -> dict[str, int]:
    """Insert or update parameters of one executable, all or nothing.

    ``docs`` pairs each parameter with where it came from (for messages). Rules may name flags
    given later in ``docs``. With ``replace=False`` an existing flag is an error. Returns counts
    of created, updated and unchanged parameters.
    """
    existing = {p.flag: p for p in exe.parameters}
    _check_names(exe.tag, set(existing), docs, replace=replace)
    _check_v2(exe.tag, existing, docs)

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    changed: list[tuple[str, ParameterDoc]] = []
    for where, doc in docs:
        current = existing.get(doc.flag)
        if current is None:
            counts["created"] += 1
            changed.append((where, doc))
        elif _same(current, doc):
            counts["unchanged"] += 1
        else:
            counts["updated"] += 1
            changed.append((where, doc))
    if not changed:
        return counts

    # The schema is checked from the documents themselves, before any row is touched; new rows then
    # go in as one bulk INSERT (an import of a large catalog would spend most of its time, and
    # memory, in the ORM's per-object bookkeeping).
    given = {doc.flag: doc for _, doc in changed}
    rules = [given.get(p.flag) or p for p in existing.values()]
    rules += [doc for doc in given.values() if doc.flag not in existing]
    schema = schemas.build(exe.tag, rules)
    where = changed[0][0] if len(changed) == 1 else ""
    schemas.refuse_if_inconsistent(exe.tag, schema.validate(), where)

    rows = []
    for _, doc in changed:
        record = existing.get(doc.flag)
        if record is None:
            rows.append(_row(exe.id, doc))
            continue
        record.requires = list(doc.require_ids)
        record.conflicts = list(doc.interfer_ids)
        for field in _FIELDS:
            setattr(record, field, getattr(doc, field))
        record.require_any = [list(alternatives) for alternatives in doc.require_any]
        record.required = doc.required
        record.groups = [g.model_dump() for g in doc.groups]
        record.when = [w.to_document() for w in doc.when]
    db.flush()
    if rows:
        insert_rows(db, rows)
        db.expire(exe, ["parameters"])
    _recheck_commands(db, exe, schema)
    exe.rules_revision = new_revision()
    db.flush()
    return counts


def rows_for_new(tag: str, executable_id: int, docs: Sequence[tuple[str, ParameterDoc]]) -> list[dict[str, Any]]:
    """The checked rows of the parameters of an executable that has none yet (added by the same
    import): the same checks as :func:`save`, for the caller to insert in bulk with others."""
    _check_names(tag, set(), docs, replace=False)
    _check_v2(tag, {}, docs)
    if any(_has_rules(doc) for _, doc in docs):  # flags without rules cannot be inconsistent
        schema = schemas.build(tag, [doc for _, doc in docs])
        schemas.refuse_if_inconsistent(tag, schema.validate(), docs[0][0] if len(docs) == 1 else "")
    return [_row(executable_id, doc) for _, doc in docs]


def _has_rules(doc: ParameterDoc) -> bool:
    return bool(doc.require_ids or doc.interfer_ids or doc.before or doc.position is not None or doc.scale
                or doc.require_any or doc.required or doc.groups or doc.when)


def insert_rows(db: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new parameters' checked rows in bulk."""
    bulk.insert(db, cast(Table, Parameter.__table__), rows)


def _check_names(tag: str, existing: set[str], docs: Sequence[tuple[str, ParameterDoc]], *, replace: bool) -> None:
    """Each flag given once (and new unless ``replace``); every rule names a flag of the executable."""
    seen: dict[str, str] = {}
    for where, doc in docs:
        if doc.flag in seen:
            raise InvalidInput(f"{where} ({label(doc)}): the flag is given twice (also at {seen[doc.flag]})")
        seen[doc.flag] = where
        if not replace and doc.flag in existing:
            raise AlreadyExists(f"{where} ({label(doc)}): the parameter already exists")
    flags = existing | set(seen)
    for where, doc in docs:
        for rule, names in (
            ("requires", doc.require_ids),
            ("conflicts with", doc.interfer_ids),
            ("must come before", doc.before),
            ("requires one of", [f for alternatives in doc.require_any for f in alternatives]),
            ("names in a value rule", [f for w in doc.when for f in (*w.require, *w.forbid, *w.values)]),
        ):
            for name in names:
                if name not in flags:
                    raise InvalidInput(f"{where} ({label(doc)}): it {rule} {name}, which is not a parameter of {tag}")


def _row(executable_id: int, doc: ParameterDoc) -> dict[str, Any]:
    """A new parameter's row for a bulk insert."""
    fields = doc.__dict__  # a validated document's own values (its lists are its own: not copied)
    row = {field: fields[field] for field in _FIELDS}
    row.update(executable_id=executable_id, flag=doc.flag, requires=doc.require_ids, conflicts=doc.interfer_ids,
               require_any=[list(alternatives) for alternatives in doc.require_any], required=doc.required,
               groups=[g.model_dump() for g in doc.groups], when=[w.to_document() for w in doc.when])
    return row


def _check_v2(tag: str, existing: dict[str, Parameter], docs: Sequence[tuple[str, ParameterDoc]]) -> None:
    """Group bounds agree between members, group and scale names differ, value rules name flags that
    take a value and hold no secret: what the engine cannot be given at all."""
    after: dict[str, tuple[str, ParameterDoc | Parameter]] = {f: ("", p) for f, p in existing.items()}
    after.update({doc.flag: (where, doc) for where, doc in docs})
    bounds: dict[str, tuple[str, GroupDoc]] = {}
    scales: dict[str, str] = {}
    for flag, (_, item) in after.items():
        if item.scale:
            scales.setdefault(item.scale, flag)
    for flag, (where, item) in after.items():
        groups = item.groups if isinstance(item, ParameterDoc) else [GroupDoc.model_validate(g) for g in item.groups]
        here = f"{where} ({flag} of {tag})" if where else f"{flag} of {tag}"
        for g in groups:
            if g.name in scales:
                raise InvalidInput(
                    f"{here}: group {g.name} has the name of the scale of {scales[g.name]}; give it another name"
                )
            seen = bounds.setdefault(g.name, (flag, g))
            if (seen[1].min, seen[1].max) != (g.min, g.max):
                raise InvalidInput(
                    f"{here}: group {g.name} is {g.label()} here but {seen[1].label()} at {seen[0]}; "
                    "every member gives the group the same bounds"
                )
    for flag, (where, item) in after.items():
        here = f"{where} ({flag} of {tag})" if where else f"{flag} of {tag}"
        targets = [t for w in item.when for t in (w.values if isinstance(w, WhenDoc) else w.get("values", {}))]
        for target in targets:
            other = after[target][1] if target in after else None
            if other is None:
                continue  # a stored rule naming a flag that is being replaced: the names were checked above
            if not other.requires_value:
                raise InvalidInput(f"{here}: its value rule limits the values of {target}, which takes no value")
            if other.secret:
                raise InvalidInput(
                    f"{here}: its value rule limits the values of {target}, a secret (its value is sealed)"
                )


def _recheck_commands(db: Session, exe: Executable, schema: Any) -> None:
    """Refuse a rule change that would make a saved command invalid."""
    for cmd in db.scalars(select(Command).where(Command.executable_id == exe.id).order_by(Command.name)):
        result = schema.check([item.parameter.flag for item in cmd.items])
        if not result.ok:
            messages = "; ".join(v.message for v in result.violations)
            raise Refused(
                f"the change would break command {cmd.name!r}: {messages}",
                details=[v.to_dict() for v in result.violations],
            )


def add(db: Session, data: ParameterDoc | dict[str, Any]) -> ParameterDoc:
    doc = parse(data)
    exe = lookups.executable(db, doc.executable_tag)
    save(db, exe, [("parameter", doc)], replace=False)
    return get(db, doc.executable_tag, doc.flag)


def get(db: Session, tag: str, flag: str) -> ParameterDoc:
    return to_doc(lookups.parameter(db, tag, flag), tag)


def list_all(db: Session, tag: str) -> list[ParameterDoc]:
    exe = lookups.executable(db, tag)
    return [to_doc(p, tag) for p in exe.parameters]


def update(db: Session, tag: str, flag: str, changes: dict[str, Any]) -> ParameterDoc:
    current = lookups.parameter(db, tag, flag)
    lookups.claim(db, current, f"{flag} of {tag}")
    was_secret = current.secret
    merged = to_doc(current, tag).model_dump() | changes | {"executable_tag": tag, "flag": flag}
    doc = parse(merged, f"parameter {flag} of {tag}")
    save(db, current.executable, [(f"parameter {flag}", doc)], replace=True)
    if current.secret != was_secret:
        _reseal_jobs(db, current)
    _recheck_jobs(db, current)
    return get(db, tag, flag)


def _reseal_jobs(db: Session, param: Parameter) -> None:
    """A parameter that became secret has its jobs' values sealed; one that stopped being secret, opened."""
    from oto.services import jobs

    for job in jobs.using_parameter(db, param.id):
        given = job.values.get(param.flag)
        if given:
            where = f"job {job.name!r}: {param.flag}"
            changed = [_reseal(v, param.secret, where) for v in given] if isinstance(given, list) else (
                _reseal(given, param.secret, where))
            job.values = {**job.values, param.flag: changed}
    db.flush()


def _reseal(value: str, secret: bool, where: str) -> str:
    from oto.services import secrets

    if secret:
        return secrets.store(value, None, where)
    try:
        return secrets.unseal(value) if value.startswith(secrets.SEALED) else value
    except secrets.SecretError as error:
        raise Refused(f"{where}: {error}") from None


def _recheck_jobs(db: Session, param: Parameter) -> None:
    from oto.services import jobs

    for job in jobs.using_parameter(db, param.id):
        jobs.check_values(job.command, job.values, where=f"the change would break job {job.name!r}")


def users(db: Session, param: Parameter) -> tuple[list[str], list[str]]:
    """Commands that use a parameter, and other parameters whose rules name it."""
    commands = sorted(
        set(db.scalars(select(Command.name).join(CommandParameter).where(CommandParameter.parameter_id == param.id)))
    )
    rules = sorted(
        p.flag
        for p in param.executable.parameters
        if p.id != param.id and param.flag in (*p.requires, *p.conflicts, *p.before, *_v2_names(p))
    )
    return commands, rules


def _v2_names(p: Parameter) -> list[str]:
    """The flags a parameter's require_any sets and value rules name."""
    names = [f for alternatives in p.require_any for f in alternatives]
    for w in p.when:
        names += [*w.get("require", ()), *w.get("forbid", ()), *w.get("values", {})]
    return names


def _without(p: Parameter, flag: str) -> None:
    """Drop ``flag`` from the v2 rules of ``p`` (a require_any set left empty goes, as does an empty value rule)."""
    sets = [[f for f in alternatives if f != flag] for alternatives in p.require_any]
    p.require_any = [alternatives for alternatives in sets if alternatives]
    rules = []
    for w in p.when:
        rule = dict(w)
        for key in ("require", "forbid"):
            if key in rule:
                rule[key] = [f for f in rule[key] if f != flag]
                if not rule[key]:
                    del rule[key]
        if "values" in rule:
            rule["values"] = {f: v for f, v in rule["values"].items() if f != flag}
            if not rule["values"]:
                del rule["values"]
        if any(key in rule for key in ("require", "forbid", "values")):
            rules.append(rule)
    p.when = rules


def _refuse_if_used(tag: str, flag: str, used_by: list[str], named_by: list[str]) -> None:
    if used_by or named_by:
        parts = []
        if used_by:
            parts.append(f"commands {', '.join(used_by)}")
        if named_by:
            parts.append(f"the rules of {', '.join(named_by)}")
        raise InUse(
            f"{flag} of {tag} is used by {' and '.join(parts)}; remove those first, or {lookups.CASCADE}",
            details=[{"kind": "command", "name": n} for n in used_by]
            + [{"kind": "parameter", "name": n} for n in named_by],
        )


def schedules_deleted_with(db: Session, tag: str, flag: str, *, cascade: bool = False) -> list[str]:
    """The schedules ``delete`` would remove, writing nothing: with cascade, those the commands using
    it take along; without, none (and the same InUse as ``delete`` while anything uses it)."""
    from oto.services import commands as command_service

    used_by, named_by = users(db, lookups.parameter(db, tag, flag))
    if not cascade:
        _refuse_if_used(tag, flag, used_by, named_by)
        return []
    return sorted({s for name in used_by for s in command_service.schedules_deleted_with(db, name, cascade=True)})


def delete(db: Session, tag: str, flag: str, *, cascade: bool = False) -> None:
    """Delete a parameter; commands using it and rules naming it are removed too only with cascade."""
    from oto.services import commands as command_service

    param = lookups.parameter(db, tag, flag)
    lookups.claim(db, param, f"{flag} of {tag}")
    used_by, named_by = users(db, param)
    if not cascade:
        _refuse_if_used(tag, flag, used_by, named_by)
    for name in used_by:
        command_service.delete(db, name, cascade=True)
    exe = param.executable
    for p in exe.parameters:
        if p.id != param.id:
            p.requires = [f for f in p.requires if f != flag]
            p.conflicts = [f for f in p.conflicts if f != flag]
            p.before = [f for f in p.before if f != flag]
            _without(p, flag)
    exe.parameters.remove(param)
    exe.rules_revision = new_revision()
    db.flush()
