"""Concurrency limits on Temporal: a semaphore workflow per limited key, and the holder's side of it.

An executable or a job with ``max_concurrent: N`` gets, while any of its runs waits or runs, one
workflow ``oto-slots-<key>`` (``executable:<tag>`` or ``job:<name>``) that hands out N slots:

- A run's workflow asks for a slot through a local activity that signals-with-start the semaphore
  (``acquire``), then waits for the semaphore's ``granted`` signal. Its record stays ``queued``
  meanwhile, and the semaphore writes why into it (``waiting for a slot of nmap - 7.98: 1 of 1
  taken by run-…``).
- The slot belongs to the run's workflow (the holder), not to a worker: a worker killed while its
  job runs loses nothing, since the run's workflow goes on on another worker and still holds the
  slot; it signals ``release`` when the run ends, whatever the end. A cancelled waiting run leaves
  the line at once (its cancel path releases).
- The semaphore gives free slots in the order runs were submitted (their workflows' start, or a
  step's readiness), not in the order their requests arrive: requests sent together race (and a
  backlog reaches it in whatever order workers take it up), so a slot found free goes to the first
  in line only once that one's request has been there ``GATHER`` seconds.
- A holder that closed without releasing (terminated by hand) is noticed: a grant to a closed
  workflow fails at once, and every ``CHECK_EVERY`` seconds the semaphore asks Temporal which of
  its holders still run. The semaphore ends when nobody holds or waits (the next request starts
  it again), and continues-as-new when its history grows long.

Workflow code: deterministic, stdlib and temporalio only (like ``oto.engine.workflows``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from oto.domain.runs import Limit, SlotGrant, SlotRelease, SlotRequest, SlotsState, SlotWaiter
    from oto.engine.contracts import (
        ACQUIRE_SLOT,
        NOTE_WAITING,
        SIGNAL_ACQUIRE,
        SIGNAL_GRANTED,
        SIGNAL_RELEASE,
        SLOT_HOLDERS_CLOSED,
        SLOTS_ID_PREFIX,
        SLOTS_WORKFLOW,
    )

# How long a request waits before it may take a slot it found free: runs submitted together reach
# the semaphore in any order, and line up by submission meanwhile.
GATHER = 0.5
# How often the semaphore asks Temporal whether its holders still run (a terminated workflow never releases).
CHECK_EVERY = 60.0
SHORT = timedelta(seconds=30)
FEW_TRIES = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=5),
                        maximum_attempts=3)
# Temporal not answering the request: tried for a few minutes, then the run fails saying why.
ASK_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30),
                        maximum_attempts=12)
SHOWN_HOLDERS = 3


def semaphore_id(key: str) -> str:
    """The workflow id of the semaphore of ``key``."""
    return f"{SLOTS_ID_PREFIX}{key}"


def waiting_note(state: SlotsState, position: int) -> str:
    """Why the run at ``position`` in line waits, as its record and the dashboard show it."""
    limit = state.limit
    holders = state.holders
    if len(holders) < limit.most:
        taken = f"{len(holders)} of {limit.most} taken" + (f" by {_names(holders)}" if holders else "")
        return f"waiting for a slot of {limit.label}: {taken}; it starts in a moment"
    ahead = f"; {position} ahead of it in line" if position else ""
    return f"waiting for a slot of {limit.label}: {len(holders)} of {limit.most} taken by {_names(holders)}{ahead}"


def _names(holders: Sequence[SlotWaiter]) -> str:
    names = ", ".join(h.ticket for h in holders[:SHOWN_HOLDERS])
    return names + (f" and {len(holders) - SHOWN_HOLDERS} more" if len(holders) > SHOWN_HOLDERS else "")


@workflow.defn(name=SLOTS_WORKFLOW, sandboxed=False)
class SlotsWorkflow:
    """The semaphore of one limited key: holders, a line in submission order, and the notes of who waits."""

    def __init__(self) -> None:
        self._inbox: list[SlotRequest | SlotRelease] = []
        self._state: SlotsState | None = None

    @workflow.signal(name=SIGNAL_ACQUIRE)
    def acquire(self, request: SlotRequest) -> None:
        self._inbox.append(request)

    @workflow.signal(name=SIGNAL_RELEASE)
    def release(self, release: SlotRelease) -> None:
        self._inbox.append(release)

    @workflow.query(name="state")
    def state(self) -> SlotsState | None:
        return self._state

    @workflow.run
    async def run(self, state: SlotsState) -> None:
        self._state = state
        noted: dict[str, str] = {}  # what each waiting run's record says now
        check_at = workflow.now().timestamp() + CHECK_EVERY
        while True:
            self._take_inbox(state)
            await self._grant(state)
            if self._inbox:
                continue
            await self._note(state, noted)
            if self._inbox:
                continue
            if not state.holders and not state.waiting:
                return  # idle: the next request starts a new one
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(state)
            now = workflow.now().timestamp()
            if now >= check_at:
                await self._drop_closed(state)
                check_at = workflow.now().timestamp() + CHECK_EVERY
                continue
            wake = check_at - now
            if state.waiting and len(state.holders) < state.limit.most:
                wake = min(wake, max(state.waiting[0].at + GATHER - now, 0.001))
            with contextlib.suppress(TimeoutError):  # a timer: gathered long enough, or time to check
                await workflow.wait_condition(lambda: bool(self._inbox), timeout=timedelta(seconds=wake))

    def _take_inbox(self, state: SlotsState) -> None:
        inbox, self._inbox = self._inbox, []
        for message in inbox:
            if isinstance(message, SlotRelease):
                state.holders = [h for h in state.holders if h.ticket != message.ticket]
                state.waiting = [w for w in state.waiting if w.ticket != message.ticket]
                continue
            state.limit = message.limit  # the newest request carries the limit as it is now
            if any(w.ticket == message.ticket for w in (*state.holders, *state.waiting)):
                continue  # a retried request: it keeps its place
            state.arrived += 1
            state.waiting.append(SlotWaiter(message.holder, message.ticket, message.since, state.arrived,
                                            workflow.now().timestamp()))
        state.waiting.sort(key=lambda w: (w.since, w.arrived))

    async def _grant(self, state: SlotsState) -> None:
        """Give free slots to the first in line (each once it has waited GATHER), and tell their holders."""
        now = workflow.now().timestamp()
        granted: list[SlotWaiter] = []
        while state.waiting and len(state.holders) < state.limit.most and state.waiting[0].at + GATHER <= now:
            first = state.waiting.pop(0)
            state.holders.append(first)
            granted.append(first)
        if not granted:
            return
        key = state.limit.key
        told = await asyncio.gather(
            *(workflow.get_external_workflow_handle(w.holder).signal(SIGNAL_GRANTED, SlotGrant(key, w.ticket))
              for w in granted), return_exceptions=True)
        for waiter, outcome in zip(granted, told, strict=True):
            if isinstance(outcome, BaseException):  # its workflow is closed: the slot goes to the next
                state.holders = [h for h in state.holders if h.ticket != waiter.ticket]
                self._inbox.append(SlotRelease(waiter.ticket))

    async def _note(self, state: SlotsState, noted: dict[str, str]) -> None:
        """Write why each waiting run waits (and clear it for those that stopped waiting); best effort."""
        notes = {w.ticket: waiting_note(state, n) for n, w in enumerate(state.waiting)}
        changes = {t: note for t, note in notes.items() if noted.get(t) != note}
        changes |= {t: "" for t in noted if t not in notes}
        if not changes:
            return
        try:
            await workflow.execute_activity(NOTE_WAITING, changes, start_to_close_timeout=SHORT,
                                            retry_policy=FEW_TRIES)
        except ActivityError:
            return  # the database is away: the next change writes them again
        noted.clear()
        noted.update(notes)

    async def _drop_closed(self, state: SlotsState) -> None:
        """Free the slots and places of holders whose workflows closed without saying so."""
        holders = sorted({w.holder for w in (*state.holders, *state.waiting)})
        if not holders:
            return
        try:
            closed: list[str] = await workflow.execute_activity(
                SLOT_HOLDERS_CLOSED, holders, result_type=list[str], start_to_close_timeout=SHORT,
                retry_policy=FEW_TRIES)
        except ActivityError:
            return
        gone = set(closed)
        state.holders = [h for h in state.holders if h.holder not in gone]
        state.waiting = [w for w in state.waiting if w.holder not in gone]


class Slots:
    """The slots one run's workflow (a job's, or a routine's for its steps) waits for and holds.

    Made only when the run has limits: a run without any never registers the signal, so its
    workflow's history is what it always was.
    """

    def __init__(self) -> None:
        self._granted: set[tuple[str, str]] = set()
        self._asked: dict[str, list[str]] = {}  # ticket -> the keys it asked for
        workflow.set_signal_handler(SIGNAL_GRANTED, self._on_grant)

    def _on_grant(self, grant: SlotGrant) -> None:
        self._granted.add((grant.key, grant.ticket))

    async def acquire(self, limits: Sequence[Limit], *, ticket: str, since: float, task_queue: str) -> None:
        """Wait for a slot of each limit, in the order of their keys (so two runs never wait on each other)."""
        holder = workflow.info().workflow_id
        for limit in sorted(limits, key=lambda x: x.key):
            self._asked.setdefault(ticket, []).append(limit.key)
            await workflow.execute_local_activity(
                ACQUIRE_SLOT, SlotRequest(limit, holder, ticket, since, task_queue),
                start_to_close_timeout=SHORT, retry_policy=ASK_RETRY)
            wanted = (limit.key, ticket)
            await workflow.wait_condition(lambda wanted=wanted: wanted in self._granted)  # type: ignore[misc]

    async def release(self, ticket: str) -> None:
        """Give back the slots of ``ticket`` and leave the lines it waits in (a semaphore gone already is fine)."""
        for key in self._asked.pop(ticket, []):
            self._granted.discard((key, ticket))
            try:
                await workflow.get_external_workflow_handle(semaphore_id(key)).signal(
                    SIGNAL_RELEASE, SlotRelease(ticket))
            except Exception:  # the semaphore closed: it holds nothing of ours
                workflow.logger.info("semaphore %s had closed: nothing to release", semaphore_id(key))
