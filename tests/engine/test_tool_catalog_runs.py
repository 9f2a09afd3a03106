"""Tools added from the catalog run through Temporal with the argv their converted rules give."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from oto.services import tool_catalog
from tests.support.engine import Engine


def add(engine: Engine, tool: str, commands: list[dict[str, Any]], jobs: list[dict[str, Any]]) -> None:
    path = shutil.which(tool)
    assert path, f"{tool} is not installed here"
    doc = tool_catalog.document(tool, path=path, version="fig", task_queue=engine.queue)
    engine.load({"executables": doc["executables"], "parameters": doc["parameters"], "commands": commands,
                 "jobs": jobs})


async def test_tar_create_then_list(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    archive = str(tmp_path / "notes.tar.gz")
    add(engine, "tar", [
        {"name": "pack", "executable_tag": "tar --create - fig",
         "parameters": ["--create", "--directory", "--gzip", "--file", "FILE"]},
        {"name": "list", "executable_tag": "tar --list - fig", "parameters": ["--list", "--gzip", "--file"]},
    ], [
        {"name": "pack", "command": "pack",
         "values": {"--create": "", "--directory": str(tmp_path), "--gzip": "", "--file": archive,
                    "FILE": ["notes.txt"]}},
        {"name": "list", "command": "list", "values": {"--list": "", "--gzip": "", "--file": archive}},
    ])
    packed = await engine.run_job("pack")
    assert packed["status"] == "succeeded", packed
    assert packed["argv"] == [shutil.which("tar"), "--create", "--directory", str(tmp_path), "--gzip", "--file",
                              archive, "notes.txt"]
    listed = await engine.run_job("list")
    assert (listed["status"], listed["stdout"]) == ("succeeded", "notes.txt\n")


async def test_ls_one_per_line(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "listed"
    folder.mkdir()
    (folder / "b").write_text("")
    (folder / "a").write_text("")
    add(engine, "ls", [{"name": "ls", "executable_tag": "ls - fig", "parameters": ["-1", "PATH"]}],
        [{"name": "ls", "command": "ls", "values": {"-1": "", "PATH": [str(folder)]}}])
    run = await engine.run_job("ls")
    assert (run["status"], run["stdout"]) == ("succeeded", "a\nb\n")


async def test_curl_version(engine: Engine) -> None:
    add(engine, "curl", [{"name": "curl-version", "executable_tag": "curl - fig", "parameters": ["--version"]}],
        [{"name": "curl-version", "command": "curl-version", "values": {"--version": ""}}])
    run = await engine.run_job("curl-version")
    assert run["status"] == "succeeded" and run["stdout"].startswith("curl ")
    assert run["argv"] == [shutil.which("curl"), "--version"]
