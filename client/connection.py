"""Connecting to Temporal: where (Temporal's environment configuration), how payloads are written
(the pydantic models of `policy`, encrypted), and the worker's metrics.

Every client of the project is made here: the worker, the CLI, the HTTP API,
the tests' servers and the benchmark. So no process writes a payload in
plain text, and Temporal Cloud or a self-hosted mTLS cluster is a matter of
configuration (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`,
`TEMPORAL_TLS_*`, `TEMPORAL_PROFILE`; see `settings`).
"""

import dataclasses
from collections.abc import Mapping

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.envconfig import ClientConfig, ClientConnectConfig
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import TLSConfig

from client.codec import EncryptionCodec, WorkerCodec
from client.keys import KeyRing, load_key_ring
from settings import Settings

DEFAULT_ADDRESS = "127.0.0.1:7233"
DEFAULT_NAMESPACE = "default"


class TemporalConnectionError(RuntimeError):
    """Temporal cannot be reached as configured; the message says where and how it was tried."""


def data_converter(key_ring: KeyRing, namespace: str, *, worker: bool = False) -> DataConverter:
    """The pydantic converter with every payload encrypted, failure messages and stack traces included.

    Args:
        key_ring: The keys; its active key encrypts.
        namespace: The namespace the payloads belong to (bound to each one).
        worker: The worker's (and its replayer's): payloads it decrypted are marked, so
            the party workflow refuses messages that came unencrypted (`WorkerCodec`).
    """
    codec = (WorkerCodec if worker else EncryptionCodec)(key_ring, namespace)
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def worker_client(client: Client) -> Client:
    """`client` with the worker's converter (`data_converter(worker=True)`), on the same connection.

    Raises:
        TypeError: The client was made elsewhere, without the encryption codec.
    """
    config = client.config()
    config["data_converter"] = data_converter(key_ring_of(client), client.namespace, worker=True)
    return Client(**config)


def metrics_runtime(bind_address: str) -> Runtime:
    """A Temporal runtime serving the SDK's metrics, and the activities' own
    (`activity.metric_meter()`), for Prometheus at `http://{bind_address}/metrics`.

    Durations are in seconds, as Prometheus expects, not the SDK's default milliseconds.
    """
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=bind_address, durations_as_seconds=True),
        )
    )


def connect_config(settings: Settings, environ: Mapping[str, str] | None = None) -> ClientConnectConfig:
    """Where and how to connect: Temporal's environment configuration, with the address and
    namespace of `settings` on top when they are set.

    Args:
        settings: The project's settings.
        environ: The environment to read `TEMPORAL_*` from; None: this process's.

    Raises:
        TemporalConnectionError: The configuration names a missing profile or file.
    """
    try:
        config = ClientConfig.load_client_connect_config(override_env_vars=environ)
    except Exception as err:  # the SDK's bridge raises its own ConfigError, an OSError or a ValueError
        raise TemporalConnectionError(f"Temporal's environment configuration (TEMPORAL_*): {err}") from None
    config["target_host"] = settings.temporal_address or config.get("target_host") or DEFAULT_ADDRESS
    config["namespace"] = settings.temporal_namespace or config.get("namespace") or DEFAULT_NAMESPACE
    return config


def _transport(config: ClientConnectConfig) -> tuple[str, str]:
    """How the connection was tried, and what to check if the server is up."""
    tls = config.get("tls")
    if isinstance(tls, TLSConfig) and tls.client_cert:
        return "mTLS with a client certificate", "is the certificate one the server's CA trusts, and not expired?"
    if "api_key" in config:
        return "TLS with an API key", "is TEMPORAL_API_KEY valid for this namespace?"
    if tls:
        return "TLS without a client certificate", (
            "does the server require one (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)?"
        )
    return "plain TCP (no TLS)", "does the server require TLS (TEMPORAL_TLS=true, TEMPORAL_TLS_*)?"


async def connect(
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    key_ring: KeyRing | None = None,
    runtime: Runtime | None = None,
) -> Client:
    """A client speaking the pydantic models of `policy`, every payload encrypted.

    Args:
        settings: The project's settings (the key ring, the address and namespace overrides).
        environ: The environment to read `TEMPORAL_*` from; None: this process's.
        key_ring: The keys; None: the ones in `settings`.
        runtime: The Temporal runtime the client and its workers report through
            (`metrics_runtime`); the SDK's default, which exports nothing, if None.

    Raises:
        KeyRingError: No key ring is configured, or it is malformed.
        TemporalConnectionError: Temporal refused or did not answer; the message says where and how.
    """
    config = connect_config(settings, environ)
    converter = data_converter(key_ring or load_key_ring(settings), config["namespace"])
    try:
        return await Client.connect(**config, data_converter=converter, runtime=runtime)
    except RuntimeError as err:
        how, check = _transport(config)
        raise TemporalConnectionError(
            f"cannot connect to Temporal at {config['target_host']} (namespace {config['namespace']}, {how}); "
            f"if it is up, {check} The client said: {err}"
        ) from None


def key_ring_of(client: Client) -> KeyRing:
    """The key ring a client made by `connect` encrypts with.

    Raises:
        TypeError: The client was made elsewhere, without the encryption codec.
    """
    codec = client.data_converter.payload_codec
    if not isinstance(codec, EncryptionCodec):
        raise TypeError("this client does not encrypt: make clients with client.connection.connect")
    return codec.key_ring


def without_codec(client: Client) -> Client:
    """The same connection and namespace, reading payloads as Temporal stores them.

    Only for the tests and the benchmark, which show and measure what
    encryption changes: whatever this client writes is in plain text.
    """
    return Client(client.service_client, namespace=client.namespace, data_converter=pydantic_data_converter)
