"""Containing a run: every process it starts is found and killed at its end, however it forks.

A program may double-fork, call ``setsid`` and ignore SIGTERM: its process group then no longer
holds all of it. Where the worker may make cgroups (cgroup v2, as root or in a delegated
subtree), each run gets one, ``<the worker's cgroup>/oto-runs/<worker>/<run>``: whatever its
processes do they stay in it, and ``cgroup.kill`` ends them all at once. The program is moved
there just after its fork, so a child it forks in that very instant stays outside; that one, and
every process of a run where no cgroup can be made, is caught another way: the worker is a
child subreaper (``PR_SET_CHILD_SUBREAPER``), so a process orphaned inside a run becomes the
worker's child instead of init's, and at the run's end each such child whose environment names
the run (``OTO_RUN_ID``) is killed and reaped. (A program that also clears its environment
escapes this second net: only a cgroup holds it.)

A worker killed with SIGKILL leaves its runs' processes behind. The next worker of the same host
kills them when it starts: the cgroups of workers that no longer exist, and the processes whose
environment names a worker that no longer exists (``OTO_WORKER_ID``).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

PR_SET_CHILD_SUBREAPER = 36
RUNS_GROUP = "oto-runs"
WORKER_VARIABLE = "OTO_WORKER_ID"


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


@cache
def worker_id() -> str:
    """This worker process, told from a later process with the same pid: ``<pid>-<start ticks>``."""
    return f"{os.getpid()}-{_start_ticks(os.getpid()) or 0}"


def _alive(worker: str) -> bool:
    pid, _, ticks = worker.partition("-")
    return pid.isdigit() and str(_start_ticks(int(pid))) == ticks


@cache
@cache
def cgroup_root() -> Path | None:
    """Where this worker may make cgroups of its runs (``<its cgroup>/oto-runs``), or None.

    Found once per process: it reads the mount table and makes a probe cgroup, which a run's start
    must not pay for every time.
    """
    try:
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
        own = next(line[3:] for line in Path("/proc/self/cgroup").read_text().splitlines()
                   if line.startswith("0::"))
    except (OSError, StopIteration):
        return None
    mount = next((line.split()[4] for line in mounts if line.split(" - ")[-1].startswith("cgroup2 ")), None)
    if mount is None:
        return None
    root = Path(mount) / own.lstrip("/") / RUNS_GROUP
    probe = root / f"probe-{worker_id()}"
    try:
        probe.mkdir(parents=True, exist_ok=True)
        movable = os.access(probe / "cgroup.procs", os.W_OK) and os.access(root.parent / "cgroup.procs", os.W_OK)
        probe.rmdir()
        if not movable:
            raise PermissionError("cgroup.procs is not writable")
    except OSError as error:
        log.info("no cgroup per run here (%s): orphans are found as the worker's children", error)
        with contextlib.suppress(OSError):
            probe.rmdir()
        return None
    log.info("each run gets a cgroup under %s", root)
    return root


@cache
def _subreaper() -> bool:
    """Make this process a child subreaper (once); False where the kernel cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


@dataclass
class Cell:
    """Where one run's processes are held: its cgroup, or (None) the worker's children named by its id."""

    name: str
    cgroup: Path | None


_lock = threading.Lock()
_cells: dict[int, Cell] = {}  # by the pid of the program started: its Popen, not this module, waits for it
_leftover: set[Path] = set()  # cgroups to remove once their last process is gone
_adopted: set[int] = set()  # orphans of runs found among the worker's children: reaped here once they end

# Tests force the fallback to see it work where cgroups are available.
use_cgroups = True


def enter(pid: int, name: str) -> None:
    """Hold the program just started (``pid``) for run ``name``: in a cgroup of its own where one can be made."""
    _subreaper()
    root = cgroup_root() if use_cgroups else None
    cell = Cell(name, None)
    if root is not None:
        group = root / worker_id() / name
        try:
            group.mkdir(parents=True, exist_ok=True)
            (group / "cgroup.procs").write_text(str(pid))
            cell = Cell(name, group)
        except OSError as error:  # gone already, or the cgroup could not be made
            log.debug("run %s not in a cgroup: %s", name, error)
    with _lock:
        _cells[pid] = cell


