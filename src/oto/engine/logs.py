"""Structured logs: one JSON object per line, naming the run the line is about when there is one.

The activities set ``RUN_ID`` while they run a run (each activity runs in its own task, so the
value stays with it and the tasks it starts); ``configure`` installs the formatter on the root logger.
"""

from __future__ import annotations

import json as json_module
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

RUN_ID: ContextVar[str | None] = ContextVar("oto_run_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message"[, "run_id"][, "exception"]}``, one per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        run_id = RUN_ID.get()
        if run_id is not None:
            entry["run_id"] = run_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json_module.dumps(entry, ensure_ascii=False, default=str)


def configure(json: bool, level: int = logging.INFO) -> None:
    """Log to stderr at ``level``, as JSON lines or as plain text, replacing the root logger's handlers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
