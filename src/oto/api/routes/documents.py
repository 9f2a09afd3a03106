"""``/import`` and ``/export``: the whole configuration as one OTO document (docs/document.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from temporalio.client import Client

from oto.api.auth import ADMIN, READ
from oto.api.deps import DatabaseDep
from oto.api.models import ImportReportOut
from oto.api.problems import responses
from oto.api.temporal import connect_of
from oto.engine import schedules as engine_schedules
from oto.services import documents
from oto.services.database import Database

router = APIRouter(tags=["documents"])

Document = Annotated[
    dict[str, Any] | list[Any],
    Body(description="An OTO document, or a bare list of parameters (the seed catalogs)"),
]


def _import(database: Database, document: dict[str, Any] | list[Any]) -> documents.ImportReport:
    with database.session() as db:
        return documents.import_document(db, document)


@router.post("/import", dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422))
async def import_document(request: Request, database: DatabaseDep, document: Document) -> ImportReportOut:
    """Import a document, all or nothing; importing it again changes nothing.

    Schedules it created or updated are then synced to Temporal. The import stands if Temporal
    cannot take them now: ``temporal`` then says so, and ``oto schedule sync`` finishes it.
    """
    report = await run_in_threadpool(_import, database, document)
    out = ImportReportOut.model_validate(report.to_dict())
    if engine_schedules.wrote_schedules(report.counts):

        async def connect() -> Client:
            return await connect_of(request)

        out.temporal = await engine_schedules.sync_imported(database=database, connector=connect)
    return out


@router.get(
    "/export", dependencies=[READ], response_class=Response,
    responses=responses(401, 403, ok_media_type="application/json"),
)
def export_document(database: DatabaseDep) -> Response:
    """Everything in the catalog, in the canonical text `oto export` writes (secrets masked)."""
    with database.session() as db:
        text = documents.dumps(documents.export_document(db))
    return Response(text, media_type="application/json")
