"""Routines: a named DAG of steps, each running a job after the steps it names."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from oto.domain.documents import RetryDoc, RoutineDoc, StepDoc, Value
from oto.domain.models import Job, Routine, RoutineStep, Schedule
from oto.errors import AlreadyExists, InvalidInput
from oto.services import jobs as job_service
from oto.services import lookups, secrets
from oto.services.validation import invalid

# A routine run's plan (oto.domain.runs.RoutinePlan) travels whole to Temporal, as the routine
# workflow's input and again at each continue-as-new. Temporal refuses a payload over 2 MB and
# warns past 512 KB: a plan is kept under that warning, with room for its progress.
MAX_PLAN_BYTES = 512 * 1024
# What each step adds to a plan besides its id: its run's progress, queue index, timeout, commas.
_STEP_OVERHEAD = 48


def plan_bytes(doc: RoutineDoc) -> int:
    """About how large a run's plan of this routine is, in bytes of JSON."""
    return sum(len(s.id.encode()) + _STEP_OVERHEAD + 8 * len(s.after) for s in doc.steps)


def find_cycle(steps: list[StepDoc]) -> list[str] | None:
    """One cycle of the ``after`` graph as ``[a, b, ..., a]`` (a runs after b ...), or None for a DAG."""
    after = {s.id: s.after for s in steps}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in after:
        if state.get(root):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            deps = after.get(node, [])
            if i < len(deps):
                stack.append((node, i + 1))
                nxt = deps[i]
                if state.get(nxt) == 1:
                    return [*path[path.index(nxt) :], nxt]
                if not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
    return None


def validate_steps(doc: RoutineDoc, job_names: set[str], where: str) -> None:
    if not doc.steps:
        raise InvalidInput(f"{where} ({doc.name}): a routine needs at least one step")
    ids: set[str] = set()
    for i, step in enumerate(doc.steps):
        if step.id in ids:
            raise InvalidInput(f"{where} ({doc.name}): steps[{i}] repeats the step id {step.id!r}")
        ids.add(step.id)
        if step.job not in job_names:
            raise InvalidInput(f"{where} ({doc.name}): steps[{i}] ({step.id}) runs unknown job {step.job!r}")
    for i, step in enumerate(doc.steps):
        for dep in step.after:
            if dep not in ids:
                raise InvalidInput(f"{where} ({doc.name}): steps[{i}] ({step.id}) runs after unknown step {dep!r}")
            if dep == step.id:
                raise InvalidInput(f"{where} ({doc.name}): steps[{i}] ({step.id}) runs after itself")
    cycle = find_cycle(doc.steps)
    if cycle:
        raise InvalidInput(
            f"{where} ({doc.name}): the steps form a cycle (each runs after the next): {' -> '.join(cycle)}"
        )


# A step's "with" value that is exactly "{name}" names an input of its routine; any other is a constant.
_REFERENCE = re.compile(r"^\{([^{}]+)\}$")


def referenced(binding: Value) -> list[str]:
    """The routine inputs a step's binding names (``"{host}"``, or such items of a list)."""
    found = []
    for item in binding if isinstance(binding, list) else [binding]:
        match = _REFERENCE.match(item) if isinstance(item, str) else None
        if match:
            found.append(match.group(1))
    return found


def step_values(bindings: Mapping[str, Value], inputs: Mapping[str, Value]) -> dict[str, Value]:
    """The job input values a step gives: its constants, and its references to routine inputs replaced
    by their values."""
    given: dict[str, Value] = {}
    for flag, binding in bindings.items():
        if isinstance(binding, list):
            items: list[str] = []
            for item in binding:
                match = _REFERENCE.match(item)
                value = inputs.get(match.group(1)) if match else item
                items.extend(value if isinstance(value, list) else [value or ""])
            given[flag] = items
        else:
            match = _REFERENCE.match(binding) if isinstance(binding, str) else None
            given[flag] = inputs.get(match.group(1)) if match else binding
    return given


def secret_bound(bindings: Mapping[str, Value], secret_flags: Collection[str]) -> set[str]:
    """The routine inputs that a step passes to a secret job input."""
    return {name for flag in secret_flags if flag in bindings for name in referenced(bindings[flag])}


