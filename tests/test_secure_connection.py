"""Secure connections by configuration alone: Temporal's environment configuration
(`TEMPORAL_*`, profiles) read by the one connection module, and mutual TLS for real: a
TLS-terminating proxy made here (Python's `ssl`, a CA and certificates made with
`cryptography`) in front of the dev server, which itself speaks plain TCP."""

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from client.connection import DEFAULT_ADDRESS, TemporalConnectionError, connect, connect_config
from devstack.proxy import TcpProxy
from settings import Settings
from tests.helpers import incident, local_parties, new_party
from tests.tls import CertificateAuthority, Issued
from worker import build_worker

pytestmark = pytest.mark.devserver


@dataclass
class MutualTls:
    proxy: TcpProxy
    ca: CertificateAuthority
    worker: Issued
    stranger: Issued  # a client certificate from a CA the proxy does not trust

    def environ(self, client: Issued | None) -> dict[str, str]:
        """Temporal's environment configuration for the proxy, with `client`'s certificate."""
        found = {
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.proxy.port}",
            "TEMPORAL_NAMESPACE": "default",
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(self.ca.pem),
            "TEMPORAL_TLS_SERVER_NAME": "localhost",
        }
        if client:
            found |= {
                "TEMPORAL_TLS_CLIENT_CERT_PATH": str(client.cert),
                "TEMPORAL_TLS_CLIENT_KEY_PATH": str(client.key),
            }
        return found


@pytest.fixture
def mtls(dev_server_env, tmp_path) -> Iterator[MutualTls]:
    """The dev server behind a proxy that speaks TLS and requires a client certificate of its CA."""
    ca = CertificateAuthority(tmp_path, "ubp-test-ca")
    served = ca.issue("temporal-frontend", server=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=ca.pem)
    context.load_cert_chain(served.cert, served.key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])  # gRPC
    host, port = dev_server_env.client.service_client.config.target_host.rsplit(":", 1)
    proxy = TcpProxy(host, int(port), tls=context)
    proxy.restore()  # listen
    try:
        stranger = CertificateAuthority(tmp_path, "another-ca").issue("stranger", server=False)
        yield MutualTls(proxy, ca, ca.issue("ubp-worker", server=False), stranger)
    finally:
        proxy.close()


# --- tests ----------------------------------------------------------------------------


async def test_worker_and_client_run_a_party_over_mutual_tls(mtls, settings, door_keys):
    environ = mtls.environ(mtls.worker)
    client = await connect(settings, environ=environ)
    assert client.service_client.config.target_host == environ["TEMPORAL_ADDRESS"]
    parties = local_parties(client, settings.task_queue, settings.timezone, door_keys)
    party = new_party()
    async with build_worker(client, settings):
        first = incident(party, datetime.now(UTC) - timedelta(hours=1))
        assert not (await parties.report_incident(first)).duplicate
        assert (await parties.status(party.party_id)).incident_count == 1
        await parties.handle(party.party_id).terminate(reason="test finished")


@pytest.mark.parametrize("who", ["no client certificate", "a certificate from another CA"])
async def test_without_the_right_client_certificate_the_connection_is_refused(mtls, settings, who):
    client = None if who == "no client certificate" else mtls.stranger
    with pytest.raises(TemporalConnectionError) as refused:
        await connect(settings, environ=mtls.environ(client))
    message = str(refused.value)
    assert f"cannot connect to Temporal at 127.0.0.1:{mtls.proxy.port}" in message
    if client is None:
        assert "TLS without a client certificate); if it is up, does the server require one" in message
    else:
        assert "mTLS with a client certificate); if it is up, is the certificate one the server's CA trusts" in message


async def test_plain_tcp_to_a_tls_endpoint_is_refused_with_a_clear_message(mtls, settings):
    with pytest.raises(
        TemporalConnectionError, match=r"plain TCP \(no TLS\)\); if it is up, does the server require TLS"
    ):
        await connect(settings, environ={"TEMPORAL_ADDRESS": f"127.0.0.1:{mtls.proxy.port}"})


async def test_a_profile_file_configures_mutual_tls(mtls, settings, tmp_path):
    """The same connection from a TOML profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE)."""
    config = tmp_path / "temporal.toml"
    config.write_text(
        f"""[profile.ops]
address = "127.0.0.1:{mtls.proxy.port}"
namespace = "default"
[profile.ops.tls]
server_name = "localhost"
server_ca_cert_path = "{mtls.ca.pem}"
client_cert_path = "{mtls.worker.cert}"
client_key_path = "{mtls.worker.key}"
"""
    )
    client = await connect(settings, environ={"TEMPORAL_CONFIG_FILE": str(config), "TEMPORAL_PROFILE": "ops"})
    assert await client.service_client.check_health()


def test_settings_override_the_environment_configuration_and_defaults_fill_in():
    environ = {"TEMPORAL_ADDRESS": "temporal.example:7233", "TEMPORAL_NAMESPACE": "ubp.acct", "TEMPORAL_API_KEY": "k"}
    config = connect_config(Settings(), environ)
    assert (config["target_host"], config["namespace"], config["tls"]) == ("temporal.example:7233", "ubp.acct", True)
    overridden = connect_config(Settings(temporal_address="127.0.0.1:9999", temporal_namespace="dev"), environ)
    assert (overridden["target_host"], overridden["namespace"]) == ("127.0.0.1:9999", "dev")
    assert connect_config(Settings(), {})["target_host"] == DEFAULT_ADDRESS
    with pytest.raises(TemporalConnectionError, match="Profile 'missing' not found"):
        connect_config(Settings(), {"TEMPORAL_PROFILE": "missing"})
