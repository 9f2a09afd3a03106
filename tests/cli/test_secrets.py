"""``oto secret`` and secrets through the CLI: the argv warning, exports that never hold a value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from oto.settings import get_settings
from tests.support.cli import Oto

SECRET = "cli-secret-5a7e"


def _secret_job(oto: Oto, delivery: str = "argv") -> None:
    assert oto("executable", "add", "tool", "1", "/bin/echo").code == 0
    added = oto("parameter", "add", "--value-type", "string", "--secret", "--delivery", delivery,
                "tool - 1", "--", "-k")
    assert added.code == 0, added.err
    assert oto("command", "add", "--executable", "tool - 1", "c", "--", "-k").code == 0


def test_a_secret_by_argv_warns_and_no_export_holds_it(initialized: Oto, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    oto = initialized
    _secret_job(oto)
    added = oto("job", "add", "j", "--command", "c", "--set", f"-k={SECRET}")
    assert added.code == 0 and "ps" in added.err and SECRET not in added.out + added.err
    exported = oto("export")
    assert SECRET not in exported.out and '"-k": "***"' in exported.out
    assert oto("export", "--with-secrets").code == 2  # never in clear: a key file is needed

    other_key = tmp_path / "other.key"
    other_key.write_text(Fernet.generate_key().decode() + "\n")
    moved = tmp_path / "moved.json"
    assert oto("export", "--with-secrets", "--to-key-file", str(other_key), "-o", str(moved)).code == 0
    assert SECRET not in moved.read_text() and moved.stat().st_mode & 0o777 == 0o600

    # The other installation (its own database, its key) imports the sealed value and can open it.
    monkeypatch.setenv("OTO_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    monkeypatch.setenv("OTO_SECRET_KEY", other_key.read_text().strip())
    get_settings.cache_clear()
    assert oto("init").code == 0
    assert oto("import", str(moved)).code == 0, oto("import", str(moved)).err
    from oto.services import secrets

    sealed = json.loads(moved.read_text())["jobs"][0]["values"]["-k"]
    assert secrets.unseal(sealed) == SECRET
    # A sealed value this installation's key cannot open is refused, in one sentence.
    monkeypatch.setenv("OTO_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    refused = oto("job", "add", "k", "--command", "c", "--set", f"-k={sealed}")
    assert refused.code == 2 and "cannot be decrypted" in refused.err and sealed not in refused.err


def test_rotate_key(initialized: Oto) -> None:
    oto = initialized
    _secret_job(oto, delivery="env")
    added = oto("job", "add", "j", "--command", "c", "--set", f"-k={SECRET}")
    assert added.code == 0 and "ps" not in added.err  # by env: no warning
    rotated = oto("secret", "rotate-key", "--json")
    assert rotated.code == 0 and json.loads(rotated.out)["resealed"] == 1
