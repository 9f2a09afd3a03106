"""The OTO document (docs/document.md): one shape per resource, shared by import, export and the API."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from pathlib import PurePosixPath
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from oto.domain.valuetypes import STYLES, normalize_value_type, parse_duration

DOCUMENT_VERSION = 1
DELIVERIES = ("argv", "env", "file", "stdin")
# The longest text each kind of name may hold: the columns' lengths (the same on every database;
# SQLite would store longer ones silently, PostgreSQL refuses them). A schedule's name of 200 also
# keeps its Temporal ids (``oto-schedule-NAME`` and its fires') far below Temporal's 1000.
MAX_NAME = 200
MAX_VERSION = 100
MAX_FLAG = 500
MAX_PATH = 4096
MAX_DURATION_TEXT = 50
# The most runs of one executable or job that may run at once when it is limited: a limit above it is
# a typo (one worker runs at most a few hundred jobs at once), and it keeps a semaphore's state small.
MAX_CONCURRENT = 1000


def make_tag(name: str, version: str) -> str:
    return f"{name} - {version}"


def _no_blank(value: str, what: str) -> str:
    if not value.strip():
        raise ValueError(f"{what} cannot be empty")
    if "\x00" in value:
        raise ValueError(f"{what} cannot contain a NUL character")
    return value


def check_length(value: str, what: str, limit: int = MAX_NAME) -> str:
    """Refuse a text longer than its column holds, with the limit."""
    if len(value) > limit:
        raise ValueError(f"{what} can be at most {limit} characters long, not {len(value)}")
    return value


def check_no_slash(value: str, what: str) -> str:
    """Refuse a ``/`` in a name, and the names ``.`` and ``..``: names stand as one part of URL paths
    (``/api/v1/jobs/NAME``).

    Encoding it as ``%2F`` does not help: the server decodes it before routing, so such a name
    could be stored but never reached again by URL; clients and proxies resolve ``.`` and ``..``.
    """
    if "/" in value:
        raise ValueError(f"{what} cannot contain '/' (names go in URL paths, where '/' separates parts): {value!r}")
    if value in (".", ".."):
        raise ValueError(f"{what} cannot be {value!r} (names go in URL paths, where {value!r} means a folder)")
    return value


def check_max_concurrent(value: object) -> int | None:
    """A concurrency limit: None (no limit), or a whole number from 1 to MAX_CONCURRENT."""
    if value is None:
        return None
    wanted = f"max_concurrent must be a whole number from 1 to {MAX_CONCURRENT}, or null for no limit"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{wanted}, not {'true or false' if isinstance(value, bool) else type(value).__name__}")
    if not 1 <= value <= MAX_CONCURRENT:
        raise ValueError(f"{wanted}, not {value if abs(value) < 10**12 else 'a number that large'}")
    return value


def _url_name(value: str, what: str = "a name") -> str:
    return check_no_slash(check_length(_no_blank(value, what), what), what)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)
    # False for a part of an item whose own validators check its text, with messages that say more
    _checks_text: ClassVar[bool] = True

    @model_validator(mode="after")
    def _unicode(self) -> Self:
        """Refuse text that no column of either database could store anywhere in an item: text that
        is not valid Unicode (a lone surrogate: bytes that were not UTF-8, as a terminal passes them,
        or a JSON escape of half a pair), or a NUL character (SQLite keeps it, PostgreSQL refuses
        it). After the fields' own checks, whose messages say more where they have one."""
        if not self._checks_text:
            return self
        for key, value in self.__dict__.items():
            problem = _unstorable(value)
            if problem:
                raise ValueError(f"{key}: {problem}")
        return self


def _unstorable(value: Any) -> str:
    """Why ``value`` (text, or lists and dicts of it) cannot be stored, or "" when it can."""
    # Called for every field of every item of an import (millions for a large catalog): ASCII text,
    # most of it, is answered without encoding it.
    if isinstance(value, str):
        if "\x00" in value:
            return "cannot contain a NUL character (no database stores it)"
        if value.isascii():
            return ""
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "not valid UTF-8 text (a byte of it cannot be read)"
        return ""
    if isinstance(value, list):
        return next((p for p in map(_unstorable, value) if p), "")
    if isinstance(value, dict):
        return next((p for k, v in value.items() for p in (_unstorable(k), _unstorable(v)) if p), "")
    return ""


