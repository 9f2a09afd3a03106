"""``oto init``, ``oto import`` and ``oto export``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from oto.app.documents import Documents
from oto.cli.common import JsonOption, get_app, run
from oto.cli.output import print_json, print_table, say, warn
from oto.errors import InvalidInput


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
    with_secrets: Annotated[bool, typer.Option(
        "--with-secrets", help="Seal secret values for --to-key-file's key (to move them to that installation).")
    ] = False,
    to_key_file: Annotated[Path | None, typer.Option(
        "--to-key-file", help="The secret.key of the installation the export is for.")] = None,
) -> None:
    """Export everything as one OTO document (secret values masked, references as they are)."""
    if with_secrets != (to_key_file is not None):
        raise InvalidInput("--with-secrets and --to-key-file go together: secrets are exported sealed "
                           "for another installation's key, never in clear")
    documents = get_app().documents
    text = documents.dumps(documents.export(secrets_for=to_key_file))
    if output is None:
        typer.echo(text, nl=False)
    else:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as written:
            written.write(text)
        say(f"exported to {output}")


def doctor(json: JsonOption = False) -> None:
    """Check that everything a run needs is in place: the database, Temporal, workers, programs, the API."""
    checks = run(get_app().doctor())
    if json:
        print_json([{"check": c.what, "ok": c.ok, "detail": c.detail} for c in checks])
    else:
        for check in checks:
            say(f"{'ok  ' if check.ok else 'FAIL'}  {check.what}: {check.detail}")
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("import")(import_)
    app.command("export")(export)
    app.command("doctor")(doctor)
