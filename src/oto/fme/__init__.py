"""FME, the flag matching engine: which flag combinations make a valid command.

Pure Python, no I/O.  The contract is ``docs``/spec ``fme.md``; everything a
caller needs is re-exported here.
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
from .schema import FlagRules, Schema

__all__ = [
    "PROBLEM_KINDS",
    "VIOLATION_KINDS",
    "CheckResult",
    "FMEError",
    "FlagRules",
    "Problem",
    "ProblemKind",
    "Schema",
    "Violation",
    "ViolationKind",
]
