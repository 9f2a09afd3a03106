"""Notifications: webhooks told when runs end (docs/notifications.md). Their checks, storage, what
each delivery says, and the record of every attempt.

The delivery itself (an HTTP POST, retried with backoff) is a Temporal activity of the engine; this
module builds the body it sends and writes each attempt it makes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from oto.domain.documents import MAX_URL, NOTIFY_STATUSES, NotificationDoc
from oto.domain.models import Notification, NotificationDelivery, Run
from oto.errors import AlreadyExists, InvalidInput, NotFound
from oto.services import lookups, secrets
from oto.services.validation import invalid

# The stderr lines a notification carries, and the most characters of each.
STDERR_LINES = 20
LINE_LIMIT = 500
# The most attempts `oto notify show` lists (newest first); older ones stay in the database.
SHOWN_ATTEMPTS = 50
# The most characters of an error kept per attempt.
ERROR_LIMIT = 500
TEST_RUN = ""


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def check_url(url: str, where: str) -> str:
    """An absolute http(s) URL with a host, no credentials, no spaces or control characters."""
    if len(url) > MAX_URL:
        raise InvalidInput(f"{where}: the URL can be at most {MAX_URL} characters long, not {len(url)}")
    if any(unicodedata.category(c)[0] in "CZ" for c in url):  # controls, bidi marks, every kind of space
        raise InvalidInput(f"{where}: the URL cannot contain spaces or control characters")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidInput(f"{where}: {url[:100]!r} is not a URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        shown = parts.scheme or "no scheme"
        raise InvalidInput(f"{where}: the URL must start with http:// or https://, not {shown[:20]!r}")
    if not parts.hostname:
        raise InvalidInput(f"{where}: the URL {url[:100]!r} names no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(f"{where}: the URL cannot hold a user or password (sign with a secret instead)")
    if port == 0:
        raise InvalidInput(f"{where}: the URL's port cannot be 0")
    return url


def _label(where: str, name: str) -> str:
    return f"{where} ({name})" if where != f"notification {name!r}" else where


def parse(data: NotificationDoc | dict[str, Any], where: str = "notification") -> NotificationDoc:
    if isinstance(data, NotificationDoc):
        return data
    try:
        return NotificationDoc.model_validate(data)
    except ValidationError as error:
        raise invalid(where, error) from None


def _check_target(db: Session, doc: NotificationDoc, label: str) -> None:
    kind, name = doc.target
    find = {"job": lookups.job, "routine": lookups.routine, "schedule": lookups.schedule}.get(kind)
    if find is not None:
        try:
            find(db, name)
        except NotFound as error:
            raise error.within(label) from None


def to_doc(record: Notification, *, mask: bool = True) -> NotificationDoc:
    secret: str | None = record.secret or None
    if secret and mask and not secrets.is_reference(secret):
        secret = secrets.MASK
    target = {record.target_kind: record.target} if record.target_kind else {}
    return NotificationDoc.model_construct(name=record.name, url=record.url, on=list(record.on), secret=secret,
                                           description=record.description, job=target.get("job"),
                                           routine=target.get("routine"), schedule=target.get("schedule"))


def sealed_doc(record: Notification, ring: list[bytes]) -> NotificationDoc:
    """Its document with the secret sealed for another installation's key (a reference as it is)."""
    doc = to_doc(record, mask=False)
    if record.secret and not secrets.is_reference(record.secret):
        doc = doc.model_copy(update={"secret": secrets.seal(secrets.reveal(record.secret), ring)})
    return doc


def save(db: Session, doc: NotificationDoc, where: str, *, replace: bool) -> str:
    """Write a notification (flushed, not committed); refused with nothing written when anything is wrong."""
    label = _label(where, doc.name)
    check_url(doc.url, label)
    _check_target(db, doc, label)
    current = db.scalar(select(Notification).where(Notification.name == doc.name))
    if current is not None and not replace:
        raise AlreadyExists(f"notification {doc.name!r} already exists")
    given = doc.secret
    if given == secrets.MASK:
        if current is None or not current.secret:
            raise InvalidInput(f"{label}: the secret is masked (***); give its value, a reference, or leave it out")
        stored = current.secret
    elif given is None or given == "":
        stored = ""
    else:
        if "\x00" in given or len(given) > 4096:
            raise InvalidInput(f"{label}: a secret is at most 4096 characters, without NUL characters")
        stored = secrets.store(given, current.secret if current is not None else None, f"{label}: secret")
    if current is not None and to_doc(current, mask=False) == to_doc(_unsaved(doc, stored), mask=False):
        return "unchanged"
    record = current or Notification(name=doc.name, created_at=_now())
    record.url, record.on, record.secret, record.description = doc.url, list(doc.on), stored, doc.description
    record.target_kind, record.target = doc.target
    if current is None:
        db.add(record)
    db.flush()
    return "updated" if current is not None else "created"


