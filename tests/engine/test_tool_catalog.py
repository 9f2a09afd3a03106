"""Tools added from the shipped catalog run through Temporal with the argv their specs give."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.skipif(not all(shutil.which(p) for p in ("tar", "ls", "curl")),
                                reason="tar, ls and curl are not all installed")


async def test_tar_ls_and_curl_from_the_catalog_run_for_real(engine: Engine, tmp_path: Path) -> None:
    added = await engine.app.tool_catalog.add(["tar", "ls", "curl"], task_queue=engine.queue)
    versions = {a.tool.name: a.version for a in added}
    assert all(v != "fig" for v in versions.values()), versions
    source = tmp_path / "source"
    source.mkdir()
    (source / "hello.txt").write_text("hello\n")
    tar, ls, curl = (f"{name} - {versions[name]}" for name in ("tar", "ls", "curl"))
    engine.load({
        "commands": [
            {"name": "Pack", "executable_tag": tar.replace("tar", "tar --create", 1),
             "parameters": ["--create", "--gzip", "--file", "--directory", "FILE"]},
            {"name": "List", "executable_tag": ls, "parameters": ["-1", "PATH"]},
            {"name": "CurlVersion", "executable_tag": curl, "parameters": ["--version"]},
        ],
        "jobs": [
            {"name": "pack", "command": "Pack", "values": {"--create": "", "--gzip": "", "--file": "out.tgz",
                                                           "--directory": str(source), "FILE": ["hello.txt"]}},
            {"name": "list", "command": "List", "values": {"-1": "", "PATH": [str(source)]}},
            {"name": "curl-version", "command": "CurlVersion", "values": {"--version": ""}},
        ],
    })
    packed = await engine.run_job("pack")
    assert packed["status"] == "succeeded", packed
    assert packed["argv"] == [shutil.which("tar"), "--create", "--gzip", "--file", "out.tgz", "--directory",
                              str(source), "hello.txt"]
    with tarfile.open(Path(packed["workdir"]) / "out.tgz") as archive:
        assert archive.getnames() == ["hello.txt"]
    listed = await engine.run_job("list")
    assert listed["status"] == "succeeded" and listed["stdout"] == "hello.txt\n"
    assert listed["argv"][1:] == ["-1", str(source)]
    version = await engine.run_job("curl-version")
    assert version["status"] == "succeeded" and version["stdout"].startswith("curl ")
    assert versions["curl"] in version["stdout"]

