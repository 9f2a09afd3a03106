"""The errors every layer speaks: each maps to one CLI exit status and one HTTP status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class OtoError(Exception):
    """Base of every error OTO shows to a user; ``str()`` is one sentence."""

    exit_code = 2
    http_status = 422
    title = "Invalid input"

    def __init__(self, message: str, *, details: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)

    def __str__(self) -> str:
        return self.message

    def within(self, where: str) -> OtoError:
        """The same error, saying where it happened."""
        return type(self)(f"{where}: {self.message}", details=self.details)


class InvalidInput(OtoError):
    """The user gave something OTO cannot accept; nothing was written."""


class NotFound(OtoError):
    http_status = 404
    title = "Not found"


class AlreadyExists(OtoError):
    http_status = 409
    title = "Already exists"


class InUse(OtoError):
    """A delete refused because other things still use the target (``details`` lists them)."""

    http_status = 409
    title = "Still in use"


class Refused(OtoError):
    """The flag matching engine refused a command or a schema; ``details`` holds its violations."""

    exit_code = 1
    http_status = 422
    title = "Refused by the flag matching engine"


class SchemaOutdated(OtoError):
    exit_code = 2
    http_status = 503
    title = "Database schema out of date"


class Unavailable(OtoError):
    """A service OTO depends on (database, Temporal) does not answer."""

    exit_code = 1
    http_status = 503
    title = "Service unavailable"
