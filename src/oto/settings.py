"""All of OTO's settings, read once from the environment (prefix ``OTO_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OTO_", env_file=".env", extra="ignore", populate_by_name=True)

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
    # The largest request body the API reads, in bytes; POST /api/v1/import may send more.
    max_body: int = Field(4 << 20, gt=0)
    max_import: int = Field(64 << 20, gt=0)
    # The API's GET /metrics answers without a key only when this is true (it names schedules).
    metrics_public: bool = False

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'oto.db'}"
        return self

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing the env."""
    return Settings()
