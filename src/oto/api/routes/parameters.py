"""``/executables/{tag}/parameters``: an executable's flags and their rules."""

from __future__ import annotations

from fastapi import APIRouter, Response

from oto.api.auth import ADMIN, READ
from oto.api.deps import NO_QUERY, AppDep, DeleteOptions, Flag, PagingQuery, Tag
from oto.api.models import NewParameter, Page, ParameterChanges, changes
from oto.api.problems import responses
from oto.domain.documents import ParameterDoc
from oto.errors import InvalidInput

router = APIRouter(prefix="/executables/{tag}/parameters", tags=["parameters"])


@router.get("", dependencies=[READ], responses=responses(401, 403, 404, 422))
def list_parameters(app: AppDep, tag: Tag, query: PagingQuery) -> Page[ParameterDoc]:
    page = app.parameters.page(tag, offset=query.offset, limit=query.limit)
    return Page(items=page.items, total=page.total, offset=query.offset, limit=query.limit)


@router.post("", status_code=201, dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 409, 422))
def create_parameter(app: AppDep, tag: Tag, body: NewParameter) -> ParameterDoc:
    """Add a flag; refused (422, with the engine's problems) when it would make the rules inconsistent."""
    if body.executable_tag not in (None, tag):
        raise InvalidInput(f"executable_tag {body.executable_tag!r} does not match the URL's executable {tag!r}")
    return app.parameters.add(body.model_dump() | {"executable_tag": tag})


@router.get("/{flag}", dependencies=[READ, NO_QUERY], responses=responses(401, 403, 404, 422))
def get_parameter(app: AppDep, tag: Tag, flag: Flag) -> ParameterDoc:
    return app.parameters.get(tag, flag)


@router.patch("/{flag}", dependencies=[ADMIN, NO_QUERY], responses=responses(401, 403, 404, 422))
def update_parameter(app: AppDep, tag: Tag, flag: Flag, body: ParameterChanges) -> ParameterDoc:
    """Change a flag's settings or rules; refused when a saved command or job would break."""
    return app.parameters.update(tag, flag, changes(body))


@router.delete("/{flag}", status_code=204, dependencies=[ADMIN], responses=responses(401, 403, 404, 409, 422, 503))
async def delete_parameter(app: AppDep, tag: Tag, flag: Flag,
                           options: DeleteOptions) -> Response:
    """Delete a flag; 409 while commands or other flags' rules use it, unless ``cascade`` (schedules it
    takes along are deleted on Temporal too: 503 without Temporal)."""
    await app.parameters.delete(tag, flag, cascade=options.cascade)
    return Response(status_code=204)
