"""Which steps of a routine may run now: pure, deterministic, stdlib only (the workflow uses it).

Work is incremental (each step and edge is looked at a bounded number of times), so routines of
thousands of steps cost the workflow little.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Container

from oto.domain.runs import FINAL, RunStatus

SUCCEEDED = RunStatus.SUCCEEDED
SKIPPED = RunStatus.SKIPPED
PENDING = ""
DISPATCHED = "dispatched"


class Dag:
    """Steps by index with their ``after`` lists; statuses are "" (pending), dispatched or final."""

    def __init__(self, after: list[list[int]], statuses: list[str] | None = None) -> None:
        self.after = after
        self.status = list(statuses) if statuses else [PENDING] * len(after)
        self.children: list[list[int]] = [[] for _ in after]
        for child, deps in enumerate(after):
            for dep in deps:
                self.children[dep].append(child)
        # deps that have not succeeded yet
        self.waiting = [sum(1 for d in deps if self.status[d] != SUCCEEDED) for deps in after]
        self._ready: set[int] = {i for i in range(len(after)) if self.waiting[i] == 0 and self.status[i] == PENDING}
        self.skipped_because: dict[int, int] = {}
        self._alone_taken: list[int] = []
        for i, status in enumerate(self.status):
            if status in FINAL and status != SUCCEEDED:
                self._skip_below(i)

    @property
    def done(self) -> bool:
        return all(s in FINAL for s in self.status)

    def settle(self, step: int, status: str) -> list[int]:
        """Record a step's final status; returns the pending steps this skips."""
        if self.status[step] in FINAL:
            return []
        self.status[step] = status
        self._ready.discard(step)
        if status == SUCCEEDED:
            for child in self.children[step]:
                self.waiting[child] -= 1
                if self.waiting[child] == 0 and self.status[child] == PENDING:
                    self._ready.add(child)
            return []
        return self._skip_below(step)

    def _skip_below(self, step: int) -> list[int]:
        skipped = []
        todo = deque([step])
        while todo:
            for child in self.children[todo.popleft()]:
                if self.status[child] == PENDING:
                    self.status[child] = SKIPPED
                    self._ready.discard(child)
                    self.skipped_because[child] = step
                    skipped.append(child)
                    todo.append(child)
        return skipped

    def take_ready(self) -> list[int]:
        """Pending steps whose steps-before all succeeded, marked dispatched, in index order."""
        ready = sorted(self._ready)
        self._ready.clear()
        for step in ready:
            self.status[step] = DISPATCHED
        return ready

    def take_alone(self, alone: Container[int]) -> list[int]:
        """The ready steps of ``alone`` (steps that run on their own: they wait for a slot), marked dispatched."""
        found = sorted(step for step in self._ready if step in alone)
        for step in found:
            self._ready.discard(step)
            self.status[step] = DISPATCHED
        return found

    def take_work(self, queue_of: list[int], alone: frozenset[int] = frozenset()
                  ) -> tuple[dict[int, list[int]], list[int]]:
        """``take_segments``, but the ready steps in ``alone`` each run on their own (a step with a
        retry policy): they are returned apart, and never taken into a segment."""
        if not alone:
            return self.take_segments(queue_of), []
        return self.take_segments(queue_of, alone), list(self._alone_taken)

    def take_segments(self, queue_of: list[int], alone: Container[int] = frozenset()) -> dict[int, list[int]]:
        """Per task queue, the steps one activity can run from here on its own, in a runnable order.

        A segment starts at ready steps and takes in every pending step whose steps-before are
        all either succeeded or earlier in the same segment: such a step needs nothing from
        another queue, so the activity can run it as soon as its own predecessors succeed. A step of
        ``alone`` is never taken in: it waits to be ready, then runs on its own (``take_alone``).
        """
        segments: dict[int, list[int]] = {}
        need: dict[int, int] = {}
        ready = self.take_ready()
        self._alone_taken = [s for s in ready if s in alone]
        todo = deque(s for s in ready if s not in alone)
        while todo:
            step = todo.popleft()
            queue = queue_of[step]
            segments.setdefault(queue, []).append(step)
            self.status[step] = DISPATCHED
            for child in self.children[step]:
                if self.status[child] != PENDING or queue_of[child] != queue or child in alone:
                    continue
                left = need.get(child, self.waiting[child]) - 1
                need[child] = left
                if left == 0:
                    self._ready.discard(child)
                    todo.append(child)
        return segments
