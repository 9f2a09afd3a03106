"""All of OTO's settings, read once from the environment (prefix ``OTO_``) or a ``.env`` file.

The variable of a setting is OTO_ and its name, in any case (OTO_API_PORT, oto_api_port), or the
names its ``validation_alias`` lists, the first one set winning; the environment wins over ``./.env``.
They are read here rather than by pydantic-settings, whose loading cost every CLI call several
times the reading itself; pydantic validates them.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from oto.domain.valuetypes import parse_duration
from oto.errors import InvalidInput

# A run's timeout is at most a year: beyond that it is a typo, and Temporal's timers overflow.
MAX_RUN_TIMEOUT = 365 * 86400.0
MIB = 1024 * 1024
# Every numeric setting: (lowest, whether the lowest itself is allowed, highest, what it is).
_NUMBERS: dict[str, tuple[float, bool, float, str]] = {
    "run_timeout": (0, False, MAX_RUN_TIMEOUT, "a number of seconds above 0, at most 31536000 (a year)"),
    "kill_grace": (0, True, 3600, "a number of seconds from 0 to 3600"),
    "routine_concurrency": (1, True, 10_000, "a whole number from 1 to 10000"),
    "api_port": (1, True, 65535, "a port, a whole number from 1 to 65535"),
    # the worker serves the SDK's own metrics on the port after it
    "metrics_port": (1, True, 65534, "a port, a whole number from 1 to 65534"),
    "max_body": (1, True, 2**40, "a number of bytes from 1 to 1099511627776"),
    "max_import": (1, True, 2**40, "a number of bytes from 1 to 1099511627776"),
}


ENV_FILE = ".env"


class Settings(BaseModel):
    """The settings the environment and ``_env_file`` give (None: no file); keyword arguments win over both."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, validate_default=True)

    def __init__(self, _env_file: str | Path | None = ENV_FILE, **values: Any) -> None:
        super().__init__(**(_given(type(self), _env_file) | values))

    home: Path = Field(default_factory=lambda: Path.home() / ".oto")
    database_url: str = ""
    # Temporal's own TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE apply when OTO's are not set.
    temporal_address: str = Field(
        "127.0.0.1:7233", validation_alias=AliasChoices("OTO_TEMPORAL_ADDRESS", "TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field(
        "default", validation_alias=AliasChoices("OTO_TEMPORAL_NAMESPACE", "TEMPORAL_NAMESPACE"))
    # How to reach a cluster that wants TLS, mTLS or an API key (see oto.engine.connection): each
    # one unset leaves Temporal's client configuration (TEMPORAL_TLS_*, TEMPORAL_API_KEY) in force.
    temporal_tls: bool | None = None
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_api_key: SecretStr | None = None
    # The key of stored secret values (Fernet keys, comma-separated: the first encrypts, any decrypts);
    # unset: the key file $OTO_HOME/secret.key, created on first use (see oto.services.secrets).
    secret_key: SecretStr | None = None
    task_queue: str = "oto"
    api_host: str = "127.0.0.1"
    api_port: int = 1515
    # The addresses of TLS proxies whose X-Forwarded-Proto/-For `oto serve` trusts (uvicorn's
    # --forwarded-allow-ips: a comma-separated list, or "*"); unset trusts none.
    forwarded_allow_ips: str | None = None
    allow_sudo: bool = False
    # A run without its own timeout is stopped after this many seconds.
    run_timeout: float = 3600.0
    # Between SIGTERM and SIGKILL when a run is stopped.
    kill_grace: float = 5.0
    # How many steps of one routine run at once.
    routine_concurrency: int = 8
    metrics_port: int | None = None
    # The largest request body the API reads, in bytes; an import (POST /api/v1/import, `oto import`)
    # may be up to max_import.
    max_body: int = 4 * MIB
    max_import: int = 64 * MIB
    # The API's GET /metrics answers without a key only when this is true (it names schedules).
    metrics_public: bool = False
    # The address people reach the dashboard at (https://oto.example.com): notifications link to
    # their run's page there; unset, they carry no link.
    public_url: str | None = None
    # Final runs older than this (a duration: 30d, 12h) are pruned daily by the Temporal Schedule
    # oto-retention that `oto schedule sync` creates; unset (the default), nothing is pruned by itself.
    run_retention: str | None = None

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if not value:
            return None
        if (not value.startswith(("http://", "https://")) or len(value) > 1000
                or any(ord(c) < 0x21 or c == "\x7f" for c in value)):
            raise ValueError(f"OTO_PUBLIC_URL must be an http:// or https:// address, not {value[:100]!r}")
        return value.rstrip("/")

    @field_validator("run_retention")
    @classmethod
    def _retention(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if value and value.lower() not in ("off", "0", "none"):
            try:
                seconds = parse_duration(value)
            except ValueError:
                seconds = -1.0
            if not 3600 <= seconds <= 100 * 365 * 86400:
                raise ValueError(f"OTO_RUN_RETENTION must be a duration from 1h to 36500d (30d, 12h), or off, "
                                 f"not {value[:50]!r}")
            return value
        return None

    @property
    def retention_seconds(self) -> float | None:
        """OTO_RUN_RETENTION in seconds; None when it is off."""
        return parse_duration(self.run_retention) if self.run_retention else None

    @field_validator(*_NUMBERS, mode="before")
    @classmethod
    def _bounded(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse what a timer, a pool or a socket cannot take (inf, nan, 1e20, 0, -5) with one sentence."""
        name = str(info.field_name)
        if value is None or (name == "metrics_port" and value == ""):
            return None
        low, low_allowed, high, what = _NUMBERS[name]
        integer = name != "run_timeout" and name != "kill_grace"
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            number = math.nan
        fits = math.isfinite(number) and (number >= low if low_allowed else number > low) and number <= high
        if not fits or (integer and not number.is_integer()):
            raise ValueError(f"OTO_{name.upper()} must be {what}, not {value!r}")
        return int(number) if integer else number

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'oto.db'}"
        return self

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"


def _given(cls: type[Settings], env_file: str | Path | None) -> dict[str, str]:
    """The values set for ``cls``'s fields, by field name: in the environment, else in ``env_file``."""
    sources = [{name.lower(): value for name, value in os.environ.items()}]
    path = None if env_file is None else Path(env_file).expanduser()
    if path is not None and (path.is_file() or path.is_fifo()):
        from dotenv import dotenv_values

        sources.append({name.lower(): value for name, value in dotenv_values(path, encoding="utf-8").items()
                        if value is not None})
    given: dict[str, str] = {}
    for field, info in cls.model_fields.items():
        alias = info.validation_alias
        names = ([str(choice).lower() for choice in alias.choices] if isinstance(alias, AliasChoices)
                 else [f"oto_{field}"])
        for source in sources:
            value = next((source[name] for name in names if name in source), None)
            if value is not None:
                given[field] = value
                break
    return given


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing the env.

    A setting that cannot be used is InvalidInput: one sentence naming it, never a traceback.
    """
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        if not message.startswith("OTO_"):
            where = "".join(str(part) for part in first.get("loc", ()))
            message = f"OTO_{where.upper()}: {message}"
        raise InvalidInput(message) from None
