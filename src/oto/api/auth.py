"""API keys on every route but ``/health``: ``Authorization: Bearer <key>``, checked against a scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from oto.api.deps import database_of
from oto.services import apikeys
from oto.services.apikeys import KeyInfo, Unauthorized

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An OTO API key (`oto apikey create NAME --scope read|run|admin`), sent as a bearer token.",
)


def _authenticate(needed: str) -> Any:
    def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
    ) -> KeyInfo:
        if credentials is None:
            raise Unauthorized("this needs an API key: send the header Authorization: Bearer <key>")
        with database_of(request).session() as db:
            info = apikeys.authenticate(db, credentials.credentials)
        apikeys.require(info, needed)
        return info

    dependency.__name__ = f"require_{needed}"
    return dependency


# Reading the catalog and runs, and asking the engine for a verdict.
READ = Depends(_authenticate("read"))
# Starting and cancelling runs.
RUN = Depends(_authenticate("run"))
# Changing the catalog, schedules and keys.
ADMIN = Depends(_authenticate("admin"))
