"""Catalog text is shown as it is on a terminal: never read as rich markup, links or control codes."""

from __future__ import annotations

from tests.support.cli import Oto

HOSTILE = "[/oops] [link=https://evil.example]click[/link] [bold]x\x1b[2J\x1b]0;title\x07"


def test_markup_and_escapes_in_descriptions_are_shown_verbatim(initialized: Oto) -> None:
    oto = initialized
    assert oto("executable", "add", "tool", "1", "/bin/echo", "--description", HOSTILE).code == 0
    assert oto("parameter", "add", "tool - 1", "-x", "--value-type", "string",
                "--description", HOSTILE).code == 0
    assert oto("command", "add", "c", "--executable", "tool - 1", "--description", HOSTILE, "-x").code == 0
    assert oto("job", "add", "j", "--command", "c", "--set", f"-x={HOSTILE}").code == 0
    for group in ("executable", "command", "job"):
        shown = oto(group, "list")
        assert shown.code == 0, shown.err
        assert "[/oops]" in shown.out and "[link=https://evil.example]click[/link]" in shown.out
        assert "\x1b" not in shown.out and "\x07" not in shown.out
        assert "\\x1b[2J" in shown.out
    params = oto("parameter", "list", "tool - 1")
    assert params.code == 0, params.err
    assert "[/oops]" in params.out and "\x1b" not in params.out


def test_an_error_naming_hostile_text_is_one_clean_line(initialized: Oto) -> None:
    shown = initialized("job", "argv", "no\x1b[2Jsuch")
    assert shown.code != 0
    assert "\x1b" not in shown.err and "\\x1b[2J" in shown.err
