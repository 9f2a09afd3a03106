"""What the client, the workflows and the activities pass each other: plain dataclasses, stdlib only.

Temporal carries run ids and timings, never a job's argv: the immutable spec lives in the Run
record, so secret values never enter Temporal's history and the payloads stay small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

JOB_WORKFLOW = "oto.job"
ROUTINE_WORKFLOW = "oto.routine"
RUN_JOB_NOW = "oto.run_job_now"
WATCH_JOB = "oto.watch_job"
RUN_STEPS = "oto.run_steps"
FINISH_RUN = "oto.finish_run"
FINISH_ROUTINE = "oto.finish_routine"

# A worker that stops heartbeating for this long is lost: Temporal retries its activity elsewhere.
HEARTBEAT_TIMEOUT = 10.0
# How often a running activity heartbeats (and so how soon it hears of a cancellation).
HEARTBEAT_EVERY = 1.0
# How many times a lost or broken attempt is retried before the run is recorded as failed.
MAX_ATTEMPTS = 10
# A job's first second runs in a local activity on the worker that runs its workflow, so a short
# job costs no more round trips than the SDK's fastest path; a longer one is then watched by a
# heartbeating activity on that same worker's own task queue.
FAST_WINDOW = 1.0
# A worker's own task queue: where it watches the jobs it started.
OWN_QUEUE_PREFIX = "oto-worker-"


@dataclass
class JobInput:
    run_id: str
    timeout: float
    kill_grace: float


@dataclass
class JobAttempt:
    """One try at a job; ``reap`` names the process groups a lost try left (host, [[pid, ticks]])."""

    run_id: str
    reap_host: str = ""
    reap_groups: list[list[int]] = field(default_factory=list)


@dataclass
class JobProgress:
    """What a job's first second came to: its final status, or ``running`` and who watches it now."""

    status: str
    exit_code: int | None = None
    queue: str = ""
    host: str = ""
    groups: list[list[int]] = field(default_factory=list)


@dataclass
class Watch:
    """Follow a job to its end; ``stop``: stop it at once (its run was cancelled before the watch)."""

    run_id: str
    stop: bool = False


@dataclass
class RoutineInput:
    """A routine run's DAG by step index; ``statuses`` carries progress across continue-as-new.

    ``timeout`` limits the whole run from its workflow's start (0: no limit); ``deadline`` is
    then that start plus the timeout, in POSIX seconds of workflow time: 0 until the first run
    of the workflow sets it, then carried across continue-as-new. Both default, so histories
    written before they existed still replay.
    """

    run_id: str
    step_ids: list[str]
    queues: list[str]
    queue_of: list[int]
    after: list[list[int]]
    timeouts: list[float]
    kill_grace: float
    concurrency: int
    statuses: list[str] = field(default_factory=list)
    timeout: float = 0.0
    deadline: float = 0.0


@dataclass
class StepsInput:
    """One segment of a routine: steps on one task queue, run by one activity as a small DAG."""

    run_id: str
    step_ids: list[str]
    concurrency: int


@dataclass
class FinishRunInput:
    run_id: str
    status: str
    error: str


@dataclass
class FinishRoutineInput:
    """``timed_out``: why, when the routine ran past its timeout ("" otherwise)."""

    run_id: str
    cancelled: bool
    steps: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    timed_out: str = ""
