"""A secret is in no answer of the API, no page of the dashboard and no log line of the API or the worker.

A job whose secret goes as an argv item and another whose secret goes by environment variable both
print their secret and its base64; everything a reader could see of their runs is searched for both.
"""

from __future__ import annotations

import base64
import logging
import sys
from urllib.parse import quote

import httpx
import pytest

from oto.web.server import create_app
from tests.api.conftest import Api
from tests.dashboard.conftest import csrf_of, make_key

SECRET = "Hush-4c1d7e90-ARGV"
PRINT = "import os, sys, base64; s = sys.argv[1] if len(sys.argv) > 1 else os.environ['TOKEN_VAR']; " \
        "print(s, base64.b64encode(s.encode()).decode()); print('err', s, file=sys.stderr)"


def forms(value: str) -> list[str]:
    return [value, base64.b64encode(value.encode()).decode(), quote(value)]


def load(api: Api) -> None:
    tag = "printer - 1"
    api.engine.load({
        "executables": [{"name": "printer", "version": "1", "path": sys.executable, "task_queue": api.engine.queue}],
        "parameters": [
            {"flag": "-c", "executable_tag": tag, "value_type": "string"},
            {"flag": "token", "executable_tag": tag, "value_type": "string", "style": "positional",
             "secret": True},
            {"flag": "--token", "executable_tag": tag, "value_type": "string", "secret": True, "delivery": "env",
             "template": "{env}"},
        ],
        "commands": [{"name": "by-argv", "executable_tag": tag, "parameters": ["-c", "token"]},
                     {"name": "by-env", "executable_tag": tag, "parameters": ["-c", "--token"]}],
        "jobs": [{"name": "by-argv", "command": "by-argv", "values": {"-c": PRINT, "token": SECRET}},
                 {"name": "by-env", "command": "by-env", "values": {"-c": PRINT.replace(
                     "os.environ['TOKEN_VAR']", "os.environ[sys.argv[-1]]").replace(
                     "sys.argv[1] if len(sys.argv) > 1 else ", ""), "--token": SECRET}}],
    })


async def test_a_secret_is_in_no_answer_no_page_and_no_log(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    load(api)
    seen: list[str] = []
    read, run = api.keys["read"], api.keys["run"]
    for job in ("by-argv", "by-env"):
        started = await api.http.post(f"/api/v1/jobs/{job}/runs", params={"wait": "true"}, headers=run)
        assert started.status_code == 200, started.text
        run_id = started.json()["run_id"]
        assert started.json()["status"] == "succeeded", started.text
        assert "***" in started.json()["stdout"]  # what it printed is there, masked
        seen.append(started.text)
        for path in (f"/api/v1/runs/{run_id}", "/api/v1/runs", f"/api/v1/runs/{run_id[:12]}",
                     f"/api/v1/jobs/{job}", f"/api/v1/jobs/{job}/argv", "/api/v1/export", "/api/v1/jobs"):
            answer = await api.http.get(path, headers=read)
            assert answer.status_code == 200, (path, answer.text)
            seen.append(answer.text)
        async with api.http.stream("GET", f"/api/v1/runs/{run_id}/logs", headers=read) as stream:
            seen.append("".join([line async for line in stream.aiter_lines()]))
        dashboard = create_app(api.engine.database, temporal=lambda: api.engine.client)  # type: ignore[arg-type,return-value]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=dashboard), base_url="http://dash") as page:
            home = await page.post("/login", data={"key": make_key(api.engine.database, "read", f"r-{job}")},
                                   follow_redirects=True)
            assert csrf_of(home.text)
            for path in (f"/runs/{run_id}", "/runs", f"/jobs/{job}", "/"):
                shown = await page.get(path)
                assert shown.status_code == 200, path
                seen.append(shown.text)
    seen.append(caplog.text)
    everything = "\n".join(seen)
    for form in forms(SECRET):
        assert form not in everything, f"{form!r} leaked"
