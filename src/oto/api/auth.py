"""API keys on every route but ``/health``: ``Authorization: Bearer <key>``, checked against a scope.

The dashboard's pages call the API with their session cookie instead (``oto.web.auth``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from oto.api.deps import AppDep
from oto.app.keys import KeyInfo
from oto.web import auth

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An OTO API key (`oto apikey create NAME --scope read|run|admin`), sent as a bearer token.",
)


def _authenticate(needed: str) -> Any:
    # async: a key found valid a moment ago costs no trip through the thread pool (auth.identify)
    async def dependency(
        request: Request, app: AppDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> KeyInfo:
        info = await auth.identify(app, request, credentials.credentials if credentials is not None else None)
        auth.require(info, needed)
        return info

    dependency.__name__ = f"require_{needed}"
    return dependency


# Reading the catalog and runs, and asking the engine for a verdict.
READ = Depends(_authenticate("read"))
# Starting and cancelling runs.
RUN = Depends(_authenticate("run"))
# Changing the catalog, schedules and keys.
ADMIN = Depends(_authenticate("admin"))
# A route that needs scope run and the key itself (its name marks the runs it starts).
RunKey = Annotated[KeyInfo, RUN]
# Ad-hoc runs choose any flags and values of an executable: as much power as defining a job.
AdminKey = Annotated[KeyInfo, ADMIN]
