"""How OTO would reach a Temporal cluster with TLS, mTLS or an API key (no TLS server needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from oto.engine.client import connect
from oto.engine.connection import connect_config
from oto.errors import Unavailable
from oto.settings import Settings


@pytest.fixture(autouse=True)
def no_temporal_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Neither the machine's Temporal variables nor its ~/.config/temporalio file take part."""
    for name in list(os.environ):
        if name.startswith(("TEMPORAL_", "OTO_TEMPORAL_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "none.toml"))


@pytest.fixture
def pems(tmp_path: Path) -> dict[str, Path]:
    files = {name: tmp_path / f"{name}.pem" for name in ("cert", "key", "ca")}
    for name, path in files.items():
        path.write_text(f"-----BEGIN {name.upper()}-----\n")
    return files


def test_by_default_a_plain_connection_to_the_configured_address() -> None:
    assert connect_config(Settings()) == {"target_host": "127.0.0.1:7233", "namespace": "default"}


def test_temporal_address_and_namespace_apply_unless_oto_sets_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.example:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "scans")
    assert connect_config(Settings()) == {"target_host": "temporal.example:7233", "namespace": "scans"}
    monkeypatch.setenv("OTO_TEMPORAL_ADDRESS", "oto.example:7233")
    assert connect_config(Settings())["target_host"] == "oto.example:7233"


def test_an_api_key_turns_tls_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTO_TEMPORAL_API_KEY", "secret")
    config = connect_config(Settings())
    assert config["api_key"] == "secret"
    assert config["tls"] == TLSConfig()


def test_mtls_reads_the_certificate_files(monkeypatch: pytest.MonkeyPatch, pems: dict[str, Path]) -> None:
    monkeypatch.setenv("OTO_TEMPORAL_TLS_CERT", str(pems["cert"]))
    monkeypatch.setenv("OTO_TEMPORAL_TLS_KEY", str(pems["key"]))
    monkeypatch.setenv("OTO_TEMPORAL_TLS_CA", str(pems["ca"]))
    tls = connect_config(Settings())["tls"]
    assert isinstance(tls, TLSConfig)
    assert tls.client_cert == pems["cert"].read_bytes()
    assert tls.client_private_key == pems["key"].read_bytes()
    assert tls.server_root_ca_cert == pems["ca"].read_bytes()


def test_temporal_client_configuration_applies_and_oto_settings_win(
        monkeypatch: pytest.MonkeyPatch, pems: dict[str, Path], tmp_path: Path) -> None:
    profile = tmp_path / "temporal.toml"
    profile.write_text(f'[profile.prod]\napi_key = "from-profile"\n[profile.prod.tls]\n'
                       f'client_cert_path = "{pems["cert"]}"\nclient_key_path = "{pems["key"]}"\n'
                       'server_name = "cluster.internal"\n[profile.prod.grpc_meta]\ntenant = "oto"\n')
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(profile))
    monkeypatch.setenv("TEMPORAL_PROFILE", "prod")
    config = connect_config(Settings())
    tls = config["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.domain, tls.client_cert, config["api_key"]) == ("cluster.internal", pems["cert"].read_bytes(),
                                                                "from-profile")
    assert config["rpc_metadata"] == {"tenant": "oto"}
    monkeypatch.setenv("OTO_TEMPORAL_API_KEY", "from-oto")
    monkeypatch.setenv("OTO_TEMPORAL_TLS_CERT", str(pems["ca"]))
    config = connect_config(Settings())
    tls = config["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, config["api_key"]) == (pems["ca"].read_bytes(), "from-oto")


def test_tls_can_be_turned_off_explicitly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_API_KEY", "secret")
    monkeypatch.setenv("OTO_TEMPORAL_TLS", "0")
    assert connect_config(Settings())["tls"] is False


def test_a_dev_server_at_another_address_gets_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTO_TEMPORAL_ADDRESS", "cluster.example:7233")
    monkeypatch.setenv("OTO_TEMPORAL_API_KEY", "secret")
    assert connect_config(Settings(), "127.0.0.1:17233") == {"target_host": "127.0.0.1:17233",
                                                             "namespace": "default"}


@pytest.mark.parametrize(("variable", "what"), [("OTO_TEMPORAL_TLS_CERT", "client certificate"),
                                                 ("OTO_TEMPORAL_TLS_CA", "server CA certificate")])
async def test_a_missing_certificate_is_one_sentence(monkeypatch: pytest.MonkeyPatch, pems: dict[str, Path],
                                                     tmp_path: Path, variable: str, what: str) -> None:
    monkeypatch.setenv("OTO_TEMPORAL_TLS_KEY", str(pems["key"]))
    monkeypatch.setenv("OTO_TEMPORAL_TLS_CERT", str(pems["cert"]))
    monkeypatch.setenv(variable, str(tmp_path / "missing.pem"))
    with pytest.raises(Unavailable) as raised:
        await connect()
    assert raised.value.message == (f"cannot read the Temporal TLS {what} {tmp_path / 'missing.pem'} "
                                    f"({variable}): No such file or directory")


def test_a_certificate_without_its_key_is_refused(monkeypatch: pytest.MonkeyPatch, pems: dict[str, Path]) -> None:
    monkeypatch.setenv("OTO_TEMPORAL_TLS_CERT", str(pems["cert"]))
    with pytest.raises(Unavailable, match="OTO_TEMPORAL_TLS_CERT and OTO_TEMPORAL_TLS_KEY"):
        connect_config(Settings())


def test_a_broken_profile_is_one_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("profile = [\n")
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "bad.toml"))
    with pytest.raises(Unavailable) as raised:
        connect_config(Settings())
    assert raised.value.message.startswith("cannot read Temporal's client configuration: ")
    assert "\n" not in raised.value.message
