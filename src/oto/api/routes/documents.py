"""``/import`` and ``/export``: the whole configuration as one OTO document (spec/document.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import DatabaseDep
from oto.api.models import ImportReportOut
from oto.api.problems import responses
from oto.services import documents

router = APIRouter(tags=["documents"])

Document = Annotated[
    dict[str, Any] | list[Any],
    Body(description="An OTO document, or a bare list of parameters (the seed catalogs)"),
]


@router.post("/import", dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422))
def import_document(database: DatabaseDep, document: Document) -> ImportReportOut:
    """Import a document, all or nothing; importing it again changes nothing."""
    with database.session() as db:
        report = documents.import_document(db, document)
    return ImportReportOut.model_validate(report.to_dict())


@router.get(
    "/export", dependencies=[READ], response_class=Response,
    responses=responses(401, 403, ok_media_type="application/json"),
)
def export_document(database: DatabaseDep) -> Response:
    """Everything in the catalog, in the canonical text `oto export` writes (secrets masked)."""
    with database.session() as db:
        text = documents.dumps(documents.export_document(db))
    return Response(text, media_type="application/json")
