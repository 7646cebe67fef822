"""Webhooks and the feed of events for every door (the HTTP API, `ubp webhooks`), issue 25.

Operations add a case system's subscription (MANAGE_WEBHOOKS): its URL, the event types it
hears (all, if none), and the free text it is allowed (none by default). The signing secret is
made here, shown once, and kept sealed under the key ring (client.sealed); who added and who
removed a subscription stays on its row. Each subscription's deliveries run in a workflow of
its own (workflows.webhooks), started by the door (client.webhooks) when it is added and
again by a replay.

The feed (`GET /events`, READ_EVENTS) gives the events after an opaque cursor, in order,
never with free text: a case system that was down, or prefers to pull, reads on from its cursor.
"""

import base64
import binascii
import secrets
import uuid
from datetime import datetime

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from client.keys import KeyRing
from client.sealed import seal
from policy.events import FREE_TEXT, Event, EventType, shown
from policy.permissions import Action
from policy.webhooks import DeliveryStatus
from records.outbox import EventFeed
from records.store import RecordStore
from records.tables import DeliveryRow, WebhookRow
from records.webhooks import WebhookBook
from services.acting import Principal, permit

# Standard Webhooks' secret form: "whsec_" and base64 of 24 to 64 random bytes.
SECRET_BYTES = 32
CURSOR_PREFIX = "e1:"
MAX_PAGE = 1000


class WebhookForm(BaseModel):
    """A new subscription."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="where events are POSTed; https in production")
    types: list[EventType] = Field(default_factory=list, description="the event types it hears; none: all")
    text_fields: list[str] = Field(
        default_factory=list,
        description=f"the personal free text its events may hold, of: {', '.join(sorted(FREE_TEXT))}; none by default",
    )

    @field_validator("text_fields")
    @classmethod
    def _known_text(cls, fields: list[str]) -> list[str]:
        unknown = sorted(set(fields) - FREE_TEXT)
        if unknown:
            raise ValueError(
                f"not free text an event holds: {', '.join(unknown)}; known: {', '.join(sorted(FREE_TEXT))}"
            )
        return sorted(set(fields))


class WebhookInfo(BaseModel):
    """A subscription as operations see it: never its secret."""

    webhook_id: str
    url: str
    types: list[EventType]
    text_fields: list[str]
    active: bool
    created_at: datetime
    created_by: str
    removed_at: datetime | None = None
    removed_by: str | None = None

    @classmethod
    def of(cls, row: WebhookRow) -> "WebhookInfo":
        return cls.model_validate(row.model_dump())


class WebhookCreated(WebhookInfo):
    secret: str = Field(description="the signing secret (Standard Webhooks, whsec_...): shown this once only")


class DeliveryInfo(BaseModel):
    """One event owed to a subscription, and what became of it."""

    webhook_id: str
    event_id: str
    party_id: str
    type: EventType
    status: DeliveryStatus
    attempts: int
    first_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="while pending")
    delivered_at: datetime | None
    last_status: int | None = Field(description="the HTTP status of the last attempt (none: no answer)")
    last_error: str | None

    @classmethod
    def of(cls, row: DeliveryRow) -> "DeliveryInfo":
        pending = row.status == DeliveryStatus.PENDING
        return cls.model_validate(row.model_dump() | {"next_attempt_at": row.next_attempt_at if pending else None})


class Replayed(BaseModel):
    webhook_id: str
    deliveries: int = Field(description="how many are owed again, due now")


class EventPage(BaseModel):
    """A page of the feed: events in order, and the cursor to read on from."""

    events: list[Event]
    next: str = Field(description="the cursor after the last event here (the same one if none): pass it as `after`")


class UnknownWebhook(LookupError):
    """No subscription has the id (404)."""


class BadCursor(ValueError):
    """A cursor the feed did not give (422)."""


def cursor_of(position: int) -> str:
    """An opaque cursor: stable (the same events after it, whenever it is read), never reused."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{position}".encode()).decode().rstrip("=")


