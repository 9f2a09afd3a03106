"""The catalog: executables, parameters, commands, jobs and routines, and their flag matching schemas.

Reads and writes go to the services in a unit of work each; deletes go through
``Schedules.delete_with`` because a cascade may take schedules along, and their Temporal copies
must go with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oto.domain.documents import CommandDoc, ExecutableDoc, JobDoc, ParameterDoc, RoutineDoc, Value
from oto.services import (
    command_bundles,
    commands,
    executables,
    jobs,
    listings,
    parameters,
    routines,
    schemas,
)
from oto.services.commands import Verdict
from oto.services.deletions import Kind
from oto.services.listings import MAX_LIMIT, MAX_OFFSET, Page

if TYPE_CHECKING:
    from oto.app.application import App

__all__ = ["MAX_LIMIT", "MAX_OFFSET", "Commands", "Executables", "Jobs", "Page", "Parameters", "Routines", "Schemas"]


class _Resource:
    kind: Kind

    def __init__(self, app: App) -> None:
        self.app = app
        self.database = app.database

    async def _delete(self, *key: str, cascade: bool) -> list[str]:
        """Delete (with ``cascade``, what uses it too); returns the schedules that went along."""
        return await self.app.schedules.delete_with(self.kind, *key, cascade=cascade)


class Executables(_Resource):
    kind: Kind = "executable"

    def add(self, data: ExecutableDoc | dict[str, Any]) -> ExecutableDoc:
        return self.database.call(executables.add, data)

    def get(self, tag: str) -> ExecutableDoc:
        return self.database.call(executables.get, tag)

    def list_all(self) -> list[ExecutableDoc]:
        return self.database.call(executables.list_all)

    def page(self, *, offset: int = 0, limit: int = 100) -> Page[ExecutableDoc]:
        return self.database.call(listings.executable_page, offset=offset, limit=limit)

    def update(self, tag: str, changes: dict[str, Any]) -> ExecutableDoc:
        return self.database.call(executables.update, tag, changes)

    async def delete(self, tag: str, *, cascade: bool = False) -> list[str]:
        return await self._delete(tag, cascade=cascade)


class Parameters(_Resource):
    kind: Kind = "parameter"

    def add(self, data: ParameterDoc | dict[str, Any]) -> ParameterDoc:
        return self.database.call(parameters.add, data)

    def get(self, tag: str, flag: str) -> ParameterDoc:
        return self.database.call(parameters.get, tag, flag)

    def list_all(self, tag: str) -> list[ParameterDoc]:
        return self.database.call(parameters.list_all, tag)

    def page(self, tag: str, *, offset: int = 0, limit: int = 100) -> Page[ParameterDoc]:
        return self.database.call(listings.parameter_page, tag, offset=offset, limit=limit)

    def update(self, tag: str, flag: str, changes: dict[str, Any]) -> ParameterDoc:
        return self.database.call(parameters.update, tag, flag, changes)

    async def delete(self, tag: str, flag: str, *, cascade: bool = False) -> list[str]:
        return await self._delete(tag, flag, cascade=cascade)


class Commands(_Resource):
    kind: Kind = "command"

    def check(self, tag: str, flags: list[str]) -> Verdict:
        """The flag matching engine's verdict on ``flags`` of executable ``tag`` (nothing is saved)."""
        return self.database.call(commands.check, tag, flags)

    def add(self, data: CommandDoc | dict[str, Any]) -> CommandDoc:
        return self.database.call(commands.add, data)

    def add_with(self, command: CommandDoc | dict[str, Any], *,
                 executable: ExecutableDoc | dict[str, Any] | None = None,
                 new_parameters: list[ParameterDoc | dict[str, Any]] | None = None) -> CommandDoc:
        """Add a command, registering its executable and new parameters first, all or nothing."""
        return self.database.call(command_bundles.add, command, executable=executable,
                                  new_parameters=new_parameters)

    def get(self, name: str) -> CommandDoc:
        return self.database.call(commands.get, name)

    def list_all(self, executable_tag: str | None = None) -> list[CommandDoc]:
        return self.database.call(commands.list_all, executable_tag)

    def page(self, *, executable_tag: str | None = None, offset: int = 0, limit: int = 100) -> Page[CommandDoc]:
        return self.database.call(listings.command_page, executable_tag=executable_tag, offset=offset, limit=limit)

    def update(self, name: str, changes: dict[str, Any]) -> CommandDoc:
        return self.database.call(commands.update, name, changes)

    async def delete(self, name: str, *, cascade: bool = False) -> list[str]:
        return await self._delete(name, cascade=cascade)


class Jobs(_Resource):
    kind: Kind = "job"

    def add(self, data: JobDoc | dict[str, Any]) -> JobDoc:
        return self.database.call(jobs.add, data)

    def get(self, name: str) -> JobDoc:
        return self.database.call(jobs.get, name)

    def list_all(self, command: str | None = None) -> list[JobDoc]:
        return self.database.call(jobs.list_all, command)

    def page(self, *, command: str | None = None, offset: int = 0, limit: int = 100) -> Page[JobDoc]:
        return self.database.call(listings.job_page, command=command, offset=offset, limit=limit)

    def page_documents(self, *, command: str | None = None, offset: int = 0,
                       limit: int = 100) -> Page[dict[str, Any]]:
        """``page`` with each job as its document's JSON data, for the API to send as it is."""
        return self.database.call(listings.job_documents, command=command, offset=offset, limit=limit)

    def update(self, name: str, changes: dict[str, Any]) -> JobDoc:
        return self.database.call(jobs.update, name, changes)

    def argv_warning(self, name: str) -> str:
        """A warning when the job's secrets go as argv items (readable in ``ps``); "" when none does."""
        return jobs.argv_warning(self.database.call(jobs.secrets_on_argv, name))

    def argv(self, name: str) -> list[str]:
        """The exact argv the job would run, secret values masked."""
        return self.database.call(jobs.argv, name)

    def preview(self, command: str, values: dict[str, Value], inputs: dict[str, Value] | None = None) -> list[str]:
        """The argv a job of these values (and inputs: flag -> default) would run, secret values masked;
        nothing is saved."""
        return self.database.call(jobs.preview_argv, command, values, inputs)

    async def delete(self, name: str, *, cascade: bool = False) -> list[str]:
        return await self._delete(name, cascade=cascade)


class Routines(_Resource):
    kind: Kind = "routine"

    def add(self, data: RoutineDoc | dict[str, Any]) -> RoutineDoc:
        return self.database.call(routines.add, data)

    def get(self, name: str) -> RoutineDoc:
        return self.database.call(routines.get, name)

    def list_all(self) -> list[RoutineDoc]:
        return self.database.call(routines.list_all)

    def page(self, *, job: str | None = None, offset: int = 0, limit: int = 100) -> Page[RoutineDoc]:
        return self.database.call(listings.routine_page, job=job, offset=offset, limit=limit)

    def update(self, name: str, changes: dict[str, Any]) -> RoutineDoc:
        return self.database.call(routines.update, name, changes)

    async def delete(self, name: str, *, cascade: bool = False) -> list[str]:
        return await self._delete(name, cascade=cascade)


class Schemas:
    """The flag matching schema of a stored executable: its problems, and its rules as a picture."""

    GRAPH_FORMATS = schemas.GRAPH_FORMATS

    def __init__(self, app: App) -> None:
        self.database = app.database

    def problems(self, tag: str) -> list[dict[str, Any]]:
        return self.database.call(schemas.problems, tag)

    def graph(self, tag: str, fmt: str = "dot") -> str:
        return self.database.call(schemas.graph, tag, fmt)
