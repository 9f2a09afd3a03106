"""Mutable rule storage behind a ``Schema``.

Kept apart from the compiled form so that a schema can be copied or edited
cheaply and compiled only when something asks a question.  Every container
is an insertion-ordered dict used as an ordered set: output (problems,
chains, graph) must be deterministic, and declaration order is the only
order a user can reason about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


def check_flag(flag: object) -> str:
    """Flags are plain strings; anything else is a programming error."""
    if not isinstance(flag, str):
        raise TypeError(f"a flag must be a str, not {type(flag).__name__}")
    return flag


def check_flags(flags: object) -> list[str]:
    """Materialise a combination, refusing a bare string (a classic slip)."""
    if isinstance(flags, str):
        raise TypeError("a combination is a sequence of flags, not a single str")
    if not isinstance(flags, Iterable):
        raise TypeError(f"a combination must be iterable, not {type(flags).__name__}")
    out = list(flags)
    for flag in out:
        check_flag(flag)
    return out


@dataclass(frozen=True, slots=True)
class ValueRule:
    """One value rule: when ``flag`` has one of ``values``, ``action`` applies to ``target``.

    ``action`` is ``require``, ``forbid`` or ``values``; ``patterns`` only for ``values``.
    ``equals`` says whether the condition was written ``equals=`` (one value) or ``in_=``.
    """

    flag: str
    values: tuple[str, ...]
    equals: bool
    action: str
    target: str
    patterns: tuple[str, ...] = ()


@dataclass(slots=True)
class Rules:
    """Every rule declared on a schema, in declaration order."""

    flags: dict[str, None]
    repeatable: dict[str, None]
    requires: dict[str, dict[str, None]]
    required_by: dict[str, dict[str, None]]
    conflicts: dict[str, dict[str, None]]
    positions: dict[str, dict[int, None]]
    before: dict[str, dict[str, None]]
    after: dict[str, dict[str, None]]
    scales: dict[str, dict[str, None]]
    self_requires: dict[str, None]
    self_conflicts: dict[str, None]
    self_before: dict[str, None]
    # v2: (a, alternatives) in declaration order; groups by name with (min, max); required flags.
    require_any: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    groups: dict[str, dict[str, None]] = field(default_factory=dict)
    bounds: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    required: dict[str, None] = field(default_factory=dict)
    value_rules: list[ValueRule] = field(default_factory=list)

    @classmethod
    def empty(cls) -> Rules:
        return cls({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})

    def copy(self) -> Rules:
        def nested(d: dict[str, dict[str, None]]) -> dict[str, dict[str, None]]:
            return {k: dict(v) for k, v in d.items()}

        return Rules(
            dict(self.flags),
            dict(self.repeatable),
            nested(self.requires),
            nested(self.required_by),
            nested(self.conflicts),
            {k: dict(v) for k, v in self.positions.items()},
            nested(self.before),
            nested(self.after),
            nested(self.scales),
            dict(self.self_requires),
            dict(self.self_conflicts),
            dict(self.self_before),
            list(self.require_any),
            nested(self.groups),
            dict(self.bounds),
            dict(self.required),
            list(self.value_rules),
        )


def link(table: dict[str, dict[str, None]], a: str, b: str) -> None:
    table.setdefault(a, {})[b] = None
