"""The OTO document (docs/document.md): one shape per resource, shared by import, export and the API."""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from oto.domain.valuetypes import STYLES, normalize_value_type

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


def _url_name(value: str, what: str = "a name") -> str:
    return check_no_slash(check_length(_no_blank(value, what), what), what)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ExecutableDoc(Item):
    name: str
    version: str
    path: str
    description: str = ""
    task_queue: str = ""
    # The program honours "--" as the end of its options: argv puts "--" before its trailing positionals.
    end_of_options: bool = False

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
        """As exported: ``end_of_options`` only when set, so older documents export unchanged."""
        data = self.model_dump()
        if not self.end_of_options:
            del data["end_of_options"]
        return data


MAX_RULES = 200  # rule entries of one kind on one parameter (require_any sets, groups, value rules)


class GroupDoc(Item):
    """A group the parameter belongs to: between ``min`` and ``max`` (None: any) of its members are used.

    Every member names the group with the same bounds.
    """

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
        defaults = ParameterDoc.model_fields
        for key in ("before", "position", "scale", "repeatable", "choices", "style", "secret",
                    "allow_leading_dash", "confine", "delivery", "template", "require_any", "required"):
            value = getattr(self, key)
            default = defaults[key].get_default(call_default_factory=True)
            if value != default:
                data[key] = value
        if self.groups:
            data["groups"] = [g.model_dump() for g in self.groups]
        if self.when:
            data["when"] = [w.to_document() for w in self.when]
        return data


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


class JobDoc(Item):
    name: str
    command: str
    description: str = ""
    values: dict[str, Value] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _url_name(value)


class StepDoc(Item):
    id: str
    job: str
    after: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _url_name(value, "a step id")


class RoutineDoc(Item):
    name: str
    description: str = ""
    steps: list[StepDoc]

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _url_name(value)


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

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _url_name(value)

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
