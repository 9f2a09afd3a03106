"""Where and how OTO reaches Temporal: address, namespace, TLS (or mTLS) and API key.

The address and namespace are OTO's settings (OTO_TEMPORAL_ADDRESS, or Temporal's own
TEMPORAL_ADDRESS), since OTO also shows and probes them. The credentials come from Temporal's
client configuration (TEMPORAL_API_KEY, TEMPORAL_TLS_*, a TEMPORAL_PROFILE of its TOML file),
with OTO's settings (OTO_TEMPORAL_TLS, OTO_TEMPORAL_TLS_CERT, ...) taking precedence. They are
sent only to the configured address, never to the dev server ``oto dev`` may start instead.
"""

from __future__ import annotations

from pathlib import Path

from temporalio.envconfig import ClientConfigProfile, ClientConnectConfig, DataSource
from temporalio.service import TLSConfig

from oto.errors import Unavailable
from oto.settings import Settings


def connect_config(settings: Settings, address: str | None = None, namespace: str | None = None
                   ) -> ClientConnectConfig:
    """The keyword arguments of ``Client.connect`` for this address (the configured one by default).

    Raises Unavailable, in one sentence, when the configuration or a certificate cannot be read.
    """
    target = address or settings.temporal_address
    config: ClientConnectConfig = {"target_host": target, "namespace": namespace or settings.temporal_namespace}
    if target != settings.temporal_address:
        return config  # a dev server OTO started: plain, and no credentials meant for the cluster
    try:
        profile = ClientConfigProfile.load()
    except RuntimeError as error:
        raise Unavailable(f"cannot read Temporal's client configuration: {_first_line(error)}") from None
    tls = profile.tls
    disabled = None if tls is None else tls.disabled
    if settings.temporal_tls is not None:
        disabled = not settings.temporal_tls
    ca = _setting(settings.temporal_tls_ca, "OTO_TEMPORAL_TLS_CA", tls.server_root_ca_cert if tls else None)
    cert = _setting(settings.temporal_tls_cert, "OTO_TEMPORAL_TLS_CERT", tls.client_cert if tls else None)
    key = _setting(settings.temporal_tls_key, "OTO_TEMPORAL_TLS_KEY", tls.client_private_key if tls else None)
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else profile.api_key
    if (cert is None) != (key is None):
        raise Unavailable("cannot connect to Temporal: a TLS client certificate and its key go together "
                          "(set both OTO_TEMPORAL_TLS_CERT and OTO_TEMPORAL_TLS_KEY, or neither)")
    wanted = disabled is False or api_key is not None or any(s is not None for s in (ca, cert, key))
    if disabled is True:
        config["tls"] = False
    elif wanted:
        config["tls"] = TLSConfig(
            domain=tls.server_name if tls else None,
            server_root_ca_cert=_read(ca, "server CA certificate"),
            client_cert=_read(cert, "client certificate"),
            client_private_key=_read(key, "client key"),
        )
    if api_key:
        config["api_key"] = api_key
    if profile.grpc_meta:
        config["rpc_metadata"] = profile.grpc_meta
    return config


def _setting(path: Path | None, name: str, fallback: DataSource | None) -> tuple[DataSource, str] | None:
    """A TLS file with the name of what configured it, OTO's setting first."""
    if path is not None:
        return path, name
    if fallback is not None:
        return fallback, "Temporal's client configuration"
    return None


def _read(source: tuple[DataSource, str] | None, what: str) -> bytes | None:
    if source is None:
        return None
    data, origin = source
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode()
    try:
        return data.read_bytes()
    except OSError as error:
        raise Unavailable(f"cannot read the Temporal TLS {what} {data} ({origin}): "
                          f"{error.strerror or type(error).__name__}") from None


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
