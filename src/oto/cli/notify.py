"""``oto notify``: webhooks told when runs end (docs/notifications.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oto.app.notifications import NOTIFY_DEFAULT_ON, NOTIFY_STATUSES
from oto.cli.common import JsonOption, WideOption, get_app, run
from oto.cli.output import print_fields, print_json, print_table, say

app = typer.Typer(help="Webhooks told when runs end (failed, timed out...).", no_args_is_help=True)

On = Annotated[str, typer.Option("--on", help=f"The statuses that notify, comma-separated: {', '.join(NOTIFY_STATUSES)}"
                                 f" (default: {','.join(NOTIFY_DEFAULT_ON)}).")]


def _target(view: dict[str, Any]) -> str:
    target = view.get("target")
    return f"{target['kind']} {target['name']}" if target else "every run"


def _attempt(a: dict[str, Any] | None) -> str:
    if a is None:
        return "never"
    what = "ok" if a["ok"] else (a["error"] or "failed")
    code = f"HTTP {a['http_status']}" if a["http_status"] is not None else "no answer"
    return f"{a['at']} {code} {what if not a['ok'] else 'ok'}"


@app.command("add")
def add(
    name: str,
    url: Annotated[str, typer.Option("--url", help="Where to POST: an http:// or https:// URL.")],
    on: On = ",".join(NOTIFY_DEFAULT_ON),
    job: Annotated[str | None, typer.Option("--job", help="Only runs of this job (and its steps in routines).")] = None,
    routine: Annotated[str | None, typer.Option("--routine", help="Only runs of this routine.")] = None,
    schedule: Annotated[str | None, typer.Option("--schedule", help="Only runs this schedule started.")] = None,
    secret_file: Annotated[str | None, typer.Option("--secret-file", help="Sign each body with the secret in "
                                                    "this file (X-OTO-Signature); stored sealed.")] = None,
    description: Annotated[str, typer.Option("--description", "-d", help="What it is for.")] = "",
    json: JsonOption = False,
) -> None:
    """Add a notification; without --job, --routine or --schedule it listens to every run."""
    oto = get_app()
    data: dict[str, Any] = {"name": name, "url": url, "on": [s.strip() for s in on.split(",") if s.strip()],
                            "job": job, "routine": routine, "schedule": schedule, "description": description}
    if secret_file is not None:
        data["secret"] = oto.notifications.secret_from_file(secret_file)
    view = oto.notifications.add(data)
    if json:
        print_json(view)
    else:
        say(f"added notification {name!r}: {','.join(view['on'])} of {_target(view)} to {view['url']}"
            f"{' (signed)' if view['signed'] else ''}")


@app.command("list")
def list_(json: JsonOption = False, wide: WideOption = False) -> None:
    """List notifications with their last delivery attempt."""
    found = get_app().notifications.list_all()
    if json:
        print_json(found)
        return
    print_table("notifications", ["name", "on", "target", "url", "signed", "last attempt"], [
        (n["name"], ",".join(n["on"]), _target(n), n["url"], "yes" if n["signed"] else "no",
         _attempt(n["last_attempt"])) for n in found], wide=wide)


@app.command("show")
def show(name: str, json: JsonOption = False, wide: WideOption = False) -> None:
    """One notification and its latest delivery attempts (time, HTTP status or error)."""
    view = get_app().notifications.get(name)
    if json:
        print_json(view)
        return
    print_fields(f"notification {view['name']}", [
        ("url", view["url"]), ("on", view["on"]), ("target", _target(view)),
        ("signed", "yes" if view["signed"] else "no"), ("description", view["description"]),
        ("created", view["created_at"])])
    print_table("attempts", ["at", "run", "attempt", "HTTP", "result"], [
        (a["at"], a["run_id"] or "(test)", a["attempt"], a["http_status"] if a["http_status"] is not None else "",
         "ok" if a["ok"] else a["error"] or "failed") for a in view["attempts"]], wide=wide)


@app.command("delete")
def delete(name: str, json: JsonOption = False) -> None:
    """Delete a notification and its record of attempts."""
    get_app().notifications.delete(name)
    if json:
        print_json({"deleted": name})
    else:
        say(f"deleted notification {name!r}")


@app.command("test")
def test(name: str, json: JsonOption = False) -> None:
    """POST a test payload now (signed like the real ones); exit 1 unless the receiver answered 2xx."""
    result = run(get_app().notifications.test(name))
    if json:
        print_json(result)
    elif result["ok"]:
        say(f"notification {name!r}: delivered (HTTP {result['http_status']})")
    else:
        say(f"notification {name!r}: not delivered: {result['error']}")
    if not result["ok"]:
        raise typer.Exit(1)
