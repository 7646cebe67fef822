"""Connecting to Temporal with the project's data converter, and the worker's metrics."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from settings import Settings


async def connect(settings: Settings, *, runtime: Runtime | None = None) -> Client:
    """A client for the namespace in `settings`, speaking the pydantic models of `policy`.

    Args:
        settings: The server's address and the namespace.
        runtime: The Temporal runtime the client and its workers report through
            (`metrics_runtime`); the SDK's default, which exports nothing, if None.
    """
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )


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
