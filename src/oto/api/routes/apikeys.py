"""``/apikeys``: the same key management as `oto apikey`, for admins."""

from __future__ import annotations

from fastapi import APIRouter

from oto.api.auth import ADMIN
from oto.api.deps import NO_QUERY, DatabaseDep, Name
from oto.api.models import KeyCreate, KeyOut, NewKeyOut
from oto.api.problems import responses
from oto.services import apikeys

router = APIRouter(prefix="/apikeys", tags=["apikeys"], dependencies=[NO_QUERY])


@router.get("", dependencies=[ADMIN], responses=responses(401, 403))
def list_keys(database: DatabaseDep) -> list[KeyOut]:
    with database.session() as db:
        return [KeyOut.model_validate(k.to_dict()) for k in apikeys.list_all(db)]


@router.post("", status_code=201, dependencies=[ADMIN], responses=responses(401, 403, 409, 422))
def create_key(database: DatabaseDep, body: KeyCreate) -> NewKeyOut:
    """A new key, shown in this response only."""
    with database.session() as db:
        return NewKeyOut.model_validate(apikeys.create(db, body.name, body.scope).to_dict())


@router.post("/{name}/revoke", dependencies=[ADMIN], responses=responses(401, 403, 404, 422))
def revoke_key(database: DatabaseDep, name: Name) -> KeyOut:
    with database.session() as db:
        return KeyOut.model_validate(apikeys.revoke(db, name).to_dict())
