"""Jobs: a command with a value for each of its parameters, ready to run."""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from oto.domain import argv as argv_rendering
from oto.domain.documents import JobDoc, RetryDoc, Value
from oto.domain.models import Command, CommandParameter, Executable, Job, Parameter, Routine, RoutineStep, Schedule
from oto.domain.runs import Limit, Retry, SecretSlot
from oto.domain.valuetypes import check_value
from oto.errors import AlreadyExists, InvalidInput, Refused
from oto.services import lookups, schemas, secrets
from oto.services.validation import invalid


@dataclass(frozen=True)
class ResolvedJob:
    """Everything a run needs to know about a job, read once at submission."""

    name: str
    command: str
    executable_tag: str
    argv: list[str]  # each secret value's item masked: ``secrets`` says what the worker puts there
    requires_root: bool
    task_queue: str
    secrets: list[SecretSlot]
    retry: Retry | None = None  # None: one attempt
    limits: list[Limit] = field(default_factory=list)
    inputs: dict[str, Value] = field(default_factory=dict)  # what each input ran with (secret ones sealed)
    secret_inputs: tuple[str, ...] = ()  # the inputs whose value is secret: masked wherever shown

    @property
    def masked_argv(self) -> list[str]:
        return list(self.argv)


def _after_end_of_options(cmd: Command) -> set[str]:
    """The flags whose every place in the command stands after the ``--`` its executable gets."""
    if not cmd.executable.end_of_options:
        return set()
    items = _argv_items(cmd, {})
    start = argv_rendering.trailing_positionals(items)
    before = {item.flag for item in items[:start]}
    return {item.flag for item in items[start:]} - before


def _check_leading_dash(cmd: Command, param: Parameter, value: str, protected: set[str], where: str) -> None:
    """Refuse a positional value the program would read as an option (``-o/tmp/x``, ``--script=...``)."""
    if param.style != "positional" or not value.startswith("-") or param.allow_leading_dash:
        return
    if param.flag in protected:
        return
    exe = cmd.executable
    if exe.end_of_options:
        why = (f"an option follows {param.flag} in command {cmd.name!r}, so the '--' that {exe.tag} honours "
               "cannot stand before it")
    else:
        why = (f"a positional value cannot start with '-' unless the parameter allows it (allow_leading_dash) "
               f"or the executable {exe.tag} honours '--' (end_of_options)")
    raise InvalidInput(f"{where}: {param.flag} value {value!r} starts with '-', which the program would read as "
                       f"an option: {why}")


def _check_confined(param: Parameter, value: str, where: str) -> None:
    """Refuse a path of a ``confine`` parameter that is absolute or leaves the run folder."""
    if not param.confine or param.value_type != "path":
        return
    if value.startswith("/"):
        raise InvalidInput(f"{where}: {param.flag} must be a path inside the run folder, not the absolute {value!r}")
    normal = posixpath.normpath(value)
    if normal == ".." or normal.startswith("../"):
        raise InvalidInput(f"{where}: {param.flag} must be a path inside the run folder; {value!r} leaves it")


def check_values(cmd: Command, values: dict[str, Value], where: str = "job",
                 pending: Collection[str] = ()) -> dict[str, Value]:
    """The job's values in their stored form, or InvalidInput naming the first bad one.

    ``pending``: flags whose value is given only at run time (inputs without a default), not checked here.
    """
    occurrences = Counter(item.parameter.flag for item in cmd.items)
    params = {item.parameter.flag: item.parameter for item in cmd.items}
    protected = _after_end_of_options(cmd)
    for flag in values:
        if flag not in params:
            raise InvalidInput(f"{where}: {flag} is not a flag of command {cmd.name!r}")
    clean: dict[str, Value] = {}
    for flag, param in params.items():
        given = values.get(flag)
        if flag in pending and given is None:
            continue
        items = given if isinstance(given, list) else [given]
        if isinstance(given, list) and len(given) != occurrences[flag]:
            times = "once" if occurrences[flag] == 1 else f"{occurrences[flag]} times"
            raise InvalidInput(
                f"{where}: {flag} stands {times} in command {cmd.name!r}, so it takes {occurrences[flag]} "
                f"value{'s' if occurrences[flag] != 1 else ''}, not {len(given)}: a command lists a repeatable flag "
                "once per value (`oto command edit`)"
            )
        for value in items:
            if param.secret and isinstance(value, str) and secrets.is_stored(value):
                continue  # sealed or a reference: checked when it was given, or revealed only at run time
            try:
                check_value(param.value_type, value, param.choices)
            except ValueError as error:
                if param.secret:  # never echo a secret value
                    raise InvalidInput(f"{where}: {flag} ({param.value_type}) the secret value given "
                                       f"is not a valid {param.value_type}") from None
                raise InvalidInput(f"{where}: {flag} ({param.value_type}) {error}") from None
            if isinstance(value, str) and param.requires_value:
                _check_leading_dash(cmd, param, value, protected, where)
                _check_confined(param, value, where)
        clean[flag] = given if param.requires_value else ""
    _check_value_rules(cmd, clean, where)
    return clean


