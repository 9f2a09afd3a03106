"""OTO's Prometheus metrics (the default registry): runs started and finished, their durations, schedules.

The engine's activities count runs as they record them (``oto.services`` knows nothing of
metrics); the API serves the registry at ``GET /metrics`` and a worker on OTO_METRICS_PORT.
A retried activity may count an attempt twice: the counters count attempts, not distinct runs.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram
from temporalio.client import Client

from oto.services import retention
from oto.services.database import Database
from oto.settings import get_settings

log = logging.getLogger(__name__)

RUNS_STARTED = Counter("oto_runs_started_total", "Runs a worker started (jobs, routines, steps)", ["kind"])
RUNS_FINISHED = Counter("oto_runs_finished_total", "Runs a worker recorded as final", ["kind", "status"])
RUN_DURATION = Histogram(
    "oto_run_duration_seconds", "From a run's start to its end", ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, float("inf")),
)
QUEUE_WAIT = Histogram(
    "oto_run_queue_wait_seconds", "From a run's submission to its start (jobs and routines)",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, float("inf")),
)
SCHEDULE_SKIPPED = Gauge("oto_schedule_fires_skipped", "Fires Temporal skipped by the overlap policy", ["schedule"])
SCHEDULE_MISSED = Gauge("oto_schedule_fires_missed", "Fires missed past the catch-up window", ["schedule"])
RUN_FOLDERS_BYTES = Gauge("oto_run_folders_bytes", "Bytes under OTO_HOME/runs on this host (measured at most "
                          "once a minute)")
# Measuring the run folders walks them all: a scrape reuses the last figure for this long.
FOLDERS_EVERY = 60.0
_measured: list[float] = [-FOLDERS_EVERY, 0.0]
_measuring = threading.Lock()


def run_folders_bytes() -> float:
    """The bytes of the run folders, measured again when the last figure is older than FOLDERS_EVERY."""
    with _measuring:
        if time.monotonic() - _measured[0] >= FOLDERS_EVERY:
            try:
                _measured[1] = float(retention.folders_bytes(get_settings().home))
            except Exception as error:  # a setting or a folder that cannot be read: keep the last figure
                log.warning("run folders not measured: %s", error)
            _measured[0] = time.monotonic()
        return _measured[1]


def forget_folders_figure() -> None:
    """Measure again at the next scrape (after a prune, and in tests)."""
    with _measuring:
        _measured[0] = -FOLDERS_EVERY


RUN_FOLDERS_BYTES.set_function(run_folders_bytes)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def run_started(kind: str, created_at: datetime | None = None, started_at: datetime | None = None) -> None:
    """A run (or a step) started; its wait in the queue when its submission time is known."""
    RUNS_STARTED.labels(kind=kind).inc()
    if created_at is not None:
        wait = _seconds(created_at, started_at or datetime.now(UTC))
        if wait is not None:
            QUEUE_WAIT.observe(wait)


def run_finished(kind: str, status: str, started_at: datetime | None = None,
                 finished_at: datetime | None = None) -> None:
    """A run's final record was written; its duration when it ever started."""
    RUNS_FINISHED.labels(kind=kind, status=status).inc()
    duration = _seconds(started_at, finished_at)
    if duration is not None:
        RUN_DURATION.labels(kind=kind).observe(duration)


def set_schedule_counts(found: dict[str, dict[str, int]]) -> None:
    """The schedule gauges from ``oto.engine.schedules.counts``; schedules gone since are dropped."""
    SCHEDULE_SKIPPED.clear()
    SCHEDULE_MISSED.clear()
    for name, numbers in found.items():
        SCHEDULE_SKIPPED.labels(schedule=name).set(numbers.get("skipped_overlap", 0))
        SCHEDULE_MISSED.labels(schedule=name).set(numbers.get("missed_catchup_window", 0))


async def refresh_schedules(client: Client, database: Database) -> None:
    """Read Temporal's schedule counters into the gauges (the caller bounds the time it takes)."""
    from oto.engine.schedules import counts  # the schedules module loads Temporal's schedule types

    set_schedule_counts(await counts(client, database))


def exposition() -> tuple[bytes, str]:
    """The registry in Prometheus' text format, and its media type."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(), CONTENT_TYPE_LATEST
