"""One delivery attempt against hostile receivers on loopback: slow, huge, refusing, redirecting."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from oto.engine import notify
from oto.services.notifications import Outgoing


@pytest.fixture
def hostile() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/slow":
                time.sleep(3)
            if self.path == "/trickle":  # an error page sent a byte at a time
                self.send_response(500)
                self.send_header("Content-Length", "100")
                self.end_headers()
                try:
                    for _ in range(30):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.1)
                except OSError:
                    pass
                return
            status = {"/huge": 500, "/gone": 404, "/busy": 429, "/moved": 301}.get(self.path, 200)
            body = b"\x1b[2J" + b"e" * (8 << 20) if self.path == "/huge" else b""
            self.send_response(status)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _out(url: str) -> Outgoing:
    return Outgoing(url, "", {"event": "test", "text": "hi"})


async def test_a_slow_or_trickling_receiver_is_cut_at_the_timeout(hostile: str) -> None:
    for path in ("/slow", "/trickle"):
        started = time.monotonic()
        sent = await notify.send(_out(hostile + path), timeout=0.5)
        assert time.monotonic() - started < 2.0
        assert sent.http_status is None and "no answer within 0.5 s" in sent.error and sent.worth_retrying


async def test_answers_are_judged_and_a_huge_one_is_not_read_whole(hostile: str) -> None:
    huge = await notify.send(_out(hostile + "/huge"))
    assert huge.http_status == 500 and len(huge.error) < 300 and huge.worth_retrying and not huge.ok
    gone = await notify.send(_out(hostile + "/gone"))
    assert gone.http_status == 404 and not gone.worth_retrying
    busy = await notify.send(_out(hostile + "/busy"))
    assert busy.http_status == 429 and busy.worth_retrying
    moved = await notify.send(_out(hostile + "/moved"))
    assert moved.http_status == 301 and "not followed" in moved.error and "169.254.169.254" in moved.error
    ok = await notify.send(_out(hostile + "/fine"))
    assert ok.ok and ok.http_status == 200 and ok.error == ""
    refused = await notify.send(_out("http://127.0.0.1:9/nothing-listens"))
    assert refused.http_status is None and refused.error and refused.worth_retrying
