"""The names the engine registers on Temporal, and its timings. Stdlib only: the workflows import it.

What the client, the workflows and the activities pass each other is the run contract,
``oto.domain.runs`` (run ids and timings, never a job's argv).
"""

from __future__ import annotations

JOB_WORKFLOW = "oto.job"
ROUTINE_WORKFLOW = "oto.routine"
RUN_JOB_NOW = "oto.run_job_now"
WATCH_JOB = "oto.watch_job"
RUN_STEPS = "oto.run_steps"
FINISH_RUN = "oto.finish_run"
FINISH_ROUTINE = "oto.finish_routine"
# each fire of a schedule: record its run, then run it as a child workflow
SCHEDULED_WORKFLOW = "oto.scheduled"
START_SCHEDULED_RUN = "oto.start_scheduled_run"

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
# After a run: its notifications, each delivered by an activity retried with backoff, in a
# workflow of their own (``notify-<run id>``) that the run's workflow starts and abandons.
NOTIFY_WORKFLOW = "oto.notify"
NOTIFY_WANTED = "oto.notify_wanted"
DELIVER_NOTIFICATION = "oto.deliver_notification"
NOTIFY_ID_PREFIX = "notify-"
# A delivery: each attempt at most 10 s; tried again after 1, 2, 4 ... 60 s, for about an hour.
DELIVERY_TIMEOUT = 10.0
DELIVERY_ATTEMPTS = 64
# Retention: the daily prune, a Temporal Schedule of its own running this workflow.
RETENTION_WORKFLOW = "oto.retention"
PRUNE_RUNS = "oto.prune_runs"
RETENTION_SCHEDULE = "oto-retention"

# Concurrency limits (oto.engine.slots): one semaphore workflow per limited executable or job.
SLOTS_WORKFLOW = "oto.slots"
SLOTS_ID_PREFIX = "oto-slots-"
ACQUIRE_SLOT = "oto.acquire_slot"
NOTE_WAITING = "oto.note_waiting"
SLOT_HOLDERS_CLOSED = "oto.slot_holders_closed"
SIGNAL_ACQUIRE = "oto.slots.acquire"
SIGNAL_RELEASE = "oto.slots.release"
SIGNAL_GRANTED = "oto.slots.granted"
