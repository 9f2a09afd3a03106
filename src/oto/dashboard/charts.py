"""Small charts of run history as inline SVG, drawn here: no script, no library, nothing fetched.

``durations``: a job's (or routine's) last runs, oldest on the left, one bar each, as tall as the
run took and coloured by how it ended. ``per_hour``: how many runs were submitted in each hour of
the last day, on the overview. Both are pictures with a text title for screen readers and a
``<title>`` on every bar, so a hover says which run or hour it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

WIDTH = 600.0
HEIGHT = 120.0
AXIS = 18.0
GAP = 2.0
COLOURS = {
    "succeeded": "#15803d", "failed": "#b91c1c", "timed_out": "#b45309", "cancelled": "#6b7280",
    "skipped": "#9ca3af", "running": "#2563eb", "queued": "#93c5fd",
}


@dataclass(frozen=True)
class Bar:
    """One bar: its height in the chart's unit, its colour's status, what a hover says, where it links."""

    value: float
    status: str
    label: str
    href: str = ""


def _svg(bars: Sequence[Bar], title: str, top_label: str) -> str:
    top = max((b.value for b in bars), default=0.0) or 1.0
    slot = WIDTH / max(len(bars), 1)
    width = max(slot - GAP, 1.0)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH:.0f} {HEIGHT + AXIS:.0f}" role="img" '
             f'aria-label="{escape(title)}" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="0" y1="{HEIGHT:.1f}" x2="{WIDTH:.0f}" y2="{HEIGHT:.1f}" stroke="#9ca3af"/>',
             f'<text x="2" y="12" font-size="11" fill="#4b5563">{escape(top_label)}</text>']
    for index, bar in enumerate(bars):
        height = max(HEIGHT * bar.value / top, 1.5 if bar.value else 0.0)
        x, y = index * slot, HEIGHT - height
        rect = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                f'fill="{COLOURS.get(bar.status, "#6b7280")}"><title>{escape(bar.label)}</title></rect>')
        parts.append(f'<a href="{escape(bar.href)}">{rect}</a>' if bar.href else rect)
    parts.append("</svg>")
    return "".join(parts)


def durations(runs: Sequence[dict[str, object]], what: str) -> str | None:
    """The last runs of ``what`` (newest first, as listed), as bars of their durations; None without runs."""
    if not runs:
        return None
    bars = []
    for run in reversed(runs):
        seconds = run.get("duration")
        value = float(seconds) if isinstance(seconds, int | float) else 0.0
        status = str(run.get("status"))
        took = f"{value:.2f} s" if isinstance(seconds, int | float) else "not finished"
        bars.append(Bar(value, status, f"{run.get('run_id')}: {status}, {took}", f"/runs/{run.get('run_id')}"))
    longest = max(b.value for b in bars)
    return _svg(bars, f"How long the last {len(bars)} runs of {what} took, oldest first, coloured by status",
                f"longest {longest:.2f} s")


def per_hour(counts: Sequence[int], now: datetime) -> str:
    """Runs submitted in each of the last hours (``counts``, oldest first), the hour of ``now`` on the right."""
    hours = len(counts)
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    bars = [Bar(float(n), "succeeded" if n else "skipped",
                f"{(end - timedelta(hours=hours - i)).strftime('%H:00')} UTC: {n} run{'s' if n != 1 else ''}")
            for i, n in enumerate(counts)]
    return _svg(bars, f"Runs submitted in each hour of the last {hours} hours, {sum(counts)} in all",
                f"most in an hour: {max(counts, default=0)}")
