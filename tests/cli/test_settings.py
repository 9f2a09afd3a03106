"""Every numeric setting is refused, with one sentence naming it, when a timer, a pool or a socket cannot take it."""

from __future__ import annotations

import pytest

from oto.errors import InvalidInput
from oto.settings import MAX_RUN_TIMEOUT, get_settings
from tests.support.cli import Oto


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OTO_RUN_TIMEOUT", "inf"), ("OTO_RUN_TIMEOUT", "1e20"), ("OTO_RUN_TIMEOUT", "-5"),
        ("OTO_RUN_TIMEOUT", "0"), ("OTO_RUN_TIMEOUT", "nan"), ("OTO_RUN_TIMEOUT", "soon"),
        ("OTO_KILL_GRACE", "inf"), ("OTO_KILL_GRACE", "-1"), ("OTO_KILL_GRACE", "nan"),
        ("OTO_ROUTINE_CONCURRENCY", "0"), ("OTO_ROUTINE_CONCURRENCY", "1.5"), ("OTO_ROUTINE_CONCURRENCY", "1e9"),
        ("OTO_API_PORT", "0"), ("OTO_API_PORT", "70000"), ("OTO_METRICS_PORT", "-1"),
        ("OTO_MAX_IMPORT", "0"), ("OTO_MAX_IMPORT", "inf"),
    ],
)
def test_a_numeric_setting_out_of_range_is_refused_naming_it(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with pytest.raises(InvalidInput) as raised:
        get_settings()
    message = str(raised.value)
    assert message.startswith(f"{name} must be ") and message.endswith(f"not {value!r}")
    assert "\n" not in message


def test_numeric_settings_in_range_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"OTO_RUN_TIMEOUT": str(MAX_RUN_TIMEOUT), "OTO_KILL_GRACE": "0",
                        "OTO_ROUTINE_CONCURRENCY": "3", "OTO_METRICS_PORT": "", "OTO_MAX_IMPORT": "1024"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = get_settings()
    assert (settings.run_timeout, settings.kill_grace, settings.routine_concurrency) == (MAX_RUN_TIMEOUT, 0, 3)
    assert (settings.metrics_port, settings.max_import) == (None, 1024)


def test_the_cli_says_which_setting_is_wrong(oto: Oto, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTO_RUN_TIMEOUT", "inf")
    get_settings.cache_clear()
    result = oto("job", "list")
    assert result.code == 2
    assert result.err.strip() == ("Error: OTO_RUN_TIMEOUT must be a number of seconds above 0, "
                                  "at most 31536000 (a year), not 'inf'")
