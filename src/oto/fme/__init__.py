"""FME, the flag matching engine: which flag combinations make a valid command.

Pure Python, stdlib only, no I/O, so the CLI, the API, the dashboard and the
persistence layer can all share one engine and its exact messages.  The
public contract is the FME spec (``fme.md``); everything a caller needs is
re-exported here.
"""

from .results import (
    PROBLEM_KINDS,
    VIOLATION_KINDS,
    CheckResult,
    FMEError,
    Problem,
    ProblemKind,
    Violation,
    ViolationKind,
)
from .rules import ValueRule
from .schema import Condition, FlagRules, Group, Schema

__all__ = [
    "PROBLEM_KINDS",
    "VIOLATION_KINDS",
    "CheckResult",
    "Condition",
    "FMEError",
    "FlagRules",
    "Group",
    "Problem",
    "ProblemKind",
    "Schema",
    "ValueRule",
    "Violation",
    "ViolationKind",
]
