"""``oto serve``: the REST API (and the dashboard, when present) under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from oto.cli.common import get_app
from oto.cli.output import say
from oto.settings import get_settings


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default OTO_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default OTO_API_PORT).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
) -> None:
    """Serve the REST API on OTO_API_HOST:OTO_API_PORT (127.0.0.1:1515); /openapi.json describes it."""
    import uvicorn

    from oto.web.server import SHUTDOWN_GRACE, create_app

    settings = get_settings()
    database = get_app().database
    database.check_schema()  # one clear sentence now rather than a 503 on every request
    app = create_app(database)  # the API, and the dashboard at /
    bind_host, bind_port = host or settings.api_host, port or settings.api_port
    say(f"OTO API on http://{bind_host}:{bind_port}/api/v1 (OpenAPI at /openapi.json, keys: `oto apikey create`)")
    say(f"dashboard on http://{bind_host}:{bind_port}/")
    trusted = trusted_proxies()
    uvicorn.run(app, host=bind_host, port=bind_port, log_level=log_level, timeout_graceful_shutdown=SHUTDOWN_GRACE,
                proxy_headers=trusted is not None, forwarded_allow_ips=trusted)


def trusted_proxies() -> str | None:
    """The TLS proxies whose forwarded headers uvicorn trusts (``OTO_FORWARDED_ALLOW_IPS``), or None.

    From those addresses the client's scheme and address come from ``X-Forwarded-Proto``/``-For``,
    so the session cookie is Secure when the browser speaks https to the proxy. Unset, none is trusted.
    """
    return (get_settings().forwarded_allow_ips or "").strip() or None


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
