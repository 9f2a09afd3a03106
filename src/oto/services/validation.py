"""Turning pydantic's validation errors into OTO's one-sentence InvalidInput."""

from __future__ import annotations

from pydantic import ValidationError

from oto.errors import InvalidInput


def describe(error: ValidationError) -> str:
    """The first problem of a validation error, as ``field: reason``."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if first.get("type") == "extra_forbidden":
        message = "is not a known field"
    elif first.get("type") == "missing":
        message = "is missing"
    return f"{location}: {message}" if location else message


def invalid(where: str, error: ValidationError | str) -> InvalidInput:
    text = describe(error) if isinstance(error, ValidationError) else error
    return InvalidInput(f"{where}: {text}" if where else text)
