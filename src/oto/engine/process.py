"""Running one argv in a run folder: no shell, its own process group, bounded time, captured streams.

The argv goes to ``execve`` as it is (``subprocess.Popen`` with a list, never a shell), so
every value is one argument whatever it contains. The fork, the file work and the first 50 ms of
waiting happen in a small thread pool, and a longer program's exit is awaited on a pidfd, so the
event loop never blocks on them: a routine starts processes on every core instead of one at a
time (about 3x asyncio's subprocess transports for short steps on two cores), and a quick
program costs one trip off the loop.

A run owns its process group: on a timeout or a cancellation the whole group gets SIGTERM, then
SIGKILL after the grace period, and whatever is still in the group when the program ends is
killed too, so no run leaves a process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import errno
import os
import select
import signal
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any, TypeVar

from oto.domain import artifacts as artifact_names
from oto.domain.runs import RunStatus
from oto.engine import containment
from oto.services.runs import CANCELLED, FAILED, OUTPUT_LIMIT, SUCCEEDED, TIMED_OUT, now
from oto.services.secrets import Delivery, mask_text
from oto.services.secrets import forms as mask_forms

T = TypeVar("T")

# Stream files live beside the run folders, never inside one (a program owns its run folder):
# <OTO_HOME>/streams/<run id>.stdout and .stderr, in a folder only the worker's user may enter.
STREAMS = "streams"
# A record lists this many of the files a run made (it says how many there were in all) ...
MAX_ARTIFACTS = 1000
# ... and a folder is scanned up to this many files (a bound on the worker's memory, not on a run).
SCAN_LIMIT = 100 * MAX_ARTIFACTS
_BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "USER", "LOGNAME", "TMPDIR")
# never through a link: a link planted there must not make the worker truncate what it points to
_CREATE = os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW
# A program that ends this soon is waited for where it was started: one trip for all of it.
QUICK = 0.05


@dataclass
class Execution:
    status: RunStatus
    exit_code: int | None
    started_at: datetime
    finished_at: datetime
    stdout: str = ""
    stderr: str = ""
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    artifacts_total: int = 0  # the files it made, listed or not


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="oto-spawn")


def job_env(extra: Mapping[str, str], workdir: Path) -> dict[str, str]:
    """A small, predictable environment: never the worker's secrets (database URL and the like)."""
    env = {k: os.environ[k] for k in _BASE_ENV if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(extra)
    env["OTO_RUN_DIR"] = str(workdir)
    env[containment.WORKER_VARIABLE] = containment.worker_id()  # whose processes these are
    return env


def _signal_group(pgid: int, sig: int) -> bool:
    """Signal a process group; False when it has no process left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:  # e.g. a sudo'd program: sudo relays what it can
        return True
    return True


async def _exit(process: subprocess.Popen[bytes]) -> int:
    """The exit status, awaited on a pidfd (no thread held however long the program runs)."""
    loop = asyncio.get_running_loop()
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # not Linux 5.3+: a thread waits instead
        return await asyncio.to_thread(process.wait)
    exited: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not exited.done():
            exited.set_result(None)

    loop.add_reader(pidfd, readable)
    try:
        await exited
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)
    return process.wait()


async def stop_group(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM to the run's processes, SIGKILL to whatever is left of them after ``grace`` seconds."""
    pgid = process.pid
    _signal_group(pgid, signal.SIGTERM)
    containment.signal_rest(pgid, signal.SIGTERM)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_exit(process), grace)
    while loop.time() < deadline and _signal_group(pgid, 0):
        await asyncio.sleep(0.05)
    _signal_group(pgid, signal.SIGKILL)
    await _exit(process)
    await asyncio.to_thread(containment.end, pgid)


