"""Webhook deliveries (issue 25): the retry schedule, a delivery's body, and the delivery
workflow's messages. Pure: no IO.

Each event owed to a subscription is tried at once, then again after each pause of
`RETRY_PAUSES` in turn, then every `LAST_PAUSE`, for up to `GIVE_UP_AFTER` from its first
attempt (three days, so a subscriber down over a long weekend gets everything); then it is
marked failed, where `ubp webhooks deliveries` shows it and `ubp webhooks replay` sends it again.
A party's next event waits while its earlier one is retried: each party's events arrive in order.
"""

import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from policy.events import Event, EventType, shown

RETRY_PAUSES = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
)
LAST_PAUSE = timedelta(hours=12)
GIVE_UP_AFTER = timedelta(days=3)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # its retries ran out: replay sends it again


def next_attempt(first_attempt_at: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts, the first at `first_attempt_at`;
    None once the schedule is over (mark it failed)."""
    pause = RETRY_PAUSES[attempts - 1] if attempts <= len(RETRY_PAUSES) else LAST_PAUSE
    at = now + pause
    return at if at - first_attempt_at <= GIVE_UP_AFTER else None


def body(
    event_id: str,
    event_type: str,
    party_id: str,
    sequence: int,
    at: datetime,
    data: dict[str, Any],
    text_fields: frozenset[str] | set[str],
) -> str:
    """The JSON an event is delivered and signed as: its data without the free text the
    subscription is not allowed."""
    event = Event(
        id=event_id,
        type=EventType(event_type),
        party_id=party_id,
        sequence=sequence,
        timestamp=at,
        data=shown(data, text_fields),
    )
    return json.dumps(event.model_dump(mode="json"), separators=(",", ":"))


class DeliveryRound(BaseModel):
    """One round of a subscription's deliveries (the activity's input)."""

    webhook_id: str
    now: datetime = Field(description="the workflow's time: what is due, and when to try again")
    max_requests: int = Field(default=200, ge=1, description="HTTP requests at most in this round")


class RoundReport(BaseModel):
    """What a round did, and what the workflow does next."""

    active: bool = Field(description="false once the subscription is removed: the workflow ends")
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    more: bool = Field(default=False, description="more is due now: run another round at once")
    next_due_at: datetime | None = Field(default=None, description="the earliest retry waiting")


class WebhookDeliveryInput(BaseModel):
    """The delivery workflow's one argument (workflows.webhooks)."""

    webhook_id: str
    poll_seconds: float = Field(gt=0, description="how often it looks for new events: the latency when idle")
    rounds: int = Field(default=0, ge=0, description="rounds run before this run (continue-as-new)")