def position_of(cursor: str | None) -> int:
    """The position a cursor stands for; none: the beginning.

    Raises:
        BadCursor: It is not one the feed gave.
    """
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(CURSOR_PREFIX):
            raise ValueError(text)
        position = int(text.removeprefix(CURSOR_PREFIX))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor(f"not a cursor the feed gave: {cursor!r}; start without one") from None
    if position < 0:
        raise BadCursor(f"not a cursor the feed gave: {cursor!r}; start without one")
    return position


def read_events(
    store: RecordStore,
    principal: Principal,
    after: str | None,
    *,
    party_id: str | None = None,
    types: list[EventType] | None = None,
    limit: int = 100,
) -> EventPage:
    """The events after the cursor `after`, in order, at most `limit`: of one party and of
    some types, if asked; without free text."""
    permit(principal, Action.READ_EVENTS)
    position = position_of(after)
    rows = EventFeed(store.engine).events_after(position, limit=min(limit, MAX_PAGE), party_id=party_id, types=types)
    events = [
        Event(
            id=r.event_id,
            type=EventType(r.type),
            party_id=r.party_id,
            sequence=r.party_seq,
            timestamp=r.at,
            data=shown(r.data, set()),
        )
        for r in rows
    ]
    last = rows[-1].position if rows else position
    assert last is not None  # the feed reads numbered events only
    return EventPage(events=events, next=cursor_of(last))


def add_webhook(
    store: RecordStore, key_ring: KeyRing, principal: Principal, form: WebhookForm, now: datetime
) -> WebhookCreated:
    """Add a subscription: it hears the events recorded from now on. Start its delivery after."""
    permit(principal, Action.MANAGE_WEBHOOKS)
    webhook_id = f"wh-{uuid.uuid4().hex[:16]}"
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()
    key_id, sealed = seal(key_ring, secret, webhook_id)
    book = WebhookBook(store.engine)
    row = WebhookRow(
        webhook_id=webhook_id,
        url=str(form.url),
        secret_key_id=key_id,
        secret_sealed=sealed,
        types=[t.value for t in form.types],
        text_fields=form.text_fields,
        created_at=now,
        created_by=principal.id,
        scanned_position=book.last_position(),
    )
    book.add_webhook(row)
    return WebhookCreated.model_validate(WebhookInfo.of(row).model_dump() | {"secret": secret})


def list_webhooks(store: RecordStore, principal: Principal, removed: bool = False) -> list[WebhookInfo]:
    permit(principal, Action.MANAGE_WEBHOOKS)
    return [WebhookInfo.of(row) for row in WebhookBook(store.engine).webhooks(removed=removed)]


def remove_webhook(store: RecordStore, principal: Principal, webhook_id: str, now: datetime) -> WebhookInfo:
    """Remove a subscription (its workflow ends at its next round); removing it again changes nothing.

    Raises:
        UnknownWebhook: No subscription has the id.
    """
    permit(principal, Action.MANAGE_WEBHOOKS)
    book = WebhookBook(store.engine)
    book.remove_webhook(webhook_id, principal.id, now)
    row = book.webhook(webhook_id)
    if row is None:
        raise UnknownWebhook(f"no webhook {webhook_id!r}")
    return WebhookInfo.of(row)


def list_deliveries(
    store: RecordStore,
    principal: Principal,
    *,
    webhook_id: str | None = None,
    status: DeliveryStatus | None = None,
    limit: int = 200,
) -> list[DeliveryInfo]:
    permit(principal, Action.MANAGE_WEBHOOKS)
    rows = WebhookBook(store.engine).deliveries(webhook_id=webhook_id, status=status, limit=min(limit, MAX_PAGE))
    return [DeliveryInfo.of(row) for row in rows]


def replay(
    store: RecordStore, principal: Principal, webhook_id: str, now: datetime, after: str | None = None
) -> Replayed:
    """Owe the subscription again its failed deliveries, or every one after the feed's cursor `after`.
    Start its delivery after (it may have ended).

    Raises:
        UnknownWebhook: No active subscription has the id.
    """
    permit(principal, Action.MANAGE_WEBHOOKS)
    book = WebhookBook(store.engine)
    row = book.webhook(webhook_id)
    if row is None or not row.active:
        raise UnknownWebhook(f"no active webhook {webhook_id!r}")
    position = position_of(after) if after is not None else None
    return Replayed(webhook_id=webhook_id, deliveries=book.replay(webhook_id, now, position))
