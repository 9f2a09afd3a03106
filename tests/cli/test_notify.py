"""``oto notify``: adding, listing, showing, testing and deleting notifications; hostile input refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from oto.domain.models import Notification
from oto.services.database import get_database
from tests.support.cli import Oto

SECRET = "whsec-9f1c-test"


@pytest.fixture
def hooks(initialized: Oto) -> Oto:
    oto = initialized
    assert oto("executable", "add", "tool", "1", "/bin/echo").code == 0
    assert oto("command", "add", "--executable", "tool - 1", "c").code == 0
    assert oto("job", "add", "j", "--command", "c").code == 0
    return oto


@pytest.fixture
def redirecting() -> Iterator[tuple[str, list[str]]]:
    """A receiver that answers every POST with a redirect to another path (which must not be followed)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append(self.path)
            self.send_response(307 if self.path == "/hook" else 200)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", seen
    server.shutdown()
    server.server_close()


def test_add_list_show_delete(hooks: Oto, tmp_path: Path) -> None:
    oto = hooks
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    added = oto("notify", "add", "ops", "--url", "https://hooks.example.com/T0/B1", "--job", "j",
                "--on", "failed,succeeded", "--secret-file", str(secret))
    assert added.code == 0, added.err
    assert "failed,succeeded of job j" in added.out and "(signed)" in added.out
    listed = oto("notify", "list", "--json")
    [one] = json.loads(listed.out)
    assert one["name"] == "ops" and one["on"] == ["failed", "succeeded"] and one["target"] == {"kind": "job",
                                                                                              "name": "j"}
    assert one["signed"] is True and one["last_attempt"] is None
    shown = oto("notify", "show", "ops")
    assert shown.code == 0 and "hooks.example.com" in shown.out and "no attempts" in shown.out
    with get_database().session() as db:  # sealed at rest, like every secret
        stored = db.scalar(select(Notification.secret))
    assert stored and stored.startswith("enc:") and SECRET not in stored
    everything = oto("notify", "list").out + oto("notify", "show", "ops", "--json").out + oto("export").out
    assert SECRET not in everything
    assert oto("notify", "add", "ops", "--url", "https://x.example").code == 2  # already exists
    assert oto("notify", "delete", "ops").code == 0
    gone = oto("notify", "show", "ops")
    assert gone.code == 2 and "no notification 'ops'" in gone.err


def test_defaults_listen_to_every_run_failing_or_timing_out(hooks: Oto) -> None:
    assert hooks("notify", "add", "all", "--url", "http://127.0.0.1:9/x").code == 0
    [one] = json.loads(hooks("notify", "list", "--json").out)
    assert one["on"] == ["failed", "timed_out"] and one["target"] is None and one["signed"] is False


@pytest.mark.parametrize(("args", "says"), [
    (["--url", "file:///etc/passwd"], "must start with http:// or https://"),
    (["--url", "ftp://example.com/x"], "must start with http:// or https://"),
    (["--url", "javascript:alert(1)"], "must start with http:// or https://"),
    (["--url", "example.com/hook"], "must start with http:// or https://"),
    (["--url", "http://"], "names no host"),
    (["--url", "https://user:pw@example.com/x"], "cannot hold a user or password"),
    (["--url", "https://example.com/a b"], "spaces or control characters"),
    (["--url", "https://example.com/\x1b[31m"], "spaces or control characters"),
    (["--url", "https://example.com:99999/"], "is not a URL"),
    (["--url", "https://example.com/" + "a" * 3000], "at most 2048 characters"),
    (["--url", "https://x.example", "--on", "failed,exploded"], "'exploded' is not a status"),
    (["--url", "https://x.example", "--on", "running"], "'running' is not a status"),
    (["--url", "https://x.example", "--on", ","], "at least one status"),
    (["--url", "https://x.example", "--job", "nope"], "no job 'nope'"),
    (["--url", "https://x.example", "--routine", "nope"], "no routine 'nope'"),
    (["--url", "https://x.example", "--schedule", "nope"], "no schedule 'nope'"),
    (["--url", "https://x.example", "--job", "j", "--routine", "r"], "at most one of job, routine or schedule"),
])
def test_hostile_input_is_refused_in_one_sentence_and_nothing_is_written(hooks: Oto, args: list[str],
                                                                         says: str) -> None:
    result = hooks("notify", "add", "bad", *args)
    assert result.code == 2, result.out
    assert says in result.err and "Traceback" not in result.err and result.err.count("\n") == 1
    assert "\x1b" not in result.err
    assert json.loads(hooks("notify", "list", "--json").out) == []


