"""Secrets on a real worker: delivered outside argv, sealed at rest, absent from Temporal and from output."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import text

from oto.engine.process import stream_files
from oto.services import secrets
from tests.support import POSTGRES_URL, processes_in, until
from tests.support.engine import Engine, status

SECRET = "Sesame-7f3a91c2-OPEN"
REFERENCED = "Referenced-b81d02e9-VALUE"

# The program: reads its secret from the variable named by -env and from the file named by -file,
# prints both and their base64, and waits for a sign before it ends (so the test can look at it).
PROGRAM = """
import base64, os, sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
by_env = os.environ[args["-env"]]
by_file = open(args["-file"]).read()
print(by_env, base64.b64encode(by_env.encode()).decode(), by_file, flush=True)
print("file at", args["-file"], file=sys.stderr, flush=True)
while not os.path.exists("go"):
    time.sleep(0.05)
"""


def _secret_job(engine: Engine, value: str = SECRET, *, file_value: str | None = None) -> None:
    tag = "reader - 1"
    engine.load({
        "executables": [{"name": "reader", "version": "1", "path": sys.executable, "task_queue": engine.queue}],
        "parameters": [
            {"flag": "-c", "executable_tag": tag, "value_type": "string"},
            {"flag": "-env", "executable_tag": tag, "value_type": "string", "secret": True, "delivery": "env"},
            {"flag": "-file", "executable_tag": tag, "value_type": "string", "secret": True, "delivery": "file"},
        ],
        "commands": [{"name": "reader", "executable_tag": tag, "parameters": ["-c", "-env", "-file"]}],
        "jobs": [{"name": "reader", "command": "reader",
                  "values": {"-c": PROGRAM, "-env": value, "-file": file_value or value}}],
    })


def _database_text(engine: Engine) -> bytes:
    """Every byte the database holds: the SQLite file itself, or a pg_dump of the test's schema."""
    url = engine.database.engine.url
    if url.get_backend_name() == "sqlite":
        folder = Path(str(url.database)).parent
        return b"".join(p.read_bytes() for p in folder.glob(Path(str(url.database)).name + "*"))
    with engine.database.session() as db:
        schema = db.execute(text("SELECT current_schema()")).scalar_one()
    plain = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(["pg_dump", "--schema", schema, "--data-only", plain], check=True,
                          capture_output=True).stdout


async def test_a_secret_by_env_and_by_file_is_in_no_cmdline_and_leaves_no_trace(any_engine: Engine) -> None:
    engine = any_engine
    _secret_job(engine)
    run_id = await engine.submit_job("reader")
    await until(lambda: status(engine, run_id) == "running")
    folder = engine.home / "runs" / run_id
    await until(lambda: processes_in(folder) != [])
    secret_files = list((folder / ".oto").glob("*.secret*"))
    assert len(secret_files) == 1 and secret_files[0].stat().st_mode & 0o777 == 0o600
    holders = []
    for pid in processes_in(folder):
        assert SECRET.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
        if SECRET.encode() in Path(f"/proc/{pid}/environ").read_bytes():
            holders.append(pid)
    assert len(holders) == 1  # the program's own environment, nothing else
    cmdline = Path(f"/proc/{holders[0]}/cmdline").read_bytes().split(b"\0")
    assert b"OTO_SECRET_ENV" in cmdline and str(secret_files[0]).encode() in cmdline
    stream = stream_files(folder, run_id)[0]  # outside the run folder, out of the program's reach
    await until(lambda: stream.read_text() != "")  # live, though masked on its way
    assert stream.read_text() == "*** *** ***\n"
    followed: list[str] = []

    async def follow() -> None:
        async for event in engine.app.runs.follow(run_id):
            followed.append(json.dumps(event.data))

    following = asyncio.ensure_future(follow())
    await until(lambda: any("***" in f for f in followed))
    (folder / "go").write_text("")
    run = await engine.wait(run_id)
    await asyncio.wait_for(following, 10)
    assert not any(SECRET in f for f in followed)
    assert run["status"] == "succeeded", run["stderr"]
    assert not secret_files[0].exists()  # removed when the program ended
    assert run["stdout"] == "*** *** ***\n"  # the value and its base64 masked
    assert (folder / ".oto").stat().st_mode & 0o777 == 0o700 and folder.stat().st_mode & 0o777 == 0o700
    assert stream.stat().st_mode & 0o777 == 0o600 and stream.parent.stat().st_mode & 0o777 == 0o700

    everywhere: list[tuple[str, bytes]] = [("the database", _database_text(engine))]
    history = await engine.client.get_workflow_handle(run_id).fetch_history()
    everywhere.append(("Temporal's history", history.to_json().encode()))
    everywhere.append(("the run", json.dumps(engine.app.runs.get(run_id), default=str).encode()))
    everywhere.append(("the export", json.dumps(engine.app.documents.export()).encode()))
    encoded = base64.b64encode(SECRET.encode())
    for where, data in everywhere:
        assert SECRET.encode() not in data and encoded not in data, where


