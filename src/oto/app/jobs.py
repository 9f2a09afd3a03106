"""Jobs (commands with values, ready to run) and routines (named DAGs of job steps).

Apart from the rest of the catalog (``oto.app.catalog``): their services bring the run domain and
the secrets' cipher, which a verb over executables, parameters or commands does not load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oto.app.catalog import Resource
from oto.domain.documents import JobDoc, RoutineDoc, Value
from oto.services import jobs, listings, routines
from oto.services.listings import Page

if TYPE_CHECKING:
    from oto.services.deletions import Kind

__all__ = ["Jobs", "Routines"]


class Jobs(Resource):
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


class Routines(Resource):
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
