"""The OTO document: import (all or nothing, then its schedules to Temporal) and export.

An import's schedules are written to the database with the rest of the catalog in one
transaction; Temporal is then told by a sync. The import stands if Temporal cannot take them
now: the report says so, and ``oto schedule sync`` (run by every worker at start) finishes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from oto.app.schedules import wrote_schedules
from oto.errors import InvalidInput, OtoError, Refused
from oto.services import documents, secrets
from oto.services.documents import ImportReport
from oto.settings import get_settings

if TYPE_CHECKING:
    from oto.app.application import App

__all__ = ["Documents", "ImportReport", "Imported"]


@dataclass
class Imported:
    """What an import did: a report per document (in the order given), and what Temporal did not take."""

    reports: list[tuple[str, ImportReport]]
    temporal: str | None = None


class Documents:
    """Whole configurations as one JSON document."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.database = app.database

    @staticmethod
    def loads(text: str, source: str = "document") -> Any:
        """Parse a document's text, or InvalidInput naming ``source`` and where it broke."""
        return documents.loads(text, source)

    @staticmethod
    def read(path: Path) -> Any:
        """Read and parse a document file, at most OTO_MAX_IMPORT bytes of it (``/dev/zero`` ends too)."""
        limit = get_settings().max_import
        try:
            with path.open("rb") as file:
                data = file.read(limit + 1)
        except OSError as error:
            raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
        return documents.decode(data, str(path), limit)

    @staticmethod
    def dumps(document: dict[str, Any]) -> str:
        """The canonical text of a document: sorted keys, two-space indent, one trailing newline."""
        return documents.dumps(document)

    @staticmethod
    def normalize(data: Any) -> dict[str, Any]:
        """A document as a dict; a bare list is the seed's list of parameters."""
        return documents.normalize(data)

    def export(self, *, secrets_for: Path | None = None) -> dict[str, Any]:
        """Everything in the catalog: secret values masked, or with ``secrets_for`` (another
        installation's key file) sealed for that key, to move them there; never in clear."""
        if secrets_for is None:
            return self.database.call(documents.export_document)
        try:
            return self.database.call(documents.export_document, seal_for=secrets.read_key_file(secrets_for))
        except secrets.SecretError as error:
            raise Refused(str(error)) from None

    async def import_many(self, named: Sequence[tuple[str, Any]]) -> Imported:
        """Import documents in one transaction (all or nothing; errors name the document), then sync
        the schedules they wrote to Temporal."""

        def write(db: Session) -> list[tuple[str, ImportReport]]:
            reports = []
            for source, data in named:
                try:
                    reports.append((source, documents.import_document(db, data)))
                except OtoError as error:
                    raise error.within(source) from None
            return reports

        reports = await self.database.run(write)
        imported = Imported(reports)
        if any(wrote_schedules(report.counts) for _, report in reports):
            imported.temporal = await self.app.schedules.sync_imported()
        return imported

    async def import_one(self, data: Any) -> tuple[ImportReport, str | None]:
        """Import one document; returns its report and what Temporal did not take (None: all of it)."""
        report = await self.database.run(documents.import_document, data)
        temporal = await self.app.schedules.sync_imported() if wrote_schedules(report.counts) else None
        return report, temporal
