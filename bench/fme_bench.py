"""BENCHMARK — not a test.  The flag matching engine next to the seed's algorithm, same run.

Run:  python bench/fme_bench.py            (10,000 flags, 50,000 requires, 5,000 conflicts)
      python bench/fme_bench.py --quick    (a tenth of that, for a smoke run)
      python bench/fme_bench.py --v2       (also FME v2: the same schema with groups, require_any
                                            and required flags added, and the ratio of its check
                                            time to the v1 schema's; the target is at most 2)
      python bench/fme_bench.py --v2 --baseline DIR
                                           (DIR an older oto/fme package, e.g. from
                                            `git archive a3b83ea src/oto/fme | tar -x -C /tmp/old`:
                                            its check of the v1 schema is timed too, as "today's v1")

The schema is random: requires join random pairs from the lower to the higher
flag index (so the requires graph is acyclic), conflicts join random pairs.
Three workloads of 20-flag combinations are timed one call at a time and the
median is reported:

* accepted  — combinations the engine accepts (closed under requires, no
  conflict): the common case, where a check should cost ~ the combination;
* near-miss — an accepted combination with one flag swapped so that it breaks
  a requirement or a conflict: a few violations, explanations included;
* random    — 20 random flags: typically thousands of missing requirements,
  so every algorithm is dominated by producing that many explained violations.

Baselines, each producing the same ``Violation`` objects as ``check()`` (the
script verifies they agree):

* seed as shipped — the Go ``ValidateSelection`` this project replaces: a
  lvlath ``bfs.BFS`` from every flag of the combination (each call first takes
  ``g.Vertices()``, a sorted snapshot of every vertex, O(V log V)), then a
  scan of every declared conflict pair;
* BFS + scan — the same without lvlath's per-call snapshot: each BFS touches
  only what the flag reaches; every declared conflict pair is still scanned;
* BFS + lookup — the strongest per-check baseline: BFS touching only the
  reachable part, and a lookup of each pair of the combination.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

try:
    from oto.fme import FMEError, Schema, Violation
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from oto.fme import FMEError, Schema, Violation

Combo = list[str]


class Seed:
    """The seed's model: string adjacency lists and a symmetric conflict map, no precomputation."""

    def __init__(self, requires: list[tuple[str, str]], conflicts: list[tuple[str, str]], rng: random.Random) -> None:
        self.adj: dict[str, list[str]] = {}
        vertices: set[str] = set()
        for a, b in requires:
            self.adj.setdefault(a, []).append(b)
            vertices.update((a, b))
        self.pairs = conflicts
        self.conflicts: dict[str, set[str]] = {}
        for a, b in conflicts:
            self.conflicts.setdefault(a, set()).add(b)
            self.conflicts.setdefault(b, set()).add(a)
            vertices.update((a, b))
        self.vertices = sorted(vertices)
        rng.shuffle(self.vertices)  # Go map order: lvlath really has to sort

    def _bfs(self, source: str, snapshot: bool) -> tuple[dict[str, int], dict[str, str | None]]:
        if snapshot:
            sorted(self.vertices)  # lvlath bfs.BFS: vertices := g.Vertices() (sorted), sizes its maps by it
        parent: dict[str, str | None] = {source: None}
        depth = {source: 0}
        queue = deque([source])
        while queue:
            v = queue.popleft()
            for w in self.adj.get(v, ()):
                if w not in depth:
                    depth[w] = depth[v] + 1
                    parent[w] = v
                    queue.append(w)
        return depth, parent

    def _missing(self, combo: Sequence[str], snapshot: bool) -> list[Violation]:
        """A BFS from every flag; each missing flag keeps the shallowest chain found."""
        present = set(combo)
        best: dict[str, tuple[int, dict[str, str | None]]] = {}
        for source in dict.fromkeys(combo):
            depth, parent = self._bfs(source, snapshot)
            for flag, d in depth.items():
                if flag not in present and (flag not in best or d < best[flag][0]):
                    best[flag] = (d, parent)
        out: list[Violation] = []
        for flag, (_, parent) in best.items():
            chain = [flag]
            while (up := parent[chain[-1]]) is not None:
                chain.append(up)
            chain.reverse()
            text = f"{chain[0]} requires {chain[1]}" + "".join(f", which requires {f}" for f in chain[2:])
            out.append(Violation("missing_requirement", tuple(chain), text + ", which is missing"))
        return out

    def _scan(self, combo: Sequence[str]) -> list[Violation]:
        present = set(combo)
        return [
            Violation("conflict", (a, b), f"{a} conflicts with {b}")
            for a, b in self.pairs
            if a in present and b in present
        ]

    def _lookup(self, combo: Sequence[str]) -> list[Violation]:
        out: list[Violation] = []
        seen: dict[str, None] = {}
        for b in combo:
            others = self.conflicts.get(b)
            if others and not others.isdisjoint(seen):
                out.extend(Violation("conflict", (a, b), f"{a} conflicts with {b}") for a in seen if a in others)
            seen[b] = None
        return out

    def as_shipped(self, combo: Combo) -> list[Violation]:
        return self._missing(combo, snapshot=True) + self._scan(combo)

    def bfs_scan(self, combo: Combo) -> list[Violation]:
        return self._missing(combo, snapshot=False) + self._scan(combo)

    def bfs_lookup(self, combo: Combo) -> list[Violation]:
        return self._missing(combo, snapshot=False) + self._lookup(combo)