def stream_files(workdir: Path, name: str) -> tuple[Path, Path]:
    """The stdout and stderr files of run ``name`` working in ``workdir`` (``<home>/runs/<folder>``)."""
    folder = workdir.parent.parent / STREAMS
    return folder / f"{name}.stdout", folder / f"{name}.stderr"


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under the folder with its mtime and size."""
    found: dict[str, tuple[int, int]] = {}
    todo = [(str(folder), "")]
    while todo and len(found) <= SCAN_LIMIT:
        path, prefix = todo.pop()
        try:
            entries = list(os.scandir(path))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    todo.append((entry.path, f"{prefix}{entry.name}/"))
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            found[f"{prefix}{entry.name}"] = (st.st_mtime_ns, st.st_size)
    return found


def _artifacts(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
               ) -> tuple[list[dict[str, Any]], int]:
    """Files new or changed in the folder while the program ran: the first MAX_ARTIFACTS, and how many in all.

    Exact for a job; steps of a routine share one folder, so steps that overlap in time may
    each list what the other wrote meanwhile. Names that are not UTF-8 are listed in a
    JSON-safe form (``oto.domain.artifacts``).
    """
    changed = sorted(p for p, sig in after.items() if before.get(p) != sig)
    return [artifact_names.entry(p, after[p][1]) for p in changed[:MAX_ARTIFACTS]], len(changed)


def _head(fd: int, path: Path) -> str:
    """The first MiB of a stream file (read through the descriptor the program wrote to)."""
    if os.fstat(fd).st_size == 0:
        return ""
    data = os.pread(fd, OUTPUT_LIMIT + 1, 0)
    text = data[:OUTPUT_LIMIT].decode("utf-8", errors="replace")
    if len(data) > OUTPUT_LIMIT:
        text += f"\n[... cut at 1 MiB; the whole stream is in {path}]"
    return text


@cache
def _devnull() -> int:
    return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)


def _create(path: Path) -> int:
    """A stream file, readable by the worker's user only; OSError for anything but a regular file there."""
    try:
        fd = os.open(path, _CREATE, 0o600)
    except FileNotFoundError:  # the first program: make the folder
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, _CREATE, 0o600)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, f"{path} is not a regular file")
    return fd


def _stdin(data: bytes | None) -> int:
    """What the program reads: nothing, or a pipe holding ``data`` (a secret delivered by stdin)."""
    if data is None:
        return _devnull()
    read, write = os.pipe2(os.O_CLOEXEC)
    try:
        os.write(write, data[:65536])  # a pipe holds 64 KiB: never blocks
    finally:
        os.close(write)
    return read


@dataclass
class Launch:
    """A started program: its process, its stream files, and the folder as it was before."""

    process: subprocess.Popen[bytes]
    workdir: Path
    stdout: Path
    stderr: Path
    streams: tuple[int, int]  # the stream files, open until the run is concluded
    before: dict[str, tuple[int, int]]
    started_at: datetime
    started: float  # time.monotonic() at the start
    exited: asyncio.Future[int] | None = None  # its exit, awaited by whoever supervises it now
    secrets: Delivery | None = None  # its secrets: files to remove at its end, values to mask
    copiers: list[threading.Thread] = field(default_factory=list)  # masking its output into the stream files

    def release(self) -> None:
        for fd in self.streams:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.streams = (-1, -1)
        if self.secrets is not None:
            self.secrets.remove_files()