class ExecutableDoc(Item):
    name: str
    version: str
    path: str
    description: str = ""
    task_queue: str = ""
    # The program honours "--" as the end of its options: argv puts "--" before its trailing positionals.
    end_of_options: bool = False
    # At most this many runs of it at once, across every worker and queue (None: no limit).
    max_concurrent: int | None = None

    @field_validator("max_concurrent", mode="before")
    @classmethod
    def _limit(cls, value: object) -> int | None:
        return check_max_concurrent(value)

    @field_validator("name", "version")
    @classmethod
    def _named(cls, value: str, info: ValidationInfo) -> str:
        value = _no_blank(value, "a name or version").strip()
        if " - " in value:
            raise ValueError("cannot contain ' - ' (it separates name and version in a tag)")
        check_length(value, f"a {info.field_name}", MAX_NAME if info.field_name == "name" else MAX_VERSION)
        return check_no_slash(value, f"a {info.field_name}")

    @field_validator("task_queue")
    @classmethod
    def _queue(cls, value: str) -> str:
        return check_length(value, "a task queue")

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        _no_blank(value, "the path")
        check_length(value, "the path", MAX_PATH)
        if not PurePosixPath(value).is_absolute():
            raise ValueError(f"the path must be absolute, not {value!r}")
        return value

    @property
    def tag(self) -> str:
        return make_tag(self.name, self.version)

    def to_document(self) -> dict[str, Any]:
        """As exported: ``end_of_options`` and ``max_concurrent`` only when set, so older documents export unchanged."""
        data = self.model_dump()
        if not self.end_of_options:
            del data["end_of_options"]
        if self.max_concurrent is None:
            del data["max_concurrent"]
        return data


MAX_RULES = 200  # rule entries of one kind on one parameter (require_any sets, groups, value rules)


class GroupDoc(Item):
    """A group the parameter belongs to: between ``min`` and ``max`` (None: any) of its members are used.

    Every member names the group with the same bounds.
    """

    _checks_text: ClassVar[bool] = False  # the parameter checks a group's name (ParameterDoc)

    name: str
    min: int = 0
    max: int | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_utf8(check_length(_no_blank(value, "a group name"), "a group name"), "a group name")

    @model_validator(mode="after")
    def _bounds(self) -> GroupDoc:
        if self.min < 0:
            raise ValueError(f"group {self.name}: min counts members and cannot be negative")
        if self.max is not None and self.max < 1:
            raise ValueError(f"group {self.name}: max must be at least 1 (or null for no upper bound)")
        if self.max is not None and self.min > self.max:
            raise ValueError(f"group {self.name}: min ({self.min}) cannot exceed max ({self.max})")
        if self.min > 10_000 or (self.max or 0) > 10_000:
            raise ValueError(f"group {self.name}: a bound can be at most 10000")
        return self

    def label(self) -> str:
        """``NAME[:min[:max]]``, as the CLI takes it."""
        if self.max is not None:
            return f"{self.name}:{self.min}:{self.max}"
        return f"{self.name}:{self.min}" if self.min else self.name


