"""argv rendering: one item per value whatever it holds, styled per parameter."""

from __future__ import annotations

from oto.domain.argv import ArgvItem, mask, render, secret_places


def test_styles() -> None:
    items = [
        ArgvItem("genpkey", "separate", False, ""),
        ArgvItem("-out", "separate", True, "key.pem"),
        ArgvItem("--level", "equals", True, "3"),
        ArgvItem("-T", "attached", True, "4"),
        ArgvItem("<target>", "positional", True, "192.0.2.1"),
    ]
    assert render("/bin/x", items) == ["/bin/x", "genpkey", "-out", "key.pem", "--level=3", "-T4", "192.0.2.1"]


def test_hostile_values_stay_one_item() -> None:
    hostile = "; rm -rf / $(reboot)"
    assert render("/bin/echo", [ArgvItem("-m", "separate", True, hostile)]) == ["/bin/echo", "-m", hostile]


def test_mask_hides_the_items_that_hold_a_secret_by_position() -> None:
    items = [
        ArgvItem("--password", "equals", True, "a", secret=True),
        ArgvItem("-k", "separate", True, "a", secret=True),
        ArgvItem("-p", "attached", True, "a", secret=True),
        ArgvItem("<file>", "positional", True, "data.bin"),
        ArgvItem("<token>", "positional", True, "a", secret=True),
    ]
    argv = render("/opt/bin/pgdump-a", items)
    assert mask(argv, secret_places(items)) == [
        "/opt/bin/pgdump-a", "--password=***", "-k", "***", "-p***", "data.bin", "***"]


def test_a_one_letter_secret_garbles_nothing_else() -> None:
    items = [ArgvItem("--password", "equals", True, "a", secret=True), ArgvItem("--name", "equals", True, "alpha")]
    assert mask(render("/opt/bin/pgdump", items), secret_places(items)) == [
        "/opt/bin/pgdump", "--password=***", "--name=alpha"]
