"""Webhook subscriptions and their deliveries (issue 25), in the records database.

A subscription's deliveries are made lazily from the outbox: each round of its delivery
workflow first turns the events after its `scanned_position` into deliveries (`enqueue`), then
takes each party's earliest pending delivery that is due (`due_heads`), so a party's events go
out in order and a party whose event is being retried holds back no other party.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, update
from sqlmodel import Session, col, select

from policy.webhooks import DeliveryStatus
from records.base import StoreBase, Write
from records.outbox import sequence
from records.tables import DeliveryRow, EventRow, WebhookRow

_WEBHOOK = Write(WebhookRow, "webhook_id", upsert=False)
_DELIVERY = Write(DeliveryRow, "delivery_key", upsert=False)


def delivery_key(webhook_id: str, position: int) -> str:
    return f"{webhook_id}:{position}"


class WebhookBook(StoreBase):
    """Subscriptions, and the events owed to each."""

    def add_webhook(self, row: WebhookRow) -> None:
        with self._engine.begin() as connection:
            self._write(connection, _WEBHOOK, [row.model_dump()])

    def webhook(self, webhook_id: str) -> WebhookRow | None:
        with Session(self._engine) as session:
            return session.get(WebhookRow, webhook_id)

    def webhooks(self, *, removed: bool = False) -> list[WebhookRow]:
        """Every active subscription (and removed ones, if asked), oldest first."""
        query = select(WebhookRow).order_by(col(WebhookRow.created_at))
        if not removed:
            query = query.where(col(WebhookRow.active))
        return self._rows(query)

    def remove_webhook(self, webhook_id: str, by: str, at: datetime) -> bool:
        """Mark it removed, by whom and when; False if it was not active. Its deliveries stay on record."""
        statement = (
            update(WebhookRow)
            .where(col(WebhookRow.webhook_id) == webhook_id, col(WebhookRow.active))
            .values(active=False, removed_by=by, removed_at=at)
            .returning(col(WebhookRow.webhook_id))
        )
        with self._engine.begin() as connection:
            return connection.execute(statement).first() is not None

    def last_position(self) -> int:
        """The newest event's position (0: none): a new subscription hears what comes after it."""
        with self._engine.begin() as connection:
            sequence(connection)
            return connection.execute(select(func.max(col(EventRow.position)))).scalar() or 0

    def enqueue(self, webhook_id: str, now: datetime, limit: int = 1000) -> bool:
        """Number the events committed since (records.outbox.sequence), then turn those after the
        subscription's scanned position into its deliveries, due now:
        those of its types (all, if it names none). Returns whether it is still active.

        The subscription's row is updated first, so two rounds at once (a retried activity) take
        turns; a delivery made twice is kept once (its key)."""
        webhooks = WebhookRow.__table__  # type: ignore[attr-defined]
        events = EventRow.__table__  # type: ignore[attr-defined]
        with self._engine.begin() as connection:
            sequence(connection)
        with self._engine.begin() as connection:
            found = connection.execute(
                update(webhooks)
                .where(webhooks.c.webhook_id == webhook_id, webhooks.c.active)
                .values(scanned_position=webhooks.c.scanned_position)
                .returning(webhooks.c.scanned_position, webhooks.c.types)
            ).first()
            if found is None:
                return False
            scanned, types = found
            rows = connection.execute(
                select(events.c.position, events.c.event_id, events.c.party_id, events.c.type)
                .where(events.c.position > scanned)
                .order_by(events.c.position)
                .limit(limit)
            ).all()
            if not rows:
                return True
            owed = [
                {
                    "delivery_key": delivery_key(webhook_id, r.position),
                    "webhook_id": webhook_id,
                    "position": r.position,
                    "event_id": r.event_id,
                    "party_id": r.party_id,
                    "type": r.type,
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
                for r in rows
                if not types or r.type in types
            ]
            if owed:
                self._write(connection, _DELIVERY, owed)
            connection.execute(
                update(webhooks).where(webhooks.c.webhook_id == webhook_id).values(scanned_position=rows[-1].position)
            )
        return True

    def due_heads(self, webhook_id: str, now: datetime, limit: int) -> tuple[list[DeliveryRow], datetime | None]:
        """Each party's earliest pending delivery, of those due by `now` (at most `limit`, oldest
        first), and when the earliest of the others is due (None: nothing waits)."""
        heads = (
            select(col(DeliveryRow.party_id), func.min(col(DeliveryRow.position)).label("position"))
            .where(col(DeliveryRow.webhook_id) == webhook_id, col(DeliveryRow.status) == DeliveryStatus.PENDING.value)
            .group_by(col(DeliveryRow.party_id))
            .subquery()
        )
        query = (
            select(DeliveryRow)
            .join(
                heads,
                and_(col(DeliveryRow.party_id) == heads.c.party_id, col(DeliveryRow.position) == heads.c.position),
            )
            .where(col(DeliveryRow.webhook_id) == webhook_id)
            .order_by(col(DeliveryRow.position))
        )
        rows: list[DeliveryRow] = self._rows(query)
        due = [r for r in rows if r.next_attempt_at <= now][:limit]
        waiting = [r.next_attempt_at for r in rows if r.next_attempt_at > now]
        return due, min(waiting, default=None)

    def next_pending(self, webhook_id: str, party_id: str) -> DeliveryRow | None:
        """The party's earliest pending delivery to the subscription."""
        query = (
            select(DeliveryRow)
            .where(
                col(DeliveryRow.webhook_id) == webhook_id,
                col(DeliveryRow.party_id) == party_id,
                col(DeliveryRow.status) == DeliveryStatus.PENDING.value,
            )
            .order_by(col(DeliveryRow.position))
            .limit(1)
        )
        rows: list[DeliveryRow] = self._rows(query)
        return rows[0] if rows else None

    def event_at(self, position: int) -> EventRow | None:
        rows: list[EventRow] = self._rows(select(EventRow).where(col(EventRow.position) == position))
        return rows[0] if rows else None

    def record_attempt(self, key: str, values: dict[str, Any]) -> None:
        """What one attempt at a pending delivery came to (its status, attempts, next attempt ...)."""
        statement = (
            update(DeliveryRow)
            .where(col(DeliveryRow.delivery_key) == key, col(DeliveryRow.status) == DeliveryStatus.PENDING.value)
            .values(**values)
        )
        with self._engine.begin() as connection:
            connection.execute(statement)

    def deliveries(
        self, *, webhook_id: str | None = None, status: DeliveryStatus | None = None, limit: int = 200
    ) -> list[DeliveryRow]:
        """Deliveries, newest first: a subscription's, of one status, if asked."""
        query = select(DeliveryRow).order_by(col(DeliveryRow.position).desc()).limit(limit)
        if webhook_id is not None:
            query = query.where(col(DeliveryRow.webhook_id) == webhook_id)
        if status is not None:
            query = query.where(col(DeliveryRow.status) == status.value)
        return self._rows(query)

    def replay(self, webhook_id: str, now: datetime, after: int | None = None) -> int:
        """Owe the subscription again its failed deliveries, or (`after`) every event after that
        position it was owed; due now, their attempts counted afresh. Returns how many."""
        condition = (
            col(DeliveryRow.position) > after
            if after is not None
            else col(DeliveryRow.status) == DeliveryStatus.FAILED.value
        )
        statement = (
            update(DeliveryRow)
            .where(col(DeliveryRow.webhook_id) == webhook_id, condition)
            .values(
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                first_attempt_at=None,
                next_attempt_at=now,
                delivered_at=None,
            )
        )
        with self._engine.begin() as connection:
            return connection.execute(statement).rowcount or 0
