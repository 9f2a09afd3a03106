"""``/apikeys``: the same key management as `oto apikey`, for admins."""

from __future__ import annotations

from fastapi import APIRouter

from oto.api.auth import ADMIN
from oto.api.deps import NO_QUERY, AppDep, Name
from oto.api.models import KeyCreate, KeyOut, NewKeyOut
from oto.api.problems import responses

router = APIRouter(prefix="/apikeys", tags=["apikeys"], dependencies=[NO_QUERY])


@router.get("", dependencies=[ADMIN], responses=responses(401, 403))
def list_keys(app: AppDep) -> list[KeyOut]:
    return [KeyOut.model_validate(k.to_dict()) for k in app.api_keys.list_all()]


@router.post("", status_code=201, dependencies=[ADMIN], responses=responses(401, 403, 409, 422))
def create_key(app: AppDep, body: KeyCreate) -> NewKeyOut:
    """A new key, shown in this response only."""
    return NewKeyOut.model_validate(app.api_keys.create(body.name, body.scope).to_dict())


@router.post("/{name}/revoke", dependencies=[ADMIN], responses=responses(401, 403, 404, 422))
def revoke_key(app: AppDep, name: Name) -> KeyOut:
    return KeyOut.model_validate(app.api_keys.revoke(name).to_dict())
