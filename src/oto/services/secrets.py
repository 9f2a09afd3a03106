"""Secret values: sealed at rest, revealed by the worker just before the program starts, masked in output.

A secret parameter's value is stored in one of three forms (docs/secrets.md):

- ``enc:<token>``: the value sealed with the installation's key (Fernet: AES-128-CBC and HMAC-SHA256,
  authenticated), from ``OTO_SECRET_KEY`` or the key file ``$OTO_HOME/secret.key`` (mode 0600,
  created on first use). Several keys may be given, one a line or comma-separated: the first seals,
  any opens, which is what makes a key rotation interruptible without loss.
- ``env:NAME``: a reference to the worker's environment variable NAME.
- ``file:/path``: a reference to a file read on the worker.

References are stored and exported as they are: they are not secrets, what they point to is.
No message of this module ever holds a secret value: a reference is named, a value never.
"""

from __future__ import annotations

import base64
import os
import re
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oto.domain.models import Job, Run, Schedule
from oto.domain.runs import SecretSlot
from oto.errors import InvalidInput, Refused
from oto.settings import get_settings

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

SEALED = "enc:"
KEY_FILE = "secret.key"
MASK = "***"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class SecretError(ValueError):
    """A secret the worker cannot reveal (a missing reference, a value sealed with another key)."""


# -- the key -----------------------------------------------------------------------------------------


def key_file() -> Path:
    return get_settings().home / KEY_FILE


def _parse_keys(text: str) -> list[bytes]:
    return [k.strip().encode() for k in re.split(r"[,\s]+", text) if k.strip()]


def where_the_key_is() -> str:
    """Where the configured key comes from, for messages."""
    return "OTO_SECRET_KEY" if get_settings().secret_key is not None else str(key_file())


def keys(*, create: bool = False) -> list[bytes]:
    """The configured keys, first the one that seals; the key file is made (0600) when ``create``."""
    from cryptography.fernet import Fernet  # the cipher loads only where a key is read: a listing never pays

    configured = get_settings().secret_key
    if configured is not None:
        found = _parse_keys(configured.get_secret_value())
    else:
        path = key_file()
        try:
            found = _parse_keys(path.read_text())
        except FileNotFoundError:
            if not create:
                return []
            write_key_file([Fernet.generate_key()], replace=False)  # another process's first key wins
            found = _parse_keys(path.read_text())
    try:
        for key in found:
            Fernet(key)
    except ValueError:
        raise Refused(f"the secret key in {where_the_key_is()} is not a Fernet key "
                      "(32 url-safe base64-encoded bytes)") from None
    return found


def read_key_file(path: Path) -> list[bytes]:
    """The keys of another installation's key file (``--to-key-file``), or InvalidInput."""
    from cryptography.fernet import Fernet

    try:
        found = _parse_keys(path.read_text())[:1]
        for key in found:
            Fernet(key)
    except (OSError, UnicodeDecodeError, ValueError):
        found = []
    if not found:
        raise InvalidInput(f"{path} holds no secret key (a Fernet key, as in $OTO_HOME/{KEY_FILE})")
    return found


def write_key_file(ring: list[bytes], *, replace: bool = True) -> None:
    """Write the key file at once (a new file, 0600 from its creation, renamed over the old one);
    without ``replace``, a key file already there is kept as it is."""
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(f"{key.decode()}\n" for key in ring))
        out.flush()
        os.fsync(out.fileno())
    if replace:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)  # fails if the file exists: never two first keys
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _ring(ring: list[bytes] | None = None, *, create: bool = False) -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    found = keys(create=create) if ring is None else ring
    if not found:
        raise SecretError(f"no secret key is configured (set OTO_SECRET_KEY or create {key_file()})")
    return MultiFernet([Fernet(k) for k in found])


# -- stored forms -----------------------------------------------------------------------------------


def is_reference(value: str) -> bool:
    return value.startswith(("env:", "file:"))


def is_stored(value: str) -> bool:
    """Whether a value is already in a stored form (sealed, or a reference): no clear value to check."""
    return value.startswith(SEALED) or is_reference(value)


