"""``oto init``, ``oto import`` and ``oto export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oto.cli.common import JsonOption
from oto.cli.output import print_json, print_table, say, warn
from oto.errors import InvalidInput, OtoError
from oto.services import documents
from oto.services.database import get_database


def init(json: JsonOption = False) -> None:
    """Create or upgrade the database schema (runs the migrations)."""
    database = get_database()
    database.upgrade()
    revision = database.current_revision()
    if json:
        print_json({"database": database.safe_url, "revision": revision})
    else:
        say(f"database ready: {database.safe_url} (schema revision {revision})")


def import_(
    paths: Annotated[list[Path], typer.Argument(help="OTO documents or seed parameter lists (JSON).")],
    json: JsonOption = False,
) -> None:
    """Import OTO documents, all or nothing: on any error nothing is written."""
    loaded = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
        loaded.append((path, documents.loads(text, str(path))))
    with get_database().session() as db:
        reports = []
        for path, data in loaded:
            try:
                reports.append((path, documents.import_document(db, data)))
            except OtoError as error:
                raise error.within(str(path)) from None
    if any(r.counts["schedules"]["created"] or r.counts["schedules"]["updated"] for _, r in reports):
        _sync_schedules()
    if json:
        print_json({str(p): r.to_dict() for p, r in reports})
        return
    for path, report in reports:
        rows = [
            (kind, c["created"], c["updated"], c["unchanged"]) for kind, c in report.counts.items() if any(c.values())
        ]
        print_table(
            f"{path}: {report.created} created, {report.updated} updated",
            ["kind", "created", "updated", "unchanged"],
            rows,
        )


def _sync_schedules() -> None:
    """Give Temporal the schedules just imported; the import stands if it cannot take them now."""
    from oto.engine.client import run_sync  # Temporal's client loads slowly: only imports of schedules pay
    from oto.engine.schedules import sync_imported

    note = run_sync(sync_imported())
    if note is not None:
        warn(f"Warning: {note}")


def export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")] = None,
) -> None:
    """Export everything as one OTO document (secret values masked)."""
    with get_database().session() as db:
        text = documents.dumps(documents.export_document(db))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        say(f"exported to {output}")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("import")(import_)
    app.command("export")(export)