def generate(
    n: int, n_requires: int, n_conflicts: int, rng: random.Random
) -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    names = [f"--flag-{i}" for i in range(n)]

    def pairs(count: int) -> list[tuple[str, str]]:
        chosen: set[tuple[int, int]] = set()
        while len(chosen) < count:
            a, b = rng.sample(range(n), 2)
            chosen.add((min(a, b), max(a, b)))
        return [(names[a], names[b]) for a, b in sorted(chosen)]

    return names, pairs(n_requires), pairs(n_conflicts)


def accepted_combos(schema: Schema, names: list[str], size: int, count: int, rng: random.Random) -> list[Combo]:
    """Unions of small closures, kept valid, of exactly ``size`` flags."""
    small = [cl for cl in (schema.closure([f]) for f in names) if len(cl) <= size // 2]
    out: list[Combo] = []
    for _ in range(count * 50):
        if len(out) == count:
            return out
        combo: set[str] = set()
        for _ in range(200):
            grown = combo | rng.choice(small)
            if len(grown) <= size and schema.check(sorted(grown)).ok:
                combo = grown
            if len(combo) == size:
                flags = sorted(combo)
                rng.shuffle(flags)
                out.append(flags)
                break
    raise SystemExit(f"could only build {len(out)} accepted combinations of {size} flags")


def near_misses(
    schema: Schema, accepted: list[Combo], names: list[str], conflicts: list[tuple[str, str]], rng: random.Random
) -> list[Combo]:
    """Each accepted combination with one flag swapped: a broken requirement or a conflict."""
    small = {f for f in names if len(schema.closure([f])) <= 2}
    partner: dict[str, list[str]] = {}
    for a, b in conflicts:
        if b in small:
            partner.setdefault(a, []).append(b)
        if a in small:
            partner.setdefault(b, []).append(a)
    out: list[Combo] = []
    for combo in accepted:
        broken = list(combo)
        with_partner = [f for f in combo if any(g not in combo for g in partner.get(f, ()))]
        if with_partner and rng.random() < 0.5:
            f = rng.choice(with_partner)
            broken[broken.index(rng.choice([g for g in combo if g != f]))] = rng.choice(
                [g for g in partner[f] if g not in combo]
            )
        else:
            needed = sorted({g for f in combo for g in schema.closure([f]) - {f}})
            spare = [g for g in small if g not in combo and len(schema.closure([g])) == 1]
            broken[broken.index(rng.choice(needed))] = rng.choice(spare)
        out.append(broken)
    return out


def median_us(fn: Callable[[Combo], object], combos: list[Combo]) -> float:
    clock = time.perf_counter_ns
    times = []
    for combo in combos:
        start = clock()
        fn(combo)
        times.append(clock() - start)
    return statistics.median(times) / 1000


def agree(schema: Schema, seed: Seed, combos: list[Combo]) -> None:
    """Same missing flags with equally short chains and the same conflicting pairs, everywhere."""

    def gist(violations: list[Violation]) -> tuple[list[tuple[str, int]], set[frozenset[str]]]:
        missing = sorted((v.flags[-1], len(v.flags)) for v in violations if v.kind == "missing_requirement")
        return missing, {frozenset(v.flags) for v in violations if v.kind == "conflict"}

    for combo in combos:
        ours = gist(schema.check(combo).violations)
        for baseline in (seed.as_shipped, seed.bfs_scan, seed.bfs_lookup):
            if gist(baseline(combo)) != ours:
                raise SystemExit(f"fme and {baseline.__name__} disagree on {combo}")


def add_v2_rules(schema: Schema, names: list[str], sizes: dict[str, int], rng: random.Random) -> dict[str, int]:
    """Groups (most of at most one member, some of at most two, a few needing one), require_any
    rules and required flags on flags whose closure is small (``sizes``: each flag's closure size
    under requires), so that valid combinations exist."""
    leaves = [f for f in names if sizes[f] == 1]
    small = [f for f in names if sizes[f] <= 3]
    rng.shuffle(leaves)
    scale = len(names) / 10_000
    counts = {"groups max 1": 0, "groups max 2": 0, "groups min 1": 0, "require_any": 0, "required": 0}
    for g in range(5):
        schema.group(f"m{g}", [leaves.pop() for _ in range(3)], min=1, max=1)
        counts["groups min 1"] += 1
    for _ in range(3):
        schema.required(leaves.pop())
        counts["required"] += 1
    taken: set[str] = set()
    for members in schema.groups.values():
        taken.update(members.members)
    taken.update(schema.required_flags)
    pool = [f for f in names if sizes[f] <= 10 and f not in taken]
    rng.shuffle(pool)
    for g in range(int(400 * scale)):
        schema.group(f"g{g}", [pool.pop() for _ in range(4)], max=1)
        counts["groups max 1"] += 1
    for g in range(int(100 * scale)):
        schema.group(f"w{g}", [pool.pop() for _ in range(4)], max=2)
        counts["groups max 2"] += 1
    grouped = {f for group in schema.groups.values() for f in group.members}
    # alternatives: flags in no group and with no require_any of their own, so one step satisfies a rule
    free = [f for f in small if f not in grouped and f not in taken]
    alternatives = free[: len(free) // 2]
    owners = [f for f in small if f not in taken and f not in alternatives]
    for _ in range(int(2_000 * scale)):
        schema.require_any(rng.choice(owners), rng.sample(alternatives, 3))
        counts["require_any"] += 1
    return counts


def accepted_v2(schema: Schema, names: list[str], size: int, count: int, rng: random.Random) -> list[Combo]:
    """Valid combinations of exactly ``size`` flags, grown with ``complete``."""
    base = schema.complete([])
    out: list[Combo] = []
    for _ in range(count * 50):
        if len(out) == count:
            return out
        combo = list(base)
        for _ in range(200):
            try:
                grown = schema.complete([*combo, rng.choice(names)])
            except FMEError:
                continue
            if len(grown) <= size and len(set(grown)) == len(grown) and schema.check(grown).ok:
                combo = grown
            if len(combo) == size:
                rng.shuffle(combo)
                out.append(combo)
                break
    raise SystemExit(f"could only build {len(out)} accepted v2 combinations of {size} flags")


def load_baseline(directory: str) -> type[Schema]:
    """The ``Schema`` of an older engine package, loaded under another name beside ``oto.fme``."""
    init = Path(directory) / "__init__.py"
    spec = importlib.util.spec_from_file_location("fme_baseline", init, submodule_search_locations=[directory])
    if spec is None or spec.loader is None:
        raise SystemExit(f"no package at {directory}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fme_baseline"] = module
    spec.loader.exec_module(module)
    schema_type: type[Schema] = module.Schema
    return schema_type


def v2_section(args: argparse.Namespace, names: list[str], requires: list[tuple[str, str]],
               conflicts: list[tuple[str, str]], v1: Schema, accepted: list[Combo], rng: random.Random) -> None:
    sizes = {f: len(v1.closure([f])) for f in names}  # the rules' choice of flags, not timed
    start = time.perf_counter()
    schema = Schema(name="bench-v2")
    for f in names:
        schema.add_flag(f)
    for a, b in requires:
        schema.require(a, b)
    for a, b in conflicts:
        schema.conflict(a, b)
    counts = add_v2_rules(schema, names, sizes, rng)
    schema.check([])
    problems = schema.validate()
    built = time.perf_counter() - start
    mine = accepted_v2(schema, names, args.size, min(args.combos, 500), rng)
    random_combos = [rng.sample(names, args.size) for _ in range(args.random_combos)]
    kinds: dict[str, int] = {}
    for p in problems:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    old: Schema | None = None
    if args.baseline:
        old = load_baseline(args.baseline)(name="bench")
        for f in names:
            old.add_flag(f)
        for a, b in requires:
            old.require(a, b)
        for a, b in conflicts:
            old.conflict(a, b)
        old.check([])
    # alternate the timings so that a busy machine weighs on all alike
    v1_times, v2_times, v1_random, v2_random, old_times, old_random = [], [], [], [], [], []
    for _ in range(3):
        v1_times.append(median_us(v1.check, accepted))
        v2_times.append(median_us(schema.check, mine))
        v1_random.append(median_us(v1.check, random_combos))
        v2_random.append(median_us(schema.check, random_combos))
        if old is not None:
            old_times.append(median_us(old.check, accepted))
            old_random.append(median_us(old.check, random_combos))
    t1, t2 = min(v1_times), min(v2_times)
    r1, r2 = min(v1_random), min(v2_random)
    rules = sum(counts.values()) + len(requires) + len(conflicts)
    print()
    print("FME v2: the same schema plus " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    print(f"  {rules:,} rules; build+validate {built:.3f} s; problems: "
          + (", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items())) or "none"))
    print(f"  median check of {args.size} flags (best of 3 alternating rounds), microseconds:")
    print(f"    {'':<34}{'accepted':>12}{'random':>12}")
    print(f"    {'v1 schema (requires, conflicts)':<34}{t1:>12,.1f}{r1:>12,.1f}")
    print(f"    {'v2 schema (+ groups, any, req.)':<34}{t2:>12,.1f}{r2:>12,.1f}")
    if old is not None:
        print(f"    {'v1 schema, baseline engine':<34}{min(old_times):>12,.1f}{min(old_random):>12,.1f}")
    ratio = t2 / t1
    print(f"  ratio v2/v1 on accepted combinations: {ratio:.2f}  target <= 2: {'met' if ratio <= 2 else 'MISSED'}")
    print(f"  ratio v2/v1 on random combinations:   {r2 / r1:.2f}")
    if old is not None:
        ratio = t2 / min(old_times)
        print(f"  ratio v2 / baseline engine's v1 check (accepted): {ratio:.2f}  target <= 2: "
              f"{'met' if ratio <= 2 else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="FME benchmark (not a test).")
    parser.add_argument("--flags", type=int, default=10_000)
    parser.add_argument("--requires", type=int, default=50_000)
    parser.add_argument("--conflicts", type=int, default=5_000)
    parser.add_argument("--size", type=int, default=20, help="flags per combination")
    parser.add_argument("--combos", type=int, default=2_000, help="accepted and near-miss combinations")
    parser.add_argument("--random-combos", type=int, default=200, help="random combinations")
    parser.add_argument("--shipped-combos", type=int, default=100, help="combinations timed on the slow seed")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, for a smoke run")
    parser.add_argument("--v2", action="store_true", help="also time FME v2 rules and print the ratio")
    parser.add_argument("--baseline", help="with --v2: an older oto/fme package directory to time as well")
    args = parser.parse_args(argv)
    if args.quick:
        args.flags, args.requires, args.conflicts = args.flags // 10, args.requires // 10, args.conflicts // 10
        args.combos, args.random_combos, args.shipped_combos = 200, 50, 50
    rng = random.Random(args.seed)
    names, requires, conflicts = generate(args.flags, args.requires, args.conflicts, rng)

    start = time.perf_counter()
    schema = Schema(name="bench")
    for f in names:
        schema.add_flag(f)
    for a, b in requires:
        schema.require(a, b)
    for a, b in conflicts:
        schema.conflict(a, b)
    declared = time.perf_counter()
    schema.check([])  # compiles
    compiled = time.perf_counter()
    problems = schema.validate()
    validated = time.perf_counter()
    total = validated - start

    seed = Seed(requires, conflicts, rng)
    accepted = accepted_combos(schema, names, args.size, args.combos, rng)
    workloads = {
        "accepted": accepted,
        "near-miss": near_misses(schema, accepted, names, conflicts, rng),
        "random": [rng.sample(names, args.size) for _ in range(args.random_combos)],
    }
    agree(schema, seed, [c for combos in workloads.values() for c in combos[:20]])

    kinds: dict[str, int] = {}
    for p in problems:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    summary = ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items())) or "none"

    print("FME BENCHMARK (a benchmark, not a test)")
    print(
        f"schema: {args.flags:,} flags, {args.requires:,} requires (random, lower -> higher index), "
        f"{args.conflicts:,} conflicts; random seed {args.seed}"
    )
    print()
    print(f"  {'declare rules':<16}{declared - start:>8.3f} s")
    print(f"  {'compile':<16}{compiled - declared:>8.3f} s")
    print(f"  {'validate':<16}{validated - compiled:>8.3f} s   problems: {summary}")
    print(f"  {'build+validate':<16}{total:>8.3f} s   target < 2 s: {'met' if total < 2 else 'MISSED'}")
    print()

    rows: list[tuple[str, list[str]]] = []
    columns = list(workloads)
    rows.append(("combinations timed", [f"{len(workloads[w]):,}" for w in columns]))
    rows.append(
        (
            "violations / combination (median)",
            [f"{statistics.median(len(schema.check(c).violations) for c in workloads[w]):,.0f}" for w in columns],
        )
    )
    ours = {w: median_us(schema.check, workloads[w]) for w in columns}
    rows.append(("fme check()", [f"{ours[w]:,.1f}" for w in columns]))
    baselines: list[tuple[str, Callable[[Combo], list[Violation]], int | None]] = [
        ("seed as shipped (lvlath BFS)", seed.as_shipped, args.shipped_combos),
        ("BFS per flag + conflict scan", seed.bfs_scan, None),
        ("BFS per flag + pair lookup", seed.bfs_lookup, None),
    ]
    verdicts: list[str] = []
    for label, fn, limit in baselines:
        theirs = {w: median_us(fn, workloads[w][:limit]) for w in columns}
        ratios = {w: theirs[w] / ours[w] for w in columns}
        rows.append((label, [f"{theirs[w]:,.1f}" for w in columns]))
        rows.append(("  fme speed-up", [f"{ratios[w]:,.1f}x" for w in columns]))
        met = [w for w in columns if ratios[w] >= 50]
        missed = [f"{w} {ratios[w]:,.1f}x" for w in columns if ratios[w] < 50]
        verdicts.append(
            f"  vs {label}: met on {', '.join(met) or 'none'}" + (f"; missed on {', '.join(missed)}" if missed else "")
        )

    print(f"median time of one check of {args.size} flags, in microseconds")
    width = max(len(label) for label, _ in rows) + 2
    header = f"  {'':<{width}}" + "".join(f"{w:>13}" for w in columns)
    print(header)
    print("  " + "-" * (len(header) - 2))
    for label, cells in rows:
        print(f"  {label:<{width}}" + "".join(f"{c:>13}" for c in cells))
    print()
    print(f"seed as shipped is timed on the first {args.shipped_combos} combinations of each workload (it is slow).")
    print("All baselines return the same violations as fme (checked on a sample).")
    print("Target fme >= 50x:")
    for line in verdicts:
        print(line)
    if args.v2:
        v2_section(args, names, requires, conflicts, schema, accepted, rng)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