def check_reference(value: str, where: str) -> None:
    kind, _, target = value.partition(":")
    if kind == "env" and not _ENV_NAME.match(target):
        raise InvalidInput(f"{where}: the reference {value!r} should name a variable (env:NAME)")
    if kind == "file" and not target.startswith("/"):
        raise InvalidInput(f"{where}: the reference {value!r} should name an absolute path (file:/path)")


def seal(value: str, ring: list[bytes] | None = None) -> str:
    """The stored form of a clear value: sealed with the first configured key (made on first use)."""
    return SEALED + _ring(ring, create=True).encrypt(value.encode()).decode()


def unseal(stored: str, ring: list[bytes] | None = None) -> str:
    """The clear value of a sealed one, or SecretError (saying which key, never what value)."""
    from cryptography.fernet import InvalidToken

    try:
        return _ring(ring).decrypt(stored.removeprefix(SEALED).encode()).decode()
    except (InvalidToken, UnicodeDecodeError):
        raise SecretError(f"a stored secret cannot be decrypted with the key in {where_the_key_is()} "
                          "(it was sealed with another key)") from None


def readable(stored: str) -> bool:
    if not stored.startswith(SEALED):
        return True
    try:
        unseal(stored)
    except (SecretError, Refused):
        return False
    return True


def store(value: str, current: str | None, where: str) -> str:
    """What to store for a secret value given by a user; ``current`` is the value stored now.

    A reference and the stored value itself are kept; a sealed value (an export made
    ``--with-secrets`` for this installation's key) must open with this key; a clear value is sealed,
    keeping the current token when it holds the same value (so saving again changes nothing).
    """
    if value == current or not value:
        return value
    if is_reference(value):
        check_reference(value, where)
        return value
    if value.startswith(SEALED):
        try:
            unseal(value)
        except SecretError:
            raise InvalidInput(f"{where}: a sealed secret cannot be decrypted with the key in "
                               f"{where_the_key_is()}") from None
        return value
    if current is not None and current.startswith(SEALED):
        try:
            if unseal(current) == value:
                return current
        except SecretError:
            pass
    return seal(value)


def reveal(stored: str) -> str:
    """On the worker: the clear value of a stored form, or SecretError naming the reference."""
    if stored.startswith("env:"):
        name = stored.removeprefix("env:")
        if name not in os.environ:
            raise SecretError(f"the secret reference {stored} names no variable of the worker's environment")
        return os.environ[name]
    if stored.startswith("file:"):
        try:
            return Path(stored.removeprefix("file:")).read_text().removesuffix("\n")
        except (OSError, UnicodeDecodeError) as error:
            raise SecretError(f"the secret reference {stored} cannot be read on the worker: "
                              f"{error.strerror if isinstance(error, OSError) else 'not UTF-8 text'}") from None
    if stored.startswith(SEALED):
        return unseal(stored)
    return stored  # stored in clear by an older OTO


