"""The README's tour (and the docs' examples), run line by line as a newcomer pastes them into a shell.

Each ``$ `` line of the tour's console block runs in ``bash`` (the user's shell, as in the README;
OTO itself never uses one) with ``oto`` on ``PATH`` as the README says to put it, in a folder where
``data/`` is the repository's. A line exits 0 unless its comment says ``exit status N``; each line
of output the README shows must be printed (lines naming the reader's own home are left out).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@dataclass
class Step:
    command: str
    shown: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def expected_status(self) -> int:
        said = re.findall(r"exit status (\d+)", "\n".join([self.command, *self.comments]))
        return int(said[0]) if said else 0


def tour(section: str = "## A five-minute tour", page: Path = README) -> list[Step]:
    """The steps of the first console block after ``section`` of ``page``."""
    text = page.read_text(encoding="utf-8")
    after = text[text.index(section):]
    block = after[after.index("```console") + len("```console"):]
    block = block[:block.index("```")]
    steps: list[Step] = []
    lines = iter(block.strip("\n").splitlines())
    for line in lines:
        if line.startswith("$ "):
            command = line[2:]
            while command.rstrip().endswith("\\"):
                command = command.rstrip()[:-1] + " " + next(lines).strip()
            steps.append(Step(command))
        elif line.strip() and steps:
            shown, _, comment = line.partition("  #")
            steps[-1].shown.append(shown.strip())
            steps[-1].comments.append(comment)
    return steps


def test_the_readme_says_how_oto_gets_on_path() -> None:
    text = README.read_text(encoding="utf-8")
    assert 'export PATH="$PWD/.venv/bin:$PATH"' in text
    assert "make demo" in text and "make test" in text
    assert all(not s.command.startswith(".venv/") for s in tour()), "the tour uses bare `oto` after the PATH line"


def run_as_written(steps: list[Step], tmp_path: Path) -> Path:
    """Run the steps one by one in a fresh OTO home; returns the folder they ran in."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "data").symlink_to(ROOT / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTO_")}
    env |= {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    for step in steps:
        done = subprocess.run(["bash", "-c", step.command], cwd=work, env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        said = done.stdout + done.stderr
        assert done.returncode == step.expected_status, f"$ {step.command}\n{said}"
        assert "Traceback" not in said, f"$ {step.command}\n{said}"
        for line in step.shown:
            if "/root/" in line or "~" in line:
                continue  # the README's reader's own home
            assert line in said, f"$ {step.command}\nexpected: {line}\nprinted:\n{said}"
    return work


def test_the_five_minute_tour_runs_as_written(tmp_path: Path) -> None:
    steps = tour()
    assert len(steps) >= 8
    work = run_as_written(steps, tmp_path)
    assert (work / "everything.json").is_file()


def test_the_cli_docs_example_of_repeatable_flags_runs_as_written(tmp_path: Path) -> None:
    steps = tour("## Flags that take several values", ROOT / "docs" / "cli.md")
    run_as_written([Step("oto init"), *steps], tmp_path)


@pytest.mark.parametrize("section", ["## A five-minute tour"])
def test_the_tour_is_found(section: str) -> None:
    assert tour(section)[0].command.startswith("oto init")
