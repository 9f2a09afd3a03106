"""How long an ``oto`` catalog verb takes as a whole process, beside a bare ``python -c pass``.

Each command runs as a fresh process (as a user types it) several times over a small catalog in a
throwaway OTO_HOME; the median wall time is printed with its ratio to the bare interpreter, and the
median CPU time of the process (user + system), which other work on a shared machine disturbs less.
The target: catalog verbs (list, show, check, argv, add) within 0.4 s on the development machine.

As for a user, Python writes the compiled bytecode of OTO's modules on the first run and reads it
afterwards (the benchmark unsets PYTHONDONTWRITEBYTECODE; the first runs, ``init`` and ``import``,
are not timed).

    python bench/cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OTO = [sys.executable, "-m", "oto"]
TAG = "openssl - 3.5.3"
TARGET = 0.4


def once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """The wall time and the CPU time of one run of ``argv`` (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)


def timed(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """The median wall and CPU times of ``runs`` runs of ``argv``."""
    return medians([once(argv, env) for _ in range(runs)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("OTO_") and k != "PYTHONDONTWRITEBYTECODE"} | {"OTO_HOME": home}
        subprocess.run([*OTO, "init"], env=env, check=True, capture_output=True)
        subprocess.run([*OTO, "import", str(ROOT / "data" / "openssl.json")], env=env, check=True,
                       capture_output=True)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "oto --help": [*OTO, "--help"],
            "oto executable list": [*OTO, "executable", "list"],
            "oto job show GenRSA-2048": [*OTO, "job", "show", "GenRSA-2048"],
            "oto job argv GenRSA-2048": [*OTO, "job", "argv", "GenRSA-2048"],
            "oto command check": [*OTO, "command", "check", "--executable", TAG, "genpkey", "-algorithm"],
            "oto run list": [*OTO, "run", "list"],
        }
        results = {name: timed(argv, env, runs) for name, argv in cases.items()}
        counter = 0

        def add() -> list[str]:
            nonlocal counter
            counter += 1
            return [*OTO, "executable", "add", f"tool{counter}", "1", "/bin/true"]

        results["oto executable add"] = medians([once(add(), env) for _ in range(runs)])
    bare = results["python -c pass"][0]
    load = os.getloadavg()[0]
    print(f"CLI start-up, median of {runs} runs ({os.cpu_count()} cores, load {load:.2f}); target {TARGET} s")
    print(f"  {'command':<32}{'seconds':>9}{'x python':>10}{'cpu s':>8}")
    for name, (seconds, cpu) in results.items():
        mark = "" if name == "python -c pass" or name == "oto --help" else (
            "  met" if seconds <= TARGET else "  missed")
        print(f"  {name:<32}{seconds:>9.3f}{seconds / bare:>10.1f}{cpu:>8.3f}{mark}")


if __name__ == "__main__":
    main()