def in_pool(fn: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
    """``fn`` where launching and concluding run: off the event loop, on every core.

    In the caller's context, so its log lines still name the run (``logs.RUN_ID``).
    """
    context = contextvars.copy_context()
    return asyncio.get_running_loop().run_in_executor(_pool(), partial(context.run, fn, *args, **kwargs))


def launch(argv: list[str], *, workdir: Path, name: str, env: dict[str, str],
           secrets: Delivery | None = None) -> Launch:
    """Note the folder, open the stream files, fork and exec argv (no shell); blocking, for the pool.

    ``secrets``: the run's revealed secrets (their stdin, files, and values to mask in its output).
    Raises OSError or ValueError when the program cannot start.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    stdout, stderr = stream_files(workdir, name)
    out = _create(stdout)
    try:
        err = _create(stderr)
    except OSError:
        os.close(out)
        raise
    try:
        before = _snapshot(workdir)
        started, clock = now(), time.monotonic()
        stdin = _stdin(secrets.stdin if secrets is not None else None)
        masked = _masking_pipes(out, err, secrets)
        try:
            process = subprocess.Popen(argv, cwd=workdir, env=env, stdin=stdin, stdout=masked[0] if masked else out,
                                       stderr=masked[1] if masked else err, start_new_session=True)
        finally:
            if stdin != _devnull():  # the secret's pipe (the one /dev/null is kept open for every run)
                os.close(stdin)
            for fd in masked[:2]:
                os.close(fd)  # the program holds the write ends now
        containment.enter(process.pid, name)
    except BaseException:
        os.close(out)
        os.close(err)
        if secrets is not None:
            secrets.remove_files()
        raise
    copiers = [threading.Thread(target=_copy_masked, args=(source, target, forms_of(secrets)), daemon=True)
               for source, target in zip(masked[2:], (out, err), strict=False)]
    for copier in copiers:
        copier.start()
    return Launch(process, workdir, stdout, stderr, (out, err), before, started, clock, secrets=secrets,
                  copiers=copiers)


def forms_of(secrets: Delivery | None) -> list[bytes]:
    return [form.encode() for form in mask_forms(secrets.values if secrets is not None else [])]


def _masking_pipes(out: int, err: int, secrets: Delivery | None) -> tuple[int, ...]:
    """For a run with secrets, pipes between the program and its stream files (write ends, then read
    ends), so what it prints is masked before it is stored or streamed; () for a run without."""
    if secrets is None or not secrets.values:
        return ()
    out_read, out_write = os.pipe2(os.O_CLOEXEC)
    err_read, err_write = os.pipe2(os.O_CLOEXEC)
    return out_write, err_write, out_read, err_read


def _copy_masked(source: int, target: int, forms: list[bytes]) -> None:
    """Copy a pipe to a stream file with every secret form replaced by ***, until the pipe closes.

    The last bytes of each read wait for the next one, so a value cut across two reads is caught;
    they are written when the program is quiet for half a second, so followers see its output live.
    """
    keep = max((len(f) for f in forms), default=1) - 1
    pending = b""
    poller = select.poll()
    poller.register(source, select.POLLIN)
    try:
        while True:
            if pending and not poller.poll(500):
                _write_all(target, pending)  # quiet: nothing more of a value is coming at once
                pending = b""
            data = os.read(source, 65536)
            if not data:
                break
            pending = _masked(pending + data, forms)
            if len(pending) > keep:
                _write_all(target, pending[: len(pending) - keep])
                pending = pending[len(pending) - keep:]
        _write_all(target, _masked(pending, forms))
    except OSError:
        pass  # the stream file was closed: the run was concluded
    finally:
        os.close(source)


def _masked(data: bytes, forms: list[bytes]) -> bytes:
    for form in forms:
        data = data.replace(form, b"***")
    return data


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


Verdict = tuple[RunStatus, int | None, str | None]  # status, exit code, error


def _ended(code: int) -> Verdict:
    if code == 0:
        return SUCCEEDED, code, None
    return FAILED, code, f"exited with status {code}" if code > 0 else f"killed by signal {-code}"


def _exit_within(process: subprocess.Popen[bytes], seconds: float) -> int | None:
    """Blocking: the exit status if the program ends within ``seconds``, else None (still running)."""
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # not Linux 5.3+
        try:
            return process.wait(seconds)
        except subprocess.TimeoutExpired:
            return None
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        return process.wait() if poller.poll(max(0, int(seconds * 1000))) else None
    finally:
        os.close(pidfd)


def run(argv: list[str], *, workdir: Path, name: str, env: dict[str, str], timeout: float,
        within: float = QUICK, secrets: Delivery | None = None) -> Execution | Launch:
    """Blocking, for the pool: start argv and wait here up to ``within`` seconds.

    A program that ends by then is concluded in this same thread (one trip off the event loop
    for all of it); one still running is returned, for ``supervise``.
    """
    running = launch(argv, workdir=workdir, name=name, env=env, secrets=secrets)
    code = _exit_within(running.process, min(within, timeout))
    if code is None:
        return running
    _signal_group(running.process.pid, signal.SIGKILL)  # leftovers of the group, if any
    return conclude(running, *_ended(code))



async def supervise(running: Launch, *, timeout: float, grace: float, cancelled: bool = False,
                    hand_over_at: float | None = None) -> Verdict | None:
    """Wait for the program: its status, exit code and error. Never raises CancelledError.

    ``timeout`` counts from the program's start. With ``hand_over_at`` (seconds from the start)
    it returns None if the program still runs then, untouched, for another supervisor. A timeout
    or a cancellation stops the whole group; what is left of the group at the end is killed too.
    """
    process = running.process
    if running.exited is None:
        running.exited = asyncio.ensure_future(_exit(process))
    elapsed = time.monotonic() - running.started
    limit = timeout - elapsed if hand_over_at is None else min(timeout, hand_over_at) - elapsed
    try:
        if cancelled:
            raise asyncio.CancelledError()
        verdict = _ended(await asyncio.wait_for(asyncio.shield(running.exited), max(limit, 0)))
    except TimeoutError:
        if hand_over_at is not None and hand_over_at < timeout:
            return None
        await stop_group(process, grace)
        verdict = TIMED_OUT, process.returncode, f"timed out after {timeout:g}s"
    except asyncio.CancelledError:
        await stop_group(process, grace)
        verdict = CANCELLED, process.returncode, "cancelled"
    _signal_group(process.pid, signal.SIGKILL)  # leftovers of the group, if any
    return verdict


def full_disk(*folders: Path) -> Path | None:
    """The first of ``folders`` whose file system has no space (or no inode) left, if any."""
    for folder in folders:
        try:
            found = os.statvfs(folder)
        except OSError:
            continue
        if found.f_bavail == 0 or (found.f_files > 0 and found.f_favail == 0):
            return folder
    return None


def _why_failed(running: Launch, error: str | None) -> str | None:
    """A failed program's error, saying so when its folder or its streams' is full: a program that
    cannot write its output often dies without a word (its stderr cannot be written either)."""
    full = full_disk(running.workdir, running.stdout.parent)
    if full is None:
        return error
    return f"{error or 'failed'}: no space left on device (the file system of {full} is full)"


def conclude(running: Launch, status: RunStatus, code: int | None, error: str | None) -> Execution:
    """The run's record: the head of each stream and the files it made; blocking, for the pool."""
    containment.end(running.process.pid)  # whatever the run left, wherever it went
    for copier in running.copiers:
        copier.join(timeout=5)  # the pipe closes when the group is gone
    if status == FAILED:
        error = _why_failed(running, error)
    try:
        out, err = running.streams
        stdout, stderr = _head(out, running.stdout), _head(err, running.stderr)
        if running.secrets is not None and running.secrets.values:
            stdout, stderr = mask_text(stdout, running.secrets.values), mask_text(stderr, running.secrets.values)
        made, total = _artifacts(running.before, _snapshot(running.workdir))
        return Execution(status, code, running.started_at, now(), stdout, stderr, made, error, total)
    finally:
        running.release()


async def execute(argv: list[str], *, workdir: Path, name: str, env: dict[str, str], timeout: float,
                  grace: float, on_start: Callable[[int], None] = lambda pid: None,
                  on_exit: Callable[[int], None] = lambda pid: None, secrets: Delivery | None = None) -> Execution:
    """Run argv to its end, its timeout or its cancellation; never raises for the program's own failures.

    Cancellation (asyncio) stops the group and returns a ``cancelled`` execution: the caller
    decides whether that is the run's end or a lost attempt to retry. ``on_start`` and
    ``on_exit`` hear of a program that outlives the quick wait (for heartbeats).
    """
    started = now()
    starting = in_pool(run, argv, workdir=workdir, name=name, env=env, timeout=timeout, secrets=secrets)
    cancelled = False
    try:
        result = await asyncio.shield(starting)
    except asyncio.CancelledError:
        cancelled = True  # the fork may still happen: take the process to stop it
        try:
            result = await starting
        except (OSError, ValueError):
            return Execution(CANCELLED, None, started, now(), error="cancelled before it started")
    except (OSError, ValueError) as failure:
        return Execution(FAILED, None, started, now(), error=f"cannot start {argv[0]}: {describe(failure)}")
    if isinstance(result, Execution):
        return result
    on_start(result.process.pid)
    try:
        verdict = await supervise(result, timeout=timeout, grace=grace, cancelled=cancelled)
    finally:
        on_exit(result.process.pid)
    assert verdict is not None  # no hand-over asked
    return await in_pool(conclude, result, *verdict)


def describe(failure: Exception) -> str:
    """Why a program could not start, in a few words."""
    return (failure.strerror if isinstance(failure, OSError) else None) or str(failure)


# -- processes a lost attempt may have left --------------------------------------------------------


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


HOST = f"{socket.gethostname()}/{_boot_id()}"


def start_ticks(pid: int) -> int | None:
    """The kernel's start time of a process, to tell it from a later process with the same pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def reap(host: str, groups: list[list[int]]) -> None:
    """Kill the process groups a previous attempt recorded, if they are on this machine and still its own."""
    if host != HOST:
        return
    for pid, ticks in groups:
        if start_ticks(pid) == ticks:
            _signal_group(pid, signal.SIGKILL)
