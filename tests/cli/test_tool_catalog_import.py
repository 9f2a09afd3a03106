"""The whole shipped tool catalog in one ``oto import`` document: all of it, or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oto.services import tool_catalog
from tests.support.cli import Oto


def whole_catalog(*, with_refused: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {"oto": 1, "executables": [], "parameters": []}
    for tool in tool_catalog.tools():
        if tool.problems and not with_refused:
            continue
        part = tool_catalog.document(tool.name, path=f"/usr/bin/{tool.program}", version="fig")
        doc["executables"] += part["executables"]
        doc["parameters"] += part["parameters"]
    return doc


def test_the_whole_catalog_imports_in_one_document_all_or_nothing(initialized: Oto, tmp_path: Path) -> None:
    refused = tmp_path / "with-refused.json"
    refused.write_text(json.dumps(whole_catalog(with_refused=True)))
    result = initialized("import", str(refused))
    assert result.code == 1  # refused by the flag matching engine
    assert "the rules of id - fig would be inconsistent: -n requires one of -G, -g, -u" in result.err
    assert json.loads(initialized("export").out)["executables"] == []  # nothing written

    every = [t for t in tool_catalog.tools() if not t.problems]
    good = tmp_path / "catalog.json"
    good.write_text(json.dumps(whole_catalog(with_refused=False)))
    result = initialized("import", "--json", str(good))
    assert result.code == 0, result.err
    kinds = json.loads(result.out)[str(good)]["kinds"]
    assert kinds["executables"]["created"] == sum(t.executables for t in every)
    assert kinds["parameters"]["created"] == sum(t.parameters for t in every)
