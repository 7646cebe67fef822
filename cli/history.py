"""`ubp history PARTY_ID`: a party's Temporal history, decrypted, for operations staff.

Whoever runs it holds the key ring already, so it checks no role; the codec
endpoint is the way in for everyone else (and for the Temporal UI).
"""

import asyncio
import json
from typing import Annotated, Any

import typer
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.converter import PayloadConverter
from temporalio.service import RPCError, RPCStatusCode

from cli.common import fail
from client.connection import connect
from client.history import party_history
from settings import get_settings

app = typer.Typer()

_PAYLOAD_KEYS = {"metadata", "data", "externalPayloads"}


def _readable(value: Any, converter: PayloadConverter) -> Any:
    """A history event's JSON with every payload shown as the value it holds, not base64."""
    if isinstance(value, list):
        return [_readable(v, converter) for v in value]
    if not isinstance(value, dict):
        return value
    if "encoding" in value.get("metadata", {}) and set(value) <= _PAYLOAD_KEYS:
        return converter.from_payload(json_format.ParseDict(value, Payload()))
    return {k: _readable(v, converter) for k, v in value.items()}


def readable_events(history: WorkflowHistory, converter: PayloadConverter) -> list[dict[str, Any]]:
    """One entry per event: id, time, type and attributes, payloads (decoded) shown as values."""
    events = []
    for event in history.events:
        attributes = event.WhichOneof("attributes") or ""
        events.append(
            {
                "event_id": event.event_id,
                "time": event.event_time.ToJsonString(),
                "type": attributes.removesuffix("_event_attributes"),
                "attributes": _readable(json_format.MessageToDict(getattr(event, attributes)), converter)
                if attributes
                else {},
            }
        )
    return events


@app.command()
def history(
    party_id: Annotated[str, typer.Argument(help="the case system's party id")],
    run_id: Annotated[str | None, typer.Option(help="a run of the party's workflow; default the latest")] = None,
) -> None:
    """Print a party's workflow history with its payloads decrypted, as JSON (for operations).

    Local: reads Temporal with the key ring on this machine; changes nothing."""

    async def go() -> list[dict[str, Any]]:
        client = await connect(get_settings())
        found = await party_history(client, party_id, run_id)
        return readable_events(found, client.data_converter.payload_converter)

    try:
        events = asyncio.run(go())
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            fail(f"no workflow for party {party_id!r}" + (f" with run {run_id}" if run_id else ""), 1)
        fail(f"Temporal: {err.message}", 1)
    except RuntimeError as err:  # no key ring, an unknown key, Temporal unreachable: each says which
        fail(str(err), 1)
    typer.echo(json.dumps(events, indent=2, ensure_ascii=False))
