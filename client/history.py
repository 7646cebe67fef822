"""A party workflow's history as Temporal stores it, and decoded for operations staff."""

from collections.abc import Iterator

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import PayloadCodec

from workflows.party import workflow_id_for


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every payload inside a protobuf message (a history, an event), depth first.

    Inputs, results, memos, headers, user metadata, failure attributes and
    search attributes alike: whatever field holds a `Payload`.
    """
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            values = value.values() if field.message_type.fields_by_name["value"].message_type else []
        elif field.is_repeated:
            values = value
        else:
            values = [value]
        for item in values:
            if isinstance(item, Payload):
                yield item
            else:
                yield from payloads_in(item)


def history_payloads(history: WorkflowHistory) -> list[Payload]:
    """Every payload in a history, event by event."""
    return [payload for event in history.events for payload in payloads_in(event)]


def largest_payloads(history: WorkflowHistory) -> dict[str, int]:
    """Per kind of event, the most payload bytes one event of `history` carries, as the
    server stores them (encrypted, when the client encrypts): what its limits apply to."""
    largest: dict[str, int] = {}
    for event in history.events:
        kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
        size = sum(p.ByteSize() for p in payloads_in(event))
        largest[kind] = max(largest.get(kind, 0), size)
    return largest


async def decode_history(history: WorkflowHistory, codec: PayloadCodec) -> None:
    """Decode every payload of `history` in place; those that are not encrypted stay as they are."""
    payloads = history_payloads(history)
    for payload, decoded in zip(payloads, await codec.decode(payloads), strict=True):
        payload.CopyFrom(decoded)


async def party_history(client: Client, party_id: str, run_id: str | None = None) -> WorkflowHistory:
    """A party's history (the latest run, or `run_id`) with its payloads decoded by the client's codec.

    Raises:
        UnknownKeyError: A payload names a key the client's key ring lacks.
        RPCError: No such party or run (NOT_FOUND), or Temporal cannot be reached.
    """
    history = await client.get_workflow_handle(workflow_id_for(party_id), run_id=run_id).fetch_history()
    codec = client.data_converter.payload_codec
    if codec is not None:
        await decode_history(history, codec)
    return history
