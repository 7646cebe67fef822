"""Events for case systems (issue 25): the feed (`GET /events`), and the webhooks operations
manage (`/webhooks`). The services check who may (services.webhooks)."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from starlette.concurrency import run_in_threadpool

from client.connection import key_ring_of
from client.webhooks import start_delivery
from policy.events import EventType
from policy.webhooks import DeliveryStatus
from services.webhooks import (
    MAX_PAGE,
    BadCursor,
    DeliveryInfo,
    EventPage,
    Replayed,
    UnknownWebhook,
    WebhookCreated,
    WebhookForm,
    WebhookInfo,
    add_webhook,
    list_deliveries,
    list_webhooks,
    read_events,
    remove_webhook,
    replay,
)
from web.deps import Caller, Door
from web.errors import ERRORS, Problem

router = APIRouter(tags=["events"], responses=ERRORS)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "no such webhook"}}
BAD_CURSOR: dict[int | str, dict[str, Any]] = {422: {"model": Problem, "description": "not a cursor the feed gave"}}


@router.get("/events", summary="The events on the parties' files, in order, after a cursor", responses=BAD_CURSOR)
async def events(
    door: Door,
    caller: Caller,
    after: Annotated[
        str | None, Query(max_length=200, description="the `next` of the page before; none: from the start")
    ] = None,
    party: Annotated[str | None, Query(max_length=200, description="only this party's events")] = None,
    type: Annotated[list[EventType] | None, Query(description="only events of these types")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many")] = 100,
) -> EventPage:
    """The events after `after`, oldest first: each with its id (de-duplicate on it), type,
    party, the party's sequence number, when it happened, and its data (never free text).
    Read on with `next`; an empty page keeps the cursor as it was. The same events as the
    webhooks deliver."""
    try:
        return await run_in_threadpool(read_events, door.store, caller, after, party_id=party, types=type, limit=limit)
    except BadCursor as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from None


@router.post("/webhooks", status_code=status.HTTP_201_CREATED, summary="Add a webhook subscription")
async def add(form: WebhookForm, door: Door, caller: Caller) -> WebhookCreated:
    """Operations add a case system's subscription: it hears the events recorded from now on,
    signed by Standard Webhooks with the secret in the answer, shown this once."""
    key_ring = key_ring_of(door.parties.client)
    created = await run_in_threadpool(add_webhook, door.store, key_ring, caller, form, datetime.now(UTC))
    await _start(door, created.webhook_id)
    return created


@router.get("/webhooks", summary="The webhook subscriptions")
async def webhooks(
    door: Door, caller: Caller, removed: Annotated[bool, Query(description="the removed ones too")] = False
) -> list[WebhookInfo]:
    return await run_in_threadpool(list_webhooks, door.store, caller, removed)


@router.delete("/webhooks/{webhook_id}", responses=NOT_FOUND, summary="Remove a webhook subscription")
async def remove(webhook_id: str, door: Door, caller: Caller) -> WebhookInfo:
    """Its deliveries stop; what was delivered and what failed stays on record."""
    try:
        return await run_in_threadpool(remove_webhook, door.store, caller, webhook_id, datetime.now(UTC))
    except UnknownWebhook as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from None


@router.get("/webhooks/deliveries", summary="Webhook deliveries, newest first")
async def deliveries(
    door: Door,
    caller: Caller,
    webhook: Annotated[str | None, Query(max_length=200, description="one subscription's")] = None,
    status_: Annotated[DeliveryStatus | None, Query(alias="status", description="of this status only")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 200,
) -> list[DeliveryInfo]:
    return await run_in_threadpool(list_deliveries, door.store, caller, webhook_id=webhook, status=status_, limit=limit)


@router.post("/webhooks/{webhook_id}/replay", responses=NOT_FOUND | BAD_CURSOR, summary="Deliver events again")
async def replay_deliveries(
    webhook_id: str,
    door: Door,
    caller: Caller,
    after: Annotated[
        str | None, Query(max_length=200, description="every event after this feed cursor; none: the failed ones")
    ] = None,
) -> Replayed:
    """Owe the subscription again its failed deliveries (or every one after `after`), due now."""
    try:
        replayed = await run_in_threadpool(replay, door.store, caller, webhook_id, datetime.now(UTC), after)
    except UnknownWebhook as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from None
    except BadCursor as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from None
    await _start(door, webhook_id)
    return replayed


async def _start(door: Door, webhook_id: str) -> None:
    parties = door.parties
    await start_delivery(parties.client, parties.task_queue, webhook_id, door.settings.webhook_poll_seconds)