async def test_a_reference_is_revealed_on_the_worker_and_a_missing_one_is_named(
        engine: Engine, monkeypatch: Any, tmp_path: Path) -> None:
    monkeypatch.setenv("READER_SECRET", REFERENCED)
    holder = tmp_path / "secret.txt"
    holder.write_text(REFERENCED + "\n")
    _secret_job(engine, "env:READER_SECRET", file_value=f"file:{holder}")
    run_id = await engine.submit_job("reader")
    await until(lambda: processes_in(engine.home / "runs" / run_id) != [])
    (engine.home / "runs" / run_id / "go").write_text("")
    run = await engine.wait(run_id)
    assert run["status"] == "succeeded", run["stderr"]
    assert run["stdout"] == "*** *** ***\n"
    exported = json.dumps(engine.app.documents.export())
    assert "env:READER_SECRET" in exported and f"file:{holder}" in exported  # references as they are

    monkeypatch.delenv("READER_SECRET")
    run = await engine.run_job("reader")
    assert run["status"] == "failed"
    assert "env:READER_SECRET" in run["error"] and REFERENCED not in run["error"]


async def test_after_a_key_rotation_every_job_still_runs(engine: Engine) -> None:
    _secret_job(engine)
    old = secrets.keys()
    engine.app.secrets.rotate_key()
    assert secrets.keys() != old
    run_id = await engine.submit_job("reader")
    await until(lambda: processes_in(engine.home / "runs" / run_id) != [])
    (engine.home / "runs" / run_id / "go").write_text("")
    run = await engine.wait(run_id)
    assert run["status"] == "succeeded" and run["stdout"] == "*** *** ***\n", run["stderr"]


async def test_the_shipped_encrypted_key_routine_writes_and_checks_an_aes256_key(
        engine: Engine, monkeypatch: Any) -> None:
    document = json.loads((Path(__file__).resolve().parents[2] / "data" / "openssl.json").read_text())
    for exe in document["executables"]:
        exe["task_queue"] = engine.queue
    engine.load(document)
    passphrase = "correct-horse-91d4-battery"
    monkeypatch.setenv("OTO_KEY_PASSPHRASE", passphrase)  # the worker's environment
    run = await engine.run_routine("encrypted-key")
    assert run["status"] == "succeeded", run
    key = Path(run["workdir"]) / "key-enc.pem"
    assert key.read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    steps = {s["step"]: s for s in run["steps"]}
    assert steps["key"]["argv"][-3:] == ["***", "-out", "key-enc.pem"]
    assert "Key is valid" in steps["check"]["stdout"]
    assert passphrase.encode() not in _database_text(engine)


async def test_a_secret_by_stdin_and_a_file_template(engine: Engine) -> None:
    tag = "stdin - 1"
    code = ("import sys; line = sys.stdin.readline().rstrip(); path = sys.argv[1].removeprefix('file:'); "
            "print(line == open(path).read(), sys.argv[1].startswith('file:/'), len(sys.argv))")
    engine.load({
        "executables": [{"name": "stdin", "version": "1", "path": sys.executable, "task_queue": engine.queue}],
        "parameters": [
            {"flag": "-c", "executable_tag": tag, "value_type": "string"},
            {"flag": "<by-file>", "executable_tag": tag, "value_type": "string", "secret": True, "style": "positional",
             "delivery": "file", "template": "file:{path}"},
            {"flag": "<by-stdin>", "executable_tag": tag, "value_type": "string", "secret": True,
             "style": "positional", "delivery": "stdin"},
        ],
        "commands": [{"name": "stdin", "executable_tag": tag, "parameters": ["-c", "<by-file>", "<by-stdin>"]}],
        "jobs": [{"name": "stdin", "command": "stdin",
                  "values": {"-c": code, "<by-file>": SECRET, "<by-stdin>": SECRET}}],
    })
    run = await engine.run_job("stdin")
    assert run["status"] == "succeeded", run["stderr"]
    assert run["stdout"] == "True True 2\n"  # the stdin secret left no argv item
    assert list((Path(run["workdir"]) / ".oto").glob("*.secret*")) == []
