"""Notifications on a real Temporal dev server, delivered to a real HTTP receiver on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from temporalio.service import RPCError

from oto.engine.contracts import NOTIFY_ID_PREFIX
from oto.settings import get_settings
from tests.support import until
from tests.support.engine import Engine

SECRET = "a-shared-secret-of-the-receiver"


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers with the next scripted status."""

    answers: list[int] = field(default_factory=list)
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.got]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                found.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = found.answers.pop(0) if found.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTO_PUBLIC_URL", "https://oto.example.com/")
    get_settings.cache_clear()


async def _no_notify_workflow(engine: Engine, run_id: str) -> bool:
    try:
        await engine.client.get_workflow_handle(f"{NOTIFY_ID_PREFIX}{run_id}").describe()
    except RPCError:
        return True
    return False


async def test_a_failed_job_notifies_once_with_a_valid_signature(engine: Engine, receiver: Receiver) -> None:
    engine.sh("breaks", "echo one >&2; echo 'two <b>&amp;' >&2; exit 3")
    engine.app.notifications.add({"name": "ops", "url": receiver.url, "secret": SECRET})
    run = await engine.run_job("breaks")
    assert run["status"] == "failed"
    await until(lambda: len(receiver.got) >= 1, what="the notification")
    await asyncio.sleep(1.5)  # nothing more comes: once per run
    assert len(receiver.got) == 1
    headers, body = receiver.got[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-oto-signature"], expected)
    assert headers["content-type"] == "application/json"
    sent = json.loads(body)
    assert int(headers["x-oto-timestamp"]) > 0 and sent["sent_at"]
    assert sent["run_id"] == run["run_id"] and sent["kind"] == "job" and sent["job"] == "breaks"
    assert sent["status"] == "failed" and sent["exit_code"] == 3 and sent["trigger"] == "cli"
    assert sent["stderr_tail"] == ["one", "two <b>&amp;"]
    assert sent["url"] == f"https://oto.example.com/runs/{run['run_id']}"
    assert sent["finished_at"] and sent["started_at"] and sent["created_at"]
    assert "breaks failed, exit code 3" in sent["text"] and sent["url"] in sent["text"]
    assert "\n" not in sent["text"]
    shown = engine.app.notifications.get("ops")
    assert [(a["run_id"], a["attempt"], a["http_status"], a["ok"]) for a in shown["attempts"]] == [
        (run["run_id"], 1, 200, True)]
    assert SECRET not in json.dumps(shown) and shown["signed"] is True


async def test_a_receiver_answering_500_twice_gets_it_on_the_third_attempt(engine: Engine,
                                                                           receiver: Receiver) -> None:
    receiver.answers = [500, 500, 200]
    engine.sh("breaks", "exit 1")
    engine.app.notifications.add({"name": "flaky", "url": receiver.url})
    run = await engine.run_job("breaks")
    await until(lambda: len(receiver.got) >= 3, timeout=30, what="three attempts")
    bodies = receiver.bodies()
    assert {b["run_id"] for b in bodies} == {run["run_id"]}
    assert all("x-oto-signature" not in h for h, _ in receiver.got)  # no secret, no signature

    def attempts() -> list[tuple[int, int | None, bool]]:
        shown = engine.app.notifications.get("flaky")["attempts"]
        return [(a["attempt"], a["http_status"], a["ok"]) for a in reversed(shown)]

    await until(lambda: len(attempts()) == 3, what="three recorded attempts")
    assert attempts() == [(1, 500, False), (2, 500, False), (3, 200, True)]
    await asyncio.sleep(1.5)
    assert len(receiver.got) == 3  # the 200 ended it
    assert engine.app.runs.get(run["run_id"])["status"] == "failed"  # the run is as it was


async def test_on_succeeded_fires_on_success_only(engine: Engine, receiver: Receiver) -> None:
    engine.sh("breaks", "exit 1")
    engine.sh("works", "echo fine")
    engine.app.notifications.add({"name": "good-news", "url": receiver.url, "on": ["succeeded"]})
    failed = await engine.run_job("breaks")
    succeeded = await engine.run_job("works")
    await until(lambda: len(receiver.got) >= 1, what="the notification of the success")
    await asyncio.sleep(1.0)
    assert [(b["run_id"], b["status"]) for b in receiver.bodies()] == [(succeeded["run_id"], "succeeded")]
    assert await _no_notify_workflow(engine, failed["run_id"])


async def test_a_routine_notifies_once_unless_a_notification_names_a_steps_job(engine: Engine,
                                                                              receiver: Receiver) -> None:
    engine.sh("ok", "true")
    engine.sh("bad", "echo nope >&2; exit 4")
    engine.routine("nightly", [("a", "ok", []), ("b", "bad", ["a"]), ("c", "ok", ["b"]), ("d", "ok", ["a"])])
    engine.app.notifications.add({"name": "everything", "url": receiver.url})
    run = await engine.run_routine("nightly")
    assert run["status"] == "failed"
    await until(lambda: len(receiver.got) >= 1, what="the routine's notification")
    await asyncio.sleep(1.5)
    assert [(b["notification"], b["kind"], b["run_id"], b["routine"]) for b in receiver.bodies()] == [
        ("everything", "routine", run["run_id"], "nightly")]

    receiver.got.clear()
    engine.app.notifications.add({"name": "bad-job", "url": receiver.url, "job": "bad"})
    again = await engine.run_routine("nightly")
    await until(lambda: len(receiver.got) >= 2, what="the routine's and the step's notifications")
    await asyncio.sleep(1.5)
    told = sorted((b["notification"], b["kind"], b["run_id"]) for b in receiver.bodies())
    step = next(s for s in again["steps"] if s["step"] == "b")
    assert told == [("bad-job", "step", step["run_id"]), ("everything", "routine", again["run_id"])]
    step_body = next(b for b in receiver.bodies() if b["kind"] == "step")
    assert step_body["stderr_tail"] == ["nope"] and step_body["exit_code"] == 4 and step_body["step"] == "b"


async def test_a_notification_of_a_schedule_hears_only_its_runs(engine: Engine, receiver: Receiver) -> None:
    engine.sh("breaks", "exit 2")
    name = f"nightly-{engine.queue}"
    await engine.app.schedules.add({"name": name, "job": "breaks", "cron": "0 3 * * *", "paused": True})
    try:
        engine.app.notifications.add({"name": "of-schedule", "url": receiver.url, "schedule": name})
        by_hand = await engine.run_job("breaks")  # not the schedule's: not told
        await engine.app.schedules.trigger(name)
        await until(lambda: len(receiver.got) >= 1, timeout=30, what="the scheduled run's notification")
        await asyncio.sleep(1.0)
        [told] = receiver.bodies()
        assert told["trigger"] == f"schedule:{name}" and told["status"] == "failed"
        assert told["run_id"] != by_hand["run_id"]
    finally:
        await engine.app.schedules.delete(name)


async def test_a_cancelled_run_is_told_when_asked_for(engine: Engine, receiver: Receiver) -> None:
    engine.sleep("long", "30")
    engine.app.notifications.add({"name": "stops", "url": receiver.url, "on": ["cancelled"]})
    run_id = await engine.submit_job("long")
    await until(lambda: engine.app.runs.get(run_id)["status"] == "running", what="the run to start")
    await engine.app.runs.cancel(run_id)
    await until(lambda: len(receiver.got) >= 1, timeout=30, what="the cancelled run's notification")
    [told] = receiver.bodies()
    assert told["run_id"] == run_id and told["status"] == "cancelled"
    assert engine.app.runs.get(run_id)["status"] == "cancelled"


async def test_a_secret_printed_to_stderr_reaches_the_receiver_masked(engine: Engine, receiver: Receiver) -> None:
    password = "Sesame-91c2-OPEN"
    tag = "leaky - 1"
    code = "import os, sys; print('using', os.environ[sys.argv[2]], file=sys.stderr); sys.exit(5)"
    engine.load({
        "executables": [{"name": "leaky", "version": "1", "path": sys.executable, "task_queue": engine.queue}],
        "parameters": [{"flag": "-c", "executable_tag": tag, "value_type": "string"},
                       {"flag": "-pw", "executable_tag": tag, "value_type": "string", "secret": True,
                        "delivery": "env"}],
        "commands": [{"name": "leaky", "executable_tag": tag, "parameters": ["-c", "-pw"]}],
        "jobs": [{"name": "leaky", "command": "leaky", "values": {"-c": code, "-pw": password}}],
    })
    engine.app.notifications.add({"name": "ops", "url": receiver.url})
    run = await engine.run_job("leaky")
    assert run["status"] == "failed"
    await until(lambda: len(receiver.got) >= 1, what="the notification")
    [told] = receiver.bodies()
    assert password not in receiver.got[0][1].decode()
    assert told["stderr_tail"] == ["using ***"]


async def test_a_run_closed_because_its_workflow_never_started_is_told(engine: Engine, receiver: Receiver) -> None:
    from datetime import timedelta

    import sqlalchemy as sa

    from oto.domain.models import Run
    from oto.engine import reconcile
    from oto.services import runs

    engine.sleep("long", "30")
    engine.app.notifications.add({"name": "ops", "url": receiver.url})
    with engine.database.session() as db:
        lost = runs.create_job_run(db, "long").id  # recorded; its process stopped before Temporal took it
        db.execute(sa.update(Run).where(Run.id == lost).values(created_at=runs.now() - timedelta(hours=1)))
    assert await reconcile.close_unstarted(engine.client, engine.database) == [lost]
    await until(lambda: len(receiver.got) >= 1, what="the closed run's notification")
    [told] = receiver.bodies()
    assert told["run_id"] == lost and told["status"] == "failed" and told["error"] == reconcile.REASON
    assert await reconcile.close_unstarted(engine.client, engine.database) == []  # closed once, told once
    await asyncio.sleep(1)
    assert len(receiver.got) == 1