def check_utf8(value: str, what: str) -> str:
    """Refuse text that is not valid Unicode (a lone surrogate: bytes that were not UTF-8, as a
    terminal passes them), which no database column could store."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} is not valid UTF-8 text") from None
    return value


def parse_group_label(text: str) -> dict[str, Any]:
    """``NAME[:min[:max]]`` (as the CLI and the dashboard take a group) as a group document.

    An empty ``min`` is 0, an empty or ``*`` ``max`` is no upper bound; ValueError names the mistake.
    """
    parts = text.split(":")
    if len(parts) > 3:
        raise ValueError(f"a group is NAME[:min[:max]], not {text!r}")
    out: dict[str, Any] = {"name": parts[0]}
    for key, part in zip(("min", "max"), parts[1:], strict=False):
        if part in ("", "*"):
            if key == "min":
                out["min"] = 0
            continue
        if not part.isascii() or not part.isdigit() or len(part) > 5:
            raise ValueError(f"group {parts[0]}: {key} must be a whole number, not {part!r}")
        out[key] = int(part)
    return out


def parse_assignments(items: Iterable[str]) -> dict[str, Value]:
    """``NAME=VALUE`` or a bare ``NAME`` (no value) items as values (the CLI's ``--set``, the
    dashboard's value lines); a name given again gathers a list. ValueError names a bad item."""
    values: dict[str, Value] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not name:
            raise ValueError(f"{item!r}: give NAME=VALUE or NAME")
        given: str = value if sep else ""
        if name in values:
            previous = values[name]
            values[name] = [*previous, given] if isinstance(previous, list) else [previous or "", given]
        else:
            values[name] = given
    return values


def parse_any_set(text: str) -> list[str]:
    """``B,C`` (a require_any set as the CLI and the dashboard take it) as a list of flags."""
    flags = [f.strip() for f in text.split(",")]
    if not all(flags):
        raise ValueError(f"a require-any set is flags separated by commas, not {text!r}")
    return flags


class WhenDoc(Item):
    """A value rule of the parameter: when its value ``equals`` one (or is ``in`` several), then
    the flags in ``require`` must be in the job, those in ``forbid`` must not, and each flag of
    ``values`` may only take values matching one of its patterns (``*`` matches any run)."""

    _checks_text: ClassVar[bool] = False  # the parameter checks a rule's text (ParameterDoc)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    equals: str | None = None
    in_: list[str] | None = Field(default=None, alias="in")
    require: list[str] = Field(default_factory=list)
    forbid: list[str] = Field(default_factory=list)
    values: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shape(self) -> WhenDoc:
        if (self.equals is None) == (self.in_ is None):
            raise ValueError("a value rule needs exactly one of equals and in")
        if self.in_ is not None and not self.in_:
            raise ValueError("a value rule's in needs at least one value")
        if self.equals == "" or "" in (self.in_ or []):
            raise ValueError("a value rule's condition cannot be an empty value (it would never hold)")
        if not (self.require or self.forbid or self.values):
            raise ValueError("a value rule needs at least one of require, forbid and values")
        texts = [self.equals or "", *(self.in_ or []), *self.require, *self.forbid, *self.values]
        texts += [p for patterns in self.values.values() for p in patterns]
        for text in texts:
            check_length(text, "a value rule's text", MAX_FLAG)
            check_utf8(text, "a value rule's text")
            if "\x00" in text:
                raise ValueError("a value rule cannot contain a NUL character")
        if len(texts) > 1_000:
            raise ValueError("a value rule can name at most 1000 values, flags and patterns")
        return self

    def condition(self) -> str:
        return f"= {self.equals}" if self.in_ is None else f"in {', '.join(self.in_)}"

    def summary(self) -> str:
        """The rule in a few words: ``when = EC: -pkeyopt only ec_paramgen_curve:*``."""
        parts = [f"requires {' '.join(self.require)}"] if self.require else []
        parts += [f"forbids {' '.join(self.forbid)}"] if self.forbid else []
        parts += [f"{flag} only {' '.join(patterns)}" for flag, patterns in (self.values or {}).items()]
        return f"when {self.condition()}: {', '.join(parts)}"

    def to_document(self) -> dict[str, Any]:
        data: dict[str, Any] = {"equals": self.equals} if self.in_ is None else {"in": list(self.in_)}
        for key in ("require", "forbid", "values"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data


class ParameterDoc(Item):
    flag: str
    executable_tag: str
    description: str = ""
    requires_root: bool = False
    requires_value: bool = False
    value_type: str = "bool"
    require_ids: list[str] = Field(default_factory=list)
    interfer_ids: list[str] = Field(default_factory=list)
    before: list[str] = Field(default_factory=list)
    position: int | None = None
    scale: str | None = None
    repeatable: bool = False
    choices: list[str] = Field(default_factory=list)
    style: str = "separate"
    secret: bool = False
    # A positional value may start with "-" (otherwise refused: the program would read an option).
    allow_leading_dash: bool = False
    # A path value must stay in the run folder: relative, never leaving it through "..".
    confine: bool = False
    # How a secret value reaches the program: argv (an item of the command line, readable by every
    # local user), env, file or stdin; ``template`` is what the argv item becomes ({env}, {path}).
    delivery: str = "argv"
    template: str = ""
    # FME v2 (docs/fme.md): each list is one "requires one of"; always in every command; groups with
    # bounds; value rules with this parameter's value as their condition.
    require_any: list[list[str]] = Field(default_factory=list)
    required: bool = False
    groups: list[GroupDoc] = Field(default_factory=list)
    when: list[WhenDoc] = Field(default_factory=list)

    @field_validator("require_any")
    @classmethod
    def _require_any(cls, value: list[list[str]]) -> list[list[str]]:
        if len(value) > MAX_RULES:
            raise ValueError(f"at most {MAX_RULES} require_any sets")
        for alternatives in value:
            if not alternatives:
                raise ValueError("a require_any set needs at least one flag")
            if len(alternatives) > MAX_RULES:
                raise ValueError(f"a require_any set can name at most {MAX_RULES} flags")
            for flag in alternatives:
                check_utf8(check_length(flag, "a require_any flag", MAX_FLAG), "a require_any flag")
        return value

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: list[GroupDoc]) -> list[GroupDoc]:
        names = [g.name for g in value]
        if len(set(names)) != len(names):
            raise ValueError("a parameter names each group once")
        if len(value) > MAX_RULES:
            raise ValueError(f"at most {MAX_RULES} groups")
        return value

    @field_validator("when")
    @classmethod
    def _when(cls, value: list[WhenDoc]) -> list[WhenDoc]:
        if len(value) > MAX_RULES:
            raise ValueError(f"at most {MAX_RULES} value rules")
        return value

    @field_validator("flag")
    @classmethod
    def _flag(cls, value: str) -> str:
        _no_blank(value, "a flag")
        check_length(value, "a flag", MAX_FLAG)
        if value != value.strip():
            raise ValueError(f"a flag cannot start or end with spaces: {value!r}")
        return value

    @field_validator("value_type")
    @classmethod
    def _value_type(cls, value: str) -> str:
        return normalize_value_type(value)

    @field_validator("style")
    @classmethod
    def _style(cls, value: str) -> str:
        if value not in STYLES:
            raise ValueError(f"unknown style {value!r} (known: {', '.join(STYLES)})")
        return value

    @field_validator("scale")
    @classmethod
    def _scale(cls, value: str | None) -> str | None:
        return value if value is None else check_length(value, "a scale")

    @field_validator("position")
    @classmethod
    def _position(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("a position counts from 0 and cannot be negative")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ParameterDoc:
        if self.value_type == "bool" and self.requires_value:
            raise ValueError("value type bool takes no value, but requires_value is true")
        if self.value_type != "bool" and not self.requires_value:
            # The seed catalogs leave requires_value implied by the type.
            self.requires_value = True
        if self.value_type == "enum" and not self.choices:
            raise ValueError("value type enum needs a non-empty list of choices")
        if self.choices and self.value_type != "enum":
            raise ValueError(f"choices only apply to value type enum, not {self.value_type}")
        if self.style == "positional" and not self.requires_value:
            raise ValueError("a positional parameter must take a value")
        if self.allow_leading_dash and self.style != "positional":
            raise ValueError("allow_leading_dash only applies to positional parameters")
        if self.confine and self.value_type != "path":
            raise ValueError(f"confine only applies to value type path, not {self.value_type}")
        if self.delivery not in DELIVERIES:
            raise ValueError(f"unknown delivery {self.delivery!r} (known: {', '.join(DELIVERIES)})")
        if self.delivery != "argv" and not (self.secret and self.requires_value):
            raise ValueError("only a secret parameter that takes a value may have a delivery other than argv")
        if self.template and self.delivery == "argv":
            raise ValueError("a template applies to the env, file and stdin deliveries only")
        if self.delivery == "env" and self.template and "{env}" not in self.template:
            raise ValueError("an env delivery's template must hold {env} (the variable's name)")
        if self.delivery == "file" and self.template and "{path}" not in self.template:
            raise ValueError("a file delivery's template must hold {path} (the file's path)")
        if self.when and not self.requires_value:
            raise ValueError("value rules (when) need a parameter that takes a value")
        if self.when and self.secret:
            raise ValueError("a secret parameter cannot be the condition of a value rule (its value is sealed)")
        if self.scale is not None and self.scale in {g.name for g in self.groups}:
            raise ValueError(f"{self.scale} cannot be both the scale and a group of the parameter")
        return self

    def rule_texts(self) -> list[str]:
        """Its rules, one short phrase each, as listings show them (``requires -algorithm``)."""
        rules = [f"requires {' '.join(self.require_ids)}"] if self.require_ids else []
        rules += [f"conflicts {' '.join(self.interfer_ids)}"] if self.interfer_ids else []
        rules += [f"before {' '.join(self.before)}"] if self.before else []
        rules += [f"position {self.position}"] if self.position is not None else []
        rules += [f"scale {self.scale}"] if self.scale else []
        rules += ["required"] if self.required else []
        rules += [f"requires one of {' '.join(alternatives)}" for alternatives in self.require_any]
        rules += [f"group {g.label()}" for g in self.groups]
        rules += [w.summary() for w in self.when]
        rules += ["may start with -"] if self.allow_leading_dash else []
        rules += ["confined to the run folder"] if self.confine else []
        return rules

    def to_document(self) -> dict[str, Any]:
        data = self.model_dump(
            include={
                "flag",
                "executable_tag",
                "description",
                "requires_root",
                "requires_value",
                "value_type",
                "require_ids",
                "interfer_ids",
            }
        )
        for key, default in _optional_defaults().items():
            value = getattr(self, key)
            if value != default:
                data[key] = value
        if self.groups:
            data["groups"] = [g.model_dump() for g in self.groups]
        if self.when:
            data["when"] = [w.to_document() for w in self.when]
        return data


@cache
def _optional_defaults() -> dict[str, Any]:
    """The defaults of a parameter's optional keys, which its document leaves out. Read once: pydantic
    inspects a default factory's signature at every ``get_default`` (an export would pay it per key)."""
    fields = ParameterDoc.model_fields
    return {key: fields[key].get_default(call_default_factory=True)
            for key in ("before", "position", "scale", "repeatable", "choices", "style", "secret",
                        "allow_leading_dash", "confine", "delivery", "template", "require_any", "required")}


class CommandDoc(Item):
    name: str
    executable_tag: str
    description: str = ""
    requires_root: bool = False
    parameters: list[str]

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _url_name(value)


Value = str | list[str] | None
# The most input values one run, or one schedule, may be given.
MAX_INPUTS = 200


def _input_names(names: dict[str, Any], what: str) -> dict[str, Any]:
    if len(names) > MAX_INPUTS:
        raise ValueError(f"at most {MAX_INPUTS} {what} may be given, not {len(names)}")
    for name in names:
        _no_blank(name, f"the name of {what[:-1] if what.endswith('s') else what}")
        check_length(name, "an input's name", MAX_FLAG)
    return names


# A retry policy's bounds: more tries or longer waits are typos, and would hold a run open for days.
MAX_RETRY_ATTEMPTS = 100
MAX_RETRY_DELAY = 86400.0
MAX_BACKOFF = 10.0
RETRY_ON = ("failed", "timed_out")


def retry_delay(value: str, what: str) -> str:
    """A retry wait as given (``10s``), or ValueError: a duration of at most a day."""
    check_length(value, what, MAX_DURATION_TEXT)
    try:
        seconds = parse_duration(value)
    except ValueError as error:
        raise ValueError(f"{what}: {error}") from None
    if seconds > MAX_RETRY_DELAY:
        raise ValueError(f"{what} can be at most a day (86400s), not {value!r}")
    return value


class RetryDoc(Item):
    """A retry policy (docs/document.md): ``attempts`` counts the first try; the wait before attempt
    n+1 is ``delay`` times ``backoff`` to the power n-1, at most ``max_delay``."""

    attempts: int = Field(strict=True, ge=1, le=MAX_RETRY_ATTEMPTS)
    delay: str = "0s"
    backoff: float = Field(default=1.0, strict=True, ge=1.0, le=MAX_BACKOFF, allow_inf_nan=False)
    max_delay: str | None = None
    on: list[str] = Field(default_factory=lambda: list(RETRY_ON))

    @field_validator("delay", "max_delay")
    @classmethod
    def _delay(cls, value: str | None, info: ValidationInfo) -> str | None:
        return value if value is None else retry_delay(value, f"the {info.field_name}")

    @field_validator("on")
    @classmethod
    def _on(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"name at least one status to retry on ({', '.join(RETRY_ON)})")
        for status in value:
            if status not in RETRY_ON:
                shown = status if len(status) <= MAX_DURATION_TEXT else status[:MAX_DURATION_TEXT] + "…"
                raise ValueError(f"{shown!r} is not a status a retry may follow (only {', '.join(RETRY_ON)}; "
                                 "a cancelled run is never retried)")
        if len(set(value)) != len(value):
            raise ValueError("names a status twice")
        return [s for s in RETRY_ON if s in value]  # one order: exports stay byte-identical

    def seconds(self) -> dict[str, Any]:
        """The policy in seconds, as a run's spec holds it (oto.domain.runs.Retry)."""
        return {"attempts": self.attempts, "delay": parse_duration(self.delay), "backoff": float(self.backoff),
                "max_delay": parse_duration(self.max_delay) if self.max_delay else 0.0, "on": list(self.on)}


class JobDoc(Item):
    name: str
    command: str
    description: str = ""
    values: dict[str, Value] = Field(default_factory=dict)
    retry: RetryDoc | None = None
    # At most this many runs of the job at once, across every worker and queue (None: no limit).
    max_concurrent: int | None = None
    # flags whose value is given at run time -> their default (None: no default, a value must be given)
    inputs: dict[str, Value] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _url_name(value)

    @field_validator("max_concurrent", mode="before")
    @classmethod
    def _limit(cls, value: object) -> int | None:
        return check_max_concurrent(value)

    @field_validator("inputs")
    @classmethod
    def _inputs(cls, value: dict[str, Value]) -> dict[str, Value]:
        return _input_names(value, "inputs")

    @model_validator(mode="after")
    def _apart(self) -> JobDoc:
        both = sorted(set(self.values) & set(self.inputs))
        if both:
            raise ValueError(f"{both[0]} is both a value and an input: a flag is one or the other")
        return self

    def to_document(self) -> dict[str, Any]:
        """As exported: ``retry``, ``max_concurrent`` and ``inputs`` only when set, so older documents
        export unchanged."""
        data = self.model_dump()
        if self.retry is None:
            del data["retry"]
        if self.max_concurrent is None:
            del data["max_concurrent"]
        if not self.inputs:
            del data["inputs"]
        return data


class StepDoc(Item):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    job: str
    after: list[str] = Field(default_factory=list)
    retry: RetryDoc | None = None  # in place of its job's
    # the job's inputs this step gives: flag -> a constant, or "{name}" naming an input of the routine
    with_: dict[str, Value] = Field(default_factory=dict, alias="with")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _url_name(value, "a step id")

    def to_document(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "job": self.job, "after": list(self.after)}
        if self.with_:
            data["with"] = dict(self.with_)
        if self.retry is not None:
            data["retry"] = self.retry.model_dump()
        return data


class RoutineDoc(Item):
    name: str
    description: str = ""
    steps: list[StepDoc]
    # the values given when it runs: name -> default (None: a value must be given)
    inputs: dict[str, str | None] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _url_name(value)

    @field_validator("inputs")
    @classmethod
    def _inputs(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        return _input_names(value, "inputs")

    def to_document(self) -> dict[str, Any]:
        """As exported: ``inputs`` and a step's ``with`` only when there are some."""
        data: dict[str, Any] = {"name": self.name, "description": self.description,
                                "steps": [s.to_document() for s in self.steps]}
        if self.inputs:
            data["inputs"] = dict(self.inputs)
        return data


class ScheduleDoc(Item):
    name: str
    job: str | None = None
    routine: str | None = None
    cron: str | None = None
    timezone: str = "UTC"
    every: str | None = None
    offset: str | None = None
    overlap: str = "skip"
    catchup_window: str | None = None
    jitter: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    paused: bool = False
    note: str = ""
    # the input values each fire runs with (a job's input flags, or a routine's input names)
    values: dict[str, Value] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _url_name(value)

    @field_validator("values")
    @classmethod
    def _values(cls, value: dict[str, Value]) -> dict[str, Value]:
        return _input_names(value, "values")

    @field_validator("cron", "timezone")
    @classmethod
    def _short(cls, value: str | None, info: ValidationInfo) -> str | None:
        return value if value is None else check_length(value, f"the {info.field_name}", MAX_NAME // 2 if
                                                        info.field_name == "timezone" else MAX_NAME)

    @field_validator("every", "offset", "catchup_window", "jitter")
    @classmethod
    def _duration_text(cls, value: str | None, info: ValidationInfo) -> str | None:
        return value if value is None else check_length(value, str(info.field_name), MAX_DURATION_TEXT)

    @model_validator(mode="after")
    def _one_target_one_spec(self) -> ScheduleDoc:
        if (self.job is None) == (self.routine is None):
            raise ValueError("a schedule names exactly one of job or routine")
        if (self.cron is None) == (self.every is None):
            raise ValueError("a schedule has exactly one of cron or every")
        return self

    def to_document(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        for key, value in self.model_dump(mode="json", exclude={"name"}).items():
            default = ScheduleDoc.model_fields[key].get_default(call_default_factory=True)
            if value != default and value is not None:
                data[key] = value
        return data


# The statuses a notification may listen to (a run's final ones; a skipped step never ends a run),
# in the order they are written back; the default when none is given.
NOTIFY_STATUSES = ("failed", "timed_out", "cancelled", "succeeded")
NOTIFY_DEFAULT_ON = ["failed", "timed_out"]
MAX_URL = 2048


class NotificationDoc(Item):
    """A webhook told when a run ends with one of ``on``: every run's, or one job's, routine's or schedule's.

    ``secret`` signs the body: masked as ``***`` in an export (importing ``***`` keeps the stored
    one), sealed for another installation's key with ``--with-secrets``, or a reference.
    """

    name: str
    url: str
    on: list[str] = Field(default_factory=lambda: list(NOTIFY_DEFAULT_ON))
    job: str | None = None
    routine: str | None = None
    schedule: str | None = None
    secret: str | None = None
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _url_name(value)

    @field_validator("job", "routine", "schedule")
    @classmethod
    def _target(cls, value: str | None, info: ValidationInfo) -> str | None:
        return value if value is None else check_length(_no_blank(value, f"the {info.field_name}"),
                                                        f"the {info.field_name}")

    @field_validator("on")
    @classmethod
    def _statuses(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"name at least one status of {', '.join(NOTIFY_STATUSES)}")
        unknown = [s for s in value if s not in NOTIFY_STATUSES]
        if unknown:
            raise ValueError(f"{str(unknown[0])[:50]!r} is not a status a run ends with "
                             f"(one of {', '.join(NOTIFY_STATUSES)})")
        return [s for s in NOTIFY_STATUSES if s in value]

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("the description cannot contain a NUL character")
        return check_length(value, "the description", 2000)

    @model_validator(mode="after")
    def _one_target(self) -> NotificationDoc:
        if sum(t is not None for t in (self.job, self.routine, self.schedule)) > 1:
            raise ValueError("a notification names at most one of job, routine or schedule")
        return self

    @property
    def target(self) -> tuple[str, str]:
        """(kind, name) of what it listens to; ("", "") for every run."""
        for kind in ("job", "routine", "schedule"):
            name = getattr(self, kind)
            if name is not None:
                return kind, name
        return "", ""

    def to_document(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        for key, value in self.model_dump(mode="json", exclude={"name"}).items():
            default = NotificationDoc.model_fields[key].get_default(call_default_factory=True)
            if value != default and value is not None:
                data[key] = value
        return data
