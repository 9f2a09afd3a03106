"""``/import`` and ``/export``: the whole configuration as one OTO document (docs/document.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, AppDep
from oto.api.models import ImportReportOut
from oto.api.problems import responses

router = APIRouter(tags=["documents"], dependencies=[NO_QUERY])

Document = Annotated[
    dict[str, Any] | list[Any],
    Body(description="An OTO document, or a bare list of parameters (the seed catalogs)"),
]


@router.post("/import", dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422))
async def import_document(app: AppDep, document: Document) -> ImportReportOut:
    """Import a document, all or nothing; importing it again changes nothing.

    Schedules it created or updated are then synced to Temporal. The import stands if Temporal
    cannot take them now: ``temporal`` then says so, and ``oto schedule sync`` finishes it.
    """
    report, temporal = await app.documents.import_one(document)
    out = ImportReportOut.model_validate(report.to_dict())
    out.temporal = temporal
    return out


@router.get(
    "/export", dependencies=[READ], response_class=Response,
    responses=responses(401, 403, ok_media_type="application/json"),
)
def export_document(app: AppDep) -> Response:
    """Everything in the catalog, in the canonical text `oto export` writes (secrets masked)."""
    text = app.documents.dumps(app.documents.export())
    return Response(text, media_type="application/json")