def signal_rest(leader: int, sig: int) -> None:
    """Send ``sig`` to every process of the run started as ``leader``, in its process group or not."""
    cell = _cells.get(leader)
    for pid in _members(cell) if cell else []:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def end(leader: int) -> None:
    """At the end of the run started as ``leader`` (waited for already): kill whatever is left of it,
    wherever it went; blocking, a few milliseconds. Once per run: later calls do nothing."""
    with _lock:
        cell = _cells.pop(leader, None)
    if cell is None:
        return
    if cell.cgroup is not None and not _removed(cell.cgroup):  # most runs: empty, removed in one call
        if _populated(cell.cgroup):
            _kill_group(cell.cgroup)
            deadline = time.monotonic() + 1.0
            while _populated(cell.cgroup) and time.monotonic() < deadline:
                time.sleep(0.005)
        _leftover.add(cell.cgroup)
        _remove_empty()
    # and the worker's adopted children naming the run: all of them without a cgroup, and with
    # one, a child forked in the instant before the program was moved into it
    orphans = Cell(cell.name, None)
    for _ in range(20):  # a killed orphan's own children become the worker's next
        found = _members(orphans)
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        _reap_orphans()
        if not found:
            return
        time.sleep(0.01)


def _members(cell: Cell) -> list[int]:
    if cell.cgroup is not None:
        try:
            return [int(p) for p in (cell.cgroup / "cgroup.procs").read_text().split()]
        except OSError:
            return []
    wanted = f"OTO_RUN_ID={cell.name}".encode()
    with _lock:
        leaders = set(_cells)
    found = [pid for pid in _children() if pid not in leaders and wanted in _environment(pid)]
    with _lock:
        _adopted.update(found)
    return found


def _children() -> list[int]:
    """The orphans this process adopted as a subreaper, among its other children.

    The kernel hands orphans to the subreaper's main thread, so its list is the one read (one
    small file per run's end; the programs the pool's threads started are listed under theirs).
    """
    try:
        return [int(p) for p in Path(f"/proc/self/task/{os.getpid()}/children").read_text().split()]
    except OSError:
        return []


def _environment(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def _reap_orphans() -> None:
    """Wait for the adopted orphans of runs that have ended (only those: other children have their Popen)."""
    with _lock:
        adopted = set(_adopted)
    for pid in adopted:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            with _lock:
                _adopted.discard(pid)


def _removed(group: Path) -> bool:
    """Remove the cgroup if no process is left in it (the kernel refuses a populated one)."""
    try:
        group.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def _populated(group: Path) -> bool:
    """Whether a process is left in the cgroup (or under it)."""
    try:
        return "populated 1" in (group / "cgroup.events").read_text()
    except OSError:
        return False


def _kill_group(group: Path) -> None:
    try:
        (group / "cgroup.kill").write_text("1")
        return
    except FileNotFoundError:
        if not group.exists():
            return
    except OSError:
        pass
    for _ in range(20):  # before Linux 5.14: kill what is listed until nothing is
        try:
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def _remove_empty() -> None:
    for group in list(_leftover):
        try:
            group.rmdir()
        except FileNotFoundError:
            pass
        except OSError:  # its processes are still dying: next time
            continue
        _leftover.discard(group)


def clean_up_after_lost_workers() -> int:
    """Kill what workers of this host that no longer exist left running; how many runs' processes were found.

    Called when a worker starts: a worker killed with SIGKILL never ended its runs' processes.
    """
    found = 0
    root = cgroup_root()
    if root is not None:
        for folder in _subfolders(root):
            if folder.name.startswith("probe-") or _alive(folder.name):
                continue
            for group in _subfolders(folder):
                found += 1
                _kill_group(group)
                _leftover.add(group)
            _leftover.add(folder)
        deadline = time.monotonic() + 2
        while _leftover and time.monotonic() < deadline:
            _remove_empty()
            time.sleep(0.02)
            _remove_empty()  # the worker folders, once their runs' are gone
    prefix = f"{WORKER_VARIABLE}=".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        named = next((v[len(prefix):].decode(errors="replace") for v in _environment(int(entry))
                      if v.startswith(prefix)), None)
        if named is not None and named != worker_id() and not _alive(named):
            found += 1
            with contextlib.suppress(OSError):
                os.kill(int(entry), signal.SIGKILL)
    if found:
        log.warning("killed the processes of %d runs that lost workers of this host left running", found)
    return found


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_dir()]
    except OSError:
        return []