@pytest.mark.parametrize("name", ["a/b", "..", " ", "x" * 201, "nul\x00"])
def test_bad_names_are_refused(hooks: Oto, name: str) -> None:
    result = hooks("notify", "add", name, "--url", "https://x.example")
    assert result.code == 2 and "Traceback" not in result.err


@pytest.mark.parametrize(("content", "says"), [
    (b"", "holds no secret"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
    (b"a" * 5000, "more than 4096 bytes"),
])
def test_a_bad_secret_file_is_refused(hooks: Oto, tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "secret"
    path.write_bytes(content)
    result = hooks("notify", "add", "s", "--url", "https://x.example", "--secret-file", str(path))
    assert result.code == 2 and says in result.err
    missing = hooks("notify", "add", "s", "--url", "https://x.example", "--secret-file", str(tmp_path / "none"))
    assert missing.code == 2 and "cannot read" in missing.err
    huge = hooks("notify", "add", "s", "--url", "https://x.example", "--secret-file", "/dev/zero")
    assert huge.code == 2 and "more than 4096 bytes" in huge.err


def test_a_test_is_recorded_and_a_redirect_is_not_followed(hooks: Oto, redirecting: tuple[str, list[str]]) -> None:
    url, seen = redirecting
    assert hooks("notify", "add", "moved", "--url", url).code == 0
    tested = hooks("notify", "test", "moved")
    assert tested.code == 1 and "redirect" in tested.out and "not followed" in tested.out
    assert seen == ["/hook"]  # /elsewhere was never asked
    shown = json.loads(hooks("notify", "show", "moved", "--json").out)
    assert [(a["run_id"], a["http_status"], a["ok"]) for a in shown["attempts"]] == [(None, 307, False)]
    unreachable = hooks("notify", "add", "down", "--url", "http://127.0.0.1:9/x")
    assert unreachable.code == 0
    failed = hooks("notify", "test", "down", "--json")
    assert failed.code == 1 and json.loads(failed.out)["ok"] is False


def test_notifications_round_trip_through_a_document_byte_identically(hooks: Oto, tmp_path: Path) -> None:
    oto = hooks
    secret = tmp_path / "secret"
    secret.write_text(SECRET)
    assert oto("notify", "add", "b", "--url", "https://b.example/h?x=1&y=<2>", "--on", "succeeded,failed",
               "--job", "j", "--secret-file", str(secret), "--description", "Ünïcode \"quoted\"").code == 0
    assert oto("notify", "add", "a", "--url", "http://a.example").code == 0
    first = oto("export").out
    notes = json.loads(first)["notifications"]
    assert notes == [{"name": "a", "url": "http://a.example"},
                     {"name": "b", "url": "https://b.example/h?x=1&y=<2>", "on": ["failed", "succeeded"],
                      "job": "j", "secret": "***", "description": "Ünïcode \"quoted\""}]
    path = tmp_path / "doc.json"
    path.write_text(first)
    imported = oto("import", str(path))
    assert imported.code == 0, imported.err
    assert oto("export").out == first
    shown = json.loads(oto("notify", "show", "b", "--json").out)
    assert shown["signed"] is True  # "***" kept the stored secret


def test_a_masked_secret_cannot_make_a_new_notification(initialized: Oto, tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"oto": 1, "notifications": [
        {"name": "n", "url": "https://n.example", "secret": "***"}]}))
    result = initialized("import", str(path))
    assert result.code == 2 and "masked" in result.err
    path.write_text(json.dumps({"oto": 1, "notifications": [{"name": "n", "url": "file:///x"}]}))
    result = initialized("import", str(path))
    assert result.code == 2 and "notifications[0]" in result.err and "http://" in result.err


def test_an_export_with_secrets_seals_the_signing_secret_for_the_other_key(hooks: Oto, tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    secret = tmp_path / "secret"
    secret.write_text(SECRET)
    assert hooks("notify", "add", "ops", "--url", "https://x.example", "--secret-file", str(secret)).code == 0
    other = tmp_path / "other.key"
    other.write_text(Fernet.generate_key().decode() + "\n")
    moved = tmp_path / "moved.json"
    assert hooks("export", "--with-secrets", "--to-key-file", str(other), "-o", str(moved)).code == 0
    [note] = json.loads(moved.read_text())["notifications"]
    assert note["secret"].startswith("enc:") and SECRET not in moved.read_text()
    assert Fernet(other.read_text().strip().encode()).decrypt(note["secret"][4:].encode()).decode() == SECRET