def _check_value_rules(cmd: Command, values: dict[str, Value], where: str) -> None:
    """The value rules of the executable (``when``, docs/fme.md) against the job's values."""
    if not any(item.parameter.when for item in cmd.items):
        return
    result = schemas.for_executable(cmd.executable).check_values(values)
    if not result.ok:
        raise InvalidInput(f"{where}: " + "; ".join(v.message for v in result.violations),
                           details=[v.to_dict() for v in result.violations])


def _argv_items(cmd: Command, values: dict[str, Value]) -> list[argv_rendering.ArgvItem]:
    seen: Counter[str] = Counter()
    items = []
    for item in cmd.items:
        p = item.parameter
        value = values.get(p.flag)
        if isinstance(value, list):
            value = value[seen[p.flag]]
        seen[p.flag] += 1
        secret = p.secret and p.requires_value and bool(value)
        items.append(argv_rendering.ArgvItem(p.flag, p.style, p.requires_value, value, secret))
    return items


def masked_argv(cmd: Command, values: dict[str, Value]) -> tuple[list[str], list[SecretSlot]]:
    """The argv of ``cmd`` with ``values`` (stored forms), each secret item masked, and the secrets'
    slots for the worker (what goes where, the stored form, how it is delivered)."""
    items = _argv_items(cmd, values)
    end_of_options = cmd.executable.end_of_options
    places = argv_rendering.secret_places(items, end_of_options=end_of_options)
    shown = [argv_rendering.ArgvItem(i.flag, i.style, i.takes_value, secrets.MASK if i.secret else i.value, i.secret)
             for i in items]
    params = [ci.parameter for ci in cmd.items]
    slots = []
    for place, item, param in zip(places, [i for i in items if i.secret],
                                  [p for p, i in zip(params, items, strict=True) if i.secret], strict=True):
        slots.append(SecretSlot(place.index, place.prefix, item.value or "", param.flag,
                                param.delivery, param.template))
    rendered = argv_rendering.render(cmd.executable.path, shown, end_of_options=end_of_options)
    return argv_rendering.mask(rendered, places), slots


def seal_values(cmd: Command, values: dict[str, Value], current: dict[str, Value], where: str) -> dict[str, Value]:
    """``values`` with each secret one in its stored form (sealed, or a reference kept as it is)."""
    secret = {i.parameter.flag for i in cmd.items if i.parameter.secret and i.parameter.requires_value}
    sealed = dict(values)
    for flag in secret & set(values):
        given, now = values[flag], current.get(flag)
        if isinstance(given, list):
            olds = now if isinstance(now, list) else []
            sealed[flag] = [secrets.store(v, olds[n] if n < len(olds) else None, f"{where}: {flag}")
                            for n, v in enumerate(given)]
        elif isinstance(given, str):
            sealed[flag] = secrets.store(given, now if isinstance(now, str) else None, f"{where}: {flag}")
    return sealed


def limits_of(exe: Executable, job: Job | None = None) -> list[Limit]:
    """The concurrency limits a run counts against: its executable's and its job's, in the order of their keys."""
    found = []
    if exe.max_concurrent is not None:
        found.append(Limit(f"executable:{exe.tag}", exe.tag, exe.max_concurrent))
    if job is not None and job.max_concurrent is not None:
        found.append(Limit(f"job:{job.name}", f"job {job.name}", job.max_concurrent))
    return sorted(found, key=lambda limit: limit.key)


