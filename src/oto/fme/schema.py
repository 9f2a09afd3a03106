"""The public ``Schema``: declare flags and rules, then ask questions.

Rule calls only edit plain containers and mark the schema dirty; the first
question afterwards (``check``, ``closure``, ``complete``, ``validate``)
compiles once, so a burst of edits costs one compilation, not one per edit,
and a check never pays for the schema's size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import check as _check
from .compiled import Compiled, compile_rules
from .graph import to_dot, to_mermaid
from .results import CheckResult, Problem
from .rules import Rules, check_flag, check_flags, link
from .validate import validate as _validate


@dataclass(frozen=True, slots=True)
class FlagRules:
    """Every rule that names one flag, for display and export."""

    flag: str
    repeatable: bool
    requires: tuple[str, ...]
    required_by: tuple[str, ...]
    conflicts: tuple[str, ...]
    positions: tuple[int, ...]
    before: tuple[str, ...]
    after: tuple[str, ...]
    scales: tuple[str, ...]


class Schema:
    """The flags of one executable and the rules between them (the FME contract).

    Semantics chosen where the contract leaves room:

    * ``add_flag(f, repeatable=True)`` is sticky: declaring ``f`` again
      without ``repeatable`` does not revoke it.
    * ``scale(name, ...)`` called twice with one name extends that group.
    * ``before(a, a)`` is accepted and ignored (it is not a contract
      ``self_reference``); ``require(a, a)`` and ``conflict(a, a)`` are kept
      only to be reported by ``validate``.

    Questions compile lazily and never mutate shared state beyond swapping in
    a fresh compiled snapshot, so a built schema can serve checks from several
    threads; rule changes themselves are not synchronised.
    """

    __slots__ = ("_compiled", "_problems", "_rules", "name")

    def __init__(self, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"a schema name must be a str, not {type(name).__name__}")
        self.name = name
        self._rules = Rules.empty()
        self._compiled: Compiled | None = None
        self._problems: list[Problem] | None = None

    def __repr__(self) -> str:
        return f"Schema(name={self.name!r}, flags={len(self._rules.flags)})"

    # -- declaring -------------------------------------------------------

    def _dirty(self) -> None:
        self._compiled = None
        self._problems = None

    def _declare(self, flag: object) -> str:
        f = check_flag(flag)
        if f not in self._rules.flags:
            self._rules.flags[f] = None
            self._dirty()
        return f

    def add_flag(self, flag: str, repeatable: bool = False) -> None:
        """Declare ``flag``; ``repeatable`` lets it appear more than once in C."""
        if not isinstance(repeatable, bool):
            raise TypeError("repeatable must be a bool")
        f = self._declare(flag)
        if repeatable and f not in self._rules.repeatable:
            self._rules.repeatable[f] = None
            self._dirty()

    def require(self, a: str, b: str) -> None:
        """If ``a`` is in C then ``b`` must be (transitively)."""
        a, b = self._declare(a), self._declare(b)
        r = self._rules
        if a == b:
            if a not in r.self_requires:
                r.self_requires[a] = None
                self._dirty()
        elif b not in r.requires.get(a, ()):
            link(r.requires, a, b)
            link(r.required_by, b, a)
            self._dirty()

    def conflict(self, a: str, b: str) -> None:
        """``a`` and ``b`` are never both in C (symmetric)."""
        a, b = self._declare(a), self._declare(b)
        r = self._rules
        if a == b:
            if a not in r.self_conflicts:
                r.self_conflicts[a] = None
                self._dirty()
        elif b not in r.conflicts.get(a, ()):
            link(r.conflicts, a, b)
            link(r.conflicts, b, a)
            self._dirty()

    def position(self, a: str, i: int) -> None:
        """If ``a`` is in C it must stand at index ``i`` (0-based, every item counts)."""
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"a position must be an int, not {type(i).__name__}")
        if i < 0:
            raise ValueError(f"a position must be >= 0, not {i}")
        a = self._declare(a)
        if i not in self._rules.positions.get(a, ()):
            self._rules.positions.setdefault(a, {})[i] = None
            self._dirty()

    def before(self, a: str, b: str) -> None:
        """If both are in C, every ``a`` must come before every ``b``."""
        a, b = self._declare(a), self._declare(b)
        r = self._rules
        if a == b:
            r.self_before[a] = None
        elif b not in r.before.get(a, ()):
            link(r.before, a, b)
            link(r.after, b, a)
            self._dirty()

    def scale(self, name: str, flags: Iterable[str]) -> None:
        """At most one flag of the group ``name`` may be in C."""
        if not isinstance(name, str):
            raise TypeError(f"a scale name must be a str, not {type(name).__name__}")
        members = [self._declare(f) for f in check_flags(flags)]
        group = self._rules.scales.get(name)
        if group is None:
            group = self._rules.scales[name] = {}
            self._dirty()
        for f in members:
            if f not in group:
                group[f] = None
                self._dirty()

    # -- reading the rules -----------------------------------------------

    @property
    def flags(self) -> tuple[str, ...]:
        """Declared flags, in declaration order."""
        return tuple(self._rules.flags)

    @property
    def scales(self) -> dict[str, tuple[str, ...]]:
        return {name: tuple(members) for name, members in self._rules.scales.items()}

    def has_flag(self, flag: str) -> bool:
        return check_flag(flag) in self._rules.flags

    def is_repeatable(self, flag: str) -> bool:
        return check_flag(flag) in self._rules.repeatable

    def rules_of(self, flag: str) -> FlagRules:
        """Every rule naming ``flag``; ``KeyError`` if it is not declared."""
        f = check_flag(flag)
        r = self._rules
        if f not in r.flags:
            raise KeyError(f)
        return FlagRules(
            flag=f,
            repeatable=f in r.repeatable,
            requires=tuple(r.requires.get(f, ())),
            required_by=tuple(r.required_by.get(f, ())),
            conflicts=tuple(r.conflicts.get(f, ())),
            positions=tuple(r.positions.get(f, ())),
            before=tuple(r.before.get(f, ())),
            after=tuple(r.after.get(f, ())),
            scales=tuple(name for name, members in r.scales.items() if f in members),
        )

    def copy(self) -> Schema:
        """An independent schema; the compiled form is shared until either changes."""
        other = Schema(self.name)
        other._rules = self._rules.copy()
        other._compiled = self._compiled
        other._problems = self._problems
        return other

    # -- questions -------------------------------------------------------

    def _ready(self) -> Compiled:
        if self._compiled is None:
            self._compiled = compile_rules(self._rules)
        return self._compiled

    def check(self, flags: Iterable[str]) -> CheckResult:
        """All violations of the combination ``flags`` (an ordered sequence).

        Violations come grouped by kind in the contract's order (unknown_flag,
        missing_requirement, conflict, position, order, scale, duplicate),
        each group in order of appearance in ``flags``.  An unknown flag is
        reported once however often it appears, and never as a duplicate.
        ``before(a, b)`` is broken when any ``b`` stands before any ``a``; a
        repeated flag with a position rule must stand there every time.
        """
        return _check.check(self._ready(), flags, self.name)

    def closure(self, flags: Iterable[str]) -> set[str]:
        """``flags`` plus every flag they require, transitively (cycles included)."""
        return _check.closure(self._ready(), check_flags(flags))

    def complete(self, flags: Iterable[str]) -> list[str]:
        """``flags`` followed by their missing requirements.

        Order of the additions: requirers before what they require (a
        topological order of the requires graph, ties and cycle members by
        declaration order), so every added flag stands after every flag of the
        result that requires it — except inside a requires cycle.  Raises
        ``FMEError`` naming each conflict or scale clash of the completed
        combination (position, order and duplicates are not its concern).
        """
        return _check.complete(self._ready(), check_flags(flags))

    def validate(self) -> list[Problem]:
        """Problems of the schema itself, empty when it is consistent.

        * ``self_reference``: ``flags=(a,)`` for ``require(a, a)`` or
          ``conflict(a, a)`` (one problem per such rule).
        * ``cycle``: one per strongly connected component of the requires
          graph with two or more flags; ``flags`` is the shortest cycle
          through the component's first-declared flag, closing on it.
        * ``unsatisfiable``: one per flag ``f`` whose closure holds a clashing
          pair, ``flags=(f, x, y)`` with ``x`` declared no later than ``y``.
          A pair clashes when the two conflict, share a scale group, or share
          a required position index; a single flag with two different
          position rules clashes with itself (``x == y``).  Before rules never
          make a flag unsatisfiable.
        """
        if self._problems is None:
            self._problems = _validate(self._rules, self._ready())
        return list(self._problems)

    def graph(self, fmt: str = "dot") -> str:
        """The rules as Graphviz (``dot``) or ``mermaid`` text.

        Requires are arrows, conflicts dashed undirected edges, before rules
        dotted arrows, scale groups clusters/subgraphs.
        """
        if fmt == "dot":
            return to_dot(self._rules, self.name)
        if fmt == "mermaid":
            return to_mermaid(self._rules)
        raise ValueError(f"unknown graph format {fmt!r} (expected 'dot' or 'mermaid')")