def each(value: object) -> Iterator[str]:
    """The strings of a job value (one, or a list for a repeated flag)."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and item:
            yield item


# -- key rotation -----------------------------------------------------------------------------------


def reseal_all(db: Session, old: list[bytes], new: list[bytes]) -> int:
    """Seal every stored secret (job values, run specs) again with ``new``: how many were sealed.

    In the caller's transaction: a secret ``old`` cannot open raises SecretError and nothing is written.
    """
    count = 0

    def again(stored: str) -> str:
        nonlocal count
        if not stored or is_reference(stored):
            return stored
        count += 1  # a value an older OTO stored in clear is sealed too
        return seal(unseal(stored, old) if stored.startswith(SEALED) else stored, new)

    def each_again(found: dict[str, Any], secret: Iterable[str]) -> dict[str, Any]:
        values = dict(found)
        for flag in set(secret) & set(values):
            given = values[flag]
            values[flag] = [again(v) for v in given] if isinstance(given, list) else (
                again(given) if isinstance(given, str) else given)
        return values

    for job in db.scalars(select(Job)):
        secret = {i.parameter.flag for i in job.command.items if i.parameter.secret}
        values, inputs = each_again(job.values, secret), each_again(job.inputs, secret)
        if values != job.values:
            job.values = values
        if inputs != job.inputs:
            job.inputs = inputs
    for schedule in db.scalars(select(Schedule)):
        if schedule.input_values:
            from oto.services import jobs, routines  # they import this module

            secret = (jobs.secret_inputs(schedule.job) if schedule.job is not None else
                      routines.secret_inputs(schedule.routine) if schedule.routine is not None else set())
            values = each_again(schedule.input_values, secret)
            if values != schedule.input_values:
                schedule.input_values = values
    for run in db.scalars(select(Run).execution_options(yield_per=200)):
        if not isinstance(run.spec, dict):
            continue
        spec = dict(run.spec)
        slots = spec.get("secrets")
        if slots:
            spec["secrets"] = [{**s, "value": again(str(s.get("value", "")))} for s in slots]
        if spec.get("secret_inputs") and isinstance(spec.get("inputs"), dict):
            spec["inputs"] = each_again(spec["inputs"], spec["secret_inputs"])
        if spec != run.spec:
            run.spec = spec
    db.flush()
    return count


# -- delivery, on the worker --------------------------------------------------------------------------


@dataclass
class Delivery:
    """How a run's secrets reach its program: its argv, environment additions, stdin and files.

    ``values`` are the clear values, to mask in what the program prints; ``files`` are removed
    when the program ends.
    """

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    stdin: bytes | None = None
    files: list[Path] = field(default_factory=list)
    values: list[str] = field(default_factory=list)

    def remove_files(self) -> None:
        for path in self.files:
            path.unlink(missing_ok=True)


def env_name(slot: SecretSlot, taken: Iterable[str]) -> str:
    """The variable a secret goes in: OTO_SECRET_ and the flag's letters (-passout: OTO_SECRET_PASSOUT)."""
    base = "OTO_SECRET_" + (re.sub(r"[^A-Za-z0-9]+", "_", slot.flag).strip("_").upper() or "VALUE")
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def deliver(secrets: Iterable[SecretSlot], argv: list[str], *, offset: int, folder: Path, run_id: str) -> Delivery:
    """Reveal each secret and put it where its parameter says; ``offset``: items the worker put
    before the spec's argv (sudo). SecretError when one cannot be revealed (nothing is written then)."""
    out = list(argv)
    delivery = Delivery(out)
    revealed = [(slot, reveal(slot.value)) for slot in secrets]
    stdin: list[str] = []
    try:
        for n, (slot, value) in enumerate(revealed, 1):
            delivery.values.append(value)
            index = slot.index + offset
            if slot.delivery == "env":
                name = env_name(slot, delivery.env)
                delivery.env[name] = value
                out[index] = slot.prefix + (slot.template or "{env}").replace("{env}", name)
            elif slot.delivery == "file":
                path = folder / ".oto" / f"{run_id}.secret{n}"
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                path.parent.mkdir(exist_ok=True, mode=0o700)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
                delivery.files.append(path)
                with os.fdopen(fd, "w") as written:
                    written.write(value)
                out[index] = slot.prefix + (slot.template or "{path}").replace("{path}", str(path))
            elif slot.delivery == "stdin":
                stdin.append(value)
                out[index] = slot.prefix + slot.template
            else:
                out[index] = slot.prefix + value
    except BaseException:
        delivery.remove_files()
        raise
    # A stdin secret with neither prefix nor template leaves no item behind.
    empty = {slot.index + offset for slot, _ in revealed
             if slot.delivery == "stdin" and not slot.prefix and not slot.template}
    delivery.argv = [item for i, item in enumerate(out) if i not in empty]
    if stdin:
        delivery.stdin = "".join(f"{v}\n" for v in stdin).encode()
    return delivery


# -- masking what the program prints ---------------------------------------------------------------------


def forms(values: Iterable[str]) -> list[str]:
    """Each value and its common encodings (base64, URL-encoding), longest first, for ``mask_text``."""
    found: set[str] = set()
    for value in values:
        if not value:
            continue
        raw = value.encode()
        found.update({value, base64.b64encode(raw).decode(), base64.b64encode(raw).decode().rstrip("="),
                      base64.urlsafe_b64encode(raw).decode().rstrip("="), urllib.parse.quote(value, safe=""),
                      urllib.parse.quote_plus(value)})
    return sorted(found, key=len, reverse=True)


def mask_text(text: str, values: Iterable[str]) -> str:
    """``text`` with every secret value (and its encodings) replaced by ***."""
    for form in forms(values):
        text = text.replace(form, MASK)
    return text
