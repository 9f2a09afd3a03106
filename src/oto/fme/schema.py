"""The public ``Schema``: declare flags and rules, then ask questions.

Rule calls only edit plain containers and mark the schema dirty; the first
question afterwards (``check``, ``closure``, ``complete``, ``validate``)
compiles once, so a burst of edits costs one compilation, not one per edit,
and a check never pays for the schema's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from . import check as _check
from .compiled import Compiled, compile_rules
from .graph import to_dot, to_mermaid
from .results import CheckResult, Problem
from .rules import Rules, ValueRule, check_flag, check_flags, link
from .validate import validate as _validate
from .values import check_values as _check_values


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
    required: bool = False
    require_any: tuple[tuple[str, ...], ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Group:
    """A group's members (declaration order) and bounds; ``max`` None is unbounded."""

    name: str
    members: tuple[str, ...]
    min: int
    max: int | None


class Condition:
    """``schema.when(flag, equals=V | in_=[...])``: add value rules that apply when it holds."""

    __slots__ = ("_equals", "_flag", "_schema", "_values")

    def __init__(self, schema: Schema, flag: str, values: tuple[str, ...], equals: bool) -> None:
        self._schema = schema
        self._flag = flag
        self._values = values
        self._equals = equals

    def _add(self, action: str, target: str, patterns: tuple[str, ...] = ()) -> Condition:
        rule = ValueRule(self._flag, self._values, self._equals, action, self._schema._declare(target), patterns)
        if rule not in self._schema._rules.value_rules:
            self._schema._rules.value_rules.append(rule)
            self._schema._dirty()
        return self

    def require(self, flag: str) -> Condition:
        """When the condition holds, ``flag`` must be present."""
        return self._add("require", flag)

    def forbid(self, flag: str) -> Condition:
        """When the condition holds, ``flag`` must not be present."""
        return self._add("forbid", flag)

    def values(self, flag: str, patterns: Iterable[str]) -> Condition:
        """When the condition holds, every value of ``flag`` matches a pattern (``*``: any run)."""
        return self._add("values", flag, tuple(check_flags(patterns)))


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
        if name in self._rules.groups:
            raise ValueError(f"{name} is a group, not a scale")
        members = [self._declare(f) for f in check_flags(flags)]
        group = self._rules.scales.get(name)
        if group is None:
            group = self._rules.scales[name] = {}
            self._dirty()
        for f in members:
            if f not in group:
                group[f] = None
                self._dirty()

    def require_any(self, a: str, alternatives: Iterable[str]) -> None:
        """If ``a`` is in C, at least one of ``alternatives`` must be."""
        alts = tuple(dict.fromkeys(check_flags(alternatives)))
        if not alts:
            raise ValueError("require_any needs at least one alternative")
        a = self._declare(a)
        for f in alts:
            self._declare(f)
        if (a, alts) not in self._rules.require_any:
            self._rules.require_any.append((a, alts))
            self._dirty()

    def group(self, name: str, flags: Iterable[str], min: int = 0, max: int | None = None) -> None:
        """Between ``min`` and ``max`` (None: any number) distinct members of the group are in C."""
        if not isinstance(name, str):
            raise TypeError(f"a group name must be a str, not {type(name).__name__}")
        for label, bound in (("min", min), ("max", max)):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
                raise TypeError(f"a group's {label} must be an int, not {type(bound).__name__}")
        if min < 0:
            raise ValueError(f"a group's min must be >= 0, not {min}")
        if max is not None and max < 1:
            raise ValueError(f"a group's max must be >= 1, not {max}")
        if max is not None and min > max:
            raise ValueError(f"a group's min ({min}) cannot exceed its max ({max})")
        if name in self._rules.scales:
            raise ValueError(f"{name} is a scale, not a group")
        known = self._rules.bounds.get(name)
        if known is not None and known != (min, max):
            raise ValueError(f"group {name} has other bounds already ({known[0]}..{known[1]})")
        members = [self._declare(f) for f in check_flags(flags)]
        group = self._rules.groups.get(name)
        if group is None:
            group = self._rules.groups[name] = {}
            self._rules.bounds[name] = (min, max)
            self._dirty()
        for f in members:
            if f not in group:
                group[f] = None
                self._dirty()

    def required(self, flag: str) -> None:
        """``flag`` is in every valid combination."""
        f = self._declare(flag)
        if f not in self._rules.required:
            self._rules.required[f] = None
            self._dirty()

    def when(self, flag: str, equals: str | None = None, in_: Iterable[str] | None = None) -> Condition:
        """A condition on ``flag``'s value (``equals`` one value, or ``in_`` several) for value rules."""
        if (equals is None) == (in_ is None):
            raise ValueError("when() needs exactly one of equals= or in_=")
        if equals is not None:
            values: tuple[str, ...] = (check_flag(equals),)
        else:
            values = tuple(dict.fromkeys(check_flags(in_)))
            if not values:
                raise ValueError("when(in_=...) needs at least one value")
        return Condition(self, self._declare(flag), values, equals is not None)

    # -- reading the rules -----------------------------------------------

    @property
    def flags(self) -> tuple[str, ...]:
        """Declared flags, in declaration order."""
        return tuple(self._rules.flags)

    @property
    def scales(self) -> dict[str, tuple[str, ...]]:
        return {name: tuple(members) for name, members in self._rules.scales.items()}

    @property
    def groups(self) -> dict[str, Group]:
        """The v2 groups (not the scales), by name in declaration order."""
        r = self._rules
        return {name: Group(name, tuple(m), *r.bounds[name]) for name, m in r.groups.items()}

    @property
    def required_flags(self) -> tuple[str, ...]:
        return tuple(self._rules.required)

    @property
    def any_rules(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Every ``require_any(a, alternatives)`` as ``(a, alternatives)``, in declaration order."""
        return tuple(self._rules.require_any)

    @property
    def value_rules(self) -> tuple[ValueRule, ...]:
        return tuple(self._rules.value_rules)

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
            required=f in r.required,
            require_any=tuple(alts for a, alts in r.require_any if a == f),
            groups=tuple(name for name, members in r.groups.items() if f in members),
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

    def check_values(self, values: Mapping[str, object]) -> CheckResult:
        """Violations of the value rules by a job's values (flag -> str, list of str or None).

        A flag is present when it is a key; see the contract's "Value rules".
        """
        return _check_values(self._ready(), values)

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
