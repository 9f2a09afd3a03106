"""``/valuetypes``: the value types a parameter can take, for forms and clients."""

from __future__ import annotations

from fastapi import APIRouter

from oto.api.auth import READ
from oto.api.deps import NO_QUERY
from oto.api.models import ValueTypeOut
from oto.api.problems import responses
from oto.domain.valuetypes import DESCRIPTIONS, VALUE_TYPES

router = APIRouter(tags=["catalog"], dependencies=[NO_QUERY])


@router.get("/valuetypes", dependencies=[READ], responses=responses(401, 403))
def value_types() -> list[ValueTypeOut]:
    return [
        ValueTypeOut(name=name, description=DESCRIPTIONS[name].description, example=DESCRIPTIONS[name].example)
        for name in VALUE_TYPES
    ]