def sealed_inputs(values: Mapping[str, Value], secret: Collection[str], where: str) -> dict[str, Value]:
    """A routine run's input values as its record keeps them: each secret one sealed."""
    kept = dict(values)
    for name in secret:
        given = kept.get(name)
        if isinstance(given, list):
            kept[name] = [secrets.store(v, None, f"{where}: {name}") for v in given]
        elif isinstance(given, str):
            kept[name] = secrets.store(given, None, f"{where}: {name}")
    return kept


def secret_inputs(routine: Routine) -> set[str]:
    """The routine's inputs that reach a secret job input through some step."""
    found: set[str] = set()
    for step in routine.steps:
        found |= secret_bound(step.bindings, job_service.secret_inputs(step.job))
    return found


def _clear(value: Value) -> bool:
    """A value that would be stored as it is and is not a reference to a secret (env:NAME, file:/path)."""
    return isinstance(value, str) and bool(value) and not secrets.is_reference(value)


def check_bindings(doc: RoutineDoc, jobs: Mapping[str, Job], where: str) -> None:
    """Refuse a step that gives a job a value for a flag that is not one of its inputs, names a routine
    input the routine lacks, gives a constant of the wrong type, or leaves an input without value."""
    label = f"{where} ({doc.name})"
    declared = ", ".join(doc.inputs) or "none"
    for i, step in enumerate(doc.steps):
        job = jobs[step.job]
        at = f"{label}: steps[{i}] ({step.id})"
        secret = job_service.secret_inputs(job)
        for flag, binding in step.with_.items():
            if flag not in job.inputs:
                raise InvalidInput(f"{at}: {job_service.not_an_input(flag, f'job {job.name}', job.inputs).message}")
            for name in referenced(binding):
                if name not in doc.inputs:
                    raise InvalidInput(f"{at}: with {flag} names {{{name}}}, which is not an input of routine "
                                       f"{doc.name} (its inputs: {declared})")
                if flag in secret and _clear(doc.inputs[name]):
                    raise InvalidInput(f"{at}: the routine input {name} goes to the secret input {flag} of job "
                                       f"{job.name}, so it cannot have a default in clear (a routine stores it as "
                                       "it is): give its value at each run, or a reference env:NAME or file:/path")
            if flag in secret and any(_clear(item) for item in (binding if isinstance(binding, list) else [binding])
                                      if not referenced(item)):
                raise InvalidInput(f"{at}: with {flag} gives the secret input {flag} of job {job.name} a constant, "
                                   "which a routine would store in clear: give it {NAME} of a routine input, or a "
                                   "reference env:NAME or file:/path")
        for flag, default in job.inputs.items():
            if default is None and step.with_.get(flag) is None:
                raise InvalidInput(f"{at}: input {flag} of job {job.name} has no default and the step gives it "
                                   f"no value: add it to the step's with (a constant, or {{NAME}} for an input of "
                                   "the routine)")
        constants = {flag: b for flag, b in step.with_.items() if b is not None and not referenced(b)}
        if constants:
            defaults = {flag: d for flag, d in job.inputs.items() if d is not None}
            merged = {**job.values, **defaults, **constants}
            job_service.check_values(job.command, merged, where=f"{at}: job {job.name!r}",
                                     pending=set(job.inputs) - set(merged))


def check_run_values(db: Session, routine: Routine, given: Mapping[str, Value], where: str) -> dict[str, Value]:
    """Check the input values of a run of ``routine`` as submitting one would (nothing is written), and
    return those given as a record keeps them (secret ones sealed).

    Only the steps that take values are checked here: the others' jobs are checked when a run is recorded.
    """
    chosen = job_service.input_values(f"routine {routine.name}", routine.inputs, given)
    checked: set[tuple[str, str]] = set()
    for step in routine.steps:
        if not step.bindings:
            continue
        values = step_values(step.bindings, chosen)
        key = (step.job.name, json.dumps(values, sort_keys=True))
        if key in checked:
            continue
        checked.add(key)
        at = f"{where}: step {step.step_id!r}"
        job_service.resolve(db, step.job.name, to_run=False, given=values, where=at)
    sealed = sealed_inputs(chosen, secret_inputs(routine), where)
    return {name: sealed[name] for name in given if given[name] is not None}


