"""When a schedule fires next, for the overview and the schedules page.

Cron specs are read by croniter in the schedule's time zone; an interval fires every ``every``
counted from the Unix epoch plus ``offset``, as Temporal Schedules count it. Jitter is ignored:
the times shown are when a fire is due.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from oto.domain.documents import ScheduleDoc
from oto.domain.valuetypes import parse_duration

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def next_fires(doc: ScheduleDoc, count: int = 3, now: datetime | None = None) -> list[datetime]:
    """The next ``count`` times the schedule fires (UTC), none when it is paused or over."""
    if doc.paused:
        return []
    start, end = _aware(doc.start), _aware(doc.end)
    moment = max(now or datetime.now(UTC), start or EPOCH)
    found: list[datetime] = []
    try:
        if doc.cron is not None:
            walker = croniter(doc.cron, moment.astimezone(ZoneInfo(doc.timezone)))
            while len(found) < count:
                found.append(walker.get_next(datetime).astimezone(UTC))
        elif doc.every is not None:
            every = parse_duration(doc.every)
            offset = parse_duration(doc.offset) if doc.offset else 0.0
            since = (moment - EPOCH).total_seconds() - offset
            first = math.floor(since / every) + 1
            found = [EPOCH + timedelta(seconds=(first + i) * every + offset) for i in range(count)]
    except (ValueError, KeyError):
        return []
    return [f for f in found if end is None or f <= end]
