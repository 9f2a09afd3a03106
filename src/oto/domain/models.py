"""The tables of OTO's catalog and run history (SQLAlchemy 2.0, typed).

Rules between parameters are stored as lists of flags of the same executable: flags are the
natural keys users and documents speak in, and the flag matching engine takes them as they are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and always read back as an aware UTC datetime.

    SQLite keeps no zone: it stores the wall time it is given and hands back naive datetimes.
    So every moment is turned into UTC before it is written (a naive one is taken as UTC), and
    every one read is marked UTC, on SQLite and PostgreSQL alike. The column stays
    ``TIMESTAMP WITH TIME ZONE``, as the migrations create it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, list[Any]: JSON}


class Executable(Base):
    __tablename__ = "executables"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    tag: Mapped[str] = mapped_column(String(310), unique=True)
    path: Mapped[str] = mapped_column(String(4096))
    description: Mapped[str] = mapped_column(Text, default="")
    task_queue: Mapped[str] = mapped_column(String(200))
    # The program reads "--" as the end of its options: argv puts it before the trailing positionals.
    end_of_options: Mapped[bool] = mapped_column(default=False)
    # A fresh random token whenever a parameter changes: the key of cached compiled schemas,
    # unique across processes and databases, so no cache ever serves stale rules.
    rules_revision: Mapped[str] = mapped_column(String(32), default="")
    # At most this many of its runs at once, cluster-wide (None: no limit).
    max_concurrent: Mapped[int | None] = mapped_column(default=None)

    parameters: Mapped[list[Parameter]] = relationship(
        back_populates="executable", order_by="Parameter.id", cascade="all, delete-orphan"
    )


class Parameter(Base):
    __tablename__ = "parameters"
    __table_args__ = (UniqueConstraint("executable_id", "flag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    executable_id: Mapped[int] = mapped_column(ForeignKey("executables.id", ondelete="CASCADE"), index=True)
    flag: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    requires_root: Mapped[bool] = mapped_column(default=False)
    requires_value: Mapped[bool] = mapped_column(default=False)
    value_type: Mapped[str] = mapped_column(String(20), default="bool")
    style: Mapped[str] = mapped_column(String(20), default="separate")
    choices: Mapped[list[str]] = mapped_column(default=list)
    repeatable: Mapped[bool] = mapped_column(default=False)
    secret: Mapped[bool] = mapped_column(default=False)
    # How a secret value reaches the program (argv, env, file, stdin) and what its argv item becomes.
    delivery: Mapped[str] = mapped_column(String(10), default="argv", server_default="argv")
    template: Mapped[str] = mapped_column(String(500), default="", server_default="")
    requires: Mapped[list[str]] = mapped_column(default=list)
    conflicts: Mapped[list[str]] = mapped_column(default=list)
    before: Mapped[list[str]] = mapped_column(default=list)
    position: Mapped[int | None] = mapped_column(default=None)
    scale: Mapped[str | None] = mapped_column(String(200), default=None)
    # A positional value may start with "-" (the program would otherwise read it as an option).
    allow_leading_dash: Mapped[bool] = mapped_column(default=False)
    # A path value must stay inside the run folder: relative, never climbing out with "..".
    confine: Mapped[bool] = mapped_column(default=False)
    # FME v2 rules (docs/fme.md): lists of "requires one of" sets; in every command; the groups it is
    # in, each {"name", "min", "max"}; value rules on its value, each as in the document.
    require_any: Mapped[list[Any]] = mapped_column(default=list)
    required: Mapped[bool] = mapped_column(default=False)
    groups: Mapped[list[Any]] = mapped_column(default=list)
    when: Mapped[list[Any]] = mapped_column(default=list)

    executable: Mapped[Executable] = relationship(back_populates="parameters")


class Command(Base):
    __tablename__ = "commands"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    executable_id: Mapped[int] = mapped_column(ForeignKey("executables.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    requires_root: Mapped[bool] = mapped_column(default=False)

    executable: Mapped[Executable] = relationship()
    items: Mapped[list[CommandParameter]] = relationship(
        order_by="CommandParameter.index", cascade="all, delete-orphan"
    )


class CommandParameter(Base):
    """One place in a command's ordered flag list (a repeatable flag may take several)."""

    __tablename__ = "command_parameters"

    command_id: Mapped[int] = mapped_column(ForeignKey("commands.id", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(primary_key=True)
    parameter_id: Mapped[int] = mapped_column(ForeignKey("parameters.id"), index=True)

    parameter: Mapped[Parameter] = relationship()


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    command_id: Mapped[int] = mapped_column(ForeignKey("commands.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # flag -> value ("" for a flag that takes none; a list for a repeated flag)
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # its retry policy as its document holds it (oto.domain.documents.RetryDoc); None: one attempt
    retry: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    # At most this many of its runs at once, cluster-wide (None: no limit).
    max_concurrent: Mapped[int | None] = mapped_column(default=None)
    # flag -> default (None: a value must be given at run time); never a flag of ``values``
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")

    command: Mapped[Command] = relationship()


class Routine(Base):
    __tablename__ = "routines"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # input name -> default (None: a value must be given at run time)
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")

    steps: Mapped[list[RoutineStep]] = relationship(order_by="RoutineStep.index", cascade="all, delete-orphan")


class RoutineStep(Base):
    __tablename__ = "routine_steps"
    __table_args__ = (UniqueConstraint("routine_id", "step_id"),)

    routine_id: Mapped[int] = mapped_column(ForeignKey("routines.id", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    after: Mapped[list[str]] = mapped_column(default=list)
    # a retry policy of this step's own, in place of its job's (None: the job's)
    retry: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    # the step's "with": job input flag -> a constant, or "{name}" of a routine input
    bindings: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")

    job: Mapped[Job] = relationship()


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True, default=None)
    routine_id: Mapped[int | None] = mapped_column(ForeignKey("routines.id"), index=True, default=None)
    cron: Mapped[str | None] = mapped_column(String(200), default=None)
    timezone: Mapped[str] = mapped_column(String(100), default="UTC")
    every: Mapped[str | None] = mapped_column(String(50), default=None)
    offset: Mapped[str | None] = mapped_column(String(50), default=None)
    start: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    overlap: Mapped[str] = mapped_column(String(20), default="skip")
    catchup_window: Mapped[str | None] = mapped_column(String(50), default=None)
    jitter: Mapped[str | None] = mapped_column(String(50), default=None)
    paused: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    # the input values each fire runs with (secret ones sealed)
    input_values: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")

    job: Mapped[Job | None] = relationship()
    routine: Mapped[Routine | None] = relationship()


class Run(Base):
    """One execution of a job, of a routine, or of one step of a routine run.

    The run id is also the id of its Temporal workflow (for jobs and routines).
    """

    __tablename__ = "runs"
    # Listings filter on one of these columns and read newest first: one index each, ordered as
    # they read, so a page costs the same at any size of history; ``parent_id`` last lets a capped
    # count read the index alone (migration 0009_run_history_indexes says why each is so).
    __table_args__ = (
        Index("ix_runs_parent_created", "parent_id", "created_at", "id"),
        *(Index(f"ix_runs_{name}_created", column, "created_at", "id", "parent_id") for name, column in (
            ("status", "status"), ("job", "job_name"), ("routine", "routine_name"), ("trigger", "trigger"))),
        Index("ix_runs_kind_created", "kind", "created_at", "id"),
        # Partial: WHERE parent_id IS NULL (jobs and routines, not steps), as migration 0009 creates it.
        # The predicate is not repeated here: naming a dialect's option (postgresql_where) loads that
        # dialect with the models, which cost every CLI call on SQLite a twentieth of its time.
        Index("ix_runs_top_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # job | routine | step
    job_name: Mapped[str | None] = mapped_column(String(200), default=None)
    routine_name: Mapped[str | None] = mapped_column(String(200), default=None)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"), default=None)
    step_id: Mapped[str | None] = mapped_column(String(200), default=None)
    trigger: Mapped[str] = mapped_column(String(300), default="cli")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    argv: Mapped[list[str]] = mapped_column(default=list)
    workdir: Mapped[str] = mapped_column(String(4096), default="")
    task_queue: Mapped[str] = mapped_column(String(200), default="")
    exit_code: Mapped[int | None] = mapped_column(default=None)
    worker: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    stdout: Mapped[str] = mapped_column(Text, default="")
    stderr: Mapped[str] = mapped_column(Text, default="")
    artifacts: Mapped[list[Any]] = mapped_column(default=list)
    # how many files the run made in all: more than ``artifacts`` lists when the list was cut
    artifacts_total: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # how many times a worker started it (a lost worker's run starts again); shown as ``starts``
    attempts: Mapped[int] = mapped_column(default=0)
    # the run this one repeats (``oto run rerun``); on a step: the step run it carries over, not run again
    rerun_of: Mapped[str | None] = mapped_column(String(100), index=True, default=None)
    carried_over: Mapped[bool] = mapped_column(default=False)
    # Why a queued run waits: the slot of a concurrency limit it is in line for (written by its semaphore).
    waiting: Mapped[str | None] = mapped_column(Text, default=None)


class RunAttempt(Base):
    """One attempt of a run with a retry policy: how it ended, its output (the run holds the last's too)."""

    __tablename__ = "run_attempts"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    exit_code: Mapped[int | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    stdout: Mapped[str] = mapped_column(Text, default="")
    stderr: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    worker: Mapped[str | None] = mapped_column(String(300), default=None)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    scope: Mapped[str] = mapped_column(String(10))
    prefix: Mapped[str] = mapped_column(String(20), index=True)
    key_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Dashboard sessions carry the generation they began in; logging out moves it on, ending them.
    session_generation: Mapped[int] = mapped_column(default=0)


class Notification(Base):
    """A webhook told when runs end with one of its statuses: of every run, or of one job, routine or schedule.

    The target is kept by name (``target_kind`` job | routine | schedule, or "" for every run): a
    notification outlives nothing it names in a way that matters, it only stops matching.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    on: Mapped[list[str]] = mapped_column(default=list)
    target_kind: Mapped[str] = mapped_column(String(10), default="")
    target: Mapped[str] = mapped_column(String(200), default="", index=True)
    # the signing secret sealed with the installation's key (services/secrets.py), or "" for none
    secret: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    deliveries: Mapped[list[NotificationDelivery]] = relationship(
        back_populates="notification", cascade="all, delete-orphan", passive_deletes=True,
        order_by="NotificationDelivery.id")


class NotificationDelivery(Base):
    """One attempt at POSTing a run's end (or a test) to a notification's URL."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    # the run it told of ("" for `oto notify test`); no foreign key: a prune deletes these with their runs
    run_id: Mapped[str] = mapped_column(String(100), default="", index=True)
    attempt: Mapped[int] = mapped_column(default=1)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    http_status: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    ok: Mapped[bool] = mapped_column(default=False)

    notification: Mapped[Notification] = relationship(back_populates="deliveries")
