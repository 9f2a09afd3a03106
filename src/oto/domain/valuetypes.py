"""The value types a parameter can take, and the check each value must pass before it is stored."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

VALUE_TYPES = ("string", "int", "float", "path", "ip", "port", "tuple", "bool", "duration", "enum")
STYLES = ("separate", "equals", "attached", "positional")

# How the seed catalogs spell some types.
_ALIASES = {"": "bool", "string (time)": "duration", "str": "string", "integer": "int", "time": "duration"}

# ASCII digits only: ``\d`` would take any Unicode digit, which the program may not read.
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)")
_INT = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_PORT = re.compile(r"[0-9]{1,5}")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


@dataclass(frozen=True)
class ValueType:
    name: str
    description: str
    example: str


DESCRIPTIONS: dict[str, ValueType] = {
    vt.name: vt
    for vt in (
        ValueType("string", "any text", "hello world"),
        ValueType("int", "a whole number", "42"),
        ValueType("float", "a decimal number", "0.5"),
        ValueType("path", "a file or folder path", "key.pem"),
        ValueType("ip", "an IPv4 or IPv6 address", "192.0.2.1"),
        ValueType("port", "a TCP/UDP port, 1 to 65535", "443"),
        ValueType("tuple", "comma-separated items", "80,443"),
        ValueType("bool", "a switch that takes no value", ""),
        ValueType("duration", "a number with a unit: ms, s, m, h or d", "30s"),
        ValueType("enum", "one of the parameter's choices", "RSA"),
    )
}


def normalize_value_type(name: str) -> str:
    """The canonical name of a value type, accepting the seed's spellings; ValueError if unknown."""
    canonical = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if canonical not in VALUE_TYPES:
        raise ValueError(f"unknown value type {name!r} (known: {', '.join(VALUE_TYPES)})")
    return canonical


def parse_duration(text: str) -> float:
    """Seconds in a duration such as ``500ms``, ``30s``, ``2m``, ``1h``; ValueError otherwise.

    Exactly a number of ASCII digits and a unit: no spaces, no sign, no exponent, finite.
    """
    match = _DURATION.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration (use a number and a unit: 500ms, 30s, 2m, 1h, 1d)")
    seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if not math.isfinite(seconds):
        raise ValueError(f"{text!r} is too long a duration")
    return seconds


def _check_int(value: str) -> None:
    # fullmatch: ``$`` would let a trailing newline through
    if not _INT.fullmatch(value):
        raise ValueError(f"{value!r} is not a whole number")


def _check_float(value: str) -> None:
    if not _FLOAT.fullmatch(value):
        raise ValueError(f"{value!r} is not a number")
    if not math.isfinite(float(value)):
        raise ValueError(f"{value!r} is not a finite number")


def _check_ip(value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 or IPv6 address") from None


def _check_port(value: str) -> None:
    if not _PORT.fullmatch(value) or not 1 <= int(value) <= 65535:
        raise ValueError(f"{value!r} is not a port (a whole number from 1 to 65535)")


def _check_tuple(value: str) -> None:
    if not value or any(not item.strip() for item in value.split(",")):
        raise ValueError(f"{value!r} is not a comma-separated list (no empty items)")


def _check_path(value: str) -> None:
    if not value.strip():
        raise ValueError("a path cannot be empty")


def _check_duration(value: str) -> None:
    parse_duration(value)


def _check_text(value: str) -> None:
    pass


_CHECKS: dict[str, Callable[[str], None]] = {
    "string": _check_text,
    "int": _check_int,
    "float": _check_float,
    "path": _check_path,
    "ip": _check_ip,
    "port": _check_port,
    "tuple": _check_tuple,
    "duration": _check_duration,
}


def check_value(value_type: str, value: str | None, choices: Sequence[str] = ()) -> None:
    """Raise ValueError with a one-sentence reason when ``value`` does not fit ``value_type``.

    ``bool`` takes no value (``None`` or ``""``); every other type needs one. No value may hold a
    NUL character: it cannot travel in an argv.
    """
    if value_type == "bool":
        if value not in (None, ""):
            raise ValueError(f"takes no value, but {value!r} was given")
        return
    if value is None:
        raise ValueError(f"needs a value ({DESCRIPTIONS[value_type].description})")
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    if "\x00" in value:
        raise ValueError("a value cannot contain a NUL character")
    if value_type == "enum":
        if value not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
        return
    _CHECKS[value_type](value)
