"""Sessions that end for good at logout, Secure cookies behind a TLS proxy, and the headers every answer
carries (what the browser may load and frame)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from oto.cli import serve
from oto.services.database import Database
from oto.settings import get_settings
from oto.web import session
from oto.web.headers import POLICY
from tests.dashboard.conftest import Browser, make_key


def test_a_cookie_kept_from_before_logout_no_longer_works(client: TestClient, sqlite_database: Database) -> None:
    browser = Browser(client, make_key(sqlite_database, "read", "erin"))
    kept = client.cookies[session.COOKIE]
    assert browser.post("/logout", follow_redirects=False).status_code == 303
    client.cookies.set(session.COOKIE, kept)  # replayed, as a thief holding a copy would
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/jobs").status_code == 401
    client.cookies.clear()
    again = Browser(client, make_key(sqlite_database, "read", "erin-2"))
    assert again.client.get("/", follow_redirects=False).status_code == 200


def test_logging_in_again_after_logout_works(client: TestClient, sqlite_database: Database) -> None:
    key = make_key(sqlite_database, "read", "fred")
    Browser(client, key).post("/logout")
    Browser(client, key)
    assert client.get("/", follow_redirects=False).status_code == 200


@pytest.mark.parametrize("path", ["/", "/login", "/static/app.js", "/api/v1/jobs", "/health", "/openapi.json",
                                  "/nowhere"])
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == POLICY


def test_the_policy_allows_no_inline_script_or_style(admin: Browser) -> None:
    assert "unsafe-inline" not in POLICY and "frame-ancestors 'none'" in POLICY
    page = admin.client.get("/").text
    assert "<script>" not in page and " style=" not in page and "javascript:" not in page
    assert "javascript:" not in admin.client.get("/jobs/nope").text


def test_the_cookie_is_secure_behind_a_trusted_tls_proxy(app: FastAPI, sqlite_database: Database) -> None:
    key = make_key(sqlite_database, "read", "gina")
    with TestClient(ProxyHeadersMiddleware(app, trusted_hosts="*")) as proxied:  # type: ignore[arg-type]
        plain = proxied.post("/login", data={"key": key}, follow_redirects=False)
        assert "Secure" not in plain.headers["set-cookie"]
        behind = proxied.post("/login", data={"key": key}, headers={"X-Forwarded-Proto": "https"},
                              follow_redirects=False)
        assert "Secure" in behind.headers["set-cookie"]


def test_oto_serve_trusts_forwarded_headers_only_from_the_configured_proxies(
    monkeypatch: pytest.MonkeyPatch, sqlite_database: Database
) -> None:
    import uvicorn

    given: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: given.update(options))
    monkeypatch.setenv("OTO_DATABASE_URL", str(sqlite_database.engine.url))
    get_settings.cache_clear()
    serve.serve(host="127.0.0.1", port=1, log_level="warning")
    assert given["proxy_headers"] is False
    monkeypatch.setenv("OTO_FORWARDED_ALLOW_IPS", "10.0.0.5")
    get_settings.cache_clear()
    serve.serve(host="127.0.0.1", port=1, log_level="warning")
    assert given["proxy_headers"] is True and given["forwarded_allow_ips"] == "10.0.0.5"
    get_settings.cache_clear()
