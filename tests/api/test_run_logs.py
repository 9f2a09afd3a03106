"""A run's log stream against a hostile or huge run: planted links and FIFOs, and followers of 200 MB.

The program runs as the worker's user and knows where its streams are written, so it can replace
them; a follower must never show or swallow what they point to, and must hold little memory
whatever the size of the output.
"""

from __future__ import annotations

import asyncio
import resource
from pathlib import Path
from typing import Any

from oto.engine.follow import FOLLOW_LIMIT
from tests.api.conftest import Api
from tests.api.test_runs import events

PLANT = """
streams="$OTO_RUN_DIR/../../streams/$OTO_RUN_ID"; old="$OTO_RUN_DIR/.oto/$OTO_RUN_ID"
echo mine; echo also-mine >&2
mkdir -p "$OTO_RUN_DIR/.oto"
for s in "$streams" "$old"; do ln -sf {out} "$s.stdout"; {err} "$s.stderr"; done
"""


async def replay(api: Api, run_id: str) -> list[tuple[str, dict[str, Any]]]:
    async with asyncio.timeout(30):
        return [(k, d) for _, k, d in [e async for e in events(api, run_id)]]


def texts(seen: list[tuple[str, dict[str, Any]]], stream: str) -> str:
    return "".join(d["text"] for k, d in seen if k == stream)


async def test_a_stream_file_replaced_by_a_link_shows_what_the_run_wrote_not_the_target(api: Api,
                                                                                       tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET of the API's machine\n")
    api.engine.sh("planter", PLANT.format(out=secret, err=f"ln -sf {secret}"))
    run = (await api.start_job("planter", wait="true")).json()
    assert run["status"] == "succeeded"
    seen = await replay(api, run["run_id"])
    assert "TOP-SECRET" not in str(seen)
    # the stream files cannot be trusted: the output the worker recorded is replayed instead
    assert (texts(seen, "stdout"), texts(seen, "stderr")) == ("mine\n", "also-mine\n")
    assert seen[-1] == ("end", {"run_id": run["run_id"], "status": "succeeded"})


async def test_a_stream_file_replaced_by_a_device_or_a_fifo_is_never_read(api: Api) -> None:
    api.engine.sh("zero", PLANT.format(out="/dev/zero", err="rm -f \"$s.stderr\"; mkfifo"))
    run = (await api.start_job("zero", wait="true")).json()
    assert run["status"] == "succeeded"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seen = await replay(api, run["run_id"])  # ends: neither endless zeros nor a FIFO no one writes to
    assert (texts(seen, "stdout"), texts(seen, "stderr")) == ("mine\n", "also-mine\n")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


def _rss() -> int:
    """This process's resident memory in KiB (the API serves in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def test_three_followers_of_a_finished_200_mb_run_hold_little_memory(api: Api) -> None:
    api.engine.python("huge", "import sys\nfor _ in range(200): sys.stdout.buffer.write(b'y' * (1 << 20))", "x")
    run = (await api.start_job("huge", wait="true")).json()
    assert run["status"] == "succeeded"
    assert (api.engine.home / "streams" / f"{run['run_id']}.stdout").stat().st_size == 200 << 20
    base = peak = _rss()
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss())
            await asyncio.sleep(0.02)

    async def follower() -> tuple[int, str, str]:
        size, last, end = 0, "", ""
        async with asyncio.timeout(120):
            async for _, kind, data in events(api, run["run_id"]):
                if kind == "stdout":
                    size += len(data["text"])
                    last = data["text"]
                end = kind
        return size, last, end

    sampler = asyncio.create_task(sample())
    try:
        followed = await asyncio.gather(follower(), follower(), follower())
    finally:
        done.set()
        await sampler
    for size, last, end in followed:
        assert end == "end"
        assert FOLLOW_LIMIT <= size < FOLLOW_LIMIT + 500  # the first part, and a note where it stops
        assert "a follower shows the first 32 MiB; the whole stream is in" in last
    assert peak - base < 150_000, f"the API grew by {(peak - base) >> 10} MiB"
