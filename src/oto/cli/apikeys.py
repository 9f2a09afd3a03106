"""``oto apikey``: the keys that open the REST API, shown once and stored only as a hash."""

from __future__ import annotations

from typing import Annotated

import typer

from oto.cli.common import JsonOption, WideOption, get_app
from oto.cli.output import print_json, print_table, say, warn

app = typer.Typer(help="Keys for the REST API (scopes: read, run, admin).", no_args_is_help=True)

Scope = Annotated[str, typer.Option("--scope", "-s", help="read: only read; run: also start and cancel runs; "
                                                           "admin: also change the catalog and schedules.")]


@app.command("create")
def create(name: str, scope: Scope = "read", json: JsonOption = False) -> None:
    """Create a key and print it; it is shown this once and cannot be recovered."""
    new = get_app().api_keys.create(name, scope)
    if json:
        print_json(new.to_dict())
        return
    say(new.key)
    warn(f"API key {name!r} (scope {scope}) created; store it now, it will not be shown again")


@app.command("list")
def list_(json: JsonOption = False, wide: WideOption = False) -> None:
    """List keys (never the keys themselves)."""
    keys = get_app().api_keys.list_all()
    if json:
        print_json([k.to_dict() for k in keys])
        return
    print_table("API keys", ["name", "scope", "prefix", "state", "created", "last used"], [
        (k.name, k.scope, k.prefix, "active" if k.active else "revoked", k.created_at.isoformat(timespec="seconds"),
         k.last_used_at.isoformat(timespec="seconds") if k.last_used_at else "never")
        for k in keys
    ], wide=wide)


@app.command("revoke")
def revoke(name: str, json: JsonOption = False) -> None:
    """Revoke a key: requests with it are refused from now on."""
    info = get_app().api_keys.revoke(name)
    if json:
        print_json(info.to_dict())
    else:
        say(f"revoked API key {name!r}")
