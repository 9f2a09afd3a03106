"""Every value type accepts what it should and refuses the rest with a clear reason."""

from __future__ import annotations

import pytest

from oto.domain.valuetypes import check_value, normalize_value_type, parse_duration

GOOD = [
    ("int", "42"),
    ("int", "-3"),
    ("float", "0.5"),
    ("float", "1e3"),
    ("string", "any thing; $(x)"),
    ("path", "key.pem"),
    ("ip", "192.0.2.1"),
    ("ip", "2001:db8::1"),
    ("port", "1"),
    ("port", "65535"),
    ("tuple", "80,443"),
    ("bool", None),
    ("bool", ""),
    ("duration", "500ms"),
    ("duration", "30s"),
    ("duration", "2m"),
    ("duration", "1h"),
    ("duration", "1.5h"),
]
BAD = [
    ("int", "4.2", "'4.2' is not a whole number"),
    ("int", "", "'' is not a whole number"),
    ("float", "abc", "'abc' is not a number"),
    ("float", "nan", "'nan' is not a number"),
    ("float", "1e999", "'1e999' is not a finite number"),
    ("path", " ", "a path cannot be empty"),
    ("ip", "300.1.1.1", "'300.1.1.1' is not an IPv4 or IPv6 address"),
    ("port", "0", "'0' is not a port (a whole number from 1 to 65535)"),
    ("port", "65536", "'65536' is not a port (a whole number from 1 to 65535)"),
    ("port", "http", "'http' is not a port (a whole number from 1 to 65535)"),
    ("tuple", "80,,443", "'80,,443' is not a comma-separated list (no empty items)"),
    ("bool", "yes", "takes no value, but 'yes' was given"),
    ("duration", "30", "'30' is not a duration (use a number and a unit: 500ms, 30s, 2m, 1h, 1d)"),
    ("duration", "1 week", "'1 week' is not a duration"),
    ("string", None, "needs a value (any text)"),
    # exactly what docs/document.md says: ASCII digits, no sign but -, no underscores, no spaces
    ("int", "+42", "'+42' is not a whole number"),
    ("int", "1_000", "'1_000' is not a whole number"),
    ("int", " 42 ", "' 42 ' is not a whole number"),
    ("int", "42\n", "'42\\n' is not a whole number"),
    ("int", "\u0664\u0662", "'\u0664\u0662' is not a whole number"),
    ("int", "\u00b2", "'\u00b2' is not a whole number"),
    ("port", "\u00b2", "'\u00b2' is not a port (a whole number from 1 to 65535)"),
    ("port", "\u0664\u0664\u0663", "'\u0664\u0664\u0663' is not a port"),
    ("port", "+443", "'+443' is not a port"),
    ("port", "443\n", "'443\\n' is not a port"),
    ("float", "1_0.5", "'1_0.5' is not a number"),
    ("float", " 0.5", "' 0.5' is not a number"),
    ("float", "inf", "'inf' is not a number"),
    ("duration", " 30s", "' 30s' is not a duration"),
    ("duration", "30s\n", "'30s\\n' is not a duration"),
    ("duration", "\u0663\u0660s", "'\u0663\u0660s' is not a duration"),
    ("duration", "9" * 400 + "d", "'" + "9" * 400 + "d' is too long a duration"),
    ("string", "a\x00b", "a value cannot contain a NUL character"),
]


@pytest.mark.parametrize(("value_type", "value"), GOOD)
def test_good_values_pass(value_type: str, value: str | None) -> None:
    check_value(value_type, value)


@pytest.mark.parametrize(("value_type", "value", "message"), BAD)
def test_bad_values_are_refused_with_the_reason(value_type: str, value: str | None, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        check_value(value_type, value)
    assert str(raised.value).startswith(message)


def test_enum_takes_only_its_choices() -> None:
    check_value("enum", "RSA", ["RSA", "EC"])
    with pytest.raises(ValueError, match="'DSA' is not one of RSA, EC"):
        check_value("enum", "DSA", ["RSA", "EC"])


@pytest.mark.parametrize(("seed", "canonical"), [("", "bool"), ("string (time)", "duration"), ("INT", "int")])
def test_the_seeds_spellings_are_understood(seed: str, canonical: str) -> None:
    assert normalize_value_type(seed) == canonical


def test_durations_in_seconds() -> None:
    assert parse_duration("500ms") == 0.5
    assert parse_duration("2m") == 120
