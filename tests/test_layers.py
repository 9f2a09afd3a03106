"""The layers point one way: each package imports only from the layers above it.

Read from the source with ``ast``, so a lazy import inside a function counts as much as one at
the top. The interfaces (CLI, API, dashboard, and the web glue they share) reach the database
and Temporal only through the application layer, so none can write a schedule to one place and
not the other, or write a run's outcome that only a worker may write.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "oto"

# What each package may import from OTO (besides itself and the small shared modules).
SHARED = {"oto", "oto.errors", "oto.settings"}
ALLOWED: dict[str, set[str]] = {
    "fme": {"fme"},
    "domain": {"fme", "domain"},
    "services": {"fme", "domain", "services"},
    "engine": {"fme", "domain", "services", "engine"},
    "app": {"fme", "domain", "services", "engine", "app"},
    "cli": {"fme", "domain", "app", "cli", "api", "web", "dashboard"},
    "web": {"fme", "domain", "app", "web", "api", "dashboard"},
    "api": {"fme", "domain", "app", "api", "web"},
    "dashboard": {"fme", "domain", "app", "dashboard", "web"},
}


def imported(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, with its line: absolute names, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return sorted(found)


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "oto" and module not in SHARED else None


def breaches(package: str) -> list[str]:
    allowed = ALLOWED[package]
    found = []
    for path in sorted((SRC / package).rglob("*.py")):
        for line, module in imported(path):
            layer = layer_of(module)
            if layer is not None and (SRC / layer).is_dir() and layer not in allowed:
                found.append(f"{path.relative_to(SRC.parent)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("package", sorted(p for p in ALLOWED if (SRC / p).is_dir()))
def test_each_layer_imports_only_the_layers_above_it(package: str) -> None:
    assert breaches(package) == []


def test_the_check_sees_a_breach(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test above can fail: an interface that reaches for the engine or a service is caught."""
    fake = tmp_path / "oto"
    for layer in ALLOWED:
        (fake / layer).mkdir(parents=True)
    (fake / "cli" / "sneaky.py").write_text("def f():\n    from oto.engine.schedules import put\n"
                                             "from oto.services import jobs\n")
    (fake / "api" / "also.py").write_text("from oto.dashboard import session\nfrom ..services import runs\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake)
    assert breaches("cli") == ["oto/cli/sneaky.py:2 imports oto.engine.schedules",
                               "oto/cli/sneaky.py:2 imports oto.engine.schedules.put",
                               "oto/cli/sneaky.py:3 imports oto.services",
                               "oto/cli/sneaky.py:3 imports oto.services.jobs"]
    assert [b.split(" imports ")[1] for b in breaches("api")] == [
        "oto.dashboard", "oto.dashboard.session", "oto.services", "oto.services.runs"]


STDLIB_ONLY = ["domain/runs.py"]


@pytest.mark.parametrize("module", STDLIB_ONLY)
def test_what_workflows_import_is_stdlib_only(module: str) -> None:
    """Workflow code must be deterministic: the run contract imports nothing but the standard library."""
    outside = [name for _, name in imported(SRC / module)
               if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "__future__"]
    assert outside == []
