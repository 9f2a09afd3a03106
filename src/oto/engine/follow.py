"""Following a run's output while it runs: the stream files its worker writes, then its final record.

A worker writes each process's stdout and stderr straight to ``<workdir>/.oto/<run id>.stdout``
and ``.stderr``. On the worker's machine (``oto dev``, or a shared run folder) a follower tails
those files as they grow; elsewhere it still ends with the output the worker recorded. Either
way the last events come after the run's final status is known, so a follower sees it all.
"""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oto.engine.process import STREAMS
from oto.services import run_streams, runs
from oto.services.database import Database

STREAM_NAMES = ("stdout", "stderr")
POLL_EVERY = 0.2
# One event carries at most this much text, so a chatty program cannot build huge events.
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Event:
    """``stdout``/``stderr`` (text), ``status`` (a run or step changed status) or ``end`` (the last)."""

    kind: str
    data: dict[str, Any]


@dataclass
class _Tail:
    path: Path
    offset: int = 0
    seen: bool = False
    decoder: Any = field(default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace"))

    def read(self, *, final: bool) -> list[str]:
        """New text since the last read, in chunks; all of it (and no half character kept) when final."""
        try:
            with open(self.path, "rb") as stream:
                self.seen = True
                stream.seek(self.offset)
                chunks = []
                while True:
                    data = stream.read(CHUNK)
                    if not data:
                        break
                    self.offset += len(data)
                    chunks.append(self.decoder.decode(data))
                    if not final and len(chunks) >= 4:
                        break  # the rest comes at the next poll
        except FileNotFoundError:
            return []
        if final:
            chunks.append(self.decoder.decode(b"", final=True))
        return [c for c in chunks if c]


class Follower:
    """One pass at a time over a run's state and streams; ``poll`` returns the events since the last."""

    def __init__(self, database: Database, run_id: str) -> None:
        self.database = database
        self.run_id = run_id
        self.statuses: dict[str, str] = {}
        self.tails: dict[tuple[str, str], _Tail] = {}
        self.done = False

    def state(self) -> run_streams.State:
        with self.database.session() as db:
            return run_streams.state(db, self.run_id)

    def poll(self) -> list[Event]:
        state = self.state()  # first: once it is final, every stream file is complete
        final = state.status in runs.FINAL
        events = self._statuses(state)
        for source in state.sources:
            for name in STREAM_NAMES:
                tail = self.tails.setdefault(
                    (source.run_id, name), _Tail(Path(source.workdir) / STREAMS / f"{source.run_id}.{name}")
                )
                events += [self._text(source, name, text) for text in tail.read(final=final or
                                                                                  source.status in runs.FINAL)]
        if final:
            events += self._recorded(state)
            events.append(Event("end", {"run_id": state.run_id, "status": state.status}))
            self.done = True
        return events

    def _statuses(self, state: run_streams.State) -> list[Event]:
        events = []
        pairs: list[tuple[str, str | None, str]] = [(state.run_id, None, state.status)]
        if state.kind == "routine":
            pairs += [(s.run_id, s.step, s.status) for s in state.sources]
        for run_id, step, status in pairs:
            if self.statuses.get(run_id) != status:
                self.statuses[run_id] = status
                events.append(Event("status", {"run_id": run_id, "step": step, "status": status}))
        return events

    @staticmethod
    def _text(source: run_streams.Source, name: str, text: str) -> Event:
        return Event(name, {"run_id": source.run_id, "step": source.step, "text": text})

    def _recorded(self, state: run_streams.State) -> list[Event]:
        """The worker's recorded output, for sources whose stream files this machine cannot see."""
        unseen = [s for s in state.sources if not any(self.tails[(s.run_id, n)].seen for n in STREAM_NAMES)]
        events = []
        for source in unseen:
            with self.database.session() as db:
                recorded = dict(zip(STREAM_NAMES, run_streams.recorded_output(db, source.run_id), strict=True))
            events += [self._text(source, name, recorded[name]) for name in STREAM_NAMES if recorded[name]]
        return events


async def follow(database: Database, run_id: str, *, poll_every: float = POLL_EVERY) -> AsyncIterator[Event]:
    """Events of a run from now to its end; NotFound at once for an unknown run."""
    follower = Follower(database, run_id)
    while not follower.done:
        for event in await asyncio.to_thread(follower.poll):
            yield event
        if not follower.done:
            await asyncio.sleep(poll_every)
