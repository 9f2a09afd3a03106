"""The API looks at a request's key and body size before it reads the body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from oto.settings import get_settings
from tests.api.conftest import Keys

MB = 1 << 20


class Sender:
    """An ASGI client that streams a body in 1 MiB chunks and counts what the app pulled."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.pulled = 0

    async def receive(self) -> dict[str, Any]:
        chunk = min(self.left, MB)
        self.left -= chunk
        self.pulled += chunk
        return {"type": "http.request", "body": b" " * chunk, "more_body": self.left > 0}


async def call(app: FastAPI, path: str, size: int, headers: dict[str, str], *, declare: bool = True
               ) -> tuple[int, dict[str, Any], Sender]:
    sender = Sender(size)
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-type", b"application/json"))
    if declare:
        raw.append((b"content-length", str(size).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "headers": raw,
             "client": ("127.0.0.1", 1), "server": ("oto", 80), "root_path": "", "app": app}
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, sender.receive, send)
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return status, json.loads(body), sender


@pytest.fixture
def started(app: FastAPI) -> Any:
    with TestClient(app):  # runs the lifespan, as a server would
        yield app


async def test_a_large_body_without_a_key_gets_its_401_unread(started: FastAPI) -> None:
    status, problem, sender = await call(started, "/api/v1/executables", 15 * MB, {})
    assert status == 401 and problem["detail"].startswith("this needs an API key")
    assert sender.pulled == 0
    status, _, sender = await call(started, "/api/v1/import", 15 * MB, {"Authorization": "Bearer oto_12345678_x"},
                                   declare=False)
    assert status == 401 and sender.pulled == 0


async def test_a_body_past_the_limit_is_413(started: FastAPI, keys: Keys) -> None:
    status, problem, sender = await call(started, "/api/v1/executables", 15 * MB, keys["admin"])
    assert status == 413 and "OTO_MAX_BODY" in problem["detail"] and sender.pulled == 0
    assert problem["type"] == "about:blank" and problem["status"] == 413
    status, problem, sender = await call(started, "/api/v1/executables", 15 * MB, keys["admin"], declare=False)
    assert status == 413 and "OTO_MAX_BODY" in problem["detail"]
    assert sender.pulled <= get_settings().max_body + MB


async def test_imports_have_their_own_limit(
    started: FastAPI, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, problem, _ = await call(started, "/api/v1/import", 8 * MB, keys["admin"])
    assert status == 422  # within OTO_MAX_IMPORT: read, and refused as the blank it is
    monkeypatch.setenv("OTO_MAX_IMPORT", str(2 * MB))
    get_settings.cache_clear()
    try:
        status, problem, sender = await call(started, "/api/v1/import", 8 * MB, keys["admin"])
        assert status == 413 and "OTO_MAX_IMPORT" in problem["detail"] and sender.pulled == 0
    finally:
        monkeypatch.delenv("OTO_MAX_IMPORT")
        get_settings.cache_clear()


def test_small_bodies_still_work(client: TestClient, admin: dict[str, str]) -> None:
    made = client.post("/api/v1/executables", json={"name": "t", "version": "1", "path": "/bin/t"}, headers=admin)
    assert made.status_code == 201
    assert client.post("/api/v1/executables", json={"name": "u", "version": "1", "path": "/bin/u"}).status_code == 401
