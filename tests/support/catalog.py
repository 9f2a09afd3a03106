"""Small builders the service tests share."""

from __future__ import annotations

from typing import Any

from oto.services import documents
from oto.services.database import Database

OPENSSL = {"name": "openssl", "version": "3.5.3", "path": "/usr/bin/openssl", "task_queue": "oto"}
TAG = "openssl - 3.5.3"


def param(flag: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"flag": flag, "executable_tag": fields.pop("tag", TAG)}
    if "value_type" not in fields:
        fields["value_type"] = "bool"
    data.update(fields)
    return data


def load(database: Database, document: dict[str, Any] | list[Any]) -> documents.ImportReport:
    with database.session() as db:
        return documents.import_document(db, document)


def snapshot(database: Database) -> str:
    """The whole catalog as text: equal snapshots mean nothing was written."""
    with database.session() as db:
        return documents.dumps(documents.export_document(db))


def genrsa_document() -> dict[str, Any]:
    return {
        "oto": 1,
        "executables": [OPENSSL],
        "parameters": [
            param("genpkey", position=0),
            param("-algorithm", value_type="string", before=["-pkeyopt"]),
            param("-pkeyopt", value_type="string", require_ids=["-algorithm"]),
            param("-out", value_type="path"),
            param("-pass", value_type="string", secret=True),
            param("-bits", value_type="int"),
        ],
        "commands": [
            {"name": "GenRSA", "executable_tag": TAG, "parameters": ["genpkey", "-algorithm", "-pkeyopt", "-out"]},
        ],
        "jobs": [
            {
                "name": "GenRSA-2048",
                "command": "GenRSA",
                "values": {"genpkey": "", "-algorithm": "RSA", "-pkeyopt": "rsa_keygen_bits:2048", "-out": "key.pem"},
            },
        ],
    }
