"""``oto init``, ``oto import`` and ``oto export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oto.app.documents import Documents
from oto.cli.common import JsonOption, get_app, run
from oto.cli.output import print_json, print_table, say, warn


def init(json: JsonOption = False) -> None:
    """Create or upgrade the database schema (runs the migrations)."""
    app = get_app()
    revision = app.init()
    if json:
        print_json({"database": app.database_url, "revision": revision})
    else:
        say(f"database ready: {app.database_url} (schema revision {revision})")


def import_(
    paths: Annotated[list[Path], typer.Argument(help="OTO documents or seed parameter lists (JSON).")],
    json: JsonOption = False,
) -> None:
    """Import OTO documents, all or nothing: on any error nothing is written."""
    loaded = [(path, Documents.read(path)) for path in paths]
    imported = run(get_app().documents.import_many([(str(path), data) for path, data in loaded]))
    if imported.temporal is not None:
        warn(f"Warning: {imported.temporal}")
    reports = imported.reports
    if json:
        print_json({str(p): r.to_dict() for p, r in reports})
        return
    for source, report in reports:
        rows = [
            (kind, c["created"], c["updated"], c["unchanged"]) for kind, c in report.counts.items() if any(c.values())
        ]
        print_table(
            f"{source}: {report.created} created, {report.updated} updated",
            ["kind", "created", "updated", "unchanged"],
            rows,
        )


def export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")] = None,
) -> None:
    """Export everything as one OTO document (secret values masked)."""
    documents = get_app().documents
    text = documents.dumps(documents.export())
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        say(f"exported to {output}")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("import")(import_)
    app.command("export")(export)