def _unsaved(doc: NotificationDoc, stored: str) -> Notification:
    kind, name = doc.target
    return Notification(name=doc.name, url=doc.url, on=list(doc.on), secret=stored, description=doc.description,
                        target_kind=kind, target=name)


def _record(db: Session, name: str) -> Notification:
    found = db.scalar(select(Notification).where(Notification.name == name))
    if found is None:
        raise NotFound(f"no notification {name!r} (see `oto notify list`)")
    return found


def _attempt_view(d: NotificationDelivery) -> dict[str, Any]:
    return {"run_id": d.run_id or None, "attempt": d.attempt, "at": _iso(d.at), "http_status": d.http_status,
            "error": d.error or None, "ok": d.ok}


def view(record: Notification, attempts: list[NotificationDelivery] | None = None) -> dict[str, Any]:
    """A notification as the CLI and the API show it: the secret never, only whether there is one."""
    kind = record.target_kind
    data: dict[str, Any] = {
        "name": record.name, "url": record.url, "on": list(record.on),
        "target": {"kind": kind, "name": record.target} if kind else None,
        "signed": bool(record.secret), "description": record.description, "created_at": _iso(record.created_at),
    }
    if attempts is not None:
        data["attempts"] = [_attempt_view(a) for a in attempts]
    return data


def add(db: Session, data: NotificationDoc | dict[str, Any]) -> dict[str, Any]:
    name = data.get("name") if isinstance(data, dict) else data.name
    doc = parse(data, f"notification {name!r}" if isinstance(name, str) else "notification")
    save(db, doc, f"notification {doc.name!r}", replace=False)
    return get(db, doc.name)


def get(db: Session, name: str) -> dict[str, Any]:
    record = _record(db, name)
    attempts = list(db.scalars(select(NotificationDelivery).where(NotificationDelivery.notification_id == record.id)
                               .order_by(NotificationDelivery.id.desc()).limit(SHOWN_ATTEMPTS)))
    return view(record, attempts)


def list_all(db: Session) -> list[dict[str, Any]]:
    found = []
    for record in db.scalars(select(Notification).order_by(Notification.name)):
        last = db.scalar(select(NotificationDelivery).where(NotificationDelivery.notification_id == record.id)
                         .order_by(NotificationDelivery.id.desc()).limit(1))
        found.append(view(record) | {"last_attempt": None if last is None else _attempt_view(last)})
    return found


def all_docs(db: Session, *, seal_for: list[bytes] | None = None) -> list[dict[str, Any]]:
    records = db.scalars(select(Notification).order_by(Notification.name))
    return [(to_doc(r) if seal_for is None else sealed_doc(r, seal_for)).to_document() for r in records]


def delete_one(db: Session, name: str) -> None:
    record = _record(db, name)
    lookups.claim(db, record, f"notification {name!r}")
    db.execute(delete(NotificationDelivery).where(NotificationDelivery.notification_id == record.id))
    db.delete(record)
    db.flush()


# -- which notifications a run's end concerns ------------------------------------------------------------


def _listens(n: Notification, status: str, *, kind: str, job: str | None, routine: str | None,
             trigger: str) -> bool:
    if status not in n.on:
        return False
    if n.target_kind == "":
        return kind != "step"
    if n.target_kind == "job":
        return job == n.target and kind in ("job", "step")
    if n.target_kind == "routine":
        return kind == "routine" and routine == n.target
    if n.target_kind == "schedule":
        return kind != "step" and trigger == f"schedule:{n.target}"
    return False


def wanted(db: Session, run_id: str) -> list[list[str]]:
    """The deliveries a job or routine run's end calls for: ``[notification, run id]`` pairs.

    A routine is told of once, as a whole; one of its steps only to a notification that names the
    step's job. Empty (one small query) when no notification exists.
    """
    listening = list(db.scalars(select(Notification).order_by(Notification.name)))
    if not listening:
        return []
    run = db.get(Run, run_id)
    # A step is told of with its routine's end, even when it ran in a workflow of its own (a
    # retried step): never twice.
    if run is None or run.kind == "step" or run.status not in NOTIFY_STATUSES:
        return []
    pairs = [[n.name, run.id] for n in listening
             if _listens(n, run.status, kind=run.kind, job=run.job_name, routine=run.routine_name, trigger=run.trigger)]
    if run.kind == "routine" and any(n.target_kind == "job" for n in listening):
        steps = db.execute(select(Run.id, Run.job_name, Run.status).where(Run.parent_id == run.id)
                           .order_by(Run.id)).all()
        for step_id, job, status in steps:
            pairs += [[n.name, step_id] for n in listening
                      if n.target_kind == "job" and _listens(n, status, kind="step", job=job, routine=None, trigger="")]
    return pairs