def to_doc(routine: Routine) -> RoutineDoc:
    return RoutineDoc.model_construct(
        name=routine.name,
        description=routine.description,
        steps=[StepDoc.model_construct(id=s.step_id, job=s.job.name, after=list(s.after), with_=dict(s.bindings),
                                       retry=None if s.retry is None else RetryDoc.model_validate(s.retry))
               for s in routine.steps],
        inputs=dict(routine.inputs),
    )


def parse(data: RoutineDoc | dict[str, Any], where: str = "routine") -> RoutineDoc:
    if isinstance(data, RoutineDoc):
        return data
    try:
        return RoutineDoc.model_validate(data)
    except ValidationError as error:
        raise invalid(where, error) from None


def save(db: Session, doc: RoutineDoc, where: str, *, replace: bool) -> str:
    names = {s.job for s in doc.steps}
    jobs = {j.name: j for j in db.scalars(select(Job).where(Job.name.in_(names)))}
    validate_steps(doc, set(jobs), where)
    check_bindings(doc, jobs, where)
    size = plan_bytes(doc)
    if size > MAX_PLAN_BYTES:
        raise InvalidInput(
            f"{where}: its {len(doc.steps)} steps would make a run's plan of about {size // 1024} KiB, more than "
            f"the {MAX_PLAN_BYTES // 1024} KiB Temporal takes safely: use fewer steps, fewer 'after' links or "
            "shorter step ids"
        )
    current = db.scalar(select(Routine).where(Routine.name == doc.name))
    if current is not None and not replace:
        raise AlreadyExists(f"{'' if where == 'routine' else where + ': '}routine {doc.name!r} already exists")
    if current is not None and to_doc(current).model_dump() == doc.model_dump():
        return "unchanged"
    routine = current or Routine(name=doc.name)
    routine.description = doc.description
    routine.inputs = dict(doc.inputs)
    routine.steps = []
    db.flush()
    routine.steps = [
        RoutineStep(index=i, step_id=s.id, job=jobs[s.job], after=list(s.after), bindings=dict(s.with_),
                    retry=None if s.retry is None else s.retry.model_dump())
        for i, s in enumerate(doc.steps)
    ]
    if current is None:
        db.add(routine)
    db.flush()
    return "updated" if current is not None else "created"


def add(db: Session, data: RoutineDoc | dict[str, Any]) -> RoutineDoc:
    doc = parse(data)
    save(db, doc, "routine", replace=False)
    return get(db, doc.name)


def update(db: Session, name: str, changes: dict[str, Any]) -> RoutineDoc:
    current = lookups.routine(db, name)
    lookups.claim(db, current, f"routine {name!r}")
    doc = parse(to_doc(current).model_dump() | changes | {"name": name})
    save(db, doc, "routine", replace=True)
    return get(db, name)


def get(db: Session, name: str) -> RoutineDoc:
    return to_doc(lookups.routine(db, name))


def list_all(db: Session) -> list[RoutineDoc]:
    return [to_doc(r) for r in db.scalars(select(Routine).order_by(Routine.name))]


def _schedules_of(db: Session, routine: Routine) -> list[Schedule]:
    return list(db.scalars(select(Schedule).where(Schedule.routine_id == routine.id).order_by(Schedule.name)))


def schedules_deleted_with(db: Session, name: str, *, cascade: bool = False) -> list[str]:
    """The schedules ``delete`` would remove, writing nothing: the routine's with cascade; without,
    none (and the same InUse as ``delete`` while schedules use it)."""
    names = [s.name for s in _schedules_of(db, lookups.routine(db, name))]
    if not cascade:
        lookups.refuse_if_used(f"routine {name!r}", {"schedule": names})
        return []
    return names


def delete(db: Session, name: str, *, cascade: bool = False) -> None:
    """Delete a routine; its schedules go too only with cascade (in the database only: see
    ``oto.engine.schedules.delete_with_schedules``)."""
    routine = lookups.routine(db, name)
    lookups.claim(db, routine, f"routine {name!r}")
    schedules = _schedules_of(db, routine)
    if not cascade:
        lookups.refuse_if_used(f"routine {name!r}", {"schedule": [s.name for s in schedules]})
    for schedule in schedules:
        db.delete(schedule)
    db.delete(routine)
    db.flush()
