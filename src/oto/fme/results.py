"""Value objects returned by the engine.

They are frozen so that a result handed to the CLI, the API or the dashboard
cannot drift from what the engine decided; ``to_dict`` gives the one JSON
shape every consumer shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ViolationKind = Literal[
    "unknown_flag",
    "missing_requirement",
    "missing_any",
    "conflict",
    "position",
    "order",
    "scale",
    "group",
    "duplicate",
    "when_missing",
    "when_forbidden",
    "when_value",
]
ProblemKind = Literal[
    "cycle", "self_reference", "unsatisfiable", "required_conflict", "impossible_any", "impossible_group"
]

#: Kinds in the order ``check()`` reports them (the contract's order), then ``check_values()``'s.
VIOLATION_KINDS: tuple[ViolationKind, ...] = (
    "unknown_flag",
    "missing_requirement",
    "missing_any",
    "conflict",
    "position",
    "order",
    "scale",
    "group",
    "duplicate",
    "when_missing",
    "when_forbidden",
    "when_value",
)
#: Kinds in the order ``validate()`` reports them.
PROBLEM_KINDS: tuple[ProblemKind, ...] = (
    "self_reference",
    "cycle",
    "unsatisfiable",
    "required_conflict",
    "impossible_any",
    "impossible_group",
)


@dataclass(frozen=True, slots=True)
class Violation:
    """Why a combination is refused; ``flags`` has the contract's shape per kind."""

    kind: ViolationKind
    flags: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "flags": list(self.flags), "message": self.message}


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a schema is inconsistent; shapes are documented on ``Schema.validate``."""

    kind: ProblemKind
    flags: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "flags": list(self.flags), "message": self.message}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of ``Schema.check``.

    ``ok`` is derived from ``violations`` so the two can never disagree.
    """

    violations: list[Violation]
    ok: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ok", not self.violations)

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "violations": [v.to_dict() for v in self.violations]}


class FMEError(Exception):
    """A combination cannot be completed; ``violations`` names the clashes."""

    def __init__(self, message: str, violations: tuple[Violation, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.violations = violations