# -- what a delivery says ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One POST to make: where, the stored secret that signs it ("" for none), and its JSON payload."""

    url: str
    secret: str
    payload: dict[str, Any]


def _tail(text: str) -> list[str]:
    lines = text.splitlines()[-STDERR_LINES:]
    return [line if len(line) <= LINE_LIMIT else line[:LINE_LIMIT] + "…" for line in lines]


def _human(run: Run) -> str:
    what = run.routine_name if run.kind == "routine" else run.job_name
    kind = "routine" if run.kind == "routine" else "job"
    if run.kind == "step":
        kind, what = "step", f"{run.step_id} ({run.job_name}) of routine {run.routine_name}"
    took = ""
    if run.started_at is not None and run.finished_at is not None:
        took = f" after {(run.finished_at - run.started_at).total_seconds():.1f}s"
    code = f", exit code {run.exit_code}" if run.exit_code is not None else ""
    return f"OTO: {kind} {what} {run.status}{code}{took} (run {run.id}, trigger {run.trigger})"


def payload_of(run: Run, public_url: str) -> dict[str, Any]:
    """What a notification says of a run (docs/notifications.md); stored output is already masked."""
    base = public_url.rstrip("/")
    link = f"{base}/runs/{urllib.parse.quote(run.id, safe='')}" if base else None
    text = _human(run) + (f" {link}" if link else "")
    return {
        "event": "run.finished", "run_id": run.id, "kind": run.kind, "job": run.job_name, "routine": run.routine_name,
        "step": run.step_id, "parent_id": run.parent_id, "status": run.status, "exit_code": run.exit_code,
        "trigger": run.trigger, "created_at": _iso(run.created_at), "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at), "error": run.error, "url": link, "stderr_tail": _tail(run.stderr),
        "text": text,
    }


def outgoing(db: Session, name: str, run_id: str, public_url: str) -> Outgoing:
    record = _record(db, name)
    if run_id == TEST_RUN:
        link = public_url.rstrip("/") or None
        payload = {"event": "test", "run_id": None, "notification": name, "url": link,
                   "text": f"OTO: a test of notification {name}" + (f" from {link}" if link else "")}
        return Outgoing(record.url, record.secret, payload)
    run = db.get(Run, run_id)
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    return Outgoing(record.url, record.secret, payload_of(run, public_url) | {"notification": name})


def body_of(payload: dict[str, Any], sent_at: datetime) -> bytes:
    """The exact bytes sent: compact JSON with the send time inside, so the signature covers it."""
    return json.dumps(payload | {"sent_at": _iso(sent_at)}, separators=(",", ":"), ensure_ascii=False,
                      sort_keys=True).encode()


def signature(body: bytes, secret: str) -> str:
    """The X-OTO-Signature header of ``body``: ``sha256=`` and the hex HMAC-SHA256 keyed by the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def record_attempt(db: Session, name: str, run_id: str, attempt: int, *, http_status: int | None, error: str,
                   ok: bool, at: datetime | None = None) -> None:
    record = db.scalar(select(Notification).where(Notification.name == name))
    if record is None:  # deleted meanwhile: nothing to record it against
        return
    db.add(NotificationDelivery(notification_id=record.id, run_id=run_id, attempt=attempt, at=at or _now(),
                                http_status=http_status, error=error[:ERROR_LIMIT], ok=ok))
    db.flush()


def delete_for_runs(db: Session, run_ids: list[str]) -> None:
    """Forget the attempts that told of runs being pruned."""
    for i in range(0, len(run_ids), 500):
        db.execute(delete(NotificationDelivery).where(NotificationDelivery.run_id.in_(run_ids[i:i + 500])))


MAX_SECRET = 4096


def secret_from_file(path: str) -> str:
    """The signing secret held in a file (``--secret-file``): UTF-8 text, one trailing newline dropped,
    at most MAX_SECRET bytes; refused in one sentence otherwise (``/dev/zero`` ends too)."""
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_SECRET + 1)
    except OSError as error:
        raise InvalidInput(f"--secret-file: cannot read {path[:200]!r}: {error.strerror}") from None
    if len(data) > MAX_SECRET:
        raise InvalidInput(f"--secret-file: {path[:200]!r} holds more than {MAX_SECRET} bytes; a secret is shorter")
    try:
        text = data.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"--secret-file: {path[:200]!r} is not UTF-8 text (byte {error.start})") from None
    if not text or "\x00" in text:
        raise InvalidInput(f"--secret-file: {path[:200]!r} holds no secret (it is empty or holds a NUL character)")
    return text