def secret_inputs(job: Job) -> set[str]:
    """The job's inputs whose value is secret."""
    return {i.parameter.flag for i in job.command.items
            if i.parameter.secret and i.parameter.requires_value and i.parameter.flag in job.inputs}


def not_an_input(flag: str, owner: str, inputs: Iterable[str]) -> InvalidInput:
    names = ", ".join(inputs)
    return InvalidInput(f"{flag} is not an input of {owner} ({f'its inputs: {names}' if names else 'it has none'})")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: a byte of a command line that is not UTF-8
        return False
    return True


def input_values(owner: str, inputs: Mapping[str, Value], given: Mapping[str, Value]) -> dict[str, Value]:
    """Each input's value for a run: the one given, else its default; refused for a name that is not
    an input, and for an input with neither."""
    for flag, value in given.items():
        if flag not in inputs:
            raise not_an_input(flag, owner, inputs)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and not _utf8(item):
                raise InvalidInput(f"{owner}: the value of {flag} is not UTF-8 text (a byte of it cannot be read)")
    chosen: dict[str, Value] = {}
    for flag, default in inputs.items():
        value = given.get(flag)
        value = default if value is None else value
        if value is None:
            raise InvalidInput(f"{flag} is an input of {owner} with no default: give it a value")
        chosen[flag] = value
    return chosen


def run_values(job: Job, given: Mapping[str, Value], where: str) -> tuple[dict[str, Value], dict[str, Value]]:
    """The values a run of ``job`` with inputs ``given`` runs with (stored forms: secret ones sealed),
    and those of its inputs; InvalidInput, naming what, before anything is written."""
    cmd = job.command
    chosen = input_values(f"job {job.name}", job.inputs, given)
    values = check_values(cmd, {**job.values, **chosen}, where=where)
    sealed = seal_values(cmd, chosen, job.inputs, where)
    values.update(sealed)
    return values, sealed


def shown_inputs(inputs: Mapping[str, Value], secret: Collection[str]) -> dict[str, Value]:
    """Input values as they may be shown: each secret one masked (a reference stays as it is)."""
    shown = dict(inputs)
    for flag in secret:
        given = shown.get(flag)
        if isinstance(given, list):
            shown[flag] = [v if not v or secrets.is_reference(v) else secrets.MASK for v in given]
        elif given and not (isinstance(given, str) and secrets.is_reference(given)):
            shown[flag] = secrets.MASK
    return shown


def resolve(db: Session, name: str, *, to_run: bool = True, given: Mapping[str, Value] | None = None,
            where: str | None = None) -> ResolvedJob:
    """The job as a run needs it, with the inputs ``given``; ``to_run``: refuse it when a stored secret
    cannot be opened with the key."""
    job = lookups.job(db, name)
    cmd = job.command
    exe = cmd.executable
    values, inputs = run_values(job, given or {}, where or f"job {name!r}")
    shown, slots = masked_argv(cmd, values)
    for slot in slots if to_run else ():
        if not secrets.readable(slot.value):
            raise Refused(f"job {name!r}: the stored secret of {slot.flag} cannot be decrypted with the key in "
                          f"{secrets.where_the_key_is()} (the database's secrets were sealed with another key)")
    return ResolvedJob(
        name=job.name,
        command=cmd.name,
        executable_tag=exe.tag,
        argv=shown,
        requires_root=cmd.requires_root or any(i.parameter.requires_root for i in cmd.items),
        task_queue=exe.task_queue,
        secrets=slots,
        retry=policy(job.retry),
        limits=limits_of(exe, job),
        inputs=inputs,
        secret_inputs=tuple(sorted(secret_inputs(job))),
    )


def retry_doc(stored: dict[str, Any] | None) -> RetryDoc | None:
    """A stored retry policy (a job's or a step's) as its document shows it."""
    return None if stored is None else RetryDoc.model_validate(stored)


def policy(stored: dict[str, Any] | None) -> Retry | None:
    """A stored retry policy in seconds, as a run's spec freezes it; None for one attempt."""
    doc = retry_doc(stored)
    if doc is None or doc.attempts <= 1:
        return None
    return Retry.from_json(doc.seconds())


