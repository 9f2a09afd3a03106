"""Following a run's output while it runs: the stream files its worker writes, then its final record.

A worker writes each process's stdout and stderr straight to ``<home>/streams/<run id>.stdout``
and ``.stderr``, beside the run folders and out of them. On the worker's machine (``oto dev``,
or a shared home) a follower tails those files as they grow; elsewhere it still ends with the
output the worker recorded. Either way the last events come after the run's final status is
known, so a follower sees it all.

A program runs as the worker's user and could still reach that folder, so a follower trusts no
path: it opens a stream file without following links and reads only a regular file, keeping the
descriptor. It reads a bounded amount per poll (a finished run's streams come in chunks, as fast
as the client takes them) and at most FOLLOW_LIMIT of each stream in all.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oto.engine.process import stream_files
from oto.services import run_streams, runs
from oto.services.database import Database

STREAM_NAMES = ("stdout", "stderr")
POLL_EVERY = 0.2
# One event carries at most this much text, so a chatty program cannot build huge events.
CHUNK = 64 * 1024
# What one poll reads: from one stream, and from all of them together.
READ_PER_STREAM = 4 * CHUNK
READ_PER_POLL = 16 * CHUNK
# A follower shows at most this much of one stream; the file keeps the rest.
FOLLOW_LIMIT = 32 << 20


@dataclass(frozen=True)
class Event:
    """``stdout``/``stderr`` (text), ``status`` (a run or step changed status) or ``end`` (the last)."""

    kind: str
    data: dict[str, Any]


def open_stream(path: Path) -> int | None:
    """A descriptor of the stream file at ``path``, or None when it is missing or not a plain file.

    Neither the file nor its folder is taken through a link, and a FIFO or a device is never
    read (nor waited on): only a regular file.
    """
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW
    try:
        folder = os.open(path.parent, flags | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        fd = os.open(path.name, flags | os.O_NONBLOCK, dir_fd=folder)
    except OSError:
        return None
    finally:
        os.close(folder)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return fd


@dataclass
class _Tail:
    path: Path
    fd: int | None = None
    offset: int = 0
    seen: bool = False
    closed: bool = False
    decoder: Any = field(default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace"))

    def read(self, budget: int, *, final: bool) -> tuple[list[str], bool]:
        """New text since the last read, at most ``budget`` bytes; and whether more is left to read.

        ``final``: the program has ended, so reaching the end of the file closes the tail.
        """
        if self.closed or not self.path.is_absolute():  # a record without a run folder: no stream files
            return [], False
        if self.fd is None:
            self.fd = open_stream(self.path)
            if self.fd is None:
                return [], False
            self.seen = True
        chunks: list[str] = []
        if self.offset and os.fstat(self.fd).st_size < self.offset:  # a retry's next attempt began the file anew
            self.offset = 0
            self.decoder.reset()
        while budget > 0 and self.offset < FOLLOW_LIMIT:
            data = os.pread(self.fd, min(CHUNK, budget, FOLLOW_LIMIT - self.offset), self.offset)
            if not data:
                break
            self.offset += len(data)
            budget -= len(data)
            chunks.append(self.decoder.decode(data))
        more = budget <= 0
        if self.offset >= FOLLOW_LIMIT and os.fstat(self.fd).st_size > self.offset:
            chunks.append(f"\n[... a follower shows the first {FOLLOW_LIMIT >> 20} MiB; "
                          f"the whole stream is in {self.path} on the worker's machine]\n")
            self.close()
            more = False
        elif final and not more:
            chunks.append(self.decoder.decode(b"", final=True))
            self.close()
        return [c for c in chunks if c], more

    def close(self) -> None:
        self.closed = True
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


class Follower:
    """One pass at a time over a run's state and streams; ``poll`` returns the events since the last."""

    def __init__(self, database: Database, run_id: str) -> None:
        self.database = database
        self.run_id = run_id
        self.statuses: dict[str, str] = {}
        self.tails: dict[tuple[str, str], _Tail] = {}
        self.done = False
        self.behind = False  # the last poll left output to read: poll again at once

    def state(self) -> run_streams.State:
        with self.database.session() as db:
            return run_streams.state(db, self.run_id)

    def poll(self) -> list[Event]:
        """The events since the last poll; ``behind`` says whether output is left to read at once."""
        state = self.state()  # first: once it is final, every stream file is complete
        final = state.status in runs.FINAL
        events = self._statuses(state)
        budget = READ_PER_POLL
        self.behind = False
        for source in state.sources:
            for name, path in zip(STREAM_NAMES, stream_files(Path(source.workdir), source.run_id), strict=True):
                tail = self.tails.setdefault((source.run_id, name), _Tail(path))
                if budget <= 0:
                    self.behind = self.behind or not tail.closed
                    continue
                before = tail.offset
                texts, more = tail.read(min(budget, READ_PER_STREAM), final=final or source.status in runs.FINAL)
                budget -= tail.offset - before
                self.behind = self.behind or more
                events += [self._text(source, name, text) for text in texts]
        if final and not self.behind:
            events += self._recorded(state)
            events.append(Event("end", {"run_id": state.run_id, "status": state.status}))
            self.done = True
            self.close()
        return events

    def close(self) -> None:
        """Let go of every stream file still open."""
        for tail in self.tails.values():
            tail.close()

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
    """Events of a run from now to its end; NotFound at once for an unknown run.

    A poll reads a bounded amount, and the next comes only once the client has taken what it
    gave, so a follower holds little memory however much the run wrote.
    """
    follower = Follower(database, run_id)
    try:
        while not follower.done:
            for event in await asyncio.to_thread(follower.poll):
                yield event
            if not follower.done and not follower.behind:
                await asyncio.sleep(poll_every)
    finally:
        follower.close()
