"""Checking a job's values against the value rules (``when(...)``).

A command fixes which flags stand in it; a job gives them values. Value rules are conditions on
those values, so they are checked here, apart from ``check`` (which sees flags only).
"""

from __future__ import annotations

from collections.abc import Mapping

from .compiled import Compiled
from .results import CheckResult, Violation
from .rules import ValueRule, check_flag


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        out = []
        for item in value:
            if not isinstance(item, str):
                raise TypeError(f"a value must be a str, not {type(item).__name__}")
            out.append(item)
        return out
    raise TypeError(f"a value must be a str, a list of str or None, not {type(value).__name__}")


def condition_text(rule: ValueRule) -> str:
    if rule.equals:
        return f"{rule.flag} is {rule.values[0]}"
    return f"{rule.flag} is one of {', '.join(rule.values)}"


def check_values(c: Compiled, values: Mapping[str, object]) -> CheckResult:
    """Violations of the value rules by ``values`` (flag -> value(s)), in rule declaration order."""
    if not isinstance(values, Mapping):
        raise TypeError(f"values must be a mapping of flag to value, not {type(values).__name__}")
    given: dict[str, list[str]] = {}
    for flag, value in values.items():
        given[check_flag(flag)] = _as_list(value)
    out: list[Violation] = []
    for rule, regex in c.value_rules:
        have = given.get(rule.flag)
        if have is None or not any(v in rule.values for v in have):
            continue
        when = condition_text(rule)
        target = rule.target
        if rule.action == "require":
            if target not in given:
                out.append(Violation("when_missing", (rule.flag, target), f"{target} is required when {when}"))
        elif rule.action == "forbid":
            if target in given:
                out.append(Violation("when_forbidden", (rule.flag, target), f"{target} is not allowed when {when}"))
        elif regex is not None:
            for value in given.get(target, ()):
                if regex.fullmatch(value) is None:
                    out.append(
                        Violation("when_value", (rule.flag, target), f"{target} {value} is not allowed when {when}")
                    )
    return CheckResult(out)