def preview_argv(db: Session, command: str, values: dict[str, Value],
                 inputs: dict[str, Value] | None = None) -> list[str]:
    """The argv a job of ``command`` with ``values`` (and ``inputs``: flag -> default) would run, secret
    values masked; nothing is written. An input without default shows as ``<FLAG>``.

    The values are checked as a saved job's are, so a preview refuses what saving would.
    """
    cmd = lookups.command(db, command)
    inputs = inputs or {}
    both = sorted(set(values) & set(inputs))
    if both:
        raise InvalidInput(f"job: {both[0]} is both a value and an input: a flag is one or the other")
    check_input_flags(cmd, inputs, "job")
    defaults = {flag: default for flag, default in inputs.items() if default is not None}
    clean = check_values(cmd, {**values, **defaults}, where="job",
                         pending={flag for flag, default in inputs.items() if default is None})
    for flag, default in inputs.items():
        if default is None:
            clean[flag] = flag if flag.startswith("<") and flag.endswith(">") else f"<{flag}>"
    return masked_argv(cmd, clean)[0]


def secrets_on_argv(db: Session, name: str) -> list[str]:
    """The job's secret flags whose value goes as an argv item: readable by every local user in ``ps``."""
    job = lookups.job(db, name)
    return sorted({i.parameter.flag for i in job.command.items
                   if i.parameter.secret and i.parameter.requires_value and i.parameter.delivery == "argv"
                   and (job.values.get(i.parameter.flag) or i.parameter.flag in job.inputs)})


def argv_warning(flags: list[str]) -> str:
    """One sentence saying which secrets go by argv, and what to do about it ("" when none does)."""
    if not flags:
        return ""
    return (f"the secret value of {', '.join(flags)} goes to the program as an argv item, which every local user "
            "can read in ps while it runs; give the parameter a delivery of env, file or stdin if the program "
            "can read it so (docs/secrets.md)")


def argv(db: Session, name: str, given: Mapping[str, Value] | None = None) -> list[str]:
    """The exact argv the job runs (with the inputs ``given``), each secret value's item masked.

    Without ``given``, an input with no default shows as ``<FLAG>`` where its value goes (a flag
    already written ``<name>`` as itself).
    """
    if given:
        return resolve(db, name, to_run=False, given=given).masked_argv
    job = lookups.job(db, name)
    values: dict[str, Value] = dict(job.values)
    for flag, default in job.inputs.items():
        values[flag] = default if default is not None else (
            flag if flag.startswith("<") and flag.endswith(">") else f"<{flag}>")
    return masked_argv(job.command, values)[0]


def to_doc(job: Job, *, mask_secrets: bool = True) -> JobDoc:
    secret = [i.parameter.flag for i in job.command.items if i.parameter.secret] if mask_secrets else []
    return doc_of(job.name, job.command.name, job.description, job.values, secret, job.inputs, retry=job.retry,
                  max_concurrent=job.max_concurrent)


def sealed_doc(job: Job, ring: list[bytes]) -> JobDoc:
    """The job's document with each stored secret sealed for another installation's key (a
    reference stays as it is): an export that moves secrets, never in clear."""
    secret = {i.parameter.flag for i in job.command.items if i.parameter.secret}

    def moved(value: str) -> str:
        if not value or secrets.is_reference(value):
            return value
        return secrets.seal(secrets.unseal(value) if value.startswith(secrets.SEALED) else value, ring)

    def each_moved(found: dict[str, Any]) -> dict[str, Any]:
        values = dict(found)
        for flag in secret & set(values):
            given = values[flag]
            values[flag] = [moved(v) for v in given] if isinstance(given, list) else (
                moved(given) if isinstance(given, str) else given)
        return values

    return JobDoc.model_construct(name=job.name, command=job.command.name, description=job.description,
                                  values=each_moved(job.values), inputs=each_moved(job.inputs),
                                  retry=retry_doc(job.retry), max_concurrent=job.max_concurrent)


def doc_of(name: str, command: str, description: str, values: dict[str, Any], secret: Iterable[str],
           inputs: dict[str, Any] | None = None, *, retry: dict[str, Any] | None = None,
           max_concurrent: int | None = None) -> JobDoc:
    """A job's document from its columns, the values (and input defaults) of its ``secret`` flags shown as ``***``."""
    secret = list(secret)
    return JobDoc.model_construct(name=name, command=command, description=description,
                                  values=shown_inputs(values, secret), inputs=shown_inputs(inputs or {}, secret),
                                  retry=retry_doc(retry), max_concurrent=max_concurrent)


