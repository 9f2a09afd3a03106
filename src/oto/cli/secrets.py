"""``oto secret``: the key that seals secret values at rest."""

from __future__ import annotations

import typer

from oto.cli.common import JsonOption, get_app
from oto.cli.output import print_json, say

app = typer.Typer(help="The key that seals secret values at rest (docs/secrets.md).", no_args_is_help=True)


@app.command("rotate-key")
def rotate_key(json: JsonOption = False) -> None:
    """Seal every stored secret with a new key, all or nothing, and drop the old key."""
    rotation = get_app().secrets.rotate_key()
    if json:
        print_json(rotation.to_dict())
        return
    if rotation.from_environment:
        say(f"sealed {rotation.resealed} secrets again with the first key of OTO_SECRET_KEY; "
            "remove the old keys from it now")
    else:
        say(f"sealed {rotation.resealed} secrets again with a new key in {rotation.key}; the old key is gone")
