"""argv rendering: one item per value whatever it holds, styled per parameter."""

from __future__ import annotations

from oto.domain.argv import ArgvItem, mask, render


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


def test_mask_hides_secrets() -> None:
    assert mask(["/bin/x", "--password=hunter2"], ["hunter2"]) == ["/bin/x", "--password=***"]