def document_of(name: str, command: str, description: str, values: dict[str, Any], secret: Iterable[str],
                inputs: dict[str, Any] | None = None, *, retry: dict[str, Any] | None = None,
                max_concurrent: int | None = None) -> dict[str, Any]:
    """``doc_of(...).model_dump(mode="json")``, the same keys in the same order, without building the
    model: a listing serializes a page of these at once (``JobDoc.model_construct`` cost it most of its time)."""
    secret = list(secret)
    return {"name": name, "command": command, "description": description, "values": shown_inputs(values, secret),
            "retry": None if retry is None else RetryDoc.model_validate(retry).model_dump(mode="json"),
            "max_concurrent": max_concurrent, "inputs": shown_inputs(inputs or {}, secret)}


def secret_flags(db: Session, command_ids: Iterable[int]) -> dict[int, list[str]]:
    """The secret flags of each of these commands, in one query (for listings)."""
    found: dict[int, list[str]] = {}
    query = (select(CommandParameter.command_id, Parameter.flag)
             .join(Parameter, CommandParameter.parameter_id == Parameter.id)
             .where(CommandParameter.command_id.in_(list(command_ids)), Parameter.secret.is_(True)))
    for command_id, flag in db.execute(query):
        found.setdefault(command_id, []).append(flag)
    return found


def parse(data: JobDoc | dict[str, Any], where: str = "job") -> JobDoc:
    if isinstance(data, JobDoc):
        return data
    try:
        return JobDoc.model_validate(data)
    except ValidationError as error:
        raise invalid(where, error) from None


def kept_masks(values: dict[str, Value], current: dict[str, Any]) -> dict[str, Value]:
    """A masked secret in an imported export keeps the value already stored."""
    for flag, value in values.items():
        if flag in current:
            if value == secrets.MASK:
                values[flag] = current[flag]
            elif isinstance(value, list) and isinstance(current[flag], list):
                olds = current[flag]
                values[flag] = [olds[n] if v == secrets.MASK and n < len(olds) else v for n, v in enumerate(value)]
    return values


def check_input_flags(cmd: Command, inputs: Mapping[str, Value], where: str) -> None:
    """Refuse an input that is not a flag of the command, or whose flag takes no value."""
    params = {item.parameter.flag: item.parameter for item in cmd.items}
    for flag in inputs:
        if flag not in params:
            raise InvalidInput(f"{where}: input {flag} is not a flag of command {cmd.name!r}")
        if not params[flag].requires_value:
            raise InvalidInput(f"{where}: input {flag} takes no value ({params[flag].value_type}), so it cannot be "
                               "an input: a command's flag without a value is always given")


def _check_routines_using(db: Session, job: Job, where: str) -> None:
    """Refuse a change of a job's inputs that leaves a step of a routine using it without a value."""
    from oto.services import routines  # it imports this module

    for name in users(db, job)[0]:
        routine = lookups.routine(db, name)
        try:
            routines.check_bindings(routines.to_doc(routine), {s.job.name: s.job for s in routine.steps}, "routine")
        except InvalidInput as error:
            raise error.within(where) from None


