"""Workflows running when the workers are upgraded must replay on the new workers.

``histories/`` holds one history per shape of run (job runs quick, watched, failing and
cancelled; routine runs across two queues, timed out and cancelled; a schedule's fires and the
runs they started), recorded with the version before the typed run contract
(``histories/record.py``). Each must replay on today's workflows: same commands, and payloads
(inputs, activity results, child results) that today's dataclasses decode.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from oto.engine.worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


@pytest.mark.parametrize("recorded", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_a_history_of_the_previous_version_replays(recorded: Path) -> None:
    history = WorkflowHistory.from_json(recorded.stem, json.loads(recorded.read_text()))
    await Replayer(workflows=WORKFLOWS).replay_workflow(history)