def save(db: Session, doc: JobDoc, where: str, *, replace: bool) -> str:
    """Insert or update one job; returns created, updated or unchanged."""
    cmd = lookups.command(db, doc.command)
    # Hold the command first: its flags are read next, and a cascading delete of it racing this save
    # must either come before (NotFound) or wait, never leave a command without its flags in between.
    lookups.claim(db, cmd, f"command {doc.command!r}")
    current = db.scalar(select(Job).where(Job.name == doc.name))
    if current is not None and not replace:
        raise AlreadyExists(f"{'' if where == 'job' else where + ': '}job {doc.name!r} already exists")
    label = f"{where} ({doc.name})"
    values = kept_masks(dict(doc.values), current.values if current is not None else {})
    inputs = kept_masks(dict(doc.inputs), current.inputs if current is not None else {})
    check_input_flags(cmd, inputs, label)
    defaults = {flag: default for flag, default in inputs.items() if default is not None}
    clean = check_values(cmd, {**values, **defaults}, where=label,
                         pending={flag for flag, default in inputs.items() if default is None})
    clean = seal_values(cmd, clean, {**current.values, **current.inputs} if current is not None else {}, label)
    clean_inputs = {flag: clean.pop(flag) if flag in defaults else None for flag in inputs}
    for flag in inputs:
        clean.pop(flag, None)
    retry = None if doc.retry is None else doc.retry.model_dump()
    if current is not None:
        if (current.command_id == cmd.id and current.values == clean and current.description == doc.description
                and current.inputs == clean_inputs and current.retry == retry
                and current.max_concurrent == doc.max_concurrent):
            return "unchanged"
        current.command, current.values, current.description = cmd, clean, doc.description
        current.inputs, current.retry, current.max_concurrent = clean_inputs, retry, doc.max_concurrent
        db.flush()
        _check_routines_using(db, current, label)
        return "updated"
    db.add(Job(name=doc.name, command=cmd, values=clean, description=doc.description, inputs=clean_inputs,
               retry=retry, max_concurrent=doc.max_concurrent))
    db.flush()
    return "created"


def add(db: Session, data: JobDoc | dict[str, Any]) -> JobDoc:
    doc = parse(data)
    save(db, doc, "job", replace=False)
    return get(db, doc.name)


def update(db: Session, name: str, changes: dict[str, Any]) -> JobDoc:
    current = lookups.job(db, name)
    lookups.claim(db, current, f"job {name!r}")
    doc = parse(to_doc(current, mask_secrets=False).model_dump() | changes | {"name": name})
    save(db, doc, "job", replace=True)
    return get(db, name)


def get(db: Session, name: str) -> JobDoc:
    return to_doc(lookups.job(db, name))


def list_all(db: Session, command: str | None = None, *, offset: int = 0, limit: int | None = None) -> list[JobDoc]:
    query = select(Job).order_by(Job.name).offset(offset).limit(limit)
    if command is not None:
        query = query.where(Job.command_id == lookups.command(db, command).id)
    return [to_doc(j) for j in db.scalars(query)]


def using_parameter(db: Session, parameter_id: int) -> list[Job]:
    users = select(CommandParameter.command_id).where(CommandParameter.parameter_id == parameter_id)
    return list(db.scalars(select(Job).where(Job.command_id.in_(users)).order_by(Job.name)))


def users(db: Session, job: Job) -> tuple[list[str], list[str]]:
    """Routines with a step running this job, and schedules targeting it."""
    routines = sorted(set(db.scalars(select(Routine.name).join(RoutineStep).where(RoutineStep.job_id == job.id))))
    schedules = sorted(db.scalars(select(Schedule.name).where(Schedule.job_id == job.id)))
    return routines, schedules


def schedules_deleted_with(db: Session, name: str, *, cascade: bool = False) -> list[str]:
    """The schedules ``delete`` would remove, writing nothing: with cascade, the job's and those of the
    routines using it; without, none (and the same InUse as ``delete`` while anything uses the job)."""
    job = lookups.job(db, name)
    routines, schedules = users(db, job)
    if not cascade:
        lookups.refuse_if_used(f"job {name!r}", {"routine": routines, "schedule": schedules})
        return []
    of_routines = db.scalars(select(Schedule.name).join(Routine, Schedule.routine_id == Routine.id)
                             .where(Routine.name.in_(routines)))
    return sorted({*schedules, *of_routines})


def delete(db: Session, name: str, *, cascade: bool = False) -> None:
    """Delete a job; routines and schedules using it go too only with cascade.

    The schedules' Temporal copies are not touched here: ``oto.engine.schedules.delete_with_schedules``
    deletes both.
    """
    job = lookups.job(db, name)
    lookups.claim(db, job, f"job {name!r}")
    routines, schedules = users(db, job)
    if not cascade:
        lookups.refuse_if_used(f"job {name!r}", {"routine": routines, "schedule": schedules})
    for routine_name in routines:
        routine = lookups.routine(db, routine_name)
        for schedule in db.scalars(select(Schedule).where(Schedule.routine_id == routine.id)):
            db.delete(schedule)
        db.delete(routine)
    for schedule in db.scalars(select(Schedule).where(Schedule.job_id == job.id)):
        db.delete(schedule)
    db.delete(job)
    db.flush()
